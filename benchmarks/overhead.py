"""Cost of the search itself: milliseconds per candidate with a near-free estimator.

The estimator's fit does nothing and its score is a cheap function of its five
parameters (a log-scaled float, two floats, a 4-way choice, an integer 1..49),
so what is measured is the search: proposing candidates, bookkeeping, and
scikit-learn's cross-validation machinery (3 folds). RandomizedSearchCV is the
floor: the same fits with no optimiser. Every method runs with ``n_jobs=1`` in
this one process, and the ratio to RandomizedSearchCV is taken within the same
repetition.

Full run (200, 1,000 and 3,000 candidates; about 15 minutes), writing
``benchmarks/results/overhead.{md,json}``::

    python benchmarks/overhead.py

Quick try (200 candidates, one repetition)::

    python benchmarks/overhead.py --quick

Where does HyperoptSearchCV's time go? ``--profile N`` runs it once under
cProfile at N candidates and writes ``overhead_profile.md``::

    python benchmarks/overhead.py --profile 1000
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import functools  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from hyperopt import tpe  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402
from sklearn.model_selection import KFold, RandomizedSearchCV  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from spaces import Choice, Float, Int, to_hyperopt, to_optuna, to_scipy, to_skopt  # noqa: E402
from tasks import quiet_warnings  # noqa: E402

from hyperopt_search import HyperoptSearchCV  # noqa: E402

SPACE = {
    "a": Float(1e-3, 1e3, log=True),
    "b": Float(0.0, 1.0),
    "c": Float(-5.0, 5.0),
    "d": Choice(("w", "x", "y", "z")),
    "e": Int(1, 49),
}
RANDOM = "RandomizedSearchCV"


class FreeRegressor(RegressorMixin, BaseEstimator):
    """Fits nothing; its score is a smooth function of its parameters."""

    def __init__(self, a=1.0, b=0.5, c=0.0, d="w", e=1):
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.e = e

    def fit(self, X, y=None):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        return np.zeros(len(X))

    def score(self, X, y=None, sample_weight=None):
        return -(
            (math.log10(self.a) - 1) ** 2
            + (self.b - 0.3) ** 2
            + (self.c / 5) ** 2
            + (self.d != "y")
            + ((self.e - 20) / 49) ** 2
        )


def _data():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    return X, y, list(KFold(3).split(X))


def _hyperopt_search(**options) -> Callable:
    def build(n, seed, cv):
        return HyperoptSearchCV(
            FreeRegressor(),
            to_scipy(SPACE),
            n_iter=n,
            random_state=seed,
            cv=cv,
            refit=False,
            n_jobs=1,
            **options,
        )

    return build


def _random(n, seed, cv):
    return RandomizedSearchCV(
        FreeRegressor(), to_scipy(SPACE), n_iter=n, random_state=seed, cv=cv, refit=False, n_jobs=1
    )


def _optuna(n, seed, cv, sampler=None):
    import optuna
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = None
    if sampler is not None:
        study = optuna.create_study(direction="maximize", sampler=sampler(seed=seed))
    return OptunaSearchCV(
        FreeRegressor(),
        to_optuna(SPACE),
        n_trials=n,
        random_state=seed,
        cv=cv,
        refit=False,
        n_jobs=1,
        verbose=0,
        study=study,
    )


def _optuna_gp(n, seed, cv):
    import optuna

    return _optuna(n, seed, cv, sampler=optuna.samplers.GPSampler)


def _hyperopt_sklearn(n, seed, cv):
    from hyperopt.sklearn import HyperoptSearchCV as HyperoptSklearn

    return HyperoptSklearn(
        FreeRegressor(),
        to_hyperopt(SPACE),
        max_evals=n,
        random_state=seed,
        cv=cv,
        refit=False,
        n_jobs=1,
    )


def _skopt(n, seed, cv):
    from skopt import BayesSearchCV

    return BayesSearchCV(
        FreeRegressor(),
        to_skopt(SPACE, n),
        n_iter=n,
        random_state=seed,
        cv=cv,
        refit=False,
        n_jobs=1,
    )


METHODS: dict[str, Callable] = {
    RANDOM: _random,
    "HyperoptSearchCV": _hyperopt_search(),
    "HyperoptSearchCV(batch_size=1)": _hyperopt_search(batch_size=1),
    "HyperoptSearchCV(tpe)": _hyperopt_search(algo="tpe"),
    "HyperoptSearchCV(mtpe)": _hyperopt_search(algo="mtpe"),
    "HyperoptSearchCV(rand)": _hyperopt_search(algo="rand"),
    # The pipelined schedule formats cv_results_ once, not after every round.
    'HyperoptSearchCV(schedule="ordered")': _hyperopt_search(schedule="ordered"),
    'HyperoptSearchCV(rand, schedule="ordered")': _hyperopt_search(
        algo="rand", schedule="ordered"
    ),
    # Before the library's CachedTPE: hyperopt's own tpe.suggest (same proposals).
    "HyperoptSearchCV(hyperopt tpe.suggest)": _hyperopt_search(
        algo=functools.partial(tpe.suggest, n_startup_jobs=20)
    ),
    "OptunaSearchCV": _optuna,
    "OptunaSearchCV(GPSampler)": _optuna_gp,
    "hyperopt.sklearn": _hyperopt_sklearn,
    "BayesSearchCV": _skopt,
}
#: Run only when asked (--methods): scikit-optimize's Gaussian process costs
#: about a second per candidate from ~50 candidates on (200 took over 10 min).
OPT_IN = {"BayesSearchCV", "OptunaSearchCV(GPSampler)"}


def repeats_for(n: int, repeats: int) -> int:
    """Repetitions at size ``n``: all at 200, two at 1,000, one above."""
    return repeats if n <= 200 else min(repeats, 2) if n <= 1000 else 1


def time_search(name: str, n: int, seed: int) -> dict:
    X, y, cv = _data()
    search = METHODS[name](n, seed, cv)
    sink = io.StringIO()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stderr(sink):
            search.fit(X, y)
    except ImportError as exc:
        return {"method": name, "n": n, "seed": seed, "skipped": str(exc)}
    seconds = time.perf_counter() - start
    n_done = len(search.cv_results_["mean_test_score"])
    return {
        "method": name,
        "n": n,
        "seed": seed,
        "seconds": seconds,
        "candidates": n_done,
        "ms_per_candidate": 1000 * seconds / n_done,
    }


# -- report ------------------------------------------------------------------------


def summarize(records: list[dict]) -> list[dict]:
    floor = {(r["n"], r["seed"]): r["ms_per_candidate"] for r in records if r["method"] == RANDOM}
    rows = []
    for name in METHODS:
        for n in sorted({r["n"] for r in records}):
            runs = [r for r in records if r["method"] == name and r["n"] == n and "seconds" in r]
            if not runs:
                continue
            ratios = [
                r["ms_per_candidate"] / floor[(n, r["seed"])]
                for r in runs
                if (n, r["seed"]) in floor
            ]
            rows.append(
                {
                    "method": name,
                    "n": n,
                    "repeats": len(runs),
                    "ms_per_candidate": float(np.median([r["ms_per_candidate"] for r in runs])),
                    "ratio_to_random": float(np.median(ratios)) if ratios else math.nan,
                }
            )
    return rows


def load(path: Path) -> list[dict]:
    """Records of earlier runs (the benchmark resumes: delete the file to start over)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_report(records: list[dict], out: Path, command: str) -> None:
    records = [r for r in records if r["method"] in METHODS]
    rows = summarize(records)
    sizes = sorted({r["n"] for r in rows})
    lines = [
        "# Cost of the search itself",
        "",
        f"`{command}`: a near-free estimator (no-op fit, 3-fold CV, 5 parameters), "
        "`n_jobs=1`, one process. Milliseconds per candidate (median over repetitions), "
        "and the ratio to RandomizedSearchCV in the same repetition (the floor: the same "
        "fits with no optimiser).",
        "",
        "| method | " + " | ".join(f"{n} candidates: ms/cand (ratio)" for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in METHODS:
        cells = []
        for n in sizes:
            row = next((r for r in rows if r["method"] == name and r["n"] == n), None)
            cells.append(
                "-"
                if row is None
                else f"{row['ms_per_candidate']:.1f} ({row['ratio_to_random']:.2f}x)"
            )
        if any(c != "-" for c in cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    skipped = {r["method"]: r["skipped"] for r in records if "skipped" in r}
    lines += ["", *(f"- {m} skipped: {why}" for m, why in skipped.items())]
    lines += [f"- {m} not run (opt-in with `--methods`): about 1 s per candidate." for m in OPT_IN]
    lines += [
        '- `HyperoptSearchCV` is the default (`algo="auto"`: on this space the Gaussian '
        "process for the first 200 candidates, then multivariate TPE, as "
        "`HyperoptSearchCV(mtpe)` from the start); `HyperoptSearchCV(tpe)` uses the "
        "library's `CachedTPE`; `HyperoptSearchCV(hyperopt tpe.suggest)` is the TPE search "
        "with hyperopt's own "
        "`tpe.suggest` (identical proposals). Compare the two where they ran in the same "
        "invocation (`before_after/overhead.md`): in `results/` the latter may come from a later "
        "invocation, under another load of this shared machine.",
    ]
    (out / "overhead.md").write_text("\n".join(lines) + "\n")
    (out / "overhead.json").write_text(
        json.dumps({"command": command, "runs": records, "summary": rows}, indent=1)
    )
    print("\n".join(lines))


# -- profile -----------------------------------------------------------------------

#: (label, function name, file fragment) of the parts reported by --profile.
PROFILE_PARTS = [
    ("whole fit", "fit", "hyperopt_search/_search.py"),
    ("the search loop", "run", "hyperopt_search/_loop.py"),
    ("  the fits and scores (_fit_and_score)", "_fit_and_score", "_validation.py"),
    ("  formatting cv_results_ (_format_results)", "_format_results", "_search.py"),
    ("ours: HyperoptOptimizer.ask", "ask", "hyperopt_search/_optimizer.py"),
    (
        "  CachedTPE (hyperopt's TPE steps, graph and observations cached)",
        "__call__",
        "hyperopt_search/_optimizer.py",
    ),
    ("    hyperopt pyll rec_eval (sampling TPE's posterior)", "rec_eval", "hyperopt/pyll/base.py"),
    (
        "    ours: CachedTPE._observations (incremental lists)",
        "_observations",
        "hyperopt_search/_optimizer.py",
    ),
    ("  hyperopt tpe.suggest (algo=tpe.suggest only)", "suggest", "hyperopt/tpe.py"),
    (
        "  ours: gp/mtpe suggest (algorithms/_loop.py)",
        "suggest_with_model",
        "hyperopt_search/algorithms/_loop.py",
    ),
    ("    ours: read_history (encoded trials, cached)", "read_history", "algorithms/_trials.py"),
    ("    ours: mtpe propose", "propose", "hyperopt_search/algorithms/mtpe.py"),
    ("    ours: gp propose", "propose", "hyperopt_search/algorithms/gp.py"),
    ("  hyperopt rand.suggest (start-up)", "suggest", "hyperopt/rand.py"),
    ("  hyperopt Trials.refresh (called by ask/tell)", "refresh", "hyperopt/base.py"),
    ("  hyperopt Trials.insert_trial_docs", "insert_trial_docs", "hyperopt/base.py"),
    ("  ours: SearchSpace.key (dedupe)", "key", "hyperopt_search/_space.py"),
    ("  ours: SearchSpace.decode", "decode", "hyperopt_search/_space.py"),
    ("ours: HyperoptOptimizer.tell", "tell", "hyperopt_search/_optimizer.py"),
    ("ours: _losses (scores -> losses)", "_losses", "hyperopt_search/_search.py"),
    ("ours: _evaluate_round", "_evaluate_round", "hyperopt_search/_search.py"),
]


def profile(n: int, out: Path, batch_size: int = 4, algo: str = "tpe") -> None:
    X, y, cv = _data()
    search = _hyperopt_search(batch_size=batch_size, algo=algo)(n, 0, cv)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(search.fit, X, y)
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    lines = [
        f"# Where HyperoptSearchCV's time goes ({n} candidates, algo={algo!r}, "
        f"batch_size={batch_size})",
        "",
        f"`python benchmarks/overhead.py --profile {n} --algo {algo} --batch-size {batch_size}`; "
        f"cProfile, wall {wall:.1f} s "
        "(profiled, so slower than unprofiled). Cumulative seconds per part:",
        "",
        "| part | seconds | share of fit |",
        "|---|---|---|",
    ]
    whole = None
    for label, func, fragment in PROFILE_PARTS:
        total = sum(
            v[3]
            for (path, _line, name), v in stats.stats.items()
            if name == func and fragment in path
        )
        whole = whole or total
        lines.append(f"| {label} | {total:.2f} | {100 * total / whole:.0f}% |")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(25)
    lines += ["", "Top functions by own time:", "", "```", buffer.getvalue().strip(), "```", ""]
    name = f"overhead_profile_{n}_{algo}_b{batch_size}.md"
    (out / name).write_text("\n".join(lines))
    print("\n".join(lines[:24]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 3000])
    parser.add_argument("--repeats", type=int, default=3, help="at 200; 2 at 1,000, 1 above")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=[m for m in METHODS if m not in OPT_IN],
        choices=list(METHODS),
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--profile", type=int, default=None, metavar="N")
    parser.add_argument("--batch-size", type=int, default=4, help="for --profile")
    parser.add_argument(
        "--algo", choices=["tpe", "mtpe", "auto", "rand"], default="tpe", help="for --profile"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    quiet_warnings()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.profile:
        profile(args.profile, args.out, args.batch_size, args.algo)
        return
    if args.quick:
        args.sizes, args.repeats = [200], 1
        args.out = HERE / "scratch" / "quick"
        args.out.mkdir(parents=True, exist_ok=True)
    partial = args.out / "overhead_runs.jsonl"
    records = load(partial)
    done = {(r["method"], r["n"], r["seed"]) for r in records}
    for n in [] if args.report_only else args.sizes:
        for seed in range(repeats_for(n, args.repeats)):
            for name in args.methods:
                if (name, n, seed) in done:
                    continue
                records.append(time_search(name, n, seed))
                with partial.open("a") as fh:
                    fh.write(json.dumps(records[-1]) + "\n")
                print(json.dumps(records[-1]), flush=True)
    given = sys.argv[1:] if argv is None else argv
    write_report(records, args.out, " ".join(["python benchmarks/overhead.py", *given]))


if __name__ == "__main__":
    main()
