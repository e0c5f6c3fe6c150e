"""Tables, JSON and plots from the per-run records of ``quality.py``.

Regret of a run = best known CV score of the task (the best seen by any run of
any method on that task) - the best CV score the run found. The regret ratio
of a method = its mean regret / RandomizedSearchCV's mean regret on the same
task and budget (lower is better; 1 = no better than random search), and its
geometric mean is taken across the tasks of one suite the method ran on, each
ratio floored at ``RATIO_FLOOR`` first. The test regret is the same with the
held-out score of the refitted best candidate. Spread across seeds: a
bootstrap over seeds (the same resampled seeds for every task and method, so
the comparison stays paired).
"""

from __future__ import annotations

import json
import math
import platform
import warnings
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from methods import RANDOM
from tasks import SUITES, TASKS

#: Floor of a regret ratio before taking logs. Below it a ratio counts as the
#: floor: on a task where every method is close to the best known score (a
#: saturated task), one lucky run can give a ratio near 0 whose log would
#: outweigh every other task, so one zero must not carry a method.
RATIO_FLOOR = 0.05
GRID = "GridSearchCV"
#: Bootstrap draws over seeds, and the interval reported.
N_BOOT = 1000
INTERVAL = (5, 95)


def load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def best_known(records: list[dict]) -> dict[str, float]:
    best: dict[str, float] = {}
    for r in records:
        if r["best_cv"] is not None and math.isfinite(r["best_cv"]):
            best[r["task"]] = max(best.get(r["task"], -math.inf), r["best_cv"])
    return best


def _mean_sd(values) -> tuple[float, float]:
    values = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0


def _found(record: dict, worst: float) -> float:
    """The run's best CV score; a run that scored no candidate counts as the
    worst run of its task."""
    return record["best_cv"] if math.isfinite(record["best_cv"]) else worst


def suite_of(task: str) -> str:
    return TASKS[task].suite if task in TASKS else "tuning"


def _extremes(records: list[dict], field: str) -> tuple[dict, dict]:
    """Best and worst finite ``field`` of each task over all runs."""
    best: dict[str, float] = {}
    worst: dict[str, float] = {}
    for r in records:
        v = r.get(field)
        if v is not None and math.isfinite(v):
            best[r["task"]] = max(best.get(r["task"], -math.inf), v)
            worst[r["task"]] = min(worst.get(r["task"], math.inf), v)
    return best, worst


def run_regrets(records: list[dict], best: dict[str, float]) -> tuple[list, list]:
    """CV and test regret of every record (a run with no scored candidate counts
    as the task's worst run). The test regret is taken from the best held-out
    score any run reached on the task."""
    _, worst = _extremes(records, "best_cv")
    best_test, worst_test = _extremes(records, "test")
    cv, test = [], []
    for r in records:
        t = r["task"]
        cv.append(best[t] - _found(r, worst.get(t, math.nan)))
        found = r["test"] if r["test"] is not None and math.isfinite(r["test"]) else None
        found = worst_test.get(t, math.nan) if found is None else found
        test.append(best_test.get(t, math.nan) - found)
    return cv, test


def summarize(records: list[dict], best: dict[str, float]) -> list[dict]:
    cv_regrets, test_regrets = run_regrets(records, best)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        groups[(r["task"], r["method"], r["budget"])].append(i)
    rows = []
    for (task, method, budget), idx in sorted(groups.items()):
        runs = [records[i] for i in idx]
        cv, cv_sd = _mean_sd(r["best_cv"] for r in runs)
        test, test_sd = _mean_sd(r["test"] for r in runs)
        regrets = np.array([cv_regrets[i] for i in idx])
        overheads = [r.get("overhead_per_candidate", math.nan) for r in runs]
        overheads = [v for v in overheads if v is not None and math.isfinite(v)]
        rows.append(
            {
                "task": task,
                "suite": suite_of(task),
                "method": method,
                "budget": budget,
                "runs": len(runs),
                "best_cv_mean": cv,
                "best_cv_sd": cv_sd,
                "test_mean": test,
                "test_sd": test_sd,
                "wall_mean": _mean_sd(r["wall"] for r in runs)[0],
                "regret_mean": float(np.mean(regrets)),
                "regret_q25": float(np.percentile(regrets, 25)),
                "regret_q75": float(np.percentile(regrets, 75)),
                "test_regret_mean": float(np.nanmean([test_regrets[i] for i in idx])),
                "overhead_median": float(np.median(overheads)) if overheads else math.nan,
                "failed_candidates_mean": float(np.mean([r["n_failed"] for r in runs])),
                "crashed": sum(r["crashed"] for r in runs),
            }
        )
    return rows


def regret_ratios(rows: list[dict], key: str = "regret_mean") -> dict[tuple, float]:
    """Mean regret / RandomizedSearchCV's on the same task and budget; no ratio
    where random search's mean regret is 0 (every run found the best known)."""
    random = {(r["task"], r["budget"]): r[key] for r in rows if r["method"] == RANDOM}
    ratios = {}
    for r in rows:
        base = random.get((r["task"], r["budget"]))
        if base is not None and base > 0 and math.isfinite(r[key]):
            ratios[(r["task"], r["method"], r["budget"])] = r[key] / base
    return ratios


def geomeans(ratios: dict[tuple, float], suite: str | None = None) -> dict[tuple, tuple]:
    """Geometric mean of the floored ratios per (method, budget) over the tasks
    (of ``suite`` only, if given): ``(value, number of tasks)``."""
    logs: dict[tuple, list[float]] = defaultdict(list)
    for (task, method, budget), ratio in ratios.items():
        if suite is None or suite_of(task) == suite:
            logs[(method, budget)].append(math.log(max(ratio, RATIO_FLOOR)))
    return {key: (math.exp(np.mean(v)), len(v)) for key, v in logs.items()}


def bootstrap(records: list[dict], best: dict[str, float], seed: int = 0) -> dict:
    """Intervals over seeds: for each (task, method, budget) the CV regret
    ratio, and for each (suite, method, budget) its geometric mean. Every draw
    resamples the seeds once, for every task and method alike (paired)."""
    cv_regrets, _ = run_regrets(records, best)
    seeds = sorted({r["seed"] for r in records})
    if len(seeds) < 2:
        return {}
    position = {s: i for i, s in enumerate(seeds)}
    values: dict[tuple, np.ndarray] = {}
    for r, regret in zip(records, cv_regrets, strict=True):
        key = (r["task"], r["method"], r["budget"])
        if key not in values:
            values[key] = np.full(len(seeds), np.nan)
        values[key][position[r["seed"]]] = regret
    draws = np.random.default_rng(seed).integers(0, len(seeds), (N_BOOT, len(seeds)))
    means = {}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for key, v in values.items():
            m = np.nanmean(v[draws], axis=1)
            means[key] = np.where(np.isnan(m), np.nanmean(v), m)  # one run: as is
    out: dict[tuple, tuple[float, float]] = {}
    logs: dict[tuple, list[np.ndarray]] = defaultdict(list)
    for (task, method, budget), m in means.items():
        base = means.get((task, RANDOM, budget))
        if base is None or np.nanmean(values[(task, RANDOM, budget)]) <= 0:
            continue
        with np.errstate(all="ignore"):
            ratio = np.where(base > 0, m / np.where(base > 0, base, 1.0), np.nan)
        ratio = np.where(np.isnan(ratio) & (m == 0), 1.0, ratio)  # 0 / 0: a tie
        ratio = np.where(np.isnan(ratio), 1 / RATIO_FLOOR, ratio)  # x / 0: far worse
        out[(task, method, budget)] = tuple(np.percentile(ratio, INTERVAL))
        logs[(suite_of(task), method, budget)].append(np.log(np.maximum(ratio, RATIO_FLOOR)))
    for key, rows in logs.items():
        out[("geomean", *key)] = tuple(np.percentile(np.exp(np.mean(rows, axis=0)), INTERVAL))
    return out


# -- markdown ----------------------------------------------------------------------


def _fmt(x: float, digits: int = 3) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _methods_in(rows, order=None) -> list[str]:
    seen = list(dict.fromkeys(r["method"] for r in rows))
    if order:
        seen.sort(key=lambda m: order.index(m) if m in order else len(order))
    return seen


#: Marks a regret ratio above 1: worse than random search on that task.
WORSE = "†"


def _ratio_cell(value: float) -> str:
    return _fmt(value, 2) + (f" {WORSE}" if math.isfinite(value) and value > 1 else "")


def _interval(boot: dict | None, key: tuple) -> str:
    if not boot or key not in boot:
        return ""
    low, high = boot[key]
    return f" [{_fmt(low, 2)}, {_fmt(high, 2)}]"


def ratio_tables(
    rows, ratios, gmeans, methods, n_tasks, tasks=None, boot=None, suite=None, title="###"
) -> list[str]:
    """Per budget: the regret ratio of every method on every task (of ``tasks``)
    and its geometric mean (with the bootstrap interval of ``suite``)."""
    lines = []
    tasks = list(tasks or dict.fromkeys(r["task"] for r in rows))
    for budget in sorted({r["budget"] for r in rows if r["task"] in tasks}):
        present = [
            m
            for m in methods
            if any(k[1] == m and k[2] == budget and k[0] in tasks for k in ratios)
        ]
        if not present:
            continue
        lines += [f"{title} Budget {budget} candidates", ""]
        lines.append("| task | " + " | ".join(present) + " |")
        lines.append("|---|" + "---|" * len(present))
        for task in tasks:
            if not any(r["task"] == task and r["budget"] == budget for r in rows):
                continue
            cells = [_ratio_cell(ratios.get((task, m, budget), math.nan)) for m in present]
            lines.append(f"| {task} | " + " | ".join(cells) + " |")
        cells = []
        for m in present:
            value, n = gmeans.get((m, budget), (math.nan, 0))
            cells.append(
                f"**{_fmt(value, 2)}**"
                + _interval(boot, ("geomean", suite, m, budget))
                + (f" ({n}/{n_tasks} tasks)" if n < n_tasks else "")
            )
        lines += ["| **geometric mean** | " + " | ".join(cells) + " |", ""]
    return lines


def suite_summary(rows, ratios, test_ratios, boot, methods, suite, tasks) -> list[str]:
    """One row per method and budget over the tasks of ``suite``."""
    gm = geomeans(ratios, suite)
    gm_test = geomeans(test_ratios, suite)
    lines = [
        "| budget | method | CV regret ratio, geo. mean [5-95% over seeds] | test regret "
        "ratio, geo. mean | worse than random on | overhead ms / candidate (median) "
        "| wall s / run (mean) | crashed runs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for budget in sorted({r["budget"] for r in rows if r["task"] in tasks}):
        for m in methods:
            mine = [r for r in rows if r["method"] == m and r["budget"] == budget]
            mine = [r for r in mine if r["task"] in tasks]
            if not mine:
                continue
            value, n = gm.get((m, budget), (math.nan, 0))
            ratio = _fmt(value, 2) + _interval(boot, ("geomean", suite, m, budget))
            if n < len(tasks):
                ratio += f" ({n}/{len(tasks)} tasks)"
            worse = [t for t in tasks if ratios.get((t, m, budget), 0) > 1 and m != RANDOM]
            overheads = [r["overhead_median"] for r in mine if math.isfinite(r["overhead_median"])]
            overhead = float(np.median(overheads)) * 1000 if overheads else math.nan
            walls = [r["wall_mean"] for r in mine if math.isfinite(r["wall_mean"])]
            crashed = sum(r["crashed"] for r in mine)
            runs = sum(r["runs"] for r in mine)
            lines.append(
                f"| {budget} | {m} | {ratio} | {_fmt(gm_test.get((m, budget), (math.nan,))[0], 2)}"
                f" | {', '.join(worse) or '-'} | {_fmt(overhead, 1)} | "
                f"{_fmt(float(np.mean(walls)) if walls else math.nan, 1)} | {crashed}/{runs} |"
            )
    return lines


def task_tables(rows, best, methods, tasks=None, ratios=None, boot=None) -> list[str]:
    lines = []
    ratios = ratios if ratios is not None else regret_ratios(rows)
    for task in tasks or dict.fromkeys(r["task"] for r in rows):
        task_rows = [r for r in rows if r["task"] == task]
        if not task_rows:
            continue
        lines += [
            f"### {task}",
            "",
            f"{TASKS[task].description}; scoring `{TASKS[task].scoring}`; "
            f"{suite_of(task)} suite; best known CV score {_fmt(best.get(task), 4)}.",
            "",
            "| method | budget | runs | best CV (mean ± sd) | CV regret [IQR] "
            "| regret ratio [5-95%] | test (mean ± sd) | test regret | wall s "
            "| overhead ms/cand. | failed cand. | crashed |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        task_rows.sort(key=lambda r: (r["budget"], methods.index(r["method"])))
        for r in task_rows:
            key = (task, r["method"], r["budget"])
            lines.append(
                f"| {r['method']} | {r['budget']} | {r['runs']} | "
                f"{_fmt(r['best_cv_mean'], 4)} ± {_fmt(r['best_cv_sd'], 4)} | "
                f"{_fmt(r['regret_mean'], 4)} [{_fmt(r['regret_q25'], 4)}, "
                f"{_fmt(r['regret_q75'], 4)}] | "
                f"{_ratio_cell(ratios.get(key, math.nan))}{_interval(boot, key)} | "
                f"{_fmt(r['test_mean'], 4)} ± {_fmt(r['test_sd'], 4)} | "
                f"{_fmt(r['test_regret_mean'], 4)} | "
                f"{_fmt(r['wall_mean'], 1)} | {_fmt(r['overhead_median'] * 1000, 1)} | "
                f"{_fmt(r['failed_candidates_mean'], 1)} | {r['crashed']}/{r['runs']} |"
            )
        lines.append("")
    return lines


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in (
        "hyperopt-search",
        "hyperopt",
        "scikit-learn",
        "numpy",
        "optuna",
        "optuna-integration",
        "scikit-optimize",
    ):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _header(title: str, info: dict, records: list[dict]) -> list[str]:
    seeds = sorted({r["seed"] for r in records})
    lines = [
        f"# {title}",
        "",
        f"Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `{info['command']}` "
        f"({len(records)} run-budget records, seeds {seeds[0] if seeds else '-'}-"
        f"{seeds[-1] if seeds else '-'}; every search `n_jobs=1`, BLAS threads 1).",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()) + ".",
        "",
    ]
    lines += [f"- {note}" for note in info.get("notes", [])]
    for name, reason in info.get("skipped_methods", {}).items():
        lines.append(f"- **{name} skipped**: {reason}")
    for name, tasks in info.get("not_supported", {}).items():
        for task, reason in tasks.items():
            lines.append(f"- {name} not run on `{task}`: {reason}.")
    return [*lines, ""]


# -- plots -------------------------------------------------------------------------


def best_so_far(scores: list) -> np.ndarray:
    values = np.array([-np.inf if s is None else s for s in scores], dtype=float)
    running = np.maximum.accumulate(values) if values.size else values
    return np.where(np.isneginf(running), np.nan, running)


def curves(records: list[dict]) -> dict[str, dict[str, dict]]:
    """Median and quartiles of the best-so-far, per task and method, at the
    largest budget each method was run with (the grid, whose order is
    arbitrary, is left out)."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    by = defaultdict(list)
    for r in records:
        if r["method"] != GRID:
            by[(r["task"], r["method"])].append(r)
    for (task, method), runs in by.items():
        budget = max(r["budget"] for r in runs)
        paths = [best_so_far(r["scores"]) for r in runs if r["budget"] == budget and r["scores"]]
        if not paths:
            continue
        length = max(len(p) for p in paths)
        padded = np.array(
            [
                np.pad(p, (0, length - len(p)), constant_values=p[-1] if len(p) else np.nan)
                for p in paths
            ]
        )
        with np.errstate(all="ignore"):
            q = np.nanpercentile(padded, [25, 50, 75], axis=0)
        out[task][method] = {
            "budget": budget,
            "q25": q[0].tolist(),
            "median": q[1].tolist(),
            "q75": q[2].tolist(),
        }
    return out


def plot_convergence(curve_data, best, path: Path, methods: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(curve_data)
    ncols = 3
    nrows = math.ceil(len(tasks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.6 * nrows), squeeze=False)
    colors = dict(
        zip(methods, plt.rcParams["axes.prop_cycle"].by_key()["color"] * 2, strict=False)
    )
    for ax, task in zip(axes.flat, tasks, strict=False):
        lows = []
        for method in methods:
            c = curve_data[task].get(method)
            if c is None:
                continue
            x = np.arange(1, len(c["median"]) + 1)
            ax.plot(x, c["median"], label=method, color=colors[method], lw=1.6)
            ax.fill_between(x, c["q25"], c["q75"], color=colors[method], alpha=0.15)
            lows.append(np.nanmedian(c["median"][: max(1, len(x) // 10)]))
        ax.axhline(best[task], color="k", ls=":", lw=1)
        if lows:
            low = float(np.nanmin(lows))
            ax.set_ylim(low, best[task] + 0.05 * (best[task] - low + 1e-9))
        ax.set_title(task)
        ax.set_xlabel("candidates evaluated")
        ax.set_ylabel("best CV score so far")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), frameon=False)
    fig.suptitle(
        "Best CV score so far: median and inter-quartile band over seeds (dotted: best known)"
    )
    fig.tight_layout(rect=(0, 0.07, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- the reports -------------------------------------------------------------------


def _analyse(records):
    best = best_known(records)
    rows = summarize(records, best)
    ratios = regret_ratios(rows)
    return best, rows, ratios, geomeans(ratios)


def _json_ratios(ratios, boot=None):
    return [
        {
            "task": t,
            "method": m,
            "budget": b,
            "regret_ratio": v,
            **({"interval": boot.get((t, m, b))} if boot else {}),
        }
        for (t, m, b), v in ratios.items()
    ]


def _json_geomeans(gmeans):
    return [
        {"method": m, "budget": b, "geomean": v, "tasks": n} for (m, b), (v, n) in gmeans.items()
    ]


def _suites_in(records) -> list[tuple[str, list[str]]]:
    """(suite, its tasks with runs, in the order of ``TASKS``) for each suite run."""
    ran = {r["task"] for r in records}
    order = [t for t in TASKS if t in ran] + sorted(ran - set(TASKS))
    out = []
    for suite in SUITES:
        tasks = [t for t in order if suite_of(t) == suite]
        if tasks:
            out.append((suite, tasks))
    return out


SUITE_TEXT = {
    "tuning": "the tasks HyperoptSearchCV's defaults were chosen on (optimistic for it)",
    "report": "held out: no default is ever tuned on these tasks",
}


def write_quality(runs_path: Path, out: Path, info: dict) -> None:
    from methods import METHODS

    records = load(runs_path)
    if not records:
        print("no records yet")
        return
    best, rows, ratios, _ = _analyse(records)
    test_ratios = regret_ratios(rows, "test_regret_mean")
    boot = bootstrap(records, best)
    methods = _methods_in(rows, list(METHODS))
    suites = _suites_in(records)
    lines = _header("Quality at equal budget", info, records)
    lines += [
        "How to read it: regret = best known CV score of the task (best of any run of any "
        "method) - best CV score found; regret ratio = mean regret / RandomizedSearchCV's "
        "mean regret at the same task and budget (lower is better, 1 = as good as random "
        f"search; {WORSE} marks a ratio above 1: worse than random on that task; `-`: no "
        "ratio, random search found the best known score in every run). The geometric mean "
        f"over a suite's tasks counts **every ratio below {RATIO_FLOOR} as {RATIO_FLOOR}**: "
        "on a saturated task one lucky run can give a ratio near 0, and one zero must not "
        "carry a method. Intervals: 5-95% of a bootstrap over seeds "
        f"({N_BOOT} draws, the same seeds for every task and method). Test regret: the same "
        "with the held-out score of the refitted best candidate (its reference is the best "
        "held-out score any run reached). Overhead: the search's own time per candidate "
        "(wall time up to its last candidate minus the time inside scikit-learn's "
        "`_fit_and_score`). Budgets 20 and 50 of the methods whose candidates do not depend "
        "on the budget are the first 20 / 50 candidates of their 100-candidate runs (see "
        "`methods.py`).",
        "",
    ]
    for suite, tasks in suites:
        gm = geomeans(ratios, suite)
        lines += [
            f"## {suite.capitalize()} suite: {SUITE_TEXT[suite]}",
            "",
            f"Tasks: {', '.join(f'`{t}`' for t in tasks)}.",
            "",
            "### Summary",
            "",
            *suite_summary(rows, ratios, test_ratios, boot, methods, suite, tasks),
            "",
            "### CV regret ratio vs RandomizedSearchCV (lower is better)",
            "",
            *ratio_tables(rows, ratios, gm, methods, len(tasks), tasks, boot, suite, "####"),
            "### HyperoptSearchCV against each method, run by run",
            "",
            "The geometric means above can hide how often one method beats another: here "
            "each HyperoptSearchCV run is paired with the other method's run on the same "
            "task, seed and budget (tasks the other method cannot run are left out), with "
            "the mean difference of best CV scores and a Wilcoxon signed-rank p-value.",
            "",
            *paired_vs_peers([r for r in records if r["suite"] == suite], methods)[0],
            "",
            "### Test regret ratio vs RandomizedSearchCV",
            "",
            *ratio_tables(
                rows,
                test_ratios,
                geomeans(test_ratios, suite),
                methods,
                len(tasks),
                tasks,
                None,
                suite,
                "####",
            ),
        ]
    lines += [
        "## Per task",
        "",
        "`CV regret [IQR]`: mean regret and its inter-quartile range over seeds. `test`: "
        "the held-out score of the estimator refitted on the whole training part with the "
        "best parameters found. `wall s`: time to evaluate the candidates plus the refit. "
        "`crashed`: the search raised before using its budget (its scores are those of the "
        "candidates evaluated before the error).",
        "",
    ]
    for _suite, tasks in suites:
        lines += task_tables(rows, best, methods, tasks, ratios, boot)
    lines += ["![convergence](convergence.png)", ""]
    (out / "quality.md").write_text("\n".join(lines))
    curve_data = curves(records)
    payload = {
        "info": info,
        "versions": _versions(),
        "ratio_floor": RATIO_FLOOR,
        "suites": dict(suites),
        "best_known": best,
        "summary": rows,
        "regret_ratio": _json_ratios(ratios, boot),
        "test_regret_ratio": _json_ratios(test_ratios),
        "geomean_regret_ratio": [
            {
                **g,
                "suite": suite,
                "interval": boot.get(("geomean", suite, g["method"], g["budget"])),
            }
            for suite, _ in suites
            for g in _json_geomeans(geomeans(ratios, suite))
        ],
        "geomean_test_regret_ratio": [
            {**g, "suite": suite}
            for suite, _ in suites
            for g in _json_geomeans(geomeans(test_ratios, suite))
        ],
        "paired_vs_peers": {
            suite: paired_vs_peers([r for r in records if r["suite"] == suite], methods)[1]
            for suite, _ in suites
        },
        "curves": curve_data,
    }
    (out / "quality.json").write_text(json.dumps(payload, indent=1))
    plot_convergence(curve_data, best, out / "convergence.png", methods)
    print(f"wrote {out / 'quality.md'}, quality.json, convergence.png")


#: Best-CV differences this small are ties between separate runs (the
#: floating-point noise of a mean).
TIE = 1e-12


def _paired_diffs(records: list[dict], method: str, baseline: str, budget: int) -> np.ndarray:
    """Best CV score of ``method`` minus ``baseline``'s on the same (task, seed, budget)."""
    base = {
        (r["task"], r["seed"]): r["best_cv"]
        for r in records
        if r["method"] == baseline and r["budget"] == budget
    }
    diffs = [
        r["best_cv"] - base[key]
        for r in records
        if r["method"] == method
        and r["budget"] == budget
        and (key := (r["task"], r["seed"])) in base
    ]
    return np.array([d for d in diffs if math.isfinite(d)])


def _paired_row(
    method: str, baseline: str, budget: int, diffs: np.ndarray, tie: float = 0.0
) -> dict:
    """Wins / ties / losses of ``method``, its mean gain and a Wilcoxon signed-rank p.

    Differences of at most ``tie`` count as ties (and as zeros in the test):
    between separate runs, equal scores can differ in their last bits.
    """
    from scipy.stats import wilcoxon

    diffs = np.where(abs(diffs) <= tie, 0.0, diffs)
    wins, ties = int((diffs > 0).sum()), int((diffs == 0).sum())
    return {
        "method": method,
        "baseline": baseline,
        "budget": budget,
        "pairs": int(diffs.size),
        "wins": wins,
        "ties": ties,
        "losses": int(diffs.size) - wins - ties,
        "mean_gain": float(diffs.mean()),
        "wilcoxon_p": float(wilcoxon(diffs).pvalue if np.any(diffs != 0) else 1.0),
    }


def _paired_line(name: str, r: dict) -> str:
    return (
        f"| {name} | {r['budget']} | {r['pairs']} | {r['wins']} / {r['ties']} / "
        f"{r['losses']} | {r['mean_gain']:+.4f} | {r['wilcoxon_p']:.3f} |"
    )


def paired_vs_default(
    records: list[dict],
    methods: list[str],
    default: str = "HyperoptSearchCV",
    label: str = "default",
) -> tuple[list[str], list[dict]]:
    """Each HyperoptSearchCV variant of ``methods`` against ``default`` on the
    same (task, seed, budget): wins / ties / losses in best CV score and a
    Wilcoxon signed-rank p-value."""
    lines = [
        f"| variant | budget | pairs | wins / ties / losses vs {label} | mean best-CV gain "
        "| Wilcoxon p |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for method in methods:
        if method == default or not method.startswith("HyperoptSearchCV"):
            continue
        for budget in sorted({r["budget"] for r in records if r["method"] == method}):
            diffs = _paired_diffs(records, method, default, budget)
            if diffs.size:
                rows.append(_paired_row(method, default, budget, diffs))
                lines.append(_paired_line(method, rows[-1]))
    return lines, rows


def paired_vs_peers(
    records: list[dict], methods: list[str], ours: str = "HyperoptSearchCV"
) -> tuple[list[str], list[dict]]:
    """``ours`` against every other method, run by run: on the same (task, seed,
    budget), wins / ties / losses of ``ours`` in best CV score, the mean
    difference and a Wilcoxon signed-rank p-value (on the tasks both ran)."""
    lines = [
        f"| against | budget | pairs | {ours} better / ties / worse | mean best-CV difference "
        "| Wilcoxon p |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    budgets = sorted({r["budget"] for r in records if r["method"] == ours})
    for peer in methods:
        # GridSearchCV is deterministic: one run, nothing to pair over seeds.
        if peer == ours or len({r["seed"] for r in records if r["method"] == peer}) < 2:
            continue
        for budget in budgets:
            diffs = _paired_diffs(records, ours, peer, budget)
            if diffs.size:
                rows.append(_paired_row(ours, peer, budget, diffs, tie=TIE))
                lines.append(_paired_line(peer, rows[-1]))
    return lines, rows


def _with_baseline(
    variants_path: Path, main_path: Path, same_runs: bool = False
) -> tuple[list[dict], list[dict]]:
    """The study's runs, and with them the default HyperoptSearchCV's,
    RandomizedSearchCV's and OptunaSearchCV's runs of ``main_path`` at the
    study's budgets (unless the study ran that method itself); with
    ``same_runs``, only at the (task, seed, budget) the study ran."""
    variants = load(variants_path)
    budgets = {r["budget"] for r in variants}
    keys = {(r["task"], r["seed"], r["budget"]) for r in variants}
    keep = {"HyperoptSearchCV", "HyperoptSearchCV(tpe)", RANDOM, "OptunaSearchCV"}
    keep -= {r["method"] for r in variants}
    tasks = {r["task"] for r in variants}
    main = [
        r
        for r in load(main_path)
        if r["method"] in keep
        and r["task"] in tasks
        and r["budget"] in budgets
        and (not same_runs or (r["task"], r["seed"], r["budget"]) in keys)
    ]
    return variants, main + variants


def _study_methods(rows, variants) -> list[str]:
    return _methods_in(
        rows,
        [
            "HyperoptSearchCV",
            "HyperoptSearchCV(tpe)",
            *dict.fromkeys(r["method"] for r in variants),
            "OptunaSearchCV",
            RANDOM,
        ],
    )


def write_defaults(variants_path: Path, main_path: Path, out: Path, info: dict) -> None:
    variants, records = _with_baseline(variants_path, main_path)
    if not variants:
        print("no records yet")
        return
    best, rows, ratios, gmeans = _analyse(records)
    methods = _study_methods(rows, variants)
    paired_lines, paired = paired_vs_default(records, methods)
    lines = _header("HyperoptSearchCV settings compared with its defaults", info, records)
    lines += [
        "Same tasks, splits and seeds as `quality.md`; `HyperoptSearchCV` is the default "
        "(`n_initial_points='auto'`, `batch_size=4`, TPE gamma 0.25, 24 EI candidates). "
        "Best known and ratios are recomputed over all the runs shown here.",
        "",
        *ratio_tables(rows, ratios, gmeans, methods, len(best)),
        "## Paired with the default (same task, seed and budget)",
        "",
        *paired_lines,
        "",
        "## Per task",
        "",
        *task_tables(rows, best, methods),
    ]
    (out / "defaults.md").write_text("\n".join(lines))
    payload = {
        "info": info,
        "best_known": best,
        "summary": rows,
        "paired": paired,
        "regret_ratio": _json_ratios(ratios),
        "geomean_regret_ratio": _json_geomeans(gmeans),
    }
    (out / "defaults.json").write_text(json.dumps(payload, indent=1))
    print(f"wrote {out / 'defaults.md'}, defaults.json")


#: The ``schedule="ordered"`` variants and the ``"rounds"`` search each is paired
#: with besides the default (same batch size).
SCHEDULE_PAIRS = {
    'HyperoptSearchCV(schedule="ordered")': "HyperoptSearchCV",
    'HyperoptSearchCV(schedule="ordered", batch_size=8)': "HyperoptSearchCV(batch_size=8)",
}


def _schedule_summary(methods, gmeans, paired, budgets, n_tasks) -> list[str]:
    """One row per budget and HyperoptSearchCV search: regret-ratio geometric
    mean, and the paired comparison with the default (``schedule="rounds"``,
    ``batch_size=4``)."""
    vs = {(p["method"], p["budget"]): p for p in paired if p["baseline"] == "HyperoptSearchCV"}
    lines = [
        "| budget | search | regret ratio (geo. mean) | W / T / L vs default "
        "| mean best-CV gain | Wilcoxon p |",
        "|---|---|---|---|---|---|",
    ]
    for budget in budgets:
        for method in methods:
            if not method.startswith("HyperoptSearchCV") or (method, budget) not in gmeans:
                continue
            value, n = gmeans[(method, budget)]
            ratio = _fmt(value, 2) + (f" ({n}/{n_tasks} tasks)" if n < n_tasks else "")
            p = vs.get((method, budget))
            if method == "HyperoptSearchCV":
                cells = ["(default)", "", ""]
            elif p is None:
                cells = ["-", "-", "-"]
            else:
                cells = [
                    f"{p['wins']} / {p['ties']} / {p['losses']}",
                    f"{p['mean_gain']:+.4f}",
                    f"{p['wilcoxon_p']:.3f}",
                ]
            lines.append(f"| {budget} | {method} | {ratio} | " + " | ".join(cells) + " |")
    return lines


def write_schedules(variants_path: Path, main_path: Path, out: Path, info: dict) -> None:
    """``schedule="ordered"`` against the default ``"rounds"`` (``--study schedules``)."""
    variants, records = _with_baseline(variants_path, main_path, same_runs=True)
    if not variants:
        print("no records yet")
        return
    best, rows, ratios, gmeans = _analyse(records)
    methods = _study_methods(rows, variants)
    paired_lines, paired = paired_vs_default(records, methods)
    same_lines = [
        "| variant | budget | pairs | wins / ties / losses vs rounds | mean best-CV gain "
        "| Wilcoxon p |",
        "|---|---|---|---|---|---|",
    ]
    for method, baseline in SCHEDULE_PAIRS.items():
        if method not in methods or baseline not in methods:
            continue
        extra_lines, extra = paired_vs_default(records, [method], baseline)
        same_lines += [
            line.replace("| " + method, f"| {method} vs {baseline}", 1) for line in extra_lines[2:]
        ]
        if baseline != "HyperoptSearchCV":
            paired += extra
    budgets = sorted({r["budget"] for r in variants})
    lines = _header("HyperoptSearchCV schedules: ordered pipeline vs rounds", info, records)
    lines += [
        "Same tasks, splits and seeds as `quality.md`. `HyperoptSearchCV` is the default "
        '(`schedule="rounds"`, `batch_size=4`): each round asks hyperopt for `batch_size` '
        'candidates and cross-validates them together. `schedule="ordered"` keeps '
        "`batch_size` candidates in flight and proposes one new candidate each time the "
        "oldest is told to hyperopt, so every proposal after the start-up sees "
        '`batch_size - 1` pending candidates. `HyperoptSearchCV(batch_size=8)` (`"rounds"`) '
        'is the reference for `"ordered"` at batch size 8. Every search runs with '
        "`n_jobs=1`, so this measures search quality only, not speed. The default's and "
        "the other methods' runs come from `quality_runs.jsonl` (those at the tasks, seeds "
        "and budgets of this study); best known and ratios are recomputed over all the runs "
        "shown here.",
        "",
        "## Summary",
        "",
        "Regret ratio: geometric mean over the tasks of mean regret / RandomizedSearchCV's "
        "mean regret (lower is better). W / T / L: the variant's best CV score higher / "
        "equal / lower than the default's on the same task, seed and budget; Wilcoxon "
        "signed-rank p-value over those pairs (ties dropped).",
        "",
        *_schedule_summary(methods, gmeans, paired, budgets, len(best)),
        "",
        "## Paired with the default (same task, seed and budget)",
        "",
        *paired_lines,
        "",
        '## `"ordered"` paired with `"rounds"` at the same batch size',
        "",
        *same_lines,
        "",
        "## Regret ratio vs RandomizedSearchCV (lower is better)",
        "",
        *ratio_tables(rows, ratios, gmeans, methods, len(best)),
        "## Per task",
        "",
        *task_tables(rows, best, methods),
    ]
    (out / "schedules.md").write_text("\n".join(lines))
    payload = {
        "info": info,
        "versions": _versions(),
        "best_known": best,
        "summary": rows,
        "paired": paired,
        "regret_ratio": _json_ratios(ratios),
        "geomean_regret_ratio": _json_geomeans(gmeans),
    }
    (out / "schedules.json").write_text(json.dumps(payload, indent=1))
    print(f"wrote {out / 'schedules.md'}, schedules.json")
