"""Rules that end a search before its budget: no progress, a time limit, a target."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["StoppingRules", "candidates_without_improvement"]


def candidates_without_improvement(scores: Sequence[float], tol: float) -> int:
    """Number of trailing candidates that did not beat the best by more than ``tol``.

    Non-finite scores (failed candidates) never count as an improvement.

    Examples
    --------
    >>> candidates_without_improvement([0.5, 0.7, 0.71, 0.6], tol=0.0)
    1
    >>> candidates_without_improvement([0.5, 0.7, 0.71, 0.6], tol=0.05)
    2
    """
    best = -math.inf
    count = 0
    for score in scores:
        finite = math.isfinite(score)
        count = 0 if finite and score > best + tol else count + 1
        if finite and score > best:
            best = score
    return count


@dataclass(frozen=True)
class StoppingRules:
    """The early-stopping parameters of a search, checked between rounds."""

    n_iter_no_change: int | None = None
    tol: float = 0.0
    score_threshold: float | None = None
    timeout: float | None = None

    @property
    def reads_scores(self) -> bool:
        """Whether :meth:`after_round` needs the scores (a rule on them is set)."""
        return self.score_threshold is not None or self.n_iter_no_change is not None

    def before_round(self, elapsed: float) -> str | None:
        """The reason not to start another round, if any."""
        if self.timeout is not None and elapsed >= self.timeout:
            return "timeout"
        return None

    def after_round(self, scores: Sequence[float]) -> str | None:
        """The reason to stop after a round, given every candidate's score so far.

        The scores are read only for the rules that are set: a search without
        them does no work per candidate here (this runs after every candidate
        of a pipelined search).
        """
        if self.score_threshold is not None and any(
            math.isfinite(s) and s >= self.score_threshold for s in scores
        ):
            return "score_threshold"
        if (
            self.n_iter_no_change is not None
            and candidates_without_improvement(scores, self.tol) >= self.n_iter_no_change
        ):
            return "n_iter_no_change"
        return None
