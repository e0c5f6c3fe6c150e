"""Tables, JSON and plots from the per-run records of ``quality.py``.

Regret of a run = best known CV score of the task (the best seen by any run of
any method on that task) - the best CV score the run found. The regret ratio
of a method = its mean regret / RandomizedSearchCV's mean regret on the same
task and budget (lower is better; 1 = no better than random search), and its
geometric mean is taken across the tasks the method ran on.
"""

from __future__ import annotations

import json
import math
import platform
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from methods import RANDOM
from tasks import TASKS

#: Floor of a regret ratio before taking logs (a method that always finds the
#: best known point would otherwise have a geometric mean of 0).
RATIO_FLOOR = 1e-3
GRID = "GridSearchCV"


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


def summarize(records: list[dict], best: dict[str, float]) -> list[dict]:
    worst = dict.fromkeys(best, math.inf)
    for r in records:
        if math.isfinite(r["best_cv"]):
            worst[r["task"]] = min(worst[r["task"]], r["best_cv"])
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["task"], r["method"], r["budget"])].append(r)
    rows = []
    for (task, method, budget), runs in sorted(groups.items()):
        cv, cv_sd = _mean_sd(r["best_cv"] for r in runs)
        test, test_sd = _mean_sd(r["test"] for r in runs)
        regrets = [best[task] - _found(r, worst[task]) for r in runs]
        rows.append(
            {
                "task": task,
                "method": method,
                "budget": budget,
                "runs": len(runs),
                "best_cv_mean": cv,
                "best_cv_sd": cv_sd,
                "test_mean": test,
                "test_sd": test_sd,
                "wall_mean": _mean_sd(r["wall"] for r in runs)[0],
                "regret_mean": float(np.mean(regrets)),
                "failed_candidates_mean": float(np.mean([r["n_failed"] for r in runs])),
                "crashed": sum(r["crashed"] for r in runs),
            }
        )
    return rows


def regret_ratios(rows: list[dict]) -> dict[tuple, float]:
    random = {(r["task"], r["budget"]): r["regret_mean"] for r in rows if r["method"] == RANDOM}
    ratios = {}
    for r in rows:
        base = random.get((r["task"], r["budget"]))
        if base is not None and base > 0:
            ratios[(r["task"], r["method"], r["budget"])] = r["regret_mean"] / base
    return ratios


def geomeans(ratios: dict[tuple, float]) -> dict[tuple, tuple[float, int]]:
    logs: dict[tuple, list[float]] = defaultdict(list)
    for (_task, method, budget), ratio in ratios.items():
        logs[(method, budget)].append(math.log(max(ratio, RATIO_FLOOR)))
    return {key: (math.exp(np.mean(v)), len(v)) for key, v in logs.items()}


# -- markdown ----------------------------------------------------------------------


def _fmt(x: float, digits: int = 3) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _methods_in(rows, order=None) -> list[str]:
    seen = list(dict.fromkeys(r["method"] for r in rows))
    if order:
        seen.sort(key=lambda m: order.index(m) if m in order else len(order))
    return seen


def ratio_tables(rows, ratios, gmeans, methods, n_tasks) -> list[str]:
    lines = []
    for budget in sorted({r["budget"] for r in rows}):
        present = [m for m in methods if any(k[1] == m and k[2] == budget for k in ratios)]
        lines += [f"### Budget {budget} candidates", ""]
        lines.append("| task | " + " | ".join(present) + " |")
        lines.append("|---|" + "---|" * len(present))
        for task in dict.fromkeys(r["task"] for r in rows):
            cells = [_fmt(ratios.get((task, m, budget), math.nan), 2) for m in present]
            lines.append(f"| {task} | " + " | ".join(cells) + " |")
        cells = []
        for m in present:
            value, n = gmeans.get((m, budget), (math.nan, 0))
            cells.append(
                f"**{_fmt(value, 2)}**" + (f" ({n}/{n_tasks} tasks)" if n < n_tasks else "")
            )
        lines += ["| **geometric mean** | " + " | ".join(cells) + " |", ""]
    return lines


def task_tables(rows, best, methods) -> list[str]:
    lines = []
    for task in dict.fromkeys(r["task"] for r in rows):
        lines += [
            f"### {task}",
            "",
            f"{TASKS[task].description}; scoring `{TASKS[task].scoring}`; "
            f"best known CV score {_fmt(best.get(task), 4)}.",
            "",
            "| method | budget | runs | best CV (mean ± sd) | test (mean ± sd) | wall s | failed cand. | crashed |",
            "|---|---|---|---|---|---|---|---|",
        ]
        task_rows = [r for r in rows if r["task"] == task]
        task_rows.sort(key=lambda r: (r["budget"], methods.index(r["method"])))
        for r in task_rows:
            lines.append(
                f"| {r['method']} | {r['budget']} | {r['runs']} | "
                f"{_fmt(r['best_cv_mean'], 4)} ± {_fmt(r['best_cv_sd'], 4)} | "
                f"{_fmt(r['test_mean'], 4)} ± {_fmt(r['test_sd'], 4)} | "
                f"{_fmt(r['wall_mean'], 1)} | {_fmt(r['failed_candidates_mean'], 1)} | "
                f"{r['crashed']}/{r['runs']} |"
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


def _json_ratios(ratios):
    return [
        {"task": t, "method": m, "budget": b, "regret_ratio": v} for (t, m, b), v in ratios.items()
    ]


def _json_geomeans(gmeans):
    return [
        {"method": m, "budget": b, "geomean": v, "tasks": n} for (m, b), (v, n) in gmeans.items()
    ]


def write_quality(runs_path: Path, out: Path, info: dict) -> None:
    from methods import METHODS

    records = load(runs_path)
    if not records:
        print("no records yet")
        return
    best, rows, ratios, gmeans = _analyse(records)
    methods = _methods_in(rows, list(METHODS))
    n_tasks = len(best)
    lines = _header("Quality at equal budget", info, records)
    lines += [
        "## Regret ratio vs RandomizedSearchCV (lower is better)",
        "",
        "Regret = best known CV score of the task - best CV score found; ratio = mean "
        "regret / RandomizedSearchCV's mean regret at the same budget. Budgets 20 and 50 "
        "of the methods whose candidates do not depend on the budget are the first 20 / 50 "
        "candidates of their 100-candidate runs (see `methods.py`).",
        "",
        *ratio_tables(rows, ratios, gmeans, methods, n_tasks),
        "## Per task",
        "",
        "`test`: the held-out score of the estimator refitted on the whole training part "
        "with the best parameters found. `wall s`: time to evaluate the candidates plus "
        "the refit. `crashed`: the search raised before using its budget (its scores are "
        "those of the candidates evaluated before the error).",
        "",
        *task_tables(rows, best, methods),
        "![convergence](convergence.png)",
        "",
    ]
    (out / "quality.md").write_text("\n".join(lines))
    curve_data = curves(records)
    payload = {
        "info": info,
        "versions": _versions(),
        "best_known": best,
        "summary": rows,
        "regret_ratio": _json_ratios(ratios),
        "geomean_regret_ratio": _json_geomeans(gmeans),
        "curves": curve_data,
    }
    (out / "quality.json").write_text(json.dumps(payload, indent=1))
    plot_convergence(curve_data, best, out / "convergence.png", methods)
    print(f"wrote {out / 'quality.md'}, quality.json, convergence.png")


def paired_vs_default(
    records: list[dict],
    methods: list[str],
    default: str = "HyperoptSearchCV",
    label: str = "default",
) -> tuple[list[str], list[dict]]:
    """Each HyperoptSearchCV variant of ``methods`` against ``default`` on the
    same (task, seed, budget): wins / ties / losses in best CV score and a
    Wilcoxon signed-rank p-value."""
    from scipy.stats import wilcoxon

    base = {
        (r["task"], r["seed"], r["budget"]): r["best_cv"]
        for r in records
        if r["method"] == default
    }
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
            diffs = [
                r["best_cv"] - base[key]
                for r in records
                if r["method"] == method
                and r["budget"] == budget
                and (key := (r["task"], r["seed"], budget)) in base
            ]
            diffs = np.array([d for d in diffs if math.isfinite(d)])
            if diffs.size == 0:
                continue
            wins, ties = int((diffs > 0).sum()), int((diffs == 0).sum())
            p = wilcoxon(diffs).pvalue if np.any(diffs != 0) else 1.0
            rows.append(
                {
                    "method": method,
                    "baseline": default,
                    "budget": budget,
                    "pairs": int(diffs.size),
                    "wins": wins,
                    "ties": ties,
                    "losses": int(diffs.size) - wins - ties,
                    "mean_gain": float(diffs.mean()),
                    "wilcoxon_p": float(p),
                }
            )
            r = rows[-1]
            lines.append(
                f"| {method} | {budget} | {r['pairs']} | {wins} / {ties} / {r['losses']} | "
                f"{r['mean_gain']:+.4f} | {p:.3f} |"
            )
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
    keep = {"HyperoptSearchCV", RANDOM, "OptunaSearchCV"} - {r["method"] for r in variants}
    main = [
        r
        for r in load(main_path)
        if r["method"] in keep
        and r["budget"] in budgets
        and (not same_runs or (r["task"], r["seed"], r["budget"]) in keys)
    ]
    return variants, main + variants


def _study_methods(rows, variants) -> list[str]:
    return _methods_in(
        rows,
        [
            "HyperoptSearchCV",
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
