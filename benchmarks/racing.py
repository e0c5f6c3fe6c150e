"""Racing folds (``racing=True``): fits saved, quality kept, and what the time buys.

Every task of the quality suites (``tasks.py``), with 5-fold CV on its
training part (the same 25% held-out test split), ``n_jobs=1``, one process.
Per task, seed and budget ``B``:

- ``RandomizedSearchCV``: ``B`` candidates, the baseline of the regret ratios;
- ``HyperoptSearchCV``: the default (no racing), ``B`` candidates;
- ``HyperoptSearchCV(racing)``: ``racing=True``, ``B`` candidates: the fits
  it saves, and its quality at the same ``n_iter``;
- ``HyperoptSearchCV(racing, same time)``: ``racing=True`` with ``timeout``
  set to the wall time the default took on the same task and seed (and
  ``n_iter=4 B`` as a cap): what the saved time buys.

Per task and seed, once (budget ``"halving"``):

- ``HalvingRandomSearchCV``: scikit-learn's successive halving at its
  defaults (``factor=3``, ``resource="n_samples"``, ``n_candidates="exhaust"``);
- ``HyperoptSearchCV(Halving's time)`` and ``HyperoptSearchCV(racing,
  Halving's time)``: ``timeout`` set to Halving's wall time on the same task
  and seed.

A method's score is the best mean CV score among its complete candidates
(raced-out ones have none); its regret is the best known score on the task
(over every run of this benchmark) minus that. Regret ratios and their
geometric means follow ``report.py`` (floor ``report.RATIO_FLOOR``). Records go to
``racing_runs.jsonl`` (resumable: done runs are skipped), the tables to
``racing.md`` / ``racing.json`` in ``--out``.

Usage::

    python benchmarks/racing.py --suite tuning --budgets 20 50 --seeds 5
    python benchmarks/racing.py --report-only
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from report import RATIO_FLOOR
from sklearn.base import clone
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import get_scorer
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from spaces import to_scipy
from tasks import SEED, TASKS, quiet_warnings, suite_tasks

import hyperopt_search._racing as racing_module
from hyperopt_search import HyperoptSearchCV

N_SPLITS = 5
RANDOM = "RandomizedSearchCV"
DEFAULT = "HyperoptSearchCV"
RACING = "HyperoptSearchCV(racing)"
RACING_SAME_TIME = "HyperoptSearchCV(racing, same time)"
HALVING = "HalvingRandomSearchCV"
AT_HALVING_TIME = "HyperoptSearchCV(Halving's time)"
RACING_AT_HALVING_TIME = "HyperoptSearchCV(racing, Halving's time)"
BUDGET_METHODS = (RANDOM, DEFAULT, RACING, RACING_SAME_TIME)
HALVING_METHODS = (HALVING, AT_HALVING_TIME, RACING_AT_HALVING_TIME)
#: Candidate cap of a search bounded by time.
TIMED_CAP = 4


def five_fold(task):
    """The task's data, with 5-fold CV splits on its training part."""
    X, y = task.load()
    stratify = y if task.classification else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=SEED, stratify=stratify
    )
    splitter = (StratifiedKFold if task.classification else KFold)(
        n_splits=N_SPLITS, shuffle=True, random_state=SEED
    )
    return X_train, X_test, y_train, y_test, list(splitter.split(X_train, y_train))


def _search(method, task, cv, budget, seed, timeout=None):
    common = {"scoring": task.scoring, "cv": cv, "n_jobs": 1, "refit": False}
    space = to_scipy(task.space)
    if method == RANDOM:
        return RandomizedSearchCV(
            task.make_estimator(), space, n_iter=budget, random_state=seed, **common
        )
    if method == HALVING:
        return HalvingRandomSearchCV(task.make_estimator(), space, random_state=seed, **common)
    racing = "racing" in method
    n_iter = budget if timeout is None else TIMED_CAP * budget
    return HyperoptSearchCV(
        task.make_estimator(),
        space,
        n_iter=n_iter,
        racing=racing,
        timeout=timeout,
        random_state=seed,
        **common,
    )


def _run(method, task, data, budget, seed, timeout=None) -> dict:
    X_train, X_test, y_train, y_test, cv = data
    search = _search(method, task, cv, budget, seed, timeout)
    start = time.perf_counter()
    error = None
    try:
        search.fit(X_train, y_train)
    except Exception as exc:  # a crash is a result: recorded, not raised
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
    wall = time.perf_counter() - start
    record = {
        "task": task.name,
        "suite": task.suite,
        "method": method,
        "seed": seed,
        "budget": budget,
        "timeout": timeout,
        "wall": wall,
        "error": error,
        "best_cv": math.nan,
        "test": math.nan,
        "n_candidates": 0,
        "n_complete": 0,
        "n_fits": 0,
    }
    if error is not None:
        return record
    results = search.cv_results_
    scores = np.asarray(results["mean_test_score"], dtype=float)
    if method == HALVING:
        # Only the last iteration's candidates saw all the samples.
        last = np.asarray(results["iter"]) == max(results["iter"])
        scores = np.where(last, scores, np.nan)
        fitted = np.full(len(scores), N_SPLITS)
    elif "n_splits_fitted" in results:
        fitted = np.asarray(results["n_splits_fitted"])
    else:
        fitted = np.full(len(scores), N_SPLITS)
    record.update(
        n_candidates=len(scores),
        n_complete=int(np.isfinite(scores).sum()),
        n_fits=int(fitted.sum()),
    )
    if np.isfinite(scores).any():
        best = int(np.nanargmax(scores))
        params = results["params"][best]
        estimator = clone(task.make_estimator()).set_params(**clone(params, safe=False))
        estimator.fit(X_train, y_train)
        record.update(
            best_cv=float(scores[best]),
            test=float(get_scorer(task.scoring)(estimator, X_test, y_test)),
        )
    return record


def _key(record) -> tuple:
    return (record["task"], record["method"], record["seed"], str(record["budget"]))


def load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def execute(tasks, budgets, seeds, path: Path, methods=None) -> None:
    records = load(path)
    done = {_key(r): r for r in records}

    def once(method, task, data, budget, seed, timeout=None):
        key = (task.name, method, seed, str(budget))
        if key not in done and methods is not None and method not in methods:
            return {"wall": None}
        if key not in done:
            record = _run(method, task, data, budget, seed, timeout)
            with path.open("a") as file:
                file.write(json.dumps(record) + "\n")
            done[key] = record
            print(
                f"{task.name} {method} B={budget} seed={seed}: best_cv={record['best_cv']:.4f} "
                f"fits={record['n_fits']} wall={record['wall']:.1f}s"
                + (f" ERROR {record['error']}" if record["error"] else ""),
                flush=True,
            )
        return done[key]

    for name in tasks:
        task = TASKS[name]
        data = five_fold(task)
        for seed in range(seeds):
            for budget in budgets:
                once(RANDOM, task, data, budget, seed)
                default = once(DEFAULT, task, data, budget, seed)
                once(RACING, task, data, budget, seed)
                once(RACING_SAME_TIME, task, data, budget, seed, timeout=default["wall"])
            halving = once(HALVING, task, data, "halving", seed)
            for method in (AT_HALVING_TIME, RACING_AT_HALVING_TIME):
                # n_iter cap: TIMED_CAP x the largest budget
                once(method, task, data, max(budgets), seed, timeout=halving["wall"])


# -- report ------------------------------------------------------------------------


def _geomean(ratios) -> float:
    ratios = [max(r, RATIO_FLOOR) for r in ratios if np.isfinite(r)]
    return float(np.exp(np.mean(np.log(ratios)))) if ratios else math.nan


def summarize(records: list[dict]) -> dict:
    """Per suite and budget: fits, regret ratios and walls of each method."""
    best = defaultdict(lambda: -math.inf)
    worst = defaultdict(lambda: math.inf)
    for r in records:
        if np.isfinite(r["best_cv"]):
            best[r["task"]] = max(best[r["task"]], r["best_cv"])
            worst[r["task"]] = min(worst[r["task"]], r["best_cv"])
    by = defaultdict(list)  # (suite, budget, method, task) -> records
    for r in records:
        budget = "halving" if r["method"] in HALVING_METHODS else r["budget"]
        by[(r["suite"], str(budget), r["method"], r["task"])].append(r)

    def regret(r):  # a crash counts as the task's worst run
        found = r["best_cv"] if np.isfinite(r["best_cv"]) else worst[r["task"]]
        return best[r["task"]] - found

    out = {}
    for suite in sorted({k[0] for k in by}):
        for budget in sorted({k[1] for k in by if k[0] == suite}, key=str):
            methods = HALVING_METHODS if budget == "halving" else BUDGET_METHODS
            baseline = HALVING if budget == "halving" else RANDOM
            tasks = sorted({k[3] for k in by if k[:2] == (suite, budget)})
            rows = {}
            for method in methods:
                ratios, fits, walls, crashes, per_task = [], [], [], 0, {}
                for task in tasks:
                    runs = by.get((suite, budget, method, task), [])
                    base = by.get((suite, budget, baseline, task), [])
                    if not runs or not base:
                        continue
                    mean_regret = np.mean([regret(r) for r in runs])
                    base_regret = np.mean([regret(r) for r in base])
                    ratio = mean_regret / base_regret if base_regret > 0 else math.nan
                    ratios.append(ratio)
                    per_task[task] = ratio
                    fits.append(
                        np.mean([r["n_fits"] for r in runs]) / np.mean([r["n_fits"] for r in base])
                    )
                    walls.append(
                        np.mean([r["wall"] for r in runs]) / np.mean([r["wall"] for r in base])
                    )
                    crashes += sum(r["error"] is not None for r in runs)
                if ratios:
                    rows[method] = {
                        "regret_ratio": _geomean(ratios),
                        "regret_ratio_per_task": per_task,
                        "fits_ratio": float(np.mean(fits)),
                        "fits_ratio_range": [float(np.min(fits)), float(np.max(fits))],
                        "wall_ratio": float(np.mean(walls)),
                        "crashes": crashes,
                        "n_tasks": len(ratios),
                        "n_runs": sum(len(by.get((suite, budget, method, t), [])) for t in tasks),
                    }
            out[f"{suite}/{budget}"] = {"baseline": baseline, "methods": rows}
    return out


def paired_fits(records: list[dict]) -> dict:
    """Fits of racing vs the default at the same n_iter, and the best-CV difference."""
    index = {_key(r): r for r in records}
    rows = defaultdict(lambda: {"fits": [], "delta_cv": []})
    for r in records:
        if r["method"] != RACING:
            continue
        other = index.get((r["task"], DEFAULT, r["seed"], str(r["budget"])))
        if other is None or not (np.isfinite(r["best_cv"]) and np.isfinite(other["best_cv"])):
            continue
        row = rows[(r["suite"], r["budget"], r["task"])]
        row["fits"].append(r["n_fits"] / other["n_fits"])
        row["delta_cv"].append(r["best_cv"] - other["best_cv"])
    return rows


def write_report(records: list[dict], out: Path) -> None:
    summary = summarize(records)
    paired = paired_fits(records)
    lines = [
        "# Racing folds",
        "",
        "`python benchmarks/racing.py` (see its docstring): 5-fold CV, `n_jobs=1`, "
        f"{len({r['seed'] for r in records})} seeds. Regret ratio: mean regret / the "
        "baseline's mean regret on the same task, geometric mean over tasks "
        f"(ratios floored at {RATIO_FLOOR}); fits and wall: mean ratio to the baseline "
        "over tasks. Lower is better everywhere. Racing's level and noise pool "
        f"(`ALPHA={racing_module.ALPHA}`, `NOISE_FRACTION={racing_module.NOISE_FRACTION}` "
        "in `hyperopt_search/_racing.py`) were chosen on the tuning suite; the report "
        "suite is held out.",
        "",
    ]
    for name, block in summary.items():
        suite, budget = name.split("/")
        what = "Halving's wall time" if budget == "halving" else f"{budget} candidates"
        lines += [
            f"## {suite} suite, {what} (baseline {block['baseline']})",
            "",
            "| method | regret ratio | fits ratio [min, max over tasks] | wall ratio "
            "| crashes | runs |",
            "|---|---|---|---|---|---|",
        ]
        for method, row in block["methods"].items():
            lo, hi = row["fits_ratio_range"]
            lines.append(
                f"| {method} | {row['regret_ratio']:.2f} | {row['fits_ratio']:.2f} "
                f"[{lo:.2f}, {hi:.2f}] | {row['wall_ratio']:.2f} | {row['crashes']} "
                f"| {row['n_runs']} |"
            )
        lines.append("")
    lines += [
        "## Racing vs the default at the same `n_iter`, per task",
        "",
        "Fits: racing's / the default's (mean over seeds). Best CV: racing's minus "
        "the default's (mean, and the seeds' standard deviation of the difference).",
        "",
        "| suite | budget | task | fits ratio | best CV difference (mean ± sd) |",
        "|---|---|---|---|---|",
    ]
    for (suite, budget, task), row in sorted(paired.items(), key=lambda kv: str(kv[0])):
        d = np.array(row["delta_cv"])
        lines.append(
            f"| {suite} | {budget} | {task} | {np.mean(row['fits']):.2f} | "
            f"{d.mean():+.4f} ± {d.std(ddof=1) if len(d) > 1 else 0:.4f} |"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "racing.md").write_text("\n".join(lines) + "\n")
    (out / "racing.json").write_text(json.dumps(summary, indent=1, default=float) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="tuning", choices=["tuning", "report", "all"])
    parser.add_argument("--tasks", nargs="*", help="a subset of the suite's tasks")
    parser.add_argument("--budgets", nargs="+", type=int, default=[20, 50])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--methods", nargs="*", help="run only these (a study)")
    parser.add_argument(
        "--alpha", type=float, help="a study: racing's level (hyperopt_search._racing.ALPHA)"
    )
    parser.add_argument(
        "--noise-fraction",
        type=float,
        help="a study: hyperopt_search._racing.NOISE_FRACTION",
    )
    args = parser.parse_args(argv)
    if args.alpha is not None:
        racing_module.ALPHA = args.alpha
    if args.noise_fraction is not None:
        racing_module.NOISE_FRACTION = args.noise_fraction
    quiet_warnings()
    path = args.out / "racing_runs.jsonl"
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        tasks = args.tasks or suite_tasks(args.suite)
        execute(tasks, args.budgets, args.seeds, path, args.methods)
    write_report(load(path), args.out)


if __name__ == "__main__":
    main()
