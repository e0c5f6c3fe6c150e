"""A Gaussian process on encoded features, and log expected improvement.

numpy and scipy only. The model follows Optuna's ``GPSampler`` (Matern-5/2
kernel with one inverse squared length scale per feature, categorical
features compared for equality, the same gamma priors, a noise floor, a MAP
fit by L-BFGS-B), with the gradients written out by hand instead of torch.
:meth:`GaussianProcess.sample` draws kernel parameters from their posterior
by slice sampling instead (Snoek et al., 2012), for an acquisition function
averaged over them.

Losses are minimised: expected improvement is below the best loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotri, dpotrs, dtrtrs
from scipy.optimize import minimize
from scipy.spatial.distance import cdist
from scipy.special import erfcx, log_ndtr, ndtr

__all__ = [
    "GaussianProcess",
    "log_expected_improvement",
    "slice_sample",
    "squared_differences",
    "weighted_squared_distances",
]

#: Smallest noise variance (of standardised losses).
MIN_NOISE = 1e-6
#: Bounds of the log kernel parameters (MAP fit and samples).
_RAW_BOUND = 12.0
#: Slice sampling: widths stepped out each way, and shrinkage steps, at most.
_MAX_STEPS_OUT, _MAX_SHRINKS = 8, 30
_SQRT5 = math.sqrt(5.0)


def squared_differences(a: np.ndarray, b: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Per-feature squared distances ``(len(a), len(b), n_features)``.

    Categorical features count 1 when different and 0 when equal.

    The broadcast difference is squared in place and the categorical
    features overwritten column by column: the mask-and-copy of every
    categorical column allocated four arrays of the full size and cost 1.8 ms
    at 200 x 200 x 5 (5 ms for the candidate pool), a fifth of a proposal.
    The result has the values and the memory layout it had (numpy lays the
    difference out after its inputs; ``d2 @ theta`` sums in that layout's
    order, so another layout changes the last bits, hence proposals).
    """
    if not (a.flags.c_contiguous and b.flags.c_contiguous):
        out = np.subtract(a[:, None, :], b[None, :, :])
        np.multiply(out, out, out=out)
        for j in np.flatnonzero(categorical):
            np.not_equal(a[:, None, j], b[None, :, j], out=out[:, :, j], casting="unsafe")
        return out
    # C-ordered rows give a C-ordered difference: written feature by feature
    # (half the time again over the candidate pool).
    out = np.empty((len(a), len(b), a.shape[1]))
    for j in range(a.shape[1]):
        column = out[:, :, j]
        if categorical[j]:
            np.not_equal(a[:, None, j], b[None, :, j], out=column, casting="unsafe")
        else:
            np.subtract(a[:, None, j], b[None, :, j], out=column)
            np.multiply(column, column, out=column)
    return out


def weighted_squared_distances(
    a: np.ndarray, b: np.ndarray, categorical: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``squared_differences(a, b, categorical) @ weights``, without the
    ``(len(a), len(b), n_features)`` array.

    scipy's ``cdist`` on the numeric features scaled by the square roots of
    their weights, plus each categorical feature's weight where it differs:
    over the candidate pool (672 x 200 x 5) a quarter of the time of the
    squared differences and their product. The last bits may differ from the
    product's (another order of summation).

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.array([[0.0, 1.0]]), np.array([[0.5, 1.0], [1.0, 2.0]])
    >>> weighted_squared_distances(a, b, np.array([False, True]), np.array([4.0, 3.0]))
    array([[1., 7.]])
    """
    numeric = ~categorical
    scale = np.sqrt(weights[numeric])
    out = cdist(a[:, numeric] * scale, b[:, numeric] * scale, "sqeuclidean")
    if categorical.any():
        term = np.empty_like(out)
        for j in np.flatnonzero(categorical):
            np.not_equal(a[:, None, j], b[None, :, j], out=term, casting="unsafe")
            term *= weights[j]
            out += term
    return out


def _cholesky(cov: np.ndarray) -> np.ndarray | None:
    """Lower Cholesky factor of ``cov``, or None if it is not positive definite.

    LAPACK's ``dpotrf``, called as ``scipy.linalg.cholesky(cov, lower=True)``
    calls it (the same factor, bit for bit), without that function's checks
    and wrappers: they cost more than a 20 x 20 factorisation itself, and the
    slice sampler of :meth:`GaussianProcess.sample` factorises about 450 times
    per proposal (``benchmarks/results/proposal_cost_profile.md``).
    """
    chol, info = dpotrf(cov, lower=1, clean=1)
    return chol if info == 0 else None


def _cho_solve(chol: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``cov^-1 b`` from the lower factor of ``cov`` (``scipy.linalg.cho_solve``'s
    ``dpotrs``, bit for bit, without its checks)."""
    return dpotrs(chol, b, lower=1)[0]


def _inverse(chol: np.ndarray) -> np.ndarray:
    """``cov^-1`` from the lower Cholesky factor of ``cov`` (LAPACK's ``dpotri``).

    ``chol`` comes from :func:`_cholesky`, whose upper triangle is zero, and
    ``dpotri`` writes the lower triangle only: the inverse is that triangle
    plus its transpose, the doubled diagonal halved (both exact).
    """
    lower = dpotri(chol, lower=1)[0]
    inv = lower + lower.T
    inv[np.diag_indices_from(inv)] *= 0.5
    return inv


def _matern52_value(r2: np.ndarray) -> np.ndarray:
    """Matern-5/2 of squared distances (:func:`_matern52` without the derivative)."""
    # (1 + sqrt(5) r + 5/3 r2) exp(-sqrt(5) r), in place: over the candidate
    # pool the temporaries cost as much as the arithmetic.
    r = np.maximum(r2, 0.0)
    np.sqrt(r, out=r)
    r *= _SQRT5
    e = np.negative(r)
    np.exp(e, out=e)
    r += 1.0
    r += 5.0 / 3.0 * r2
    r *= e
    return r


def _matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matern-5/2 of squared distances, and its derivative in ``r2``."""
    r = np.sqrt(np.maximum(r2, 0.0))
    r *= _SQRT5
    e = np.exp(-r)
    r += 1.0  # 1 + sqrt(5) r, shared by both
    k = (r + 5.0 / 3.0 * r2) * e
    dk = -5.0 / 6.0 * r
    dk *= e
    return k, dk


@dataclass
class GaussianProcess:
    """A fitted GP: kernel parameters and the cached Cholesky factor.

    Build it with :meth:`fit`; ``X`` holds the features of the observations,
    ``y`` their standardised losses. ``noise`` is the noise variance of each
    observation: ``noise_var`` for real ones, :data:`MIN_NOISE` for the
    fantasies of :meth:`condition_on`. ``raw`` holds the log kernel
    parameters it was built from (see :func:`_neg_log_posterior`).
    """

    X: np.ndarray
    y: np.ndarray
    categorical: np.ndarray
    inverse_squared_lengthscales: np.ndarray
    kernel_scale: float
    noise_var: float
    noise: np.ndarray | None = None
    raw: np.ndarray | None = None
    #: ``squared_differences(X, X, categorical)``, if the caller has it.
    d2: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.noise is None:
            self.noise = np.full(len(self.y), self.noise_var)
        if self.d2 is None:
            self.d2 = squared_differences(self.X, self.X, self.categorical)
        self._factorise()

    def _factorise(self) -> None:
        cov = self.kernel_scale * _matern52_value(self.d2 @ self.inverse_squared_lengthscales)
        cov[np.diag_indices_from(cov)] += self.noise
        for jitter in (0.0, 1e-8, 1e-6, 1e-4):  # repeated rows with a tiny noise
            chol = _cholesky(cov + jitter * np.eye(len(cov)) if jitter else cov)
            if chol is not None:
                self._chol = chol
                break
        else:
            raise np.linalg.LinAlgError("the kernel matrix is not positive definite")
        self._alpha = _cho_solve(self._chol, self.y)

    # -- fitting -----------------------------------------------------------

    @classmethod
    def fit(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        categorical: np.ndarray,
        d2: np.ndarray | None = None,
        start: np.ndarray | None = None,
        tolerance: float | None = None,
    ) -> GaussianProcess:
        """MAP estimate of the kernel parameters (Optuna's priors).

        ``d2`` is ``squared_differences(X, X, categorical)`` if the caller has
        it. L-BFGS-B starts from ``start`` (log kernel parameters, as ``raw``;
        for example the previous proposal's estimate) or else from a fixed
        point: unit inverse squared length scales and kernel scale, noise 0.01.
        It stops once a step lowers the negative log posterior by less than
        ``tolerance`` nats (scipy's relative ``ftol`` scaled by its value at
        the start), or by scipy's default (2.2e-9 of it) if None.
        """
        d = X.shape[1]
        if d2 is None:
            d2 = squared_differences(X, X, categorical)
        if start is None or len(start) != d + 2:
            start = np.concatenate([np.zeros(d), [0.0], [math.log(1e-2)]])
        objective, options = _neg_log_posterior, {}
        if tolerance is not None:
            # The value at the start scales the tolerance; L-BFGS-B asks for it
            # first, and gets it again without a second factorisation.
            at_start = _neg_log_posterior(start, d2, y)
            options["ftol"] = tolerance / max(abs(at_start[0]), 1.0)

            def objective(raw, d2, y):
                return at_start if np.array_equal(raw, start) else _neg_log_posterior(raw, d2, y)

        result = minimize(
            objective,
            start,
            args=(d2, y),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_RAW_BOUND, _RAW_BOUND)] * (d + 2),
            options=options,
        )
        return cls._from_raw(X, y, categorical, result.x, d2)

    @classmethod
    def sample(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        categorical: np.ndarray,
        rng: np.random.Generator,
        n_samples: int,
        *,
        d2: np.ndarray | None = None,
        start: np.ndarray | None = None,
    ) -> list[GaussianProcess]:
        """GPs with kernel parameters drawn from their posterior.

        Slice sampling (:func:`slice_sample`) of the log kernel parameters
        under the marginal likelihood and the priors of :meth:`fit`, started
        at the MAP estimate: with few observations the length scales are
        poorly determined, and an acquisition function averaged over the
        samples hedges between the fits the data allow. ``d2`` is
        ``squared_differences(X, X, categorical)`` and ``start`` the raw
        parameters of ``fit(X, y, categorical)``, if the caller has them.
        """
        if d2 is None:
            d2 = squared_differences(X, X, categorical)
        if start is None:
            start = cls.fit(X, y, categorical, d2).raw

        def log_density(raw: np.ndarray) -> float:
            return -_neg_log_posterior(raw, d2, y, gradient=False)

        raws = slice_sample(log_density, start, rng, n_samples, bound=_RAW_BOUND)
        return [cls._from_raw(X, y, categorical, raw, d2) for raw in raws]

    @classmethod
    def _from_raw(cls, X, y, categorical, raw: np.ndarray, d2=None) -> GaussianProcess:
        d = X.shape[1]
        return cls(
            X=X,
            y=y,
            categorical=categorical,
            inverse_squared_lengthscales=np.exp(raw[:d]),
            kernel_scale=math.exp(raw[d]),
            noise_var=MIN_NOISE + math.exp(raw[d + 1]),
            raw=np.array(raw, dtype=float),
            d2=d2,
        )

    def condition_on(
        self,
        X_new: np.ndarray,
        y_new: np.ndarray,
        stacked: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> GaussianProcess:
        """The same kernel, with noise-free fantasy observations added.

        A fantasy (a pending trial at the model's mean, a failure at the worst
        loss) is certain: the uncertainty, hence the expected improvement,
        vanishes there and shrinks around it. ``stacked`` is
        ``self.stacked_with(X_new)`` if the caller has it (GPs with the same
        observations share it, and then their predictions share work).
        """
        X, d2 = self.stacked_with(X_new) if stacked is None else stacked
        return GaussianProcess(
            X=X,
            d2=d2,
            y=np.concatenate([self.y, y_new]),
            categorical=self.categorical,
            inverse_squared_lengthscales=self.inverse_squared_lengthscales,
            kernel_scale=self.kernel_scale,
            noise_var=self.noise_var,
            noise=np.concatenate([self.noise, np.full(len(y_new), MIN_NOISE)]),
            raw=self.raw,
        )

    def stacked_with(self, X_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The observations with ``X_new`` added, and their squared differences."""
        X = np.vstack([self.X, X_new])
        return X, squared_differences(X, X, self.categorical)

    # -- prediction --------------------------------------------------------

    def predict(
        self, Xq: np.ndarray, d2: np.ndarray | None = None, *, weighted: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent loss at rows of ``Xq``.

        ``d2`` is ``squared_differences(Xq, self.X, self.categorical)`` if the
        caller has it (GPs that share their observations share it). Without
        it, ``weighted`` computes the kernel from
        :func:`weighted_squared_distances` instead (a quarter of the time over
        a large ``Xq``; the last bits may differ).
        """
        mean, k = self._mean(Xq, d2, weighted)
        # dtrtrs, as scipy.linalg.solve_triangular calls it on a Fortran-ordered factor.
        v = dtrtrs(self._chol, k.T, lower=1)[0]
        var = np.maximum(self.kernel_scale - np.sum(v * v, axis=0), 1e-12)
        return mean, np.sqrt(var)

    def predict_mean(self, Xq: np.ndarray, d2: np.ndarray | None = None) -> np.ndarray:
        """Posterior mean alone (:meth:`predict` without the triangular solve)."""
        return self._mean(Xq, d2)[0]

    def _mean(
        self, Xq: np.ndarray, d2: np.ndarray | None, weighted: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        theta = self.inverse_squared_lengthscales
        if d2 is None and weighted:
            r2 = weighted_squared_distances(Xq, self.X, self.categorical, theta)
        else:
            if d2 is None:
                d2 = squared_differences(Xq, self.X, self.categorical)
            r2 = d2 @ theta
        k = _matern52_value(r2)
        k *= self.kernel_scale
        return k @ self._alpha, k

    def predict_with_gradient(self, x: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Mean and standard deviation at one point, and their gradients in ``x``.

        The gradients are zero along categorical features.
        """
        diff = x[None, :] - self.X
        d2 = diff * diff
        cat = self.categorical
        if cat.any():
            d2[:, cat] = (d2[:, cat] > 0).astype(float)
        k, dk = _matern52(d2 @ self.inverse_squared_lengthscales)
        k *= self.kernel_scale
        dk *= self.kernel_scale
        # d k_i / d x = dk_i * 2 * theta * (x - X_i), numeric features only.
        dr2 = 2.0 * diff * self.inverse_squared_lengthscales
        dr2[:, cat] = 0.0
        dkdx = dk[:, None] * dr2
        mean = float(k @ self._alpha)
        dmean = dkdx.T @ self._alpha
        v = _cho_solve(self._chol, k)
        var = max(self.kernel_scale - float(k @ v), 1e-12)
        std = math.sqrt(var)
        dstd = -(dkdx.T @ v) / std
        return mean, std, dmean, dstd


def slice_sample(
    log_density,
    start: np.ndarray,
    rng: np.random.Generator,
    n_samples: int,
    n_burn: int = 2,
    width: float = 1.0,
    bound: float = np.inf,
) -> list[np.ndarray]:
    """Draws from a density known up to a constant, by slice sampling.

    Univariate slice sampling with stepping out and shrinkage (Neal, 2003,
    figures 3 and 5), one sweep over the coordinates per draw, after
    ``n_burn`` sweeps from ``start``; each coordinate stays within
    ``[-bound, bound]``. ``log_density(x)`` may return ``-inf``. The
    interval is stepped out by at most 8 widths each way and shrunk at most
    30 times (a coordinate then keeps its value for that sweep).

    Parameters
    ----------
    log_density : callable
        Log density of a 1-d array, up to a constant.
    start : ndarray of shape (n_dims,)
        A point of positive density.
    rng : numpy.random.Generator
    n_samples : int
        Draws returned (consecutive sweeps of one chain).
    n_burn : int, default=2
        Sweeps discarded first.
    width : float, default=1.0
        Initial width of a slice interval.
    bound : float, default=inf
        Bound of every coordinate.

    Returns
    -------
    samples : list of ndarray

    Examples
    --------
    >>> import numpy as np
    >>> draws = slice_sample(
    ...     lambda x: -0.5 * float(x @ x), np.zeros(2), np.random.default_rng(0), 2000
    ... )
    >>> bool(np.allclose(np.std(draws, axis=0), 1.0, atol=0.1))
    True
    """
    x = np.array(start, dtype=float)
    current = log_density(x)
    if not np.isfinite(current):
        raise ValueError("slice_sample needs a start of positive density")

    def at(i: int, value: float) -> float:
        if abs(value) > bound:
            return -np.inf
        z = x.copy()
        z[i] = value
        return log_density(z)

    samples = []
    for sweep in range(n_burn + n_samples):
        for i in range(len(x)):
            level = current + math.log(rng.random() or 1e-300)
            left = x[i] - width * rng.random()
            right = left + width
            for _ in range(_MAX_STEPS_OUT):
                if at(i, left) <= level:
                    break
                left -= width
            for _ in range(_MAX_STEPS_OUT):
                if at(i, right) <= level:
                    break
                right += width
            for _ in range(_MAX_SHRINKS):  # x[i] unchanged if all are rejected
                value = left + rng.random() * (right - left)
                log_value = at(i, value)
                if log_value > level:
                    x[i], current = value, log_value
                    break
                if value < x[i]:
                    left = value
                else:
                    right = value
        if sweep >= n_burn:
            samples.append(x.copy())
    return samples


def _log_prior(theta: np.ndarray, scale: float, noise: float) -> float:
    """Optuna's priors: gamma(1, 0.1)-like on the inverse squared length
    scales, gamma(2, 1) on the kernel scale, gamma(1.1, 30) on the noise
    (without constants)."""
    prior = -(0.1 / theta + 0.1 * theta).sum()
    prior += math.log(scale) - scale
    prior += 0.1 * math.log(noise) - 30.0 * noise
    return float(prior)


def _neg_log_posterior(raw: np.ndarray, d2: np.ndarray, y: np.ndarray, gradient: bool = True):
    """Minus the log marginal likelihood and log prior, and its gradient.

    ``raw`` holds the logs of the inverse squared length scales, of the
    kernel scale and of the noise variance above :data:`MIN_NOISE`. Without
    ``gradient``, the value alone (cheaper: no inverse of the kernel matrix).
    """
    n, d = d2.shape[1], d2.shape[2]
    theta = np.exp(raw[:d])
    scale = math.exp(raw[d])
    extra = math.exp(raw[d + 1])
    noise = MIN_NOISE + extra
    r2 = d2 @ theta
    if gradient:
        k, dk = _matern52(r2)
    else:
        k = _matern52_value(r2)
    cov = scale * k
    cov[np.diag_indices(n)] += noise
    chol = _cholesky(cov)
    if chol is None:
        return (1e25, np.zeros_like(raw)) if gradient else np.inf
    alpha = _cho_solve(chol, y)
    nll = 0.5 * y @ alpha + np.log(np.diag(chol)).sum()
    prior = _log_prior(theta, scale, noise)
    if not gradient:
        return float(nll - prior)
    # 2 d(log ML)/dK. The inverse from the factor by dpotri (a third of the
    # flops of solving for the identity), and the length-scale gradient as one
    # matrix-vector product instead of an einsum: at 200 trials the two were
    # 70% of a MAP fit (changes the last bits only, hence the fit's path).
    w = _inverse(chol)
    np.subtract(np.outer(alpha, alpha), w, out=w)
    grad = np.empty_like(raw)
    grad[d] = -0.5 * np.sum(w * k) * scale
    grad[d + 1] = -0.5 * np.trace(w) * extra
    w *= dk  # in place, in the order of (w * dk * scale): the same bits
    w *= scale
    grad[:d] = -0.5 * (w.ravel() @ d2.reshape(n * n, d)) * theta
    # The priors are maximised: their gradients are subtracted from the loss's.
    grad[:d] -= 0.1 / theta - 0.1 * theta
    grad[d] -= 1.0 - scale
    grad[d + 1] -= (0.1 / noise - 30.0) * extra
    return float(nll - prior), grad


def log_expected_improvement(
    mean: np.ndarray, std: np.ndarray, best: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log EI of a loss below ``best``, and its derivatives in mean and std.

    Stable far into the tail (``EI`` underflows long before its log does).
    """
    mean, std = np.asarray(mean, float), np.asarray(std, float)
    z = np.maximum((best - mean) / std, -1e3)
    log_phi = -0.5 * z * z - 0.5 * math.log(2 * math.pi)
    phi, cdf = np.exp(log_phi), ndtr(z)
    # h(z) = z Phi(z) + phi(z) = phi(z) (1 + z r(z)), r = Phi / phi; in the
    # left tail, r comes from erfcx and the second form keeps the precision.
    tail = z <= -1
    zt = np.where(tail, z, -1.0)
    one_plus = np.maximum(1.0 + zt * math.sqrt(math.pi / 2) * erfcx(-zt / math.sqrt(2)), 1e-300)
    h = np.where(tail, 1.0, z * cdf + phi)
    log_h = np.where(tail, log_phi + np.log(one_plus), np.log(np.maximum(h, 1e-300)))
    ratio_tail = np.exp(log_ndtr(zt) - np.where(tail, log_phi, 0.0))
    phi_over_h = np.where(tail, 1.0 / one_plus, phi / h)
    cdf_over_h = np.where(tail, ratio_tail / one_plus, cdf / h)
    return np.log(std) + log_h, -cdf_over_h / std, phi_over_h / std
