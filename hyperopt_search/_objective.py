"""The score a search optimises, read from scikit-learn's raw per-fit results.

``_fit_and_score`` returns one dict per (candidate, fold): ``test_scores`` is
a number, or a dict of numbers with multi-metric scoring. The search optimises
the ``refit`` metric (the first one when ``refit`` is not a metric name), and a
fit or score that raised holds a :class:`~._compat.FailedScore`: a failure
whatever ``error_score`` is, never told to the proposer as a score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._compat import FailedScore

__all__ = ["Objective"]


@dataclass(frozen=True)
class Objective:
    """How to read the optimised score of a fold, of a candidate, and its loss.

    Examples
    --------
    >>> objective = Objective(refit="b")
    >>> out = {"fit_error": None, "test_scores": {"a": 0.5, "b": 0.75}}
    >>> objective.fold_score(out), objective.metric_name([out])
    (0.75, 'b')
    >>> objective.loss([out, out])
    -0.75
    """

    refit: Any = True

    def key(self, scores: dict) -> str:
        """The optimised metric among a multi-metric result: ``refit``, else the first."""
        if isinstance(self.refit, str) and self.refit in scores:
            return self.refit
        return next(iter(scores))

    def value(self, out: dict) -> float:
        """One fold's test score of the optimised metric (``error_score`` if it failed)."""
        scores = out["test_scores"]
        return scores[self.key(scores)] if isinstance(scores, dict) else scores

    def failed(self, out: dict) -> bool:
        """Whether a fold's fit, or its score of the optimised metric, failed."""
        return out["fit_error"] is not None or isinstance(self.value(out), FailedScore)

    def fold_score(self, out: dict) -> float:
        """One fold's score of the optimised metric; NaN if its fit or score failed."""
        return math.nan if self.failed(out) else float(self.value(out))

    def score(self, outs: Sequence[dict]) -> float:
        """A candidate's mean test score: its ``mean_test_<metric>`` in ``cv_results_``.

        The unweighted mean over folds, ``error_score`` for a failed fold (so
        NaN by default), NaN for a fold that was raced out.
        """
        return float(np.mean([float(self.value(out)) for out in outs]))

    def loss(self, outs: Sequence[dict]) -> float | None:
        """The proposer's loss, ``-score``; None (a failure) if a fold failed."""
        if any(self.failed(out) for out in outs):
            return None
        score = self.score(outs)
        return -score if math.isfinite(score) else None

    def metric_name(self, outs: Sequence[dict]) -> str:
        """The name of the optimised metric, from raw results (``"score"`` if single)."""
        for out in outs:
            if isinstance(out["test_scores"], dict):
                return self.key(out["test_scores"])
        return "score"
