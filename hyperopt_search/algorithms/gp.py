"""Bayesian optimisation with a Gaussian process, as a hyperopt algorithm.

``suggest(new_ids, domain, trials, seed)`` works on any space built from
hyperopt's ``hp`` module, like ``tpe.suggest``:

1. The first ``n_initial_points`` trials come from a scrambled Sobol design
   (:mod:`hyperopt_search.algorithms.sobol`).
2. Then a Gaussian process (Matern-5/2, one length scale per feature, MAP
   kernel parameters; see ``hyperopt_search.algorithms._gp``) is fitted to
   the standardised losses of the finished trials, on the features of
   ``hyperopt_search.algorithms._encoding`` (log scale for log-distributed
   parameters, categories compared for equality, inactive conditional
   parameters filled with a constant).
3. Failed trials are infeasible, not scores: after the kernel is fitted on
   real losses, the model is conditioned on the failures at the worst loss
   seen, which steers proposals away from them. Pending trials (a batch in
   flight) are conditioned on at the model's own mean (the "kriging
   believer"), which lowers the uncertainty, hence the expected improvement,
   around them: a batch spreads out.
4. The proposal maximises log expected improvement: a quasi-random pool of
   candidates plus perturbations of the best trials, the best few refined by
   L-BFGS-B on the numeric features and a sweep over the options of the
   categorical ones. A proposal within 0.02 of a known trial in every
   feature is skipped for the next best candidate.

The same trials and seed give the same proposal.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ._encoding import EncodedSpace
from ._gp import GaussianProcess, log_expected_improvement
from ._loop import suggest_with_model
from ._trials import History

__all__ = ["DEFAULT_N_INITIAL_POINTS", "propose", "suggest"]

#: Sobol points before the model guides the search (Optuna's GPSampler: 10).
DEFAULT_N_INITIAL_POINTS = 10
#: Quasi-random candidates scored by the acquisition function per proposal.
_N_POOL = 512
#: Best trials perturbed to add local candidates, and perturbations of each.
_N_ELITE, _N_PERTURB = 5, 32
#: Candidates refined by local optimisation.
_N_REFINE = 4
#: A proposal this close to a known trial (in every feature of the unit cube)
#: is refinement below the noise of a cross-validated score: the next best
#: candidate is taken instead.
_MIN_DISTANCE = 0.02
#: Options of a categorical feature tried in the local sweep, at most.
_MAX_OPTIONS = 32


def suggest(new_ids, domain, trials, seed, n_initial_points=DEFAULT_N_INITIAL_POINTS):
    """hyperopt algorithm: Gaussian-process expected improvement.

    Parameters
    ----------
    new_ids : list of int
        Trial ids to propose for. Each proposal is treated as pending while
        the next one is made, so a batch spreads out.
    domain : hyperopt.base.Domain
        The search space (any space built from ``hp`` expressions,
        conditional ``hp.choice`` included).
    trials : hyperopt.Trials
        Finished, failed and pending trials.
    seed : int
        Seeds the pool of candidates (and the Sobol design on the first call).
    n_initial_points : int, default=10
        Trials taken from the Sobol design before the model is used; the
        model also waits for two finished trials with a finite loss.

    Returns
    -------
    docs : list of dict
        New trial documents, one per id.

    Examples
    --------
    >>> import functools
    >>> from hyperopt import Trials, fmin, hp
    >>> from hyperopt_search.algorithms import gp
    >>> space = {"x": hp.uniform("x", -5, 5), "y": hp.loguniform("y", -5, 2)}
    >>> trials = Trials()
    >>> best = fmin(
    ...     lambda p: (p["x"] - 1) ** 2 + (np.log(p["y"]) + 1) ** 2,
    ...     space,
    ...     algo=functools.partial(gp.suggest, n_initial_points=5),
    ...     max_evals=25,
    ...     trials=trials,
    ...     rstate=np.random.default_rng(0),
    ...     show_progressbar=False,
    ... )
    >>> min(trials.losses()) < 0.05
    True
    """
    return suggest_with_model(propose, new_ids, domain, trials, seed, n_initial_points)


def propose(space: EncodedSpace, history: History, rng: np.random.Generator) -> np.ndarray:
    """The features of the candidate with the largest expected improvement."""
    losses = history.losses
    center, spread = np.median(losses), losses.std()
    y = (losses - center) / (spread if spread > 0 else 1.0)
    model = GaussianProcess.fit(history.X_ok, y, space.categorical)
    extra_X = [history.X_failed, history.X_pending]
    extra_y = [np.full(len(history.X_failed), y.max())]
    if len(history.X_pending):
        extra_y.append(model.predict(history.X_pending)[0])
    if any(len(x) for x in extra_X):
        model = model.condition_on(np.vstack(extra_X), np.concatenate(extra_y))
    # Noisy losses: the incumbent is the best posterior mean at a finished or
    # pending trial ("plug-in" EI), not the luckiest noisy loss.
    best = float(model.predict(np.vstack([history.X_ok, history.X_pending]))[0].min())

    candidates = _candidate_pool(space, history, y, rng)
    scores = _log_ei(model, candidates, best)
    starts = candidates[np.argsort(-scores)[:_N_REFINE]]
    refined = space.snap(np.array([_refine(space, model, x, best) for x in starts]))
    candidates = np.vstack([refined, candidates])
    scores = np.concatenate([_log_ei(model, refined, best), scores])
    seen = history.X_all
    for index in np.argsort(-scores, kind="stable"):
        if not len(seen) or _distance(candidates[index], seen, space).min() > _MIN_DISTANCE:
            return candidates[index]
    return candidates[int(np.argmax(scores))]  # all known: let the caller deduplicate


def _distance(x: np.ndarray, X: np.ndarray, space: EncodedSpace) -> np.ndarray:
    """Largest per-feature distance of ``x`` to each row of ``X`` (categories: 0 or 1)."""
    diff = np.abs(X - x)
    diff[:, space.categorical] = (diff[:, space.categorical] > 0).astype(float)
    return diff.max(axis=1)


def _log_ei(model: GaussianProcess, X: np.ndarray, best: float) -> np.ndarray:
    mean, std = model.predict(X)
    return log_expected_improvement(mean, std, best)[0]


def _candidate_pool(
    space: EncodedSpace, history: History, y: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Quasi-random points over the space, and perturbations of the best trials."""
    d = space.n_dims
    pool = [space.from_design(rng.random((_N_POOL, d)))]
    elite = history.X_ok[np.argsort(y)[:_N_ELITE]]
    if len(elite):
        X = np.repeat(elite, _N_PERTURB, axis=0)
        numeric = ~space.categorical
        X[:, numeric] += rng.normal(0.0, 0.05, size=(len(X), int(numeric.sum())))
        if space.categorical.any():
            n_options = np.array([dim.n_options for dim in space.dims], dtype=float)
            flip = space.categorical & (rng.random(X.shape) < 1.0 / max(d, 2))
            X = np.where(flip, np.floor(rng.random(X.shape) * n_options), X)
        pool.append(space.snap(X))
    return np.vstack(pool)


def _refine(space: EncodedSpace, model: GaussianProcess, x: np.ndarray, best: float):
    """Local search: L-BFGS-B on the active numeric features, then an option sweep."""
    x = x.copy()
    for _ in range(2):
        x = _lbfgs(space, model, x, best)
        swept = _sweep_options(space, model, x, best)
        if np.array_equal(swept, x):
            break
        x = swept
    return x


def _lbfgs(space: EncodedSpace, model: GaussianProcess, x: np.ndarray, best: float):
    free = np.flatnonzero(space.active(x)[0] & ~space.categorical)
    if not len(free):
        return x

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        point = x.copy()
        point[free] = z
        mean, std, dmean, dstd = model.predict_with_gradient(point)
        value, dv_dmean, dv_dstd = log_expected_improvement(mean, std, best)
        grad = float(dv_dmean) * dmean + float(dv_dstd) * dstd
        return -float(value), -grad[free]

    result = minimize(
        objective,
        x[free],
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * len(free),
        options={"maxiter": 50},
    )
    out = x.copy()
    out[free] = np.clip(result.x, 0.0, 1.0)
    return out


def _sweep_options(space: EncodedSpace, model: GaussianProcess, x: np.ndarray, best: float):
    """Coordinate-wise: each categorical feature set to its best option."""
    x = space.snap(x)[0]
    for i in np.flatnonzero(space.categorical):
        n = space.dims[i].n_options
        options = np.unique(np.linspace(0, n - 1, min(n, _MAX_OPTIONS)).round())
        X = np.repeat(x[None, :], len(options), axis=0)
        X[:, i] = options
        X = space.snap(X)
        x = X[int(np.argmax(_log_ei(model, X, best)))]
    return x
