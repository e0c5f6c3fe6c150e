"""Refine and repeat (issue 25): does starting from what is known beat starting from nothing?

Two scenarios, on every task of both suites, paired by task and seed:

- **retune on new data**: a 30-candidate search on one half of a task's
  training data (half A), then 10 and 20 candidates on the other half (half
  B) started from it (``initial_candidates=<the first search>``: other data,
  so its ranking chooses the first candidates and none of its scores is
  reused), against the same budgets from scratch on half B;
- **refine**: 20 candidates on the training data, ``narrow_space`` of that
  search, then 10 more in the narrowed space started from the first search
  (same data: its candidates in the narrowed space are reused without
  refitting), against 30 candidates from scratch.

Each half has its own fixed 3-fold CV; the task's held-out test set (25% of
its data) scores the chosen candidate, refitted on the data it was searched
on. Two choices are scored on the test set for every final search: the best
CV score (the plain ``refit``) and :class:`~hyperopt_search.SimplestWithinNoise`
with a fixed, task-independent preference for the simpler end of the
parameters whose direction is well known (``SIMPLER``).

Regret of a run = the best CV score any run of any arm found on the same data
(task, scenario, and half) - the run's best CV score; regret ratio of an arm =
its mean regret over seeds / the scratch arm's at the same budget, floored
at 0.05, geometric mean over a suite's tasks (as ``report.py``).

    python benchmarks/refine.py --seeds 10 --jobs 1 --out benchmarks/results/refine
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import numbers
import time
import warnings
from ast import literal_eval
from collections import defaultdict
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import wilcoxon
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from spaces import to_scipy
from tasks import SEED, SUITES, TASKS, quiet_warnings, suite_tasks

from hyperopt_search import HyperoptSearchCV, SimplestWithinNoise, narrow_space

RATIO_FLOOR = 0.05
RETUNE_FIRST, RETUNE_BUDGETS = 30, (10, 20)
REFINE_FIRST, REFINE_MORE, REFINE_SCRATCH = 20, 10, 30

#: A simplicity preference for the noise-aware refit, fixed before any run and
#: the same on every task: the first of these parameters a candidate has,
#: at its simpler end (stronger regularisation, smoother or smaller model).
SIMPLER = {
    "C": "low",
    "alpha": "high",
    "l2_regularization": "high",
    "gamma": "low",
    "max_depth": "low",
    "max_leaf_nodes": "low",
    "min_samples_leaf": "high",
    "n_neighbors": "high",
    "n_components": "low",
    "epsilon": "high",
    "n_estimators": "low",
}


def simpler_first(params: dict) -> tuple:
    """Sort key: the first ``SIMPLER`` parameter's value, oriented; others last."""
    for name, direction in SIMPLER.items():
        for key, value in params.items():
            if key.split("__")[-1] == name and isinstance(value, numbers.Real):
                value = float(value)
                return (0, value if direction == "low" else -value)
    return (1, 0.0)


class _Data:
    def __init__(self, X, y, cv):
        self.X, self.y, self.cv = X, y, cv


def _cv(task, X, y) -> list:
    splitter = (StratifiedKFold if task.classification else KFold)(
        n_splits=3, shuffle=True, random_state=SEED
    )
    return list(splitter.split(X, y))


def halves(task) -> tuple[_Data, _Data]:
    """The task's training data in two halves, each with its own 3-fold CV."""
    data = task.data()
    stratify = data.y_train if task.classification else None
    a, b = train_test_split(
        np.arange(len(data.y_train)), test_size=0.5, random_state=SEED, stratify=stratify
    )
    parts = []
    for idx in (a, b):
        X, y = data.X_train[idx], data.y_train[idx]
        parts.append(_Data(X, y, _cv(task, X, y)))
    return parts[0], parts[1]


def whole(task) -> _Data:
    data = task.data()
    return _Data(data.X_train, data.y_train, data.cv)


def _search(task, data: _Data, n_iter: int, seed: int, space=None, **options):
    return HyperoptSearchCV(
        task.make_estimator(),
        to_scipy(task.space) if space is None else space,
        n_iter=n_iter,
        random_state=seed,
        cv=data.cv,
        scoring=task.scoring,
        n_jobs=1,
        refit=False,
        **options,
    )


def _fit(search, data: _Data):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(data.X, data.y)


def _test(task, data: _Data, params: dict) -> float:
    estimator = clone(task.make_estimator()).set_params(**clone(params, safe=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(data.X, data.y)
        test = task.data()
        return float(get_scorer(task.scoring)(estimator, test.X_test, test.y_test))


def _outcome(task, data: _Data, search) -> dict:
    """Best CV score, and the test scores of the plain and the noise-aware choice."""
    results = search.cv_results_
    means = np.asarray(results["mean_test_score"], dtype=float)
    if not np.isfinite(means).any():
        return {"best_cv": None, "test": None, "test_noise_aware": None, "same_choice": None}
    plain = int(np.nanargmax(means))
    try:
        aware = SimplestWithinNoise(simpler_first)(results)
    except ValueError:
        aware = plain
    test = _test(task, data, results["params"][plain])
    test_aware = test if aware == plain else _test(task, data, results["params"][aware])
    return {
        "best_cv": float(means[plain]),
        "test": test,
        "test_noise_aware": test_aware,
        "same_choice": aware == plain,
        "n_within_noise": None
        if search.fold_noise_ is None
        else int(search.fold_noise_.within_noise.sum()),
    }


def _apply(settings: dict[str, str]) -> None:
    """A study's variant: ``module.NAME=value`` constants of hyperopt_search set first."""
    import importlib

    for target, value in settings.items():
        module, name = target.rsplit(".", 1)
        setattr(importlib.import_module(f"hyperopt_search.{module}"), name, literal_eval(value))


def run_unit(
    name: str, seed: int, scenarios=("retune", "refine"), settings: dict | None = None
) -> list[dict]:
    """The scenarios for one task and seed: one record per arm and budget."""
    quiet_warnings()
    _apply(settings or {})
    task = TASKS[name]
    records = []

    def record(scenario, arm, budget, data, search, **extra):
        fitted = int((~search.cv_results_["reused"]).sum())
        records.append(
            {
                "task": name,
                "suite": task.suite,
                "seed": seed,
                "scenario": scenario,
                "arm": arm,
                "budget": budget,
                "n_fitted": fitted,
                **_outcome(task, data, search),
                **extra,
            }
        )

    start = time.perf_counter()
    if "retune" in scenarios:
        half_a, half_b = halves(task)
        first = _fit(_search(task, half_a, RETUNE_FIRST, seed), half_a)
        for budget in RETUNE_BUDGETS:
            scratch = _fit(_search(task, half_b, budget, seed), half_b)
            record("retune", "scratch", budget, half_b, scratch)
            started = _fit(_search(task, half_b, budget, seed, initial_candidates=first), half_b)
            record("retune", "started", budget, half_b, started)
    if "refine" in scenarios:
        _refine(task, seed, record)
    for r in records:
        r["unit_seconds"] = round(time.perf_counter() - start, 1)
        r["settings"] = settings or {}
    return records


def _refine(task, seed, record) -> None:
    data = whole(task)
    first = _fit(_search(task, data, REFINE_FIRST, seed), data)
    narrowed = narrow_space(first)
    refined = _fit(
        _search(task, data, REFINE_MORE, seed, space=narrowed.value, initial_candidates=first),
        data,
    )
    record(
        "refine",
        "refine",
        REFINE_FIRST + REFINE_MORE,
        data,
        refined,
        first_best_cv=float(np.nanmax(first.cv_results_["mean_test_score"])),
        stop_reason=refined.stop_reason_,
        notes=narrowed.notes,
    )
    scratch = _fit(_search(task, data, REFINE_SCRATCH, seed), data)
    record("refine", "scratch", REFINE_SCRATCH, data, scratch)


# -- report ---------------------------------------------------------------------


def load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _regrets(records: list[dict]) -> dict:
    """Per (scenario, task, budget class): {(arm, seed): regret}."""
    groups = defaultdict(list)
    for r in records:
        # Retune arms compare at equal budgets; refine compares 20+10 with 30.
        level = r["budget"] if r["scenario"] == "retune" else 30
        groups[(r["scenario"], r["task"], level)].append(r)
    out = {}
    for key, rows in groups.items():
        found = [r["best_cv"] for r in rows if r["best_cv"] is not None]
        best = max(found)
        worst = min(found)
        out[key] = {
            (r["arm"], r["seed"]): best - (r["best_cv"] if r["best_cv"] is not None else worst)
            for r in rows
        }
    return out


def _paired(a: list[float], b: list[float]) -> tuple[int, int, int, float]:
    """Wins (a lower), ties, losses and the Wilcoxon p of paired regrets."""
    d = np.asarray(a) - np.asarray(b)
    wins, losses = int((d < -1e-9).sum()), int((d > 1e-9).sum())
    p = math.nan
    if wins + losses:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(wilcoxon(d[np.abs(d) > 1e-9]).pvalue)
    return wins, len(d) - wins - losses, losses, p


def summarize(records: list[dict]) -> tuple[list[dict], list[str]]:
    regrets = _regrets(records)
    rows, lines = [], []
    by_key = defaultdict(dict)
    for r in records:
        level = r["budget"] if r["scenario"] == "retune" else 30
        by_key[(r["scenario"], r["task"], level)][(r["arm"], r["seed"])] = r
    comparisons = [("retune", "started", b) for b in RETUNE_BUDGETS] + [("refine", "refine", 30)]
    for suite in SUITES:
        for scenario, arm, level in comparisons:
            ratios, arm_all, scratch_all = [], [], []
            test_diff, aware_diff, same = [], [], []
            for task in suite_tasks(suite):
                group = regrets.get((scenario, task, level))
                if not group:
                    continue
                seeds = sorted(s for (a, s) in group if a == arm and ("scratch", s) in group)
                if not seeds:
                    continue
                mine = [group[(arm, s)] for s in seeds]
                theirs = [group[("scratch", s)] for s in seeds]
                arm_all += mine
                scratch_all += theirs
                if np.mean(theirs) > 1e-9:
                    ratios.append(max(np.mean(mine) / np.mean(theirs), RATIO_FLOOR))
                runs = by_key[(scenario, task, level)]
                for s in seeds:
                    a, b = runs[(arm, s)], runs[("scratch", s)]
                    if a["test"] is not None and b["test"] is not None:
                        test_diff.append(a["test"] - b["test"])
                    for x in (a, b):
                        if x["test"] is not None:
                            aware_diff.append(x["test_noise_aware"] - x["test"])
                            same.append(bool(x["same_choice"]))
            if not arm_all:
                continue
            wins, ties, losses, p = _paired(arm_all, scratch_all)
            ratio = float(np.exp(np.mean(np.log(ratios)))) if ratios else math.nan
            rows.append(
                {
                    "suite": suite,
                    "scenario": scenario,
                    "arm": arm,
                    "budget": level,
                    "regret_ratio": ratio,
                    "n_tasks": len(ratios),
                    "wins": wins,
                    "ties": ties,
                    "losses": losses,
                    "wilcoxon_p": p,
                    "test_gain": float(np.mean(test_diff)) if test_diff else math.nan,
                    "noise_aware_test_gain": float(np.mean(aware_diff)),
                    "noise_aware_changed": 1.0 - float(np.mean(same)),
                }
            )
    lines.append(
        "| suite | scenario | budget | regret ratio vs scratch (geo. mean) | better / ties / "
        "worse (runs) | Wilcoxon p | test score gain vs scratch | noise-aware refit: "
        "test gain over the plain one (share of searches it chose another) |"
    )
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = (
            f"retune, {r['budget']} on half B after 30 on half A"
            if r["scenario"] == "retune"
            else "refine: 20, narrowed, 10 more vs 30"
        )
        lines.append(
            f"| {r['suite']} | {name} | {r['budget']} | {r['regret_ratio']:.2f} "
            f"({r['n_tasks']} tasks) | {r['wins']} / {r['ties']} / {r['losses']} | "
            f"{r['wilcoxon_p']:.2g} | {r['test_gain']:+.4f} | "
            f"{r['noise_aware_test_gain']:+.4f} ({r['noise_aware_changed']:.0%}) |"
        )
    return rows, lines


def against_baseline(records: list[dict], baseline: list[dict]) -> list[str]:
    """A study's variant against the baseline's runs of the same arm, task and seed.

    Regret ratios (arm / scratch) with the best known score over both sets of
    runs, per suite; and the variant's own runs against the baseline's,
    paired: better / ties / worse on the best CV score, and the mean test gain.
    """
    renamed = [dict(r, arm=f"{r['arm']}*") for r in records if r["arm"] != "scratch"]
    base = {(r["task"], r["seed"], r["scenario"], r["budget"], r["arm"]): r for r in baseline}
    mine = {(r["task"], r["seed"], r["scenario"], r["budget"], r["arm"]): r for r in records}
    both = [r for r in baseline if (r["task"], r["seed"]) in {(m[0], m[1]) for m in mine}]
    regrets = _regrets(both + renamed)
    lines = [
        "| suite | scenario | budget | regret ratio: baseline -> variant | variant vs baseline: "
        "better / ties / worse (CV) | mean test gain |",
        "|---|---|---|---|---|---|",
    ]
    arms = sorted(
        {(r["scenario"], r["arm"], r["budget"]) for r in records if r["arm"] != "scratch"}
    )
    for suite in SUITES:
        for scenario, arm, budget in arms:
            level = budget if scenario == "retune" else 30
            ratios = {arm: [], f"{arm}*": []}
            better = ties = worse = 0
            test_gain = []
            for task in suite_tasks(suite):
                group = regrets.get((scenario, task, level), {})
                seeds = [s for (a, s) in group if a == f"{arm}*" and (arm, s) in group]
                if not seeds:
                    continue
                theirs = np.mean([group[("scratch", s)] for s in seeds])
                for name in ratios:
                    if theirs > 1e-9:
                        value = np.mean([group[(name, s)] for s in seeds]) / theirs
                        ratios[name].append(max(value, RATIO_FLOOR))
                for s in seeds:
                    a = mine[(task, s, scenario, budget, arm)]
                    b = base[(task, s, scenario, budget, arm)]
                    d = (a["best_cv"] or -np.inf) - (b["best_cv"] or -np.inf)
                    better, ties, worse = (
                        better + (d > 1e-9),
                        ties + (abs(d) <= 1e-9),
                        worse + (d < -1e-9),
                    )
                    if a["test"] is not None and b["test"] is not None:
                        test_gain.append(a["test"] - b["test"])
            if not ratios[arm]:
                continue
            geo = [float(np.exp(np.mean(np.log(v)))) for v in ratios.values()]
            lines.append(
                f"| {suite} | {scenario} | {budget} | {geo[0]:.2f} -> {geo[1]:.2f} | "
                f"{better} / {ties} / {worse} | {np.mean(test_gain):+.4f} |"
            )
    return lines


def task_lines(records: list[dict]) -> list[str]:
    regrets = _regrets(records)
    lines = [
        "| task | suite | retune 10: ratio | retune 20: ratio | refine: ratio "
        "| refine: new fits (mean) |",
        "|---|---|---|---|---|---|",
    ]
    for task in [t for s in SUITES for t in suite_tasks(s)]:
        cells = []
        for scenario, arm, level in [
            ("retune", "started", 10),
            ("retune", "started", 20),
            ("refine", "refine", 30),
        ]:
            group = regrets.get((scenario, task, level), {})
            seeds = [s for (a, s) in group if a == arm and ("scratch", s) in group]
            mine = np.mean([group[(arm, s)] for s in seeds]) if seeds else math.nan
            theirs = np.mean([group[("scratch", s)] for s in seeds]) if seeds else math.nan
            cells.append(f"{mine / theirs:.2f}" if theirs > 1e-9 else "- (scratch 0)")
        fits = [
            r["n_fitted"]
            for r in records
            if r["task"] == task and r["scenario"] == "refine" and r["arm"] == "refine"
        ]
        if not fits:
            continue
        lines.append(
            f"| {task} | {TASKS[task].suite} | {' | '.join(cells)} | {np.mean(fits):.1f} |"
        )
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tasks", nargs="*", default=None)
    parser.add_argument("--suite", choices=SUITES, default=None)
    parser.add_argument("--scenarios", nargs="+", default=["retune", "refine"])
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="MODULE.NAME=VALUE",
        help="a study's variant, e.g. _known.TRANSFER_SHARE=0.5 (a constant of hyperopt_search)",
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/refine"))
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="runs.jsonl of the baseline: compare this run's arms with its arms",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "runs.jsonl"
    suites = [args.suite] if args.suite else SUITES
    tasks = args.tasks or [t for s in suites for t in suite_tasks(s)]
    settings = dict(item.split("=", 1) for item in args.set)
    done = {(r["task"], r["seed"]) for r in load(path)}
    units = [(t, s) for s in range(args.seeds) for t in tasks if (t, s) not in done]
    if not args.report_only and units:
        jobs = Parallel(n_jobs=args.jobs, return_as="generator_unordered")(
            delayed(run_unit)(t, s, args.scenarios, settings) for t, s in units
        )
        with path.open("a") as f:
            for records in jobs:
                for r in records:
                    f.write(json.dumps(r) + "\n")
                f.flush()
                print(
                    f"{records[0]['task']} seed {records[0]['seed']}: "
                    f"{records[0]['unit_seconds']} s",
                    flush=True,
                )
    records = load(path)
    if args.baseline is not None:
        lines = against_baseline(records, load(args.baseline))
        (args.out / "against_baseline.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return
    rows, lines = summarize(records)
    (args.out / "summary.json").write_text(json.dumps(rows, indent=1))
    text = [
        "# Refine and repeat: starting from what is known, against starting from nothing",
        "",
        f"`python benchmarks/refine.py --seeds {args.seeds} --jobs {args.jobs} --out {args.out}` "
        f"({len({r['seed'] for r in records})} seeds, {len(records)} records). See the "
        "module docstring of `benchmarks/refine.py` for the protocol. Regret ratio below 1: "
        "the arm found better CV scores than starting from scratch at the same number of "
        "fitted candidates (refine: 30 in all, the reused ones counted once).",
        "",
        *lines,
        "",
        "## Per task (regret ratio against scratch, mean over seeds)",
        "",
        *task_lines(records),
        "",
    ]
    (args.out / "README.md").write_text("\n".join(text))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
