"""Bayesian optimisation with a Gaussian process, as a hyperopt algorithm.

``suggest(new_ids, domain, trials, seed)`` works on any space built from
hyperopt's ``hp`` module, like ``tpe.suggest``:

1. The first ``n_initial_points`` trials come from a scrambled Sobol design
   (:mod:`hyperopt_search.algorithms.sobol`).
2. Then a Gaussian process (Matern-5/2, one length scale per feature; see
   ``hyperopt_search.algorithms._gp``) is fitted to the standardised losses
   of the finished trials (on a space without conditional parameters, far-out
   bad losses such as a diverging fit's are clipped to Tukey's outer fence
   first), on the features of
   ``hyperopt_search.algorithms._encoding`` (log scale for log-distributed
   parameters, categories compared for equality, inactive conditional
   parameters filled with a constant). While fewer than 20 trials have
   finished, its kernel parameters are not one estimate but 8 draws from
   their posterior (slice sampling from the MAP estimate, as Snoek et al.
   2012), and the acquisition function is averaged over the 8 GPs; from 20
   on, the MAP estimate alone (cheaper, and by then well determined),
   refitted at every proposal from the previous estimate, and from 100
   trials on only as the trials grow by 5% (every 10th proposal at 200).
3. Failed trials are infeasible, not scores: after the kernel is fitted on
   real losses, the model is conditioned on the failures at the worst loss
   seen, which steers proposals away from them. Pending trials (a batch in
   flight) are conditioned on at the model's own mean (the "kriging
   believer"), which lowers the uncertainty, hence the expected improvement,
   around them: a batch spreads out.
4. The proposal is the candidate with the largest log of the averaged
   expected improvement among a quasi-random pool (512 points) and
   perturbations of the 5 best trials. It is not refined further by a local
   optimiser: on the tuning tasks L-BFGS-B refinement bought nothing
   measurable, cost 3 to 4.5 times as much, and drove most proposals onto
   the bounds of the box. A proposal within 0.02 of a known trial in every
   continuous feature, and equal to it in every categorical and quantised
   one, is skipped for the next best candidate.

On a space with conditional parameters, steps 2 to 4 run per branch (each
set of labels active together): one GP per branch on that branch's trials
and active labels (the GP prior for a branch without trials; kernel samples
while the branch has fewer than 20 trials, then its own MAP estimate, kept
apart from the other branches'), expected
improvement over the best loss of all branches, L-BFGS-B within the branch.
A branch tried only a few times stays uncertain, so it is not starved by a
broad plateau of fair losses in another.

The same trials and seed give the same proposal.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from ._encoding import EncodedSpace
from ._feasibility import INFEASIBLE, feasibility_penalty, log_feasibility
from ._gp import GaussianProcess, log_expected_improvement, squared_differences
from ._loop import suggest_with_model
from ._trials import History

__all__ = [
    "DEFAULT_N_INITIAL_POINTS",
    "MAX_INTEGRATED_TRIALS",
    "N_KERNEL_SAMPLES",
    "IntegratedEI",
    "propose",
    "suggest",
]

#: Sobol points before the model guides the search (Optuna's GPSampler: 10).
DEFAULT_N_INITIAL_POINTS = 10
#: Kernel-parameter samples the expected improvement is averaged over.
N_KERNEL_SAMPLES = 8
#: From this many finished trials on, one MAP estimate of the kernel
#: parameters instead: they are better determined by then, and sampling
#: (about 450 Cholesky factorisations) makes a proposal 5 times as costly.
#: Searches of 20 candidates (10 Sobol points, then 10 proposals) integrate
#: every proposal. It was 50: the integrated EI's gain at 50 candidates was
#: +0.0003 (p = 0.40, ``benchmarks/results/gp_variants/README.md``) for 25 ms
#: a proposal; see ``benchmarks/results/gp_variants/engine_cost.md``.
MAX_INTEGRATED_TRIALS = 20
#: With the MAP estimate and at least :data:`_REFIT_GROWTH_FROM` finished
#: trials at the last fit, the kernel parameters are refitted once the
#: finished trials have grown by this fraction since that fit (at 100 trials,
#: every 5th proposal; at 200, every 10th); in between, the last estimate is
#: used as it is (one factorisation): see :func:`_map_estimate`. From 100
#: trials on, one more trial moves the estimate by less than 0.01 in log scale,
#: and the fit was two thirds of a proposal's cost at 150 to 200 trials.
#: Growth 0.1 from 20 trials on (a refit every 5th trial at 50) was measured
#: worse on the tuning suite at 100 candidates (10 wins / 13 losses, forest
#: 1 / 5; ratio 0.14 against 0.13): ``benchmarks/results/gp_variants/engine_cost.md``;
#: below 100 trials every proposal refits, so searches of up to 100
#: candidates propose what they did before. At 200 candidates on the tuning
#: suite, paired with a refit at every proposal: 3 wins / 106 ties / 1 loss,
#: ratio 0.17 -> 0.16 (``benchmarks/results/gp_variants/engine_refit.md``).
_REFIT_GROWTH = 0.05
#: Finished trials at the last fit from which :data:`_REFIT_GROWTH` applies.
_REFIT_GROWTH_FROM = 100
#: A MAP fit warm-started from the last estimate stops once a step gains less
#: than this many nats of log posterior (None: scipy's default, a relative
#: 2.2e-9; a fit from the fixed start always runs to it). From the last
#: estimate, the default takes 21 L-BFGS-B steps at 50 and 100 trials and 9
#: at 200 (each an ``n x n`` inverse), creeping along flat directions; 1e-4
#: takes 9 / 8 / 4, and the next proposal starts from where it stopped. On
#: the tuning suite, paired with the adopted runs: level (50 candidates:
#: 1 win / 109 ties / 0 losses, ratio 0.19 -> 0.18; 100: 1 / 107 / 2, 0.13 ->
#: 0.13); 1e-3 (6 / 6 / 3 steps) leaned worse at 100 (2 / 102 / 6, 0.13 ->
#: 0.14, forest 0.22 -> 0.39): ``benchmarks/results/gp_variants/engine_speed.md``.
_WARM_TOLERANCE: float | None = 1e-4
#: Quasi-random candidates scored by the acquisition function per proposal.
_N_POOL = 512
#: Best trials perturbed to add local candidates, and perturbations of each.
_N_ELITE, _N_PERTURB = 5, 32
#: Candidates refined by L-BFGS-B, on a space with conditional parameters
#: (without them, refining bought nothing measurable for 3 to 4.5 times the
#: cost of a proposal: ``benchmarks/results/gp_variants/``).
_N_REFINE = 4
#: A proposal this close to a known trial (in every feature of the unit cube)
#: is refinement below the noise of a cross-validated score: the next best
#: candidate is taken instead.
_MIN_DISTANCE = 0.02
#: Losses above the third quartile plus this many interquartile ranges (Tukey's
#: outer fence) are clipped to it before the fit: see ``_clipped_to_outer_fence``.
_OUTER_FENCE = 3.0


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
    kernels = _KernelMemory(trials.attachments)
    return suggest_with_model(
        functools.partial(propose, kernels=kernels),
        new_ids,
        domain,
        trials,
        seed,
        n_initial_points,
    )


class _KernelMemory:
    """The MAP kernel parameters of earlier proposals, kept in ``trials.attachments``.

    From :data:`MAX_INTEGRATED_TRIALS` finished trials on, the MAP fit starts
    from the estimate made with fewer finished trials (the latest such one)
    instead of a fixed point: one more trial moves the estimate little, and
    L-BFGS-B then stops after a few steps instead of about 28 (each an
    ``n x n`` inverse). Only estimates made with *fewer* trials are read, so
    the same trials and seed still give the same proposal, and a search
    resumed from its pickled ``Trials`` (attachments included) proposes what
    the uninterrupted one would have.
    """

    KEY = "hyperopt_search.gp_kernel"
    #: The latest MAP fits by a digest of their inputs (see :meth:`fit`).
    FITS_KEY = "hyperopt_search.gp_fits"
    #: Fits kept (one per branch of a conditional space, and a few more).
    _N_FITS = 16

    def __init__(self, attachments, key: str = KEY):
        self.attachments = attachments
        self.key = key

    def for_branch(self, labels: bytes) -> _KernelMemory:
        """The memory of the estimates of one branch of a conditional space
        (the GP of the trials with these active ``labels``)."""
        return _KernelMemory(self.attachments, f"{self.KEY}:{labels.hex()}")

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        categorical: np.ndarray,
        d2: np.ndarray,
        start: np.ndarray | None,
        tolerance: float | None = None,
    ) -> GaussianProcess:
        """``GaussianProcess.fit(X, y, categorical, d2, start, tolerance)``, or
        the raw parameters of an earlier fit of the same inputs.

        The proposals of a round (a search asks for each candidate of a batch
        in turn, the earlier ones pending) see the same finished trials: the
        same inputs, hence the same fit, which all but the first reuse. The
        fits are keyed by a digest of every input, so a reused fit is the one
        a refit would give, bit for bit (the proposals are unchanged).
        """
        digest = hashlib.sha1(repr(tolerance).encode())
        for a in (X, y, categorical, start):
            digest.update(b"-" if a is None else repr(a.shape).encode() + a.tobytes())
        key = digest.hexdigest()
        fits = self.attachments.get(self.FITS_KEY, [])
        raw = next((np.array(r) for k, r in fits if k == key), None)
        if raw is not None:
            return GaussianProcess._from_raw(X, y, categorical, raw, d2)
        model = GaussianProcess.fit(X, y, categorical, d2, start, tolerance)
        fits = [*fits[-(self._N_FITS - 1) :], (key, [float(v) for v in model.raw])]
        self.attachments[self.FITS_KEY] = fits
        return model

    def before(self, n_ok: int) -> tuple[int, np.ndarray] | None:
        """The estimate made with the most finished trials below ``n_ok``, if
        any, and that number of trials."""
        known = [(n, raw) for n, raw in self.attachments.get(self.key, []) if n < n_ok]
        if not known:
            return None
        n, raw = max(known)
        return n, np.array(raw)

    def remember(self, n_ok: int, raw: np.ndarray) -> None:
        """Keep the estimate made with ``n_ok`` finished trials (and the one before it)."""
        kept = [(n, r) for n, r in self.attachments.get(self.key, []) if n < n_ok]
        kept = [*sorted(kept)[-1:], (n_ok, [float(v) for v in raw])]
        self.attachments[self.key] = kept


def propose(
    space: EncodedSpace,
    history: History,
    rng: np.random.Generator,
    kernels: _KernelMemory | None = None,
) -> np.ndarray:
    """The features of the candidate with the largest expected improvement."""
    if kernels is None:
        kernels = _KernelMemory({})
    if space.conditional:
        return _propose_by_group(space, history, rng, kernels)
    y = _standardised(_clipped_to_outer_fence(history.losses))
    X_ok, categorical = history.X_ok, space.categorical
    n_ok, n_failed = len(X_ok), len(history.X_failed)
    # The squared differences of all trials (finished, failed, pending: the
    # rows of the GP with its fantasies), computed once: the fit reads those
    # of the finished trials, the incumbent those of finished and pending.
    # (Copies in C order, the layout squared_differences gives C-ordered
    # rows: the products over them then sum in the same order, bit for bit.)
    X_known = history.X_all
    d2_known = squared_differences(X_known, X_known, categorical)
    if not X_ok.flags.c_contiguous:
        d2 = squared_differences(X_ok, X_ok, categorical)
    elif len(X_known) > n_ok:
        d2 = np.ascontiguousarray(d2_known[:n_ok, :n_ok])
    else:
        d2 = d2_known
    if n_ok < MAX_INTEGRATED_TRIALS:
        start = kernels.fit(X_ok, y, categorical, d2, None).raw
        models = GaussianProcess.sample(
            X_ok, y, categorical, rng, N_KERNEL_SAMPLES, d2=d2, start=start
        )
    else:
        models = [_map_estimate(X_ok, y, categorical, kernels, d2)]
    models = _with_fantasies(
        models, history.X_failed, history.X_pending, y.max(), (X_known, d2_known)
    )
    incumbents = d2_known
    if n_failed:
        incumbents = d2_known[np.r_[0:n_ok, n_ok + n_failed : len(X_known)]]
    acquisition = IntegratedEI(models, history, known_d2=incumbents, weighted=True)

    candidates = _candidate_pool(space, history, y, rng)
    # Expected improvement times the probability that the fit does not fail.
    scores = acquisition(candidates) + feasibility_penalty(
        log_feasibility(space, history, candidates)
    )
    return _best_unseen(space, history, candidates, scores)


def _map_estimate(
    X: np.ndarray,
    y: np.ndarray,
    categorical: np.ndarray,
    kernels: _KernelMemory,
    d2: np.ndarray,
) -> GaussianProcess:
    """The GP with MAP kernel parameters, fitted from the last fit's estimate.

    A warm-started fit costs a few L-BFGS-B steps, each an ``n x n``
    inverse (about 4 to 9 steps of 1.5 ms at 200 trials). Once the last fit
    saw :data:`_REFIT_GROWTH_FROM` finished trials, its estimate is reused as
    it is (one factorisation) until the trials have grown by
    :data:`_REFIT_GROWTH` since.
    """
    previous = kernels.before(len(X))
    if previous is not None:
        n_fit, raw = previous
        if (
            len(raw) == X.shape[1] + 2
            and n_fit >= _REFIT_GROWTH_FROM
            and len(X) - n_fit < max(1, int(_REFIT_GROWTH * n_fit))
        ):
            return GaussianProcess._from_raw(X, y, categorical, raw, d2)
    if previous is None:
        model = kernels.fit(X, y, categorical, d2, None)
    else:
        model = kernels.fit(X, y, categorical, d2, previous[1], _WARM_TOLERANCE)
    kernels.remember(len(X), model.raw)
    return model


def _standardised(losses: np.ndarray) -> np.ndarray:
    """Losses centred on their median and scaled by their standard deviation."""
    center, spread = np.median(losses), losses.std()
    return (losses - center) / (spread if spread > 0 else 1.0)


def _clipped_to_outer_fence(losses: np.ndarray) -> np.ndarray:
    """Far-out bad losses set to Tukey's outer fence (Q3 + 3 IQR).

    A diverging fit (an R² of -1e20 next to scores near 0.9) would otherwise
    set the standard deviation of the losses alone, and standardising would
    flatten every other loss to the same value. Good losses are never
    clipped. Used on spaces without conditional parameters only: there, the
    per-branch GPs compare whole branches, and a branch whose every loss lies
    beyond the fence would lose the trend within it.

    Examples
    --------
    >>> import numpy as np
    >>> _clipped_to_outer_fence(np.array([0.1, 0.2, 0.3, 0.4, 1e20]))
    array([0.1, 0.2, 0.3, 0.4, 1. ])
    """
    q1, q3 = np.percentile(losses, [25, 75])
    if q3 > q1:
        return np.minimum(losses, q3 + _OUTER_FENCE * (q3 - q1))
    return losses


def _with_fantasies(
    models: list[GaussianProcess],
    X_failed: np.ndarray,
    X_pending: np.ndarray,
    worst: float,
    stacked: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[GaussianProcess]:
    """``models`` (GPs with the same observations) conditioned on the failures
    (at the ``worst`` loss) and the pending trials (at each one's own mean).
    ``stacked`` is ``models[0].stacked_with(X_new)`` if the caller has it."""
    if not (len(X_failed) or len(X_pending)):
        return models
    X_new = np.vstack([X_failed, X_pending])
    if stacked is None:
        stacked = models[0].stacked_with(X_new)
    out = []
    for model in models:
        extra_y = [np.full(len(X_failed), worst)]
        if len(X_pending):
            extra_y.append(model.predict_mean(X_pending))
        out.append(model.condition_on(X_new, np.concatenate(extra_y), stacked))
    return out


def _best_unseen(
    space: EncodedSpace, history: History, candidates: np.ndarray, scores: np.ndarray
) -> np.ndarray:
    """The best-scoring candidate farther than ``_MIN_DISTANCE`` from every trial."""
    seen = history.X_all
    order = np.argsort(-scores, kind="stable")
    for index in order:
        if scores[index] < -0.5 * INFEASIBLE:
            break  # only candidates likely to fail are left unseen: see below
        if not len(seen) or _distance(candidates[index], seen, space).min() > _MIN_DISTANCE:
            return candidates[index]
    # Where every candidate likely to succeed is within _MIN_DISTANCE of a
    # trial (a small feasible region, explored), a new point there beats one
    # likely to fail: on the half-failing space of issue 23 the feasible half
    # holds about 12 such points, and trials 25-40 otherwise all failed.
    for index in order:
        if scores[index] < -0.5 * INFEASIBLE:
            break
        if not len(seen) or _distance(candidates[index], seen, space).min() > 0.0:
            return candidates[index]
    for index in order:
        if not len(seen) or _distance(candidates[index], seen, space).min() > _MIN_DISTANCE:
            return candidates[index]
    return candidates[int(np.argmax(scores))]  # all known: let the caller deduplicate


class IntegratedEI:
    """log of the expected improvement averaged over GPs (kernel-parameter samples).

    Each GP's improvement is measured from its own incumbent: noisy losses,
    so the best *posterior mean* at a finished or pending trial ("plug-in"
    EI), not the luckiest noisy loss. ``known_d2`` is the squared differences
    of the finished and pending trials to the GPs' observations, if the caller
    has them. With ``weighted``, a single GP scores the candidates from its
    weighted squared distances to the observations
    (:func:`~hyperopt_search.algorithms._gp.weighted_squared_distances`, a
    quarter of the time over the candidate pool), which may differ from the
    squared differences' product in the last bits: the argmax over a pool
    kept its winner in every run checked, but a candidate refined by
    L-BFGS-B (conditional spaces) would move by those bits, so they keep
    the product.
    """

    def __init__(self, models, history: History, bests=None, known_d2=None, weighted=False):
        self.models = models
        self.weighted = weighted and len(models) == 1
        if bests is None:
            known = np.vstack([history.X_ok, history.X_pending])
            d2 = known_d2
            if d2 is None:
                d2 = _shared_squared_differences(known, models)
            bests = [float(_predict_mean(model, known, d2).min()) for model in models]
        self.bests = bests

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """log integrated EI at the rows of ``X``."""
        if self.weighted:
            mean, std = self.models[0].predict(X, weighted=True)
            return log_expected_improvement(mean, std, self.bests[0])[0]
        d2 = _shared_squared_differences(X, self.models)
        values = [
            log_expected_improvement(*model.predict(X, d2), best)[0]
            for model, best in zip(self.models, self.bests, strict=True)
        ]
        if len(values) == 1:  # what logsumexp gives (v + log(1) - log(1)), for less
            return values[0]
        return logsumexp(values, axis=0) - np.log(len(values))

    def with_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """log integrated EI at one point, and its gradient."""
        values, grads = [], []
        for model, best in zip(self.models, self.bests, strict=True):
            mean, std, dmean, dstd = model.predict_with_gradient(x)
            value, dv_dmean, dv_dstd = log_expected_improvement(mean, std, best)
            values.append(float(value))
            grads.append(float(dv_dmean) * dmean + float(dv_dstd) * dstd)
        values = np.array(values)
        weights = np.exp(values - values.max())  # d log(sum EI) / d log EI_k
        weights /= weights.sum()
        return float(logsumexp(values) - np.log(len(values))), weights @ np.array(grads)


def _predict_mean(model, X: np.ndarray, d2: np.ndarray | None) -> np.ndarray:
    """The posterior mean of a GP (or the prior) at the rows of ``X``."""
    if isinstance(model, GaussianProcess):
        return model.predict_mean(X, d2)
    return model.predict(X, d2)[0]


def _shared_squared_differences(Xq: np.ndarray, models) -> np.ndarray | None:
    """``squared_differences(Xq, X)`` for GPs that share their observations ``X``
    (kernel-parameter samples of one GP), computed once for all of them: with 8
    samples it was a fifth of a proposal's time at 50 trials. None otherwise."""
    first = models[0]
    if not isinstance(first, GaussianProcess) or any(
        not isinstance(m, GaussianProcess) or m.X is not first.X for m in models[1:]
    ):
        return None
    return squared_differences(Xq, first.X, first.categorical)


def _distance(x: np.ndarray, X: np.ndarray, space: EncodedSpace) -> np.ndarray:
    """Largest per-feature distance of ``x`` to each row of ``X``.

    Categorical and quantised features count 0 when equal and 1 otherwise:
    two levels of an integer are different candidates however close.
    """
    diff = np.abs(X - x)
    diff[:, space.discrete] = (diff[:, space.discrete] > 1e-9).astype(float)
    return diff.max(axis=1)


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


def _maximise(value_and_gradient, x: np.ndarray, free: np.ndarray) -> np.ndarray:
    """``x`` with its features ``free`` moved by L-BFGS-B (within [0, 1]) to
    a local maximum of ``value_and_gradient(point) -> (value, gradient)``."""
    if not len(free):
        return x

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        point = x.copy()
        point[free] = z
        value, grad = value_and_gradient(point)
        return -value, -grad[free]

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


class _PriorModel:
    """The GP prior (no observations): mean 0, standard deviation 1."""

    def predict(self, X, d2=None):
        return np.zeros(len(X)), np.ones(len(X))

    def predict_with_gradient(self, x):
        return 0.0, 1.0, np.zeros(len(x)), np.zeros(len(x))


def _keys(active: np.ndarray) -> list[bytes]:
    """One hashable key per row of an activity mask: its set of active labels."""
    return [row.tobytes() for row in np.packbits(active, axis=1)]


def _propose_by_group(
    space: EncodedSpace, history: History, rng: np.random.Generator, kernels: _KernelMemory
):
    """Conditional spaces: one GP per set of active parameters (a branch),
    on that branch's trials and active features; the candidate with the
    largest expected improvement over the best loss of all branches."""
    y = _standardised(history.losses)
    candidates = _candidate_pool(space, history, y, rng)
    cand_active = space.active(candidates)
    cand_keys = np.array(_keys(cand_active), dtype=object)
    ok_keys, failed_keys, pending_keys = (
        np.array(_keys(space.active(X)), dtype=object)
        for X in (history.X_ok, history.X_failed, history.X_pending)
    )
    scores = np.full(len(candidates), -np.inf)
    acquisitions = {}
    for key in sorted(set(cand_keys)):
        in_group = cand_keys == key
        cols = np.flatnonzero(cand_active[np.argmax(in_group)])
        cat = space.categorical[cols]
        rows = ok_keys == key
        Xg, yg = history.X_ok[rows][:, cols], y[rows]
        if len(Xg) >= 2:
            d2 = squared_differences(Xg, Xg, cat)
            if len(Xg) >= MAX_INTEGRATED_TRIALS:
                models = [_map_estimate(Xg, yg, cat, kernels.for_branch(key), d2)]
            else:
                start = kernels.fit(Xg, yg, cat, d2, None).raw
                models = GaussianProcess.sample(
                    Xg, yg, cat, rng, N_KERNEL_SAMPLES, d2=d2, start=start
                )
        elif len(Xg) == 1:
            raw = np.concatenate([np.zeros(len(cols)), [0.0, np.log(1e-2)]])
            models = [GaussianProcess._from_raw(Xg, yg, cat, raw)]
        else:
            models = [_PriorModel()]
        Xf = history.X_failed[failed_keys == key][:, cols]
        Xp = history.X_pending[pending_keys == key][:, cols]
        if not isinstance(models[0], _PriorModel):
            models = _with_fantasies(models, Xf, Xp, y.max())
        acquisition = IntegratedEI(models, history, bests=[float(y.min())] * len(models))
        acquisitions[key] = (cols, acquisition)
        scores[in_group] = acquisition(candidates[in_group][:, cols])
    scores += feasibility_penalty(log_feasibility(space, history, candidates))
    refined, refined_scores = [], []
    for index in np.argsort(-scores)[:_N_REFINE]:
        cols, acquisition = acquisitions[cand_keys[index]]
        x = space.snap(_refine_in_group(space, cols, acquisition, candidates[index])[None])[0]
        refined.append(x)
        refined_scores.append(
            acquisition(x[cols][None])[0]
            + feasibility_penalty(log_feasibility(space, history, x[None]))[0]
        )
    candidates = np.vstack([np.array(refined), candidates])
    scores = np.concatenate([refined_scores, scores])
    return _best_unseen(space, history, candidates, scores)


def _refine_in_group(
    space: EncodedSpace, cols: np.ndarray, acquisition: IntegratedEI, x: np.ndarray
) -> np.ndarray:
    """L-BFGS-B on the numeric features of the branch (its options kept)."""

    def value_and_gradient(point: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = acquisition.with_gradient(point[cols])
        full = np.zeros(len(point))
        full[cols] = grad
        return value, full

    return _maximise(value_and_gradient, x, cols[~space.categorical[cols]])
