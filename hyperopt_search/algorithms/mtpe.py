"""Multivariate TPE: one joint Parzen estimator over all parameters.

hyperopt's TPE models each parameter on its own, so it cannot represent how
parameters interact. This algorithm follows Optuna's
``TPESampler(multivariate=True)``: each component of the "good" and "bad"
mixtures is a product of one kernel per parameter centred on one observed
candidate, so a candidate is drawn near one good candidate in every
parameter at once.

- The finished trials are split into the best ``gamma(n) = min(ceil(0.1 n),
  25)`` ("good") and the rest ("bad"); failed and pending trials are bad.
- Kernels work on the unit-cube features of
  ``hyperopt_search.algorithms._encoding``: a truncated normal for a numeric
  parameter, with Optuna's bandwidth rule; for a categorical one, the observed
  option plus a uniform prior weight. Each mixture also has one prior
  component (uniform).
- Conditional spaces: a parameter inactive in an observed candidate but
  active in the proposal takes that component's prior kernel; densities are
  compared on the parameters active in the proposal.
- ``n_ei_candidates`` draws from the good mixture; the proposal maximises
  ``log l(x) - log g(x)``. The first ``n_initial_points`` trials come from a
  scrambled Sobol design.

The same trials and seed give the same proposal.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

from ._encoding import EncodedSpace
from ._loop import suggest_with_model
from ._trials import History

__all__ = ["suggest"]


def suggest(new_ids, domain, trials, seed, n_initial_points=10, n_ei_candidates=24):
    """hyperopt algorithm: multivariate TPE (a joint Parzen estimator).

    Parameters
    ----------
    new_ids : list of int
        Trial ids to propose for; each proposal counts as a bad pending
        trial while the next one is made.
    domain : hyperopt.base.Domain
        The search space (any space built from ``hp`` expressions).
    trials : hyperopt.Trials
        Finished, failed and pending trials.
    seed : int
        Seeds the draws (and the Sobol design on the first call).
    n_initial_points : int, default=10
        Trials taken from the Sobol design before the model is used.
    n_ei_candidates : int, default=24
        Draws from the "good" mixture scored per proposal.

    Returns
    -------
    docs : list of dict
        New trial documents, one per id.

    Examples
    --------
    >>> import functools
    >>> from hyperopt import Trials, fmin, hp
    >>> from hyperopt_search.algorithms import mtpe
    >>> space = hp.choice("model", [
    ...     {"kind": "a", "x": hp.uniform("x", -3, 3)},
    ...     {"kind": "b", "y": hp.loguniform("y", -3, 3)},
    ... ])
    >>> def loss(p):
    ...     return (p["x"] - 1) ** 2 if p["kind"] == "a" else 1 + abs(np.log(p["y"]))
    >>> trials = Trials()
    >>> best = fmin(loss, space, algo=functools.partial(mtpe.suggest, n_initial_points=5),
    ...             max_evals=40, trials=trials, rstate=np.random.default_rng(0),
    ...             show_progressbar=False)
    >>> min(trials.losses()) < 0.05
    True
    """
    return suggest_with_model(
        functools.partial(propose, n_candidates=n_ei_candidates),
        new_ids,
        domain,
        trials,
        seed,
        n_initial_points,
    )


def propose(
    space: EncodedSpace, history: History, rng: np.random.Generator, n_candidates: int = 24
) -> np.ndarray:
    """The draw from the good mixture with the best ratio of good to bad density."""
    order = np.argsort(history.losses, kind="stable")
    n_finished = len(history.X_ok) + len(history.X_failed)
    n_good = min(math.ceil(0.1 * n_finished), 25, len(order))
    good = history.X_ok[order[:n_good]]
    bad = np.vstack([history.X_ok[order[n_good:]], history.X_failed, history.X_pending])
    good_mix, bad_mix = _Parzen(space, good), _Parzen(space, bad)
    candidates = good_mix.sample(rng, n_candidates)
    score = good_mix.log_pdf(candidates) - bad_mix.log_pdf(candidates)
    return candidates[int(np.argmax(score))]


class _Parzen:
    """A mixture of product kernels, one per observation, plus a prior one."""

    def __init__(self, space: EncodedSpace, X: np.ndarray):
        self.space = space
        self.X = X
        m = len(X)
        d = space.n_dims
        # Optuna's multivariate bandwidth: 0.2 * n^(-1/(d+4)) of the range,
        # at least range / min(100, 1 + m) ("magic clip").
        sigma = 0.2 * max(m, 1) ** (-1.0 / (d + 4))
        self.sigma = float(np.clip(sigma, 1.0 / min(100, 1 + m), 1.0))
        self.active = space.active(X) if m else np.zeros((0, d), dtype=bool)
        self.n_options = np.array([max(dim.n_options, 1) for dim in space.dims], dtype=float)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        m, d = len(self.X), self.space.n_dims
        component = rng.integers(m + 1, size=n)  # m: the prior component
        U = rng.random((n, d))  # draws from the prior (uniform features)
        out = np.where(self.space.categorical, np.floor(U * self.n_options), U)
        from_obs = component < m
        if from_obs.any():
            rows = self.X[component[from_obs]]
            active = self.active[component[from_obs]]
            numeric = ~self.space.categorical & active
            noise = _truncated_normal(rng, rows, self.sigma)
            # Categorical: keep the observed option with probability
            # (1 + 1/k) / 2 (Optuna's prior weight 1), otherwise a uniform one.
            keep = rng.random(rows.shape) < (1.0 + 1.0 / self.n_options) / 2.0
            categorical = self.space.categorical & active & keep
            block = out[from_obs]
            block = np.where(numeric, noise, block)
            block = np.where(categorical, rows, block)
            out[from_obs] = block
        return self.space.snap(out)

    def log_pdf(self, Y: np.ndarray) -> np.ndarray:
        """log density of each row of ``Y``, over the labels active in it."""
        m = len(self.X)
        active_y = self.space.active(Y)
        cat = self.space.categorical
        # Prior component: uniform, density 1 per numeric feature, 1/k per
        # categorical one.
        prior = -(np.log(self.n_options)[None, :] * (cat & active_y)).sum(axis=1)
        if m == 0:
            return prior
        diff = Y[:, None, :] - self.X[None, :, :]
        # Numeric kernels: a normal truncated to [0, 1].
        mass = ndtr((1.0 - self.X) / self.sigma) - ndtr(-self.X / self.sigma)
        log_num = (
            -0.5 * (diff / self.sigma) ** 2
            - math.log(self.sigma * math.sqrt(2 * math.pi))
            - np.log(np.maximum(mass, 1e-12))[None, :, :]
        )
        same = diff == 0
        p_keep = (1.0 + 1.0 / self.n_options) / 2.0
        p_other = (1.0 - p_keep) / np.maximum(self.n_options - 1, 1)
        log_cat = np.where(same, np.log(p_keep), np.log(np.maximum(p_other, 1e-300)))
        log_uniform = np.where(cat, -np.log(self.n_options), 0.0)
        per_dim = np.where(cat, log_cat, log_num)
        # An observation where the label was inactive contributes its prior.
        per_dim = np.where(self.active[None, :, :], per_dim, log_uniform)
        per_dim = np.where(active_y[:, None, :], per_dim, 0.0)
        components = np.concatenate([per_dim.sum(axis=2), prior[:, None]], axis=1)
        return logsumexp(components, axis=1) - math.log(m + 1)


def _truncated_normal(rng: np.random.Generator, mu: np.ndarray, sigma: float) -> np.ndarray:
    """Draws from normals centred on ``mu`` truncated to [0, 1] (by inversion)."""
    low, high = ndtr(-mu / sigma), ndtr((1.0 - mu) / sigma)
    u = low + rng.random(mu.shape) * np.maximum(high - low, 1e-12)
    return np.clip(mu + sigma * ndtri(np.clip(u, 1e-12, 1 - 1e-12)), 0.0, 1.0)
