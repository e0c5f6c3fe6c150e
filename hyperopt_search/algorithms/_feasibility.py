"""The probability that a candidate's fit does not fail, from the trials so far.

A failed trial has no loss, so a regression model of the losses cannot say
how likely a candidate is to fail. This is a Parzen (Nadaraya-Watson)
classifier in the unit-cube features of
:mod:`hyperopt_search.algorithms._encoding`: the kernel-weighted share of
finished trials near ``x`` that succeeded, shrunk towards the overall
success rate where few trials are near. The proposal algorithms add its log
to their acquisition (expected improvement with a feasibility constraint, as
in Gelbart, Snoek and Adams 2014, "Bayesian optimization with unknown
constraints"): a candidate in a region that failed is not proposed just
because the region is uncertain.

Why: told failures only as fantasies at the worst loss, the Gaussian process
sent 45-65% of candidates 21-40 into the failing half of ``x ~ U(0, 1)``
(issue 23); ``benchmarks/failure_aware.py`` measures it.
"""

from __future__ import annotations

import numpy as np

from ._encoding import EncodedSpace
from ._trials import History

__all__ = ["INFEASIBLE", "feasibility_penalty", "log_feasibility"]

#: Bandwidth of the numeric kernel, in unit-cube features.
BANDWIDTH = 0.1
#: Kernel factor of a categorical feature that differs (1 when equal).
CATEGORY_MISMATCH = 0.1
#: Candidates less likely than this to succeed rank after every other one
#: (a probability-of-feasibility constraint, Gelbart et al.'s delta).
MIN_FEASIBILITY = 0.5
#: The penalty that ranks them last: log expected improvement spans hundreds
#: of units once the GP is confident (measured on the half-failing space:
#: -1 to -1,500 between trials 10 and 30), so multiplying by a probability
#: (adding at most -6 in log) did not move a single proposal.
INFEASIBLE = 1e6
#: Weight of the prior (the overall success rate) against the kernel mass near ``x``.
PRIOR_WEIGHT = 1.0


def log_feasibility(space: EncodedSpace, history: History, X: np.ndarray) -> np.ndarray:
    """log of the estimated probability that each row of ``X`` does not fail.

    Zero everywhere while no trial has failed (so nothing changes for a
    search without failures). Pending trials are ignored.

    Parameters
    ----------
    space : EncodedSpace
    history : History
        The finished trials (``X_ok``) and the failed ones (``X_failed``).
    X : ndarray of shape (n_candidates, n_dims)
        Encoded candidates.

    Returns
    -------
    ndarray of shape (n_candidates,)

    Examples
    --------
    >>> import numpy as np
    >>> from hyperopt import hp
    >>> from hyperopt.base import Domain
    >>> from hyperopt_search.algorithms._encoding import encoded_space
    >>> space = encoded_space(Domain(lambda _: 0.0, hp.uniform("x", 0, 1)))
    >>> ok, failed = np.linspace(0, 0.5, 10)[:, None], np.linspace(0.55, 1, 10)[:, None]
    >>> history = History(ok, np.zeros(10), failed, np.empty((0, 1)))
    >>> p = np.exp(log_feasibility(space, history, np.array([[0.2], [0.9]])))
    >>> bool(p[0] > 0.9 and p[1] < 0.1)
    True
    """
    n_ok, n_failed = len(history.X_ok), len(history.X_failed)
    if n_failed == 0:
        return np.zeros(len(X))
    k_ok = _kernel(space, X, history.X_ok).sum(axis=1)
    k_failed = _kernel(space, X, history.X_failed).sum(axis=1)
    # The overall success rate, with one pseudo-trial of each outcome.
    prior = (n_ok + 1.0) / (n_ok + n_failed + 2.0)
    p = (k_ok + PRIOR_WEIGHT * prior) / (k_ok + k_failed + PRIOR_WEIGHT)
    return np.log(p)


def _kernel(space: EncodedSpace, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Product kernel ``(len(X), len(Y))``: Gaussian on numeric features, a
    factor :data:`CATEGORY_MISMATCH` per differing categorical feature.

    On a conditional space the inactive labels hold constant features, so
    trials of another branch differ in the branch's option and count little.
    """
    if not len(Y):
        return np.zeros((len(X), 0))
    num, cat = ~space.categorical, space.categorical
    diff = X[:, None, num] - Y[None, :, num]
    log_k = -0.5 * np.einsum("ijk,ijk->ij", diff, diff) / BANDWIDTH**2
    if cat.any():
        mismatches = (X[:, None, cat] != Y[None, :, cat]).sum(axis=2)
        log_k += mismatches * np.log(CATEGORY_MISMATCH)
    return np.exp(log_k)


def feasibility_penalty(log_p: np.ndarray) -> np.ndarray:
    """What to add to a log acquisition: ``log_p``, and :data:`INFEASIBLE`
    less where the probability of success is below :data:`MIN_FEASIBILITY`.

    Examples
    --------
    >>> penalty = feasibility_penalty(np.log([0.9, 0.1]))
    >>> bool(penalty[0] == np.log(0.9) and penalty[1] < -1e5)
    True
    """
    return log_p - INFEASIBLE * (log_p < np.log(MIN_FEASIBILITY))
