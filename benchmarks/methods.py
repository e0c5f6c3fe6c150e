"""The searches compared, and one instrumented way to run any of them.

Every method is run with ``n_jobs=1``, ``refit=False`` and the task's fixed
CV splits. A thin hook around scikit-learn's ``_fit_and_score`` (used by every
``BaseSearchCV`` and by ``cross_validate``, hence by all the methods) records
each fold's score, failure and finish time. That trace gives, for every
method alike, the score of each candidate in evaluation order, the best so
far, and the time at which the b-th candidate was done, even for a search that
raised part-way.

The hook also times each ``_fit_and_score`` call: the search's wall time
minus the time spent inside those calls is its own cost (proposing
candidates, bookkeeping), reported per candidate as ``overhead_per_candidate``.

Methods whose sequence of candidates does not depend on the budget
(``prefix=True``: random search, Optuna's samplers and hyperopt's own TPE with
fixed start-up trials, scikit-optimize) are run once at the largest budget;
budget ``b`` is then read off the first ``b`` candidates. HyperoptSearchCV
adapts to ``n_iter`` (the start-up trials of ``algo="tpe"``, and ``"auto"`` /
``"gp"``), so it is run once per budget.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sklearn.model_selection._search as sk_search
import sklearn.model_selection._validation as sk_validation
from hyperopt import tpe
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from spaces import is_conditional, to_grid, to_hyperopt, to_optuna, to_scipy, to_skopt
from tasks import Data, Task

from hyperopt_search import HyperoptSearchCV
from hyperopt_search import _compat as hs_compat

N_SPLITS = 3


# -- the trace -------------------------------------------------------------------


@dataclass
class Candidate:
    score: float  # mean CV score, NaN when a fold failed
    failed: bool
    params: dict | None
    t_end: float  # seconds since the search started
    fit_seconds: float = 0.0  # time inside its _fit_and_score calls


class FoldTrace:
    """Record every ``_fit_and_score`` call made while active."""

    def __init__(self):
        # (finish time, score, failed, parameters, seconds inside the call)
        self.folds: list[tuple[float, float, bool, dict | None, float]] = []
        self.t0 = 0.0

    def _wrap(self, original):
        @functools.wraps(original)
        def traced(*args, **kwargs):
            start = time.perf_counter()
            out = original(*args, **kwargs)
            end = time.perf_counter()
            score = out.get("test_scores", np.nan)
            if isinstance(score, dict):
                score = next(iter(score.values()))
            failed = out.get("fit_error") is not None
            self.folds.append((end, float(score), failed, kwargs.get("parameters"), end - start))
            return out

        return traced

    @contextlib.contextmanager
    def active(self):
        # HyperoptSearchCV calls scikit-learn's function through its own
        # module (hyperopt_search._compat, since the one search loop), which
        # imported it by name: patch that binding too.
        originals = (
            sk_search._fit_and_score,
            sk_validation._fit_and_score,
            hs_compat._fit_and_score,
        )
        sk_search._fit_and_score = self._wrap(originals[0])
        sk_validation._fit_and_score = self._wrap(originals[1])
        hs_compat._fit_and_score = self._wrap(originals[2])
        self.t0 = time.perf_counter()
        try:
            yield self
        finally:
            (
                sk_search._fit_and_score,
                sk_validation._fit_and_score,
                hs_compat._fit_and_score,
            ) = originals

    def candidates(self) -> list[Candidate]:
        out = []
        for start in range(0, len(self.folds) - N_SPLITS + 1, N_SPLITS):
            folds = self.folds[start : start + N_SPLITS]
            scores = [f[1] for f in folds]
            failed = any(f[2] for f in folds)
            score = float(np.mean(scores)) if not failed else math.nan
            seconds = sum(f[4] for f in folds)
            out.append(Candidate(score, failed, folds[0][3], folds[-1][0] - self.t0, seconds))
        return out


# -- the methods -----------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """How to build one search for a task, a budget and a seed."""

    name: str
    build: Callable[[Task, Data, int, int], Any]
    prefix: bool = False  # candidates independent of the budget: run once
    prefix_conditional: bool = True  # ... also for a conditional space
    seeded: bool = True  # False: deterministic, one run per budget
    requires: tuple[str, ...] = ()
    supports: Callable[[Task], str | None] = lambda task: None  # reason if not
    params_of: Callable[[Any], list[dict]] | None = None  # when the trace has none
    extra: dict = field(default_factory=dict)
    check: Callable[[], str | None] | None = None  # reason it cannot run here, if any

    def is_prefix(self, task: Task) -> bool:
        return self.prefix and (self.prefix_conditional or not is_conditional(task.space))

    def unavailable(self) -> str | None:
        for module in self.requires:
            try:
                __import__(module)
            except Exception as exc:
                return f"{module} not importable ({type(exc).__name__}: {exc})"
        return self.check() if self.check is not None else None


def _common(task: Task, data: Data) -> dict:
    return {"cv": data.cv, "scoring": task.scoring, "n_jobs": 1, "refit": False}


def auto_initial_points(n_iter: int) -> int:
    """What ``n_initial_points="auto"`` gives (see HyperoptSearchCV)."""
    return min(20, max(5, n_iter // 5))


def algo_check(algo: str) -> Callable[[], str | None]:
    """Whether this hyperopt_search accepts ``algo`` (a newer option may not be
    in the installed version: the method is then skipped, not crashed)."""

    def check() -> str | None:
        try:
            HyperoptSearchCV(DummyClassifier(), {}, algo=algo)._validate_params()
        except Exception as exc:
            return f"algo={algo!r} not accepted by this hyperopt_search ({type(exc).__name__})"
        return None

    return check


def algo_of(search) -> str | None:
    """The ``algo`` of a HyperoptSearchCV (``"callable"`` for a function), else None."""
    if not isinstance(search, HyperoptSearchCV):
        return None
    algo = search.get_params()["algo"]
    return algo if isinstance(algo, str) else "callable"


def hyperopt_search(tpe_options: dict | None = None, **options) -> Callable:
    """A HyperoptSearchCV builder; ``tpe_options`` (e.g. ``gamma``) go to TPE,
    with ``n_startup_jobs`` as ``n_initial_points`` would set it."""

    def build(task, data, budget, seed):
        kwargs = dict(options)
        if tpe_options is not None:
            startup = kwargs.pop("n_initial_points", auto_initial_points(budget))
            kwargs["algo"] = functools.partial(tpe.suggest, n_startup_jobs=startup, **tpe_options)
        return HyperoptSearchCV(
            task.make_estimator(),
            to_scipy(task.space),
            n_iter=budget,
            random_state=seed,
            **kwargs,
            **_common(task, data),
        )

    return build


def _random(task, data, budget, seed):
    return RandomizedSearchCV(
        task.make_estimator(),
        to_scipy(task.space),
        n_iter=budget,
        random_state=seed,
        **_common(task, data),
    )


def _grid(task, data, budget, seed):
    return GridSearchCV(task.make_estimator(), to_grid(task.space, budget), **_common(task, data))


def _optuna(task, data, budget, seed):
    """Optuna's default: ``OptunaSearchCV`` makes its own ``TPESampler`` (in
    Optuna 5, multivariate for one objective, no ``group``)."""
    import optuna
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return OptunaSearchCV(
        task.make_estimator(),
        to_optuna(task.space),
        n_trials=budget,
        random_state=seed,
        error_score=np.nan,
        verbose=0,
        **_common(task, data),
    )


def optuna_with(make_sampler: Callable[[int], Any]) -> Callable:
    """An OptunaSearchCV builder whose study uses ``make_sampler(seed)``."""

    def build(task, data, budget, seed):
        import optuna
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            warnings.simplefilter("ignore", FutureWarning)
            study = optuna.create_study(direction="maximize", sampler=make_sampler(seed))
            return OptunaSearchCV(
                task.make_estimator(),
                to_optuna(task.space),
                n_trials=budget,
                study=study,
                error_score=np.nan,
                verbose=0,
                **_common(task, data),
            )

    return build


def _multivariate_tpe(seed: int):
    from optuna.samplers import TPESampler

    return TPESampler(seed=seed, multivariate=True, group=True)


def _gp_sampler(seed: int):
    from optuna.samplers import GPSampler

    return GPSampler(seed=seed)  # its defaults: 10 random start-up trials


def _optuna_params(search) -> list[dict]:
    return [trial.params for trial in search.study_.trials]


def _no_conditional(task: Task) -> str | None:
    if is_conditional(task.space):
        return "OptunaSearchCV takes no conditional (list of dicts) space"
    return None


def _skopt(task, data, budget, seed):
    from skopt import BayesSearchCV

    return BayesSearchCV(
        task.make_estimator(),
        to_skopt(task.space, budget),
        n_iter=budget,
        random_state=seed,
        **_common(task, data),
    )


def _hyperopt_sklearn(task, data, budget, seed):
    from hyperopt.sklearn import HyperoptSearchCV as HyperoptSklearn

    return HyperoptSklearn(
        task.make_estimator(),
        to_hyperopt(task.space),
        max_evals=budget,
        random_state=seed,
        **_common(task, data),
    )


RANDOM = "RandomizedSearchCV"
OPTUNA = ("optuna", "optuna_integration", "pandas")

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        # The default, whatever algo that is (it adapts to n_iter: once per budget).
        Method("HyperoptSearchCV", hyperopt_search()),
        # hyperopt's TPE, the former default (n_initial_points="auto" adapts too).
        Method("HyperoptSearchCV(tpe)", hyperopt_search(algo="tpe"), check=algo_check("tpe")),
        Method("HyperoptSearchCV(gp)", hyperopt_search(algo="gp"), check=algo_check("gp")),
        Method("HyperoptSearchCV(rand)", hyperopt_search(algo="rand"), prefix=True),
        Method(RANDOM, _random, prefix=True),
        Method("GridSearchCV", _grid, seeded=False),
        Method(
            "OptunaSearchCV",
            _optuna,
            prefix=True,
            requires=OPTUNA,
            supports=_no_conditional,
            params_of=_optuna_params,
        ),
        Method(
            "OptunaSearchCV(multivariate TPE)",
            optuna_with(_multivariate_tpe),
            prefix=True,
            requires=OPTUNA,
            supports=_no_conditional,
            params_of=_optuna_params,
        ),
        Method(
            "OptunaSearchCV(GPSampler)",
            optuna_with(_gp_sampler),
            prefix=True,
            requires=(*OPTUNA, "torch"),
            supports=_no_conditional,
            params_of=_optuna_params,
        ),
        Method("hyperopt.sklearn", _hyperopt_sklearn, prefix=True, requires=("hyperopt.sklearn",)),
        # A conditional space is split into sub-searches of budget / n_dicts.
        Method(
            "BayesSearchCV", _skopt, prefix=True, prefix_conditional=False, requires=("skopt",)
        ),
    )
}


def variant(name: str, tpe_options: dict | None = None, **options) -> Method:
    """A HyperoptSearchCV with non-default options (for the defaults study)."""
    return Method(name, hyperopt_search(tpe_options, **options), extra=options)


# -- running -----------------------------------------------------------------------


def _fit(search, data: Data) -> str | None:
    """Fit, swallowing the error (and any progress bar) of a search that raises."""
    sink = io.StringIO()
    try:
        with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
            search.fit(data.X_train, data.y_train)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"{type(exc).__name__}: {first}"
    return None


def _test_score(task: Task, data: Data, params: dict) -> tuple[float, float]:
    """Held-out score of the estimator refitted with ``params``, and refit seconds."""
    start = time.perf_counter()
    estimator = clone(task.make_estimator()).set_params(**clone(params, safe=False))
    estimator.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - start
    return float(get_scorer(task.scoring)(estimator, data.X_test, data.y_test)), seconds


def run(method: Method, task: Task, run_budget: int, seed: int, budgets: list[int]) -> list[dict]:
    """One search; one result record per budget read off it."""
    data = task.data()
    search = method.build(task, data, run_budget, seed)
    trace = FoldTrace()
    with trace.active():
        error = _fit(search, data)
    candidates = trace.candidates()
    if method.params_of is not None and candidates:
        for candidate, params in zip(candidates, method.params_of(search), strict=False):
            candidate.params = params
    algo = algo_of(search)
    return [_record(method, task, run_budget, seed, b, candidates, error, algo) for b in budgets]


def _overhead(seen: list[Candidate]) -> float:
    """Seconds per candidate the search spent outside ``_fit_and_score``, up to
    the end of its last candidate (proposals, bookkeeping, dispatch)."""
    if not seen:
        return math.nan
    return max(0.0, seen[-1].t_end - sum(c.fit_seconds for c in seen)) / len(seen)


def _record(method, task, run_budget, seed, budget, candidates, error, algo=None) -> dict:
    seen = candidates[:budget]
    scores = np.array([c.score for c in seen], dtype=float)
    record = {
        "task": task.name,
        "suite": task.suite,
        "method": method.name,
        "seed": seed,
        "budget": budget,
        "run_budget": run_budget,
        "algo": algo,
        "n_candidates": len(seen),
        "n_failed": int(sum(c.failed for c in seen)),
        "crashed": error is not None and len(seen) < budget,
        "error": error if len(seen) < budget else None,
        "scores": [None if math.isnan(s) else round(s, 6) for s in scores.tolist()],
        "best_cv": math.nan,
        "test": math.nan,
        "wall": math.nan,
        "overhead_per_candidate": _overhead(seen),
        "best_params": None,
    }
    if np.isfinite(scores).any():
        best = seen[int(np.nanargmax(scores))]
        test, refit_seconds = _test_score(task, task.data(), best.params)
        record.update(
            best_cv=float(np.nanmax(scores)),
            test=test,
            wall=seen[-1].t_end + refit_seconds,
            best_params={k: repr(v) for k, v in best.params.items()},
        )
    return record
