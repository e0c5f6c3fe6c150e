"""Parallel and distributed HyperoptSearchCV: speed-up, idle time, memory.

Run from the repository root (needs ``dask[distributed]`` and ``psutil``)::

    python benchmarks/parallel.py                      # everything (~10 min)
    python benchmarks/parallel.py --quick              # smaller, prints only
    python benchmarks/parallel.py --sections speedup   # one section, merged

Sections (results merged into ``benchmarks/results/parallel.json`` and
rendered to ``parallel.md``, unless ``--quick``):

``speedup``
    SVC on digits, 5-fold, 40 candidates: ``n_jobs=2`` vs ``n_jobs=1`` in the
    same run (alternating, repeated), for each ``schedule`` ("rounds",
    "ordered", "async"), with RandomizedSearchCV at the same budget as the
    ceiling. The *idle fraction* is the share of the workers'
    capacity (``n_jobs x wall time``) not spent fitting or scoring, split into
    the time all workers wait for the optimiser (hyperopt ask/tell between
    rounds) and the idle time inside rounds (dispatch, and workers that have
    finished their share of a round waiting for its last fit).
``uneven``
    An estimator whose fit burns ``cost`` seconds of CPU, ``cost``
    log-uniform over a 50x range and unrelated to the score: how much of the
    capacity a round's barrier wastes, for several batch sizes, and what the
    pipelined schedules recover.
``memory``
    A ~100 MB dataset, each mode in a fresh process: peak memory (PSS summed
    over the process and all its children: loky or Dask workers) and time,
    serial, loky with and without memmapping, Dask with joblib's automatic
    per-call scatter and with ``parallel_config(backend="dask", scatter=[X, y])``,
    and ``schedule="ordered"`` serial, on loky and on Dask (X and y scattered
    once per search).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from statistics import median
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy.stats import loguniform, uniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import RandomizedSearchCV
from sklearn.svm import SVC

import hyperopt_search
from hyperopt_search import HyperoptSearchCV
from hyperopt_search import _executor as executor_module
from hyperopt_search import _optimizer as optimizer_module

RESULTS = Path(__file__).parent / "results"
DEFAULT_BATCH_SIZE = inspect.signature(HyperoptSearchCV).parameters["batch_size"].default


# -- instrumentation -------------------------------------------------------------


class TimedSearch(HyperoptSearchCV):
    """HyperoptSearchCV that records the wall time of each round (``schedule="rounds"``).

    A round's wall time is the wait for its fits (``Window.next`` after the
    round's fits were flushed to the workers), timed by wrapping the rounds'
    executor flush for the duration of ``fit``.
    """

    def fit(self, X, y=None, **params):
        self.round_walls_ = []
        if self.schedule != "rounds":  # no rounds
            return super().fit(X, y, **params)
        original = executor_module.ParallelExecutor.flush

        def timed(executor):
            start = time.perf_counter()
            try:
                return original(executor)
            finally:
                self.round_walls_.append(time.perf_counter() - start)

        executor_module.ParallelExecutor.flush = timed
        try:
            return super().fit(X, y, **params)
        finally:
            executor_module.ParallelExecutor.flush = original


@contextlib.contextmanager
def optimiser_clock():
    """Seconds spent in hyperopt's ask and tell (the optimiser) in this block."""
    spent = {"seconds": 0.0}
    cls = optimizer_module.HyperoptOptimizer
    originals = {name: getattr(cls, name) for name in ("ask", "tell")}

    def timed(method):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent["seconds"] += time.perf_counter() - start

        return wrapper

    for name, method in originals.items():
        setattr(cls, name, timed(method))
    try:
        yield spent
    finally:
        for name, method in originals.items():
            setattr(cls, name, method)


def effective_n_jobs(n_jobs: int | None) -> int:
    return joblib.effective_n_jobs(n_jobs)


def busy_seconds(search) -> float:
    """CPU-side work of the search's fits: fit + score time over all splits."""
    results = search.cv_results_
    per_split = np.asarray(results["mean_fit_time"]) + np.asarray(results["mean_score_time"])
    # Folds fitted per candidate: fewer for a candidate raced out by racing=True.
    n_fitted = np.asarray(results.get("n_splits_fitted", search.n_splits_))
    return float((per_split * n_fitted).sum())


def run_timed(search, X, y, n_jobs_eff: int) -> dict[str, Any]:
    """Fit ``search`` and break its wall time down: fits, optimiser, idle."""
    with optimiser_clock() as optimiser:
        start = time.perf_counter()
        search.fit(X, y)
        wall = time.perf_counter() - start
    busy = busy_seconds(search)
    rounds = getattr(search, "round_walls_", [wall])
    in_rounds = float(sum(rounds))
    capacity = n_jobs_eff * wall
    return {
        "wall_s": wall,
        "busy_s": busy,
        "n_rounds": len(rounds),
        "optimiser_s": optimiser["seconds"],
        "in_rounds_s": in_rounds,
        "idle_fraction": 1 - busy / capacity,
        # All workers wait while hyperopt asks and tells between rounds.
        "idle_optimiser_fraction": optimiser["seconds"] / wall,
        # Workers with nothing left to do inside a round (dispatch, stragglers).
        "idle_in_round_fraction": (n_jobs_eff * in_rounds - busy) / capacity,
        "best_score": float(search.best_score_),
        "params": search.cv_results_["params"],
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- speed-up: SVC on digits ---------------------------------------------------------

SVC_SPACE = {"C": loguniform(1e-1, 1e3), "gamma": loguniform(1e-4, 3e-2)}


SCHEDULES = ("rounds", "ordered", "async")
#: The speed-up section's searches: name -> (schedule, algo). ``"auto"`` runs
#: ``"ordered"`` on loky; ``algo="auto"`` is the Gaussian process on this space.
SPEEDUP_CONFIGS = {
    "rounds": ("rounds", "auto"),
    "ordered": ("ordered", "auto"),
    "async": ("async", "auto"),
    "ordered, algo=tpe": ("ordered", "tpe"),
    "ordered, racing=True": ("ordered", "auto"),
}


def speedup(n_iter: int, repeats: int) -> dict[str, Any]:
    X, y = load_digits(return_X_y=True)

    def hyperopt_search(n_jobs, config):
        schedule, algo = SPEEDUP_CONFIGS[config]
        return TimedSearch(
            SVC(),
            SVC_SPACE,
            n_iter=n_iter,
            cv=5,
            n_jobs=n_jobs,
            schedule=schedule,
            algo=algo,
            racing="racing" in config,
            refit=False,
            random_state=0,
        )

    def randomized_search(n_jobs):
        return RandomizedSearchCV(
            SVC(), SVC_SPACE, n_iter=n_iter, cv=5, n_jobs=n_jobs, refit=False, random_state=0
        )

    # Warm-up (not timed): starts loky's reusable workers and imports there.
    for n_jobs in (1, 2):
        randomized_search(n_jobs).set_params(n_iter=4).fit(X, y)
        for schedule in SPEEDUP_CONFIGS:
            hyperopt_search(n_jobs, schedule).set_params(n_iter=4).fit(X, y)

    load_before = load_average()
    names = [f"{schedule}_{n}" for schedule in (*SPEEDUP_CONFIGS, "random") for n in (1, 2)]
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for _ in range(repeats):
        for n_jobs in (1, 2):
            for schedule in SPEEDUP_CONFIGS:
                search = hyperopt_search(n_jobs, schedule)
                runs[f"{schedule}_{n_jobs}"].append(run_timed(search, X, y, n_jobs))
            search = randomized_search(n_jobs)
            start = time.perf_counter()
            search.fit(X, y)
            wall = time.perf_counter() - start
            runs[f"random_{n_jobs}"].append(
                {"wall_s": wall, "idle_fraction": 1 - busy_seconds(search) / (n_jobs * wall)}
            )

    def ratios(name):
        pairs = zip(runs[f"{name}_1"], runs[f"{name}_2"], strict=True)
        return [a["wall_s"] / b["wall_s"] for a, b in pairs]

    def med(key, name):
        return median(r[key] for r in runs[name])

    by_schedule = {}
    for schedule in SPEEDUP_CONFIGS:
        serial, parallel = runs[f"{schedule}_1"], runs[f"{schedule}_2"]
        reference = serial[0]["params"]
        by_schedule[schedule] = {
            "speedup_runs": ratios(schedule),
            "speedup_median": median(ratios(schedule)),
            "wall_s": {n: med("wall_s", f"{schedule}_{n}") for n in (1, 2)},
            "busy_s": {n: med("busy_s", f"{schedule}_{n}") for n in (1, 2)},
            "idle_fraction": {n: med("idle_fraction", f"{schedule}_{n}") for n in (1, 2)},
            "optimiser_s": {n: med("optimiser_s", f"{schedule}_{n}") for n in (1, 2)},
            "idle_optimiser_fraction": {
                n: med("idle_optimiser_fraction", f"{schedule}_{n}") for n in (1, 2)
            },
            "identical_params_serial_runs": all(r["params"] == reference for r in serial),
            "identical_params_n_jobs_1_2": all(r["params"] == reference for r in parallel),
            "best_score": {n: med("best_score", f"{schedule}_{n}") for n in (1, 2)},
        }
        if schedule == "rounds":
            by_schedule[schedule]["idle_in_round_fraction"] = {
                n: med("idle_in_round_fraction", f"{schedule}_{n}") for n in (1, 2)
            }
            by_schedule[schedule]["n_rounds"] = serial[0]["n_rounds"]
    for run in (
        r for schedule in SPEEDUP_CONFIGS for n in (1, 2) for r in runs[f"{schedule}_{n}"]
    ):
        run.pop("params")
    return {
        "workload": f"SVC on digits (1797 x 64), cv=5, n_iter={n_iter}, "
        f"batch_size={DEFAULT_BATCH_SIZE} (default), "
        f"space {{'C': loguniform(0.1, 1e3), 'gamma': loguniform(1e-4, 3e-2)}}, {repeats} repeats, "
        "n_jobs=1 and 2 alternating",
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "by_schedule": by_schedule,
        "randomized_speedup_runs": ratios("random"),
        "randomized_speedup_median": median(ratios("random")),
        "randomized_wall_s": {n: med("wall_s", f"random_{n}") for n in (1, 2)},
        "randomized_idle_fraction": {n: med("idle_fraction", f"random_{n}") for n in (1, 2)},
        "runs": runs,
    }


# -- uneven fit times ----------------------------------------------------------------


class SpinClassifier(ClassifierMixin, BaseEstimator):
    """Fitting burns ``cost`` seconds of CPU; the score depends on ``x`` only."""

    def __init__(self, cost=0.01, x=0.0):
        self.cost = cost
        self.x = x

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        end = time.process_time() + self.cost
        while time.process_time() < end:
            pass
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        return 1.0 - (self.x - 0.3) ** 2


SPIN_SPACE = {"cost": loguniform(0.01, 0.5), "x": uniform(0, 1)}
SPIN_DATA = (np.zeros((60, 1)), np.arange(60) % 2)


def uneven_search(n_iter: int, batch_size: int, n_jobs: int, schedule: str) -> TimedSearch:
    return TimedSearch(
        SpinClassifier(),
        SPIN_SPACE,
        n_iter=n_iter,
        n_initial_points=8,
        batch_size=batch_size,
        cv=3,
        n_jobs=n_jobs,
        schedule=schedule,
        refit=False,
        random_state=0,
    )


def uneven(n_iter: int, batch_sizes: tuple[int, ...]) -> dict[str, Any]:
    X, y = SPIN_DATA
    for schedule in SCHEDULES:
        uneven_search(4, 4, 2, schedule).fit(X, y)  # warm-up
    load_before = load_average()
    runs = {}
    for schedule in SCHEDULES:
        for batch_size in batch_sizes:
            run = run_timed(uneven_search(n_iter, batch_size, 2, schedule), X, y, 2)
            run.pop("params")
            run["ideal_wall_s"] = run["busy_s"] / 2
            runs[f"{schedule}, batch_size={batch_size}"] = run
    return {
        "workload": f"SpinClassifier (fit burns `cost` CPU seconds, cost ~ loguniform(0.01, 0.5), "
        f"score independent of cost), cv=3, n_iter={n_iter}, n_initial_points=8, n_jobs=2",
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "by_schedule_and_batch_size": runs,
    }


# -- simulated: round barrier vs asynchronous proposals at cluster scale ----------------


def simulate(costs: np.ndarray, n_workers: int, batch_size: int, mode: str, ask_s: float) -> float:
    """Idle fraction of a search whose (candidate, fold) tasks take ``costs``.

    ``costs`` has shape (n_candidates, n_splits). Tasks are dispatched in
    order to the first free worker (joblib's behaviour without batching).

    ``"rounds"`` (the library): rounds of ``batch_size`` candidates; a round
    waits for its last fit, then the optimiser asks ``batch_size`` new
    candidates (``ask_s`` each) while every worker waits.
    ``"async"``: ``batch_size`` candidates in flight; when one finishes, one
    new candidate is asked (``ask_s``, the workers keep running) and queued.
    ``"ordered"``: like ``"async"``, but results are told in proposal order:
    candidate ``k + batch_size`` is proposed once candidates ``0..k`` have all
    finished, so the candidates do not depend on which fit finishes first.
    """
    import heapq

    n_candidates, n_splits = costs.shape
    if mode == "rounds":
        now = 0.0
        for start in range(0, n_candidates, batch_size):
            batch = costs[start : start + batch_size]
            now += ask_s * len(batch)
            free = [now] * n_workers
            for cost in batch.ravel():
                heapq.heappush(free, heapq.heappop(free) + cost)
            now = max(free)
        return 1 - costs.sum() / (n_workers * now)

    queue: list[tuple[int, float]] = []  # FIFO of (candidate, cost)
    remaining: dict[int, int] = {}  # candidate -> folds not finished
    available: dict[int, float] = {}  # candidate -> when its ask finished
    optimiser_free = 0.0  # the optimiser asks one candidate at a time
    next_commit = 0  # "ordered": the oldest candidate not yet told

    def propose(at: float) -> None:
        nonlocal optimiser_free
        c = len(remaining)
        optimiser_free = max(at, optimiser_free) + ask_s
        available[c] = optimiser_free
        remaining[c] = n_splits
        queue.extend((c, cost) for cost in costs[c])

    for _ in range(min(batch_size, n_candidates)):
        propose(0.0)
    now = 0.0
    idle_workers = list(range(n_workers))
    running: list[tuple[float, int, int]] = []  # (finish time, worker, candidate)
    while queue or running:
        while idle_workers and queue:
            c, cost = queue.pop(0)
            finish = max(now, available[c]) + cost
            heapq.heappush(running, (finish, idle_workers.pop(), c))
        now, worker, c = heapq.heappop(running)
        idle_workers.append(worker)
        remaining[c] -= 1
        if remaining[c] > 0:
            continue
        if mode == "async":
            n_new = 1
        else:
            n_new = 0
            while next_commit < len(remaining) and remaining[next_commit] == 0:
                next_commit += 1
                n_new += 1
        for _ in range(min(n_new, n_candidates - len(remaining))):
            propose(now)
    return 1 - costs.sum() / (n_workers * now)


#: Seconds per proposal in the simulation: the Gaussian process's at 100
#: finished candidates (benchmarks/results/proposal_cost.md).
ASK_S = 0.03


def simulated(n_candidates: int = 400) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    n_splits = 5
    workloads = {
        "even (every fit 1 s)": np.ones((n_candidates, n_splits)),
        "uneven (per candidate loguniform 0.02-1 s, 50x)": np.exp(
            rng.uniform(np.log(0.02), np.log(1.0), (n_candidates, 1))
        )
        * rng.uniform(0.9, 1.1, (n_candidates, n_splits)),
    }
    rows = []
    for name, costs in workloads.items():
        for n_workers in (2, 8, 32, 128):
            for batch_size in (4, 8, 16, 32, 64):
                row = {"workload": name, "n_workers": n_workers, "batch_size": batch_size}
                for mode in ("rounds", "async", "ordered"):
                    row[mode] = simulate(costs, n_workers, batch_size, mode, ask_s=ASK_S)
                rows.append(row)
    return {
        "workload": f"Simulation (no real fits): {n_candidates} candidates x {n_splits} folds, "
        f"tasks dispatched in order to the first free worker, {ASK_S * 1000:.0f} ms per ask "
        "(a Gaussian-process proposal after 100 candidates)",
        "rows": rows,
    }


# -- memory with ~100 MB of data ---------------------------------------------------------

MEMORY_MODES = (
    "serial",
    "loky_memmap",
    "loky_no_memmap",
    "dask_auto_scatter",
    "dask_scatter",
    "serial_ordered",
    "loky_ordered",
    "dask_ordered",
)


def big_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((131_072, 96))  # 100.7 MB of float64
    y = (X[:, :8].sum(axis=1) + rng.standard_normal(len(X)) > 0).astype(np.int64)
    return X, y


class MemorySampler:
    """Peak PSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._psutil = psutil
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def total(self) -> int:
        me = self._psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            with contextlib.suppress(self._psutil.Error):
                total += proc.memory_full_info().pss
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.total())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.total())


def memory_mode(mode: str) -> dict[str, Any]:
    """One memory measurement (run in a fresh process by ``memory``)."""
    X, y = big_data()
    search = TimedSearch(
        RidgeClassifier(),
        {"alpha": loguniform(1e-3, 1e3)},
        n_iter=12,
        n_initial_points=4,
        batch_size=4,
        cv=3,
        n_jobs=1 if mode.startswith("serial") else 2,
        schedule="ordered" if mode.endswith("ordered") else "rounds",
        refit=False,
        random_state=0,
    )
    with contextlib.ExitStack() as stack:
        client = None
        if mode.startswith("dask"):
            from distributed import Client, LocalCluster

            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
            client.run(lambda: __import__("sklearn.linear_model"))

        def config():
            if mode == "loky_no_memmap":
                return joblib.parallel_config(max_nbytes=None)
            if mode in ("dask_auto_scatter", "dask_ordered"):
                return joblib.parallel_config(backend="dask")
            if mode == "dask_scatter":
                return joblib.parallel_config(backend="dask", scatter=[X, y])
            return contextlib.nullcontext()

        if mode.startswith("loky"):
            # Start loky's reusable workers (and their imports) before the baseline.
            with config():
                joblib.Parallel(n_jobs=2)(
                    joblib.delayed(importlib.import_module)("sklearn.linear_model")
                    for _ in range(4)
                )
        sampler = MemorySampler()
        baseline = sampler.total()
        start = time.perf_counter()
        with sampler, config():
            search.fit(X, y)
        wall = time.perf_counter() - start
        transfers = None
        if client is not None:
            transfers = sum(
                client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values()
            )
    return {
        "mode": mode,
        "data_mb": (X.nbytes + y.nbytes) / 1e6,
        "wall_s": wall,
        "round_walls_s": search.round_walls_,
        "baseline_mb": baseline / 1e6,
        "peak_mb": sampler.peak / 1e6,
        "extra_mb": (sampler.peak - baseline) / 1e6,
        "worker_to_worker_mb": None if transfers is None else transfers / 1e6,
        "busy_s": busy_seconds(search),
        "params": search.cv_results_["params"],
    }


def memory() -> dict[str, Any]:
    load_before = load_average()
    runs = {}
    for mode in MEMORY_MODES:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-mode", mode],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs[mode] = json.loads(out.strip().splitlines()[-1])
    references = {
        schedule: runs[mode].pop("params")
        for schedule, mode in (("rounds", "serial"), ("ordered", "serial_ordered"))
    }
    for mode, run in runs.items():
        reference = references["ordered" if mode.endswith("ordered") else "rounds"]
        run["identical_params_to_serial"] = run.pop("params", reference) == reference
    return {
        "workload": "RidgeClassifier on X of 131072 x 96 float64 (100.7 MB), cv=3, n_iter=12, "
        "n_initial_points=4, batch_size=4 (3 rounds, 36 fits), n_jobs=2 (serial: 1); "
        "`*_ordered`: schedule='ordered' (same budget; its own serial reference); "
        "Dask: LocalCluster(2 workers, 1 thread each) started before the measurement",
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "by_mode": runs,
    }


# -- report ----------------------------------------------------------------------------


def versions() -> dict[str, str]:
    import hyperopt

    out = {
        "python": platform.python_version(),
        "hyperopt-search": hyperopt_search.__version__,
        "hyperopt": hyperopt.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
        "numpy": np.__version__,
        "cpus": str(os.cpu_count()),
    }
    with contextlib.suppress(ImportError):
        import dask
        import distributed

        out["dask"] = dask.__version__
        out["distributed"] = distributed.__version__
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render(results: dict[str, Any]) -> str:
    lines = ["# Parallel and distributed HyperoptSearchCV", ""]
    lines += [
        "Generated by `python benchmarks/parallel.py`. Versions: "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
        + ".",
        "",
        "*Idle fraction*: share of the workers' capacity (`n_jobs` x wall time) not "
        "spent fitting or scoring; *optimiser* is the part where every worker waits "
        "for hyperopt's ask/tell between rounds, *in rounds* the part where workers "
        "wait for the last fits of a round (and for dispatch).",
        "",
    ]
    if "speedup" in results:
        s = results["speedup"]
        lines += [
            "## Speed-up of a fit-dominated search",
            "",
            f"{s['workload']}; load average before/after: {s['load_average_before']} / "
            f"{s['load_average_after']}.",
            "",
            "| | wall n_jobs=1 | wall n_jobs=2 | speed-up (median of pairs) | "
            "idle n_jobs=2 | optimiser time | same candidates n_jobs=1 and 2 |",
            "|---|---|---|---|---|---|---|",
        ]
        for schedule, r in s["by_schedule"].items():
            default = ' (default: "auto")' if schedule == "ordered" else ""
            same = r["identical_params_n_jobs_1_2"]
            if schedule == "async":
                same = f"{same} (not guaranteed)"
            sched, _, extra = schedule.partition(", ")
            label = f'schedule="{sched}"' + (f", {extra}" if extra else "")
            lines.append(
                f"| HyperoptSearchCV {label}{default} | "
                f"{r['wall_s']['1']:.2f} s | {r['wall_s']['2']:.2f} s | "
                f"**{r['speedup_median']:.2f}x** "
                f"({', '.join(f'{x:.2f}' for x in r['speedup_runs'])}) | "
                f"{_pct(r['idle_fraction']['2'])} | {r['optimiser_s']['2']:.2f} s | {same} |"
            )
        lines += [
            f"| RandomizedSearchCV (one call, the ceiling) | "
            f"{s['randomized_wall_s']['1']:.2f} s | {s['randomized_wall_s']['2']:.2f} s | "
            f"{s['randomized_speedup_median']:.2f}x "
            f"({', '.join(f'{x:.2f}' for x in s['randomized_speedup_runs'])}) | "
            f"{_pct(s['randomized_idle_fraction']['2'])} | | |",
            "",
        ]
        rounds = s["by_schedule"]["rounds"]
        lines += [
            f'With `schedule="rounds"` ({rounds["n_rounds"]} rounds), the idle time at '
            f"n_jobs=2 splits into {_pct(rounds['idle_optimiser_fraction']['2'])} waiting for "
            f"the optimiser between rounds and {_pct(rounds['idle_in_round_fraction']['2'])} "
            "inside rounds (workers done with their share waiting for the round's last fit). "
            "The pipelined schedules ask hyperopt while the other candidates' fits run. Each "
            "schedule proposes its own candidates (the same for n_jobs=1 and 2, except "
            '`"async"`), so their fit times, not only their idle times, differ.',
            "",
        ]
        # The section's own n_jobs=2 runs raise the load average "after": judge
        # the machine by the load before the section started.
        load = s["load_average_before"][0]
        if load > 1:
            lines += [
                f"**Not measured on an idle machine** (1-minute load average {load} > 1 "
                "before the runs): other jobs competed for the cores, so the ratios "
                "understate the speed-up.",
                "",
            ]
    if "by_schedule_and_batch_size" in results.get("uneven", {}):
        u = results["uneven"]
        lines += [
            "## Uneven fit times: the cost of waiting for a round's slowest fit",
            "",
            f"{u['workload']}; load average before/after: {u['load_average_before']} / "
            f"{u['load_average_after']}.",
            "",
            "| schedule, batch_size | wall | ideal (fit + score time / 2) | idle fraction |",
            "|---|---|---|---|",
        ]
        for name, r in u["by_schedule_and_batch_size"].items():
            lines.append(
                f"| {name} | {r['wall_s']:.2f} s | {r['ideal_wall_s']:.2f} s | "
                f"{_pct(r['idle_fraction'])} |"
            )
        lines.append("")
    if "simulated" in results:
        sim = results["simulated"]
        lines += [
            "## Simulated: the round barrier on more workers",
            "",
            f"{sim['workload']}. Idle fraction of the workers: *rounds* of `batch_size` "
            '(`schedule="rounds"`); *async*: `batch_size` candidates in flight, a new one '
            'proposed as soon as one finishes (`schedule="async"`: candidates depend on '
            "the finishing order); *ordered async*: the same, but results are told in "
            "proposal order, candidate k + batch_size proposed once candidates 0..k are done "
            '(`schedule="ordered"`: reproducible).',
            "",
            "| fit times | workers | batch_size | rounds | async | ordered async |",
            "|---|---|---|---|---|---|",
        ]
        for row in sim["rows"]:
            lines.append(
                f"| {row['workload']} | {row['n_workers']} | {row['batch_size']} | "
                f"{_pct(row['rounds'])} | {_pct(row['async'])} | {_pct(row['ordered'])} |"
            )
        lines.append("")
    if "memory" in results:
        m = results["memory"]
        lines += [
            "## ~100 MB of data: memory and time",
            "",
            f"{m['workload']}; load average before/after: {m['load_average_before']} / "
            f"{m['load_average_after']}. Memory is PSS summed over the process and its "
            "children (shared pages, e.g. a memmap, are counted once), sampled every 50 ms; "
            "*extra* is the peak minus the value just before `fit` (the Dask workers already "
            "running).",
            "",
            "| mode | wall | round walls | peak | extra | worker-to-worker | same params |",
            "|---|---|---|---|---|---|---|",
        ]
        for mode, r in m["by_mode"].items():
            transfer = (
                "" if r["worker_to_worker_mb"] is None else f"{r['worker_to_worker_mb']:.0f} MB"
            )
            rounds = ", ".join(f"{w:.1f}" for w in r["round_walls_s"]) or "-"
            lines.append(
                f"| {mode} | {r['wall_s']:.2f} s | {rounds}{' s' if r['round_walls_s'] else ''} | "
                f"{r['peak_mb']:.0f} MB | "
                f"{r['extra_mb']:.0f} MB | {transfer} | {r['identical_params_to_serial']} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run, prints only")
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=("speedup", "uneven", "simulated", "memory"),
        default=("speedup", "uneven", "simulated", "memory"),
    )
    parser.add_argument("--memory-mode", choices=MEMORY_MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_mode:
        print(json.dumps(memory_mode(args.memory_mode)))
        return

    results: dict[str, Any] = {}
    json_path = RESULTS / "parallel.json"
    if not args.quick and json_path.exists():
        results = json.loads(json_path.read_text())
    results["versions"] = versions()
    # The asynchronous prototype of an earlier run is superseded by `schedule`.
    results.pop("async_prototype", None)
    for section in args.sections:
        print(f"== {section} (load average {load_average()})", flush=True)
        if section == "speedup":
            results[section] = speedup(n_iter=12 if args.quick else 40, repeats=1 if args.quick else 3)  # fmt: skip
        elif section == "uneven":
            results[section] = uneven(
                n_iter=16 if args.quick else 40,
                batch_sizes=(4,) if args.quick else (2, 4, 8),
            )
        elif section == "simulated":
            results[section] = simulated()
        else:
            results[section] = memory()
        # JSON keys are strings; keep them so after a reload too.
        results[section] = json.loads(json.dumps(results[section]))
        if not args.quick:  # after every section: a later failure loses nothing
            RESULTS.mkdir(exist_ok=True)
            json_path.write_text(json.dumps(results, indent=1) + "\n")
            (RESULTS / "parallel.md").write_text(render(results))
    print(render(results))


if __name__ == "__main__":
    main()
