"""Racing folds: stop a candidate whose first folds show it cannot beat the best.

A candidate's folds are fitted one after the other. After each fold, its
scores so far are compared, fold by fold, with the scores of the best
complete candidate on the same folds (a paired comparison: a hard fold is
hard for both). With ``d_1 .. d_k`` the paired differences on the first
``k`` of ``K`` folds and ``s`` the standard deviation of a paired difference
around its candidate's mean, the final difference of the two cross-validated
means is predicted as normal with mean ``mean(d)`` and variance
``s**2 * (1/k - 1/K)`` (the unseen folds are drawn around the same unknown
mean, which is itself known to ``s / sqrt(k)``). The candidate is stopped
("raced out") when the probability that it ends at least level with the best
is below :data:`ALPHA`, with Student's t for the estimated ``s``.

``s`` is pooled from the complete candidates (their paired differences to
the best, around their own means) and the candidate's own folds. Everything
is computed from results that exist when the candidate is proposed, so the
decisions do not depend on the number of workers or on timing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

__all__ = ["ALPHA", "Race", "Reference", "estimated_score", "reference", "should_stop"]

#: Largest probability of ending level with the best at which a candidate is
#: stopped. Chosen on the tuning suite of ``benchmarks/racing.py`` (5 seeds, 20
#: and 50 candidates): 0.05 / 0.1 / 0.2 saved 26-29% / 30-35% / 37-42% of the
#: fits with the best CV score within the seeds' noise of the unraced search;
#: with NOISE_FRACTION 0.5, 0.2 saved 40-51%.
ALPHA = 0.2
#: Fraction of the complete candidates (the best ones) whose paired differences
#: to the best estimate the fold noise: the candidates worth racing are close
#: to the best, and far worse ones (chance level) have other fold noise.
NOISE_FRACTION = 0.5


@dataclass(frozen=True)
class Reference:
    """What a candidate races against: the best complete candidate, and the fold noise.

    ``scores`` are the best complete candidate's fold scores; ``sum_squares``
    and ``df`` the pooled sum of squared deviations of paired differences
    (around each candidate's mean difference) and its degrees of freedom.
    """

    scores: np.ndarray
    sum_squares: float
    df: int


def reference(fold_scores: Sequence[Sequence[float]]) -> Reference | None:
    """The :class:`Reference` from candidates' fold scores (rows), or None.

    Rows with a non-finite score (failed, or raced out) are not complete and
    are skipped. None while fewer than two complete candidates exist: the
    fold noise cannot be estimated yet.

    Examples
    --------
    >>> ref = reference([[0.9, 0.8, 0.85], [0.7, 0.6, 0.66], [0.5, float("nan"), 0.4]])
    >>> ref.scores.tolist(), ref.df
    ([0.9, 0.8, 0.85], 2)
    """
    scores = np.asarray(fold_scores, dtype=float)
    if scores.ndim != 2 or scores.shape[1] < 2:
        return None
    complete = scores[np.isfinite(scores).all(axis=1)]
    if len(complete) < 2:
        return None
    order = np.argsort(-complete.mean(axis=1), kind="stable")
    best = complete[order[0]]
    n_others = max(1, math.ceil(NOISE_FRACTION * (len(complete) - 1)))
    diffs = complete[order[1 : 1 + n_others]] - best
    deviations = diffs - diffs.mean(axis=1, keepdims=True)
    return Reference(
        scores=best.copy(),
        sum_squares=float((deviations**2).sum()),
        df=int(deviations.size - len(deviations)),
    )


def should_stop(
    ref: Reference | None, scores: Sequence[float], alpha: float | None = None
) -> bool:
    """Whether a candidate with these first fold ``scores`` is raced out.

    A non-finite score (a failed fit or score) always stops it: it is a
    failure whatever its other folds. Otherwise never before a fold is done,
    never on the last fold (the candidate is then complete), never without a
    reference.

    Examples
    --------
    >>> ref = reference([[0.90, 0.80, 0.85, 0.88, 0.82], [0.70, 0.61, 0.66, 0.69, 0.62]])
    >>> should_stop(ref, [0.5, 0.45])
    True
    >>> should_stop(ref, [0.91, 0.79])
    False
    """
    alpha = ALPHA if alpha is None else alpha
    k = len(scores)
    d = np.asarray(scores, dtype=float)
    if not np.isfinite(d).all():
        return True
    if ref is None or k == 0:
        return False
    n_splits = len(ref.scores)
    if k >= n_splits:
        return False
    d = d - ref.scores[:k]
    sum_squares = ref.sum_squares + float(((d - d.mean()) ** 2).sum())
    df = ref.df + k - 1
    if df <= 0:
        return False
    scale = math.sqrt(sum_squares / df * (1.0 / k - 1.0 / n_splits))
    if scale == 0.0:
        return bool(d.mean() < 0.0)
    # P(final mean difference >= 0) < alpha
    return bool(student_t.sf(-d.mean() / scale, df) < alpha)


def estimated_score(ref: Reference, scores: Sequence[float]) -> float:
    """A raced-out candidate's estimated cross-validated score (told to the proposer).

    The best's mean plus the mean paired difference on the folds done: an
    estimate of what its complete score would have been, not the mean of
    its (possibly easier or harder) first folds.
    """
    d = np.asarray(scores, dtype=float) - ref.scores[: len(scores)]
    return float(ref.scores.mean() + d.mean())


@dataclass(frozen=True)
class Race:
    """One candidate's race: its :class:`Reference` and how to read a fold's score.

    Without a reference (fewer than two complete candidates yet), only a
    failed fold stops the candidate. ``fold_score`` maps a fold's raw result
    (scikit-learn's ``_fit_and_score`` dict) to the optimised metric's score,
    NaN for a failed fit or score. Called with the raw results of the folds
    done so far, it says whether to stop.
    """

    reference: Reference | None
    fold_score: Callable[[dict], float]

    def __call__(self, outs: Sequence[dict]) -> bool:
        return should_stop(self.reference, [self.fold_score(out) for out in outs])

    def estimate(self, outs: Sequence[dict]) -> float:
        """:func:`estimated_score` of a candidate stopped after ``outs``."""
        return estimated_score(self.reference, [self.fold_score(out) for out in outs])
