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
from scipy.special import ndtr, ndtri

from ._encoding import INACTIVE, EncodedSpace
from ._feasibility import log_feasibility
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
    n_finished = len(history.X_ok) + len(history.X_failed)
    n_good = min(math.ceil(0.1 * n_finished), 25, len(history.losses))
    is_good = _best(history.losses, n_good)
    good_rows = np.flatnonzero(is_good)
    # The good ones best first, ties in trial order (a stable sort).
    good = history.X_ok[good_rows[np.argsort(history.losses[good_rows], kind="stable")]]
    bad = [history.X_ok[~is_good], history.X_failed, history.X_pending]
    mixtures = _Parzen(space, [[good], bad])
    candidates = mixtures.sample(rng, n_candidates)
    log_good, log_bad = mixtures.log_pdf(candidates)
    # Times the probability that the fit does not fail: failures are also bad
    # trials, but where the good density is high that alone does not keep a
    # candidate out of a failing region next to the best trials.
    score = log_good - log_bad + log_feasibility(space, history, candidates)
    return candidates[int(np.argmax(score))]


def _best(losses: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` smallest losses, ties taken in order (as a stable sort would).

    A partition, not a sort: linear in the number of trials.
    """
    mask = np.zeros(len(losses), dtype=bool)
    if k == 0:
        return mask
    threshold = np.partition(losses, k - 1)[k - 1]
    mask = losses < threshold
    ties = np.flatnonzero(losses == threshold)
    mask[ties[: k - int(mask.sum())]] = True
    return mask


class _Kernels:
    """What the kernels need of a space, computed once per space.

    A categorical kernel keeps the observed option with probability
    ``p_keep = (1 + 1/k) / 2`` (Optuna's prior weight 1) and gives each other
    option ``p_other``; a numeric kernel is a normal truncated to [0, 1].
    """

    def __init__(self, space: EncodedSpace):
        self.flat = not space.conditional
        self.cat = space.categorical
        self.num = ~space.categorical
        self.cat_columns = np.flatnonzero(self.cat)
        k = space.n_options
        self.p_keep = (1.0 + 1.0 / k) / 2.0
        log_other = np.log(np.maximum((1.0 - self.p_keep) / np.maximum(k - 1, 1), 1e-300))
        self.log_other = log_other[self.cat]
        #: log density of the uniform prior kernel of each categorical label.
        self.log_prior = -np.log(k[self.cat])
        #: log p_keep - log p_other, per categorical label.
        self.gain = np.log(self.p_keep[self.cat]) - self.log_other
        #: Features of the prior component: every label inactive (see _Parzen).
        self.prior_x = np.where(self.cat, -1.0, INACTIVE)[None, :]
        n_num = int(self.num.sum())
        self.prior_features = np.concatenate([np.zeros(3 * n_num), self.log_prior])


@functools.lru_cache(maxsize=16)
def _kernels(space: EncodedSpace) -> _Kernels:
    return _Kernels(space)


class _Parzen:
    """Mixtures of product kernels, one per observation, plus a prior one each.

    ``groups`` are the observations of each mixture (here the good and the
    bad trials), each a list of arrays of rows; :meth:`sample` draws from the
    first. The prior component of a mixture is an observation in which every
    label is inactive: its kernel is the prior in every label. Everything that
    depends on the observations only (bandwidths, truncation masses,
    normalising constants) is computed once, here, for all mixtures together;
    :meth:`log_pdf` is then one matrix product of the candidates' features
    with the components', plus one equality test per categorical parameter:
    no (candidates x observations x parameters) array is formed.
    """

    def __init__(self, space: EncodedSpace, groups: list[list[np.ndarray]]):
        self.space = space
        self.kernels = kernels = _kernels(space)
        # Observations of each mixture then its prior component.
        self.sizes = [sum(len(part) for part in group) for group in groups]
        self.X = np.vstack([row for group in groups for row in (*group, kernels.prior_x)])
        self.n_components = [m + 1 for m in self.sizes]
        self.starts = np.cumsum([0, *self.n_components[:-1]])
        self.prior_rows = self.starts + self.sizes
        d = space.n_dims
        # Optuna's multivariate bandwidth: 0.2 * n^(-1/(d+4)) of the range,
        # at least range / min(100, 1 + m) ("magic clip"); one per mixture.
        self.sigmas = [
            min(max(0.2 * max(m, 1) ** (-1.0 / (d + 4)), 1.0 / min(100, 1 + m)), 1.0)
            for m in self.sizes
        ]
        self.active = None if kernels.flat else space.active(self.X)
        self._components = self._component_features()

    def _component_features(self) -> np.ndarray:
        """Per component, the coefficients of :meth:`_candidate_features`.

        A component's log kernel at a candidate ``y`` is a sum over the
        labels active in ``y``. A numeric label active in the component adds
        ``c - (y - x)^2 / (2 sigma^2) = (c - w x^2) + 2 w x y - w y^2``
        (``c`` the log normaliser of the normal truncated to [0, 1]); a
        categorical one adds ``log p_other`` (plus ``log p_keep - log
        p_other`` when ``y`` takes the observed option, added in
        :meth:`log_pdf`); a label inactive in the component adds its prior
        density (1 for a numeric feature, ``1/k`` for a categorical one).
        """
        kernels = self.kernels
        s = np.repeat(self.sigmas, self.n_components)[:, None]
        xn = self.X[:, kernels.num]
        mass = ndtr((1.0 - xn) / s) - ndtr(-xn / s)  # of the normal N(x, s) on [0, 1]
        log_norm = np.log(np.maximum(mass, 1e-12)) + np.log(s * math.sqrt(2 * math.pi))
        w = np.repeat(1.0 / (2.0 * s * s), xn.shape[1], axis=1)
        categorical = np.repeat(kernels.log_other[None, :], len(xn), axis=0)
        if not kernels.flat:
            an = self.active[:, kernels.num]
            w = np.where(an, w, 0.0)
            log_norm = np.where(an, log_norm, 0.0)
            categorical = np.where(
                self.active[:, kernels.cat], kernels.log_other, kernels.log_prior
            )
        components = np.hstack([-log_norm - w * xn**2, 2.0 * w * xn, -w, categorical])
        components[self.prior_rows] = kernels.prior_features
        return components

    def _candidate_features(self, Y: np.ndarray, active_y: np.ndarray | None) -> np.ndarray:
        """The features matching :meth:`_component_features` (see there)."""
        kernels = self.kernels
        yn = Y[:, kernels.num]
        if active_y is None:  # every label active
            n_num = yn.shape[1]
            F = np.ones((len(Y), 3 * n_num + len(kernels.cat_columns)))
            F[:, n_num : 2 * n_num] = yn
            F[:, 2 * n_num : 3 * n_num] = yn**2
            return F
        on = active_y[:, kernels.num].astype(float)
        return np.hstack([on, on * yn, on * yn**2, active_y[:, kernels.cat].astype(float)])

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from the first mixture."""
        kernels = self.kernels
        m, d = self.sizes[0], self.space.n_dims
        component = rng.integers(m + 1, size=n)  # m: the prior component
        U = rng.random((n, d))  # draws from the prior (uniform features)
        out = np.where(kernels.cat, np.floor(U * self.space.n_options), U)
        from_obs = component < m
        if from_obs.any():
            rows = self.X[component[from_obs]]
            noise = _truncated_normal(rng, rows, self.sigmas[0])
            # Categorical: keep the observed option with probability p_keep,
            # otherwise a uniform one.
            keep = rng.random(rows.shape) < kernels.p_keep
            numeric, categorical = kernels.num, kernels.cat & keep
            if not kernels.flat:
                active = self.active[component[from_obs]]
                numeric, categorical = numeric & active, categorical & active
            block = np.where(numeric, noise, out[from_obs])
            out[from_obs] = np.where(categorical, rows, block)
        return self.space.snap(out)

    def log_pdf(self, Y: np.ndarray) -> np.ndarray:
        """log density of each row of ``Y`` (columns) under each mixture (rows),
        over the labels active in it."""
        kernels = self.kernels
        if kernels.flat:
            active_y, y = None, Y
        else:
            active_y = self.space.active(Y)
            # An inactive candidate label never matches (inactive components hold -1).
            y = np.where(active_y, Y, -2.0)
        # (candidates x components): every term but the categorical matches.
        log_k = self._candidate_features(Y, active_y) @ self._components.T
        for gain, i in zip(kernels.gain, kernels.cat_columns, strict=True):
            log_k += gain * (y[:, i, None] == self.X[:, i])
        # log-sum-exp over the components of each mixture, and its weights.
        top = np.maximum.reduceat(log_k, self.starts, axis=1)
        total = np.add.reduceat(
            np.exp(log_k - np.repeat(top, self.n_components, axis=1)), self.starts, axis=1
        )
        return (np.log(total) + top - np.log(self.n_components)).T


def _clip(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """``np.clip`` without its Python overhead (the same values)."""
    return np.minimum(np.maximum(x, low), high)


def _truncated_normal(rng: np.random.Generator, mu: np.ndarray, sigma: float) -> np.ndarray:
    """Draws from normals centred on ``mu`` truncated to [0, 1] (by inversion)."""
    low, high = ndtr(-mu / sigma), ndtr((1.0 - mu) / sigma)
    u = low + rng.random(mu.shape) * np.maximum(high - low, 1e-12)
    return _clip(mu + sigma * ndtri(_clip(u, 1e-12, 1 - 1e-12)), 0.0, 1.0)
