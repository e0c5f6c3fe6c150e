"""Quality at equal budget: which search finds the better model for the same fits?

Runs HyperoptSearchCV (default settings, ``algo="tpe"``, ``"gp"``, ``"rand"``),
RandomizedSearchCV, GridSearchCV (a grid of at most the budget) and, when
installed, OptunaSearchCV (default TPE, multivariate grouped TPE, GPSampler),
hyperopt's own ``hyperopt.sklearn.HyperoptSearchCV`` and scikit-optimize's
BayesSearchCV on the tasks of ``tasks.py``: same data, same 3-fold CV splits,
same held-out test split, same budget of candidates, every search with
``n_jobs=1`` in this one process. A method whose option or package is not
available here is skipped (and the report says so).

The tasks form two suites (``--suite tuning|report|all``, default all): the
*tuning* suite, on which HyperoptSearchCV's defaults are chosen, and the
held-out *report* suite, on which no default is ever tuned. The report gives
the tables of each suite separately.

Full run (budgets 20, 50, 100; 10 seeds), writing
``benchmarks/results/quality.{md,json}``, ``quality_runs.jsonl`` and
``convergence.png``::

    python benchmarks/quality.py

Quick try (budget 20, 3 seeds, a few minutes), written to
``benchmarks/scratch/quick/``::

    python benchmarks/quality.py --quick

The run is resumable: finished runs are appended to ``quality_runs.jsonl`` as
they end and skipped when the command is run again. ``--report-only``
rebuilds the tables and the plot from that file. ``--study defaults`` runs the
HyperoptSearchCV variants of ``default_variants()`` (batch size, start-up
trials, TPE options) into ``defaults_runs.jsonl`` / ``defaults.md``.
``--study schedules`` runs those of ``schedule_variants()`` (``schedule="ordered"``
at batch size 4 and 8, and the default ``"rounds"`` at batch size 8 for
reference) into ``schedules_runs.jsonl`` / ``schedules.{md,json}``. Both studies
compare each variant with the default HyperoptSearchCV (``schedule="rounds"``,
``batch_size=4``) on paired seeds, reusing its runs (and RandomizedSearchCV's)
from ``quality_runs.jsonl`` in the same output directory. The studies choose
defaults, so they run on the tuning suite only.

``--set KEY=VALUE`` (repeatable) runs the default HyperoptSearchCV with those
options instead, under the name ``HyperoptSearchCV(KEY=VALUE, ...)``: a variant
for ``compare_variants.py``, e.g. ``--set batch_size=1`` (values are Python
literals).

Each HyperoptSearchCV run records its ``algo``; a run refuses to resume from a
file whose runs of the same method name used another ``algo`` (the default
changes between versions), so use a fresh ``--out`` then.
"""

from __future__ import annotations

import os

# One core: no BLAS/OpenMP threads on top of n_jobs=1 (must precede numpy).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
from methods import METHODS, Method, algo_of, run, variant  # noqa: E402
from tasks import REPORT_SUITE, SUITES, TASKS, quiet_warnings, suite_tasks  # noqa: E402

SKOPT = "BayesSearchCV"


def default_variants() -> list[Method]:
    """HyperoptSearchCV settings compared with the defaults (``--study defaults``).

    TPE options are passed as ``algo=functools.partial(hyperopt.tpe.suggest, ...)``
    with the start-up trials of ``n_initial_points="auto"`` unless given.
    """
    return [
        variant("HyperoptSearchCV(batch_size=1)", batch_size=1),
        variant("HyperoptSearchCV(batch_size=8)", batch_size=8),
        variant("HyperoptSearchCV(n_initial_points=5)", n_initial_points=5),
        variant("HyperoptSearchCV(n_initial_points=10)", n_initial_points=10),
        variant("HyperoptSearchCV(n_initial_points=20)", n_initial_points=20),
        variant("HyperoptSearchCV(gamma=0.5)", {"gamma": 0.5}),
        variant("HyperoptSearchCV(gamma=1.0)", {"gamma": 1.0}),
        variant("HyperoptSearchCV(n_EI_candidates=64)", {"n_EI_candidates": 64}),
        variant(
            "HyperoptSearchCV(gamma=0.5, n_initial_points=5)", {"gamma": 0.5}, n_initial_points=5
        ),
    ]


def schedule_variants() -> list[Method]:
    """HyperoptSearchCV schedules compared with the default ``"rounds"`` at
    ``batch_size=4`` (``--study schedules``); ``"rounds"`` at ``batch_size=8``
    is the reference for ``"ordered"`` at 8."""
    return [
        variant('HyperoptSearchCV(schedule="ordered")', schedule="ordered"),
        variant(
            'HyperoptSearchCV(schedule="ordered", batch_size=8)', schedule="ordered", batch_size=8
        ),
        variant("HyperoptSearchCV(batch_size=8)", batch_size=8),
    ]


#: Output file stem of each study.
STEMS = {"main": "quality", "defaults": "defaults", "schedules": "schedules"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="budget 20, 3 seeds, scratch output")
    parser.add_argument("--budgets", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--skopt-budgets", type=int, nargs="+", default=[20, 50])
    parser.add_argument(
        "--suite",
        choices=[*SUITES, "all"],
        default=None,
        help="task suite (default: all; the studies run on the tuning suite only)",
    )
    parser.add_argument(
        "--tasks", nargs="+", default=None, choices=list(TASKS), help="default: the suite's"
    )
    parser.add_argument("--methods", nargs="+", default=None, help="default: all available")
    parser.add_argument("--study", choices=list(STEMS), default="main")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="run HyperoptSearchCV with this option (a Python literal) as a named variant",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.budgets, args.seeds, args.skopt_budgets = [20], 3, [20]
        args.out = args.out or HERE / "scratch" / "quick"
    args.out = args.out or HERE / "results"
    if args.study != "main":
        # Defaults are only ever tuned on the tuning suite.
        if args.suite not in (None, "tuning"):
            parser.error(f"--study {args.study} runs on the tuning suite only")
        args.suite = "tuning"
    args.suite = args.suite or "all"
    if args.tasks is None:
        args.tasks = suite_tasks(args.suite)
    else:
        outside = [t for t in args.tasks if t not in suite_tasks(args.suite)]
        if outside:
            parser.error(f"tasks {outside} are not in the {args.suite} suite")
    return args


# -- the plan --------------------------------------------------------------------


def plan(methods, tasks, budgets, skopt_budgets, seeds):
    """(method, task, run budget, seed, budgets read off the run), cheap first.

    Seeds are the outer loop, so a stopped run has every task at fewer seeds;
    scikit-optimize (about a second of overhead per candidate) comes last.
    """
    main = [m for m in methods if m.name != SKOPT]
    slow = [m for m in methods if m.name == SKOPT]
    for group, group_budgets in ((main, budgets), (slow, skopt_budgets)):
        for seed in seeds:
            for task in tasks:
                for method in group:
                    if method.supports(task) is not None or not group_budgets:
                        continue
                    if not method.seeded and seed != seeds[0]:
                        continue
                    if method.is_prefix(task):
                        yield method, task, max(group_budgets), seed, sorted(group_budgets)
                    else:
                        for budget in group_budgets:
                            yield method, task, budget, seed, [budget]


def _key(method, task, run_budget, seed) -> tuple:
    return (method, task, run_budget, seed)


def done_keys(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            keys.add(_key(r["method"], r["task"], r["run_budget"], r["seed"]))
    return keys


def _stored_algo(record: dict) -> str | None:
    """The ``algo`` a stored HyperoptSearchCV run used; records made before it
    was recorded come from when the default was ``"tpe"``."""
    if "algo" in record:
        return record["algo"]
    if not record["method"].startswith("HyperoptSearchCV"):
        return None
    return "rand" if record["method"] == "HyperoptSearchCV(rand)" else "tpe"


def check_algos(steps, path: Path) -> None:
    """Refuse to mix, under one method name, runs of different ``algo`` (the
    default of HyperoptSearchCV changes between versions): stale runs would be
    skipped as done and reported under the new name."""
    if not path.exists():
        return
    current = {}
    for method, task, run_budget, seed, _ in steps:
        if method.name not in current:
            current[method.name] = algo_of(method.build(task, task.data(), run_budget, seed))
    stale = set()
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            now = current.get(r["method"])
            if now not in (None, "callable") and _stored_algo(r) != now:
                stale.add((r["method"], _stored_algo(r), now))
    if stale:
        lines = [f"  {m}: stored algo={old!r}, now algo={new!r}" for m, old, new in sorted(stale)]
        raise SystemExit(
            f"{path} holds runs made with another algo:\n"
            + "\n".join(lines)
            + "\nUse a fresh --out directory (or remove those runs) and run again."
        )


def execute(steps, path: Path) -> None:
    check_algos(steps, path)
    done = done_keys(path)
    steps = [s for s in steps if _key(s[0].name, s[1].name, s[2], s[3]) not in done]
    print(f"{len(steps)} runs to do ({len(done)} already in {path.name})", flush=True)
    start = time.perf_counter()
    seconds: dict[str, float] = {}
    for i, (method, task, run_budget, seed, budgets) in enumerate(steps, 1):
        t0 = time.perf_counter()
        records = run(method, task, run_budget, seed, budgets)
        with path.open("a") as fh:
            for record in records:
                fh.write(json.dumps(record) + "\n")
        last = records[-1]
        took = time.perf_counter() - t0
        seconds[task.name] = seconds.get(task.name, 0.0) + took
        crashed = f" CRASHED ({last['error']})" if last["crashed"] else ""
        print(
            f"[{i}/{len(steps)} {time.perf_counter() - start:7.0f}s] {task.name} "
            f"{method.name} n_iter={run_budget} seed={seed}: best_cv={last['best_cv']:.4f} "
            f"overhead/cand={last['overhead_per_candidate'] * 1000:.0f}ms "
            f"({took:.1f}s){crashed}",
            flush=True,
        )
    if seconds:
        print("seconds per task (all methods, seeds and budgets of this run):")
        for name, total in seconds.items():
            print(f"  {name:24s} {total:7.1f}s", flush=True)


# -- main --------------------------------------------------------------------------


def select_methods(args) -> tuple[list[Method], dict[str, str]]:
    pool = dict(METHODS)
    if args.study == "defaults":
        pool = {m.name: m for m in default_variants()}
    elif args.study == "schedules":
        pool = {m.name: m for m in schedule_variants()}
    if args.set:
        options = dict(_option(text) for text in args.set)
        name = "HyperoptSearchCV(" + ", ".join(args.set) + ")"
        pool = {**pool, name: variant(name, **options)}
        args.methods = [name if m == "HyperoptSearchCV" else m for m in args.methods or [name]]
    names = args.methods or list(pool)
    methods, skipped = [], {}
    for name in names:
        reason = pool[name].unavailable()
        if reason:
            skipped[name] = reason
        else:
            methods.append(pool[name])
    return methods, skipped


def _option(text: str) -> tuple[str, object]:
    """``"batch_size=1"`` -> ``("batch_size", 1)`` (a Python literal, else the string)."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise SystemExit(f"--set expects KEY=VALUE, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main(argv=None) -> None:
    args = parse_args(argv)
    quiet_warnings()
    args.out.mkdir(parents=True, exist_ok=True)
    methods, skipped = select_methods(args)
    for name, reason in skipped.items():
        print(f"skipping {name}: {reason}", flush=True)
    tasks = [TASKS[name] for name in args.tasks]
    if args.study != "main" and any(t.suite == REPORT_SUITE for t in tasks):
        raise SystemExit("the studies tune defaults: tuning-suite tasks only")
    stem = STEMS[args.study]
    runs = args.out / f"{stem}_runs.jsonl"
    if not args.report_only:
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        execute(list(plan(methods, tasks, args.budgets, args.skopt_budgets, seeds)), runs)
    given = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--report-only"]
    notes = []
    if any(m.name == SKOPT for m in methods) and args.skopt_budgets != args.budgets:
        notes.append(
            f"{SKOPT} ran at budgets {args.skopt_budgets} only (about a second of "
            "Gaussian-process overhead per candidate; the full grid of runs would take hours)."
        )
    info = {
        "command": " ".join(["python benchmarks/quality.py", *given]),
        "suite": args.suite,
        "tasks": [t.name for t in tasks],
        "notes": notes,
        "skipped_methods": skipped,
        "not_supported": {
            m.name: {t.name: m.supports(t) for t in tasks if m.supports(t)} for m in methods
        },
    }
    if args.study == "main":
        report.write_quality(runs, args.out, info)
    elif args.study == "defaults":
        report.write_defaults(runs, args.out / "quality_runs.jsonl", args.out, info)
    else:
        report.write_schedules(runs, args.out / "quality_runs.jsonl", args.out, info)


if __name__ == "__main__":
    main()
