"""Candidates in flight, and which finished one hyperopt hears about next.

The pipelined schedules keep up to ``batch_size`` candidates in flight (all
their folds submitted at once, or, with racing, one fold after the other) and
propose a new one each time one is told to hyperopt. :class:`Pipeline` holds
the candidates in flight, in the order they were proposed, and hands back the
next one to tell:

- ``ordered=True``: always the oldest, once all its folds are done. Each
  proposal then sees exactly the same finished and pending candidates whatever
  the number of workers or the fit times, so the search is reproducible.
- ``ordered=False``: whichever finishes first (the oldest among those already
  done). No worker waits for a slow candidate, but the results told before
  each proposal depend on timing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

import numpy as np

from ._optimizer import Candidate

__all__ = ["Evaluation", "Pipeline"]


@dataclass
class Evaluation:
    """A candidate in flight: its round and the futures of its folds' fits.

    Without racing, all folds are submitted at once (``futures`` holds them
    all). With racing (``submit_fold`` and ``race`` set), folds are submitted
    one after the other by :meth:`advance`, which stops submitting once
    ``race`` says the candidate is raced out; its unfitted folds then come
    back from :meth:`outs` as placeholders with NaN scores.
    """

    candidate: Candidate
    round: int
    futures: list[Future]
    n_splits: int | None = None
    submit_fold: Callable[[int], Future] | None = None
    race: Callable[[list[dict]], bool] | None = None
    stopped: bool = False

    def __post_init__(self) -> None:
        if self.n_splits is None:
            self.n_splits = len(self.futures)

    @property
    def done(self) -> bool:
        finished = self.stopped or len(self.futures) == self.n_splits
        return finished and all(future.done() for future in self.futures)

    def advance(self) -> None:
        """Racing: once the last submitted fold is done, stop or submit the next."""
        if self.submit_fold is None or self.stopped or len(self.futures) == self.n_splits:
            return
        if self.futures and not self.futures[-1].done():
            return
        if self.futures and self.futures[-1].exception() is not None:
            self.stopped = True  # outs() raises it, as Parallel does
            return
        if self.futures and self.race([f.result() for f in self.futures]):
            self.stopped = True
            return
        self.futures.append(self.submit_fold(len(self.futures)))

    @property
    def n_fitted(self) -> int:
        """Folds fitted (or failed): the others were raced out."""
        return len(self.futures)

    def fitted_outs(self) -> list[dict]:
        """The raw results of the folds fitted (raises a fit's exception)."""
        return [future.result() for future in self.futures]

    def outs(self) -> list[dict]:
        """The folds' raw results, a NaN placeholder for each fold not fitted."""
        outs = self.fitted_outs()
        return outs + [_placeholder(outs[0]) for _ in range(self.n_splits - len(outs))]


def _placeholder(out: dict) -> dict:
    """A fold that was never fitted: NaN scores and times, no error."""

    def nan_like(scores):
        return dict.fromkeys(scores, np.nan) if isinstance(scores, dict) else np.nan

    placeholder = dict(out, fit_error=None, fit_time=np.nan, score_time=np.nan)
    placeholder["test_scores"] = nan_like(out["test_scores"])
    if "train_scores" in out:
        placeholder["train_scores"] = nan_like(out["train_scores"])
    return placeholder


class Pipeline:
    """The candidates in flight, in proposal order.

    Parameters
    ----------
    ordered : bool
        Tell finished candidates in proposal order (reproducible) rather than
        as they finish.

    Examples
    --------
    >>> from concurrent.futures import Future
    >>> from hyperopt_search._optimizer import Candidate
    >>> def finished(value):
    ...     future = Future()
    ...     future.set_result(value)
    ...     return future
    >>> pipeline = Pipeline(ordered=True)
    >>> pipeline.add(Evaluation(Candidate(0, {"C": 1.0}), 0, [finished({"fold": 0})]))
    >>> len(pipeline)
    1
    >>> pipeline.next().candidate.tid
    0
    >>> len(pipeline)
    0
    """

    def __init__(self, *, ordered: bool):
        self.ordered = ordered
        self._in_flight: list[Evaluation] = []

    def __len__(self) -> int:
        return len(self._in_flight)

    def add(self, evaluation: Evaluation) -> None:
        self._in_flight.append(evaluation)

    def next(self) -> Evaluation:
        """Wait for the next candidate to tell and take it out of the pipeline."""
        if not self._in_flight:
            raise IndexError("no candidate in flight")
        while True:
            for evaluation in self._in_flight:
                evaluation.advance()
            eligible = self._in_flight[:1] if self.ordered else self._in_flight
            for index, evaluation in enumerate(eligible):
                if evaluation.done:
                    return self._in_flight.pop(index)
            racing = any(e.submit_fold is not None for e in self._in_flight)
            # Racing submits a fold when the one before is done: wake up for
            # any fold of any candidate in flight.
            watched = self._in_flight if racing else eligible
            pending = [f for e in watched for f in e.futures if not f.done()]
            all_done = self.ordered and not racing
            wait(pending, return_when=ALL_COMPLETED if all_done else FIRST_COMPLETED)
