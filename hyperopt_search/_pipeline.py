"""Candidates in flight, and which finished one hyperopt hears about next.

The pipelined schedules keep up to ``batch_size`` candidates in flight (all
their folds submitted at once) and propose a new one each time one is told to
hyperopt. :class:`Pipeline` holds the candidates in flight, in the order they
were proposed, and hands back the next one to tell:

- ``ordered=True``: always the oldest, once all its folds are done. Each
  proposal then sees exactly the same finished and pending candidates whatever
  the number of workers or the fit times, so the search is reproducible.
- ``ordered=False``: whichever finishes first (the oldest among those already
  done). No worker waits for a slow candidate, but the results told before
  each proposal depend on timing.
"""

from __future__ import annotations

from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

from ._optimizer import Candidate

__all__ = ["Evaluation", "Pipeline"]


@dataclass
class Evaluation:
    """A candidate in flight: its round and the futures of its folds' fits."""

    candidate: Candidate
    round: int
    futures: list[Future]

    @property
    def done(self) -> bool:
        return all(future.done() for future in self.futures)

    def outs(self) -> list[dict]:
        """The folds' raw results (raises a fit's exception, as ``Parallel`` does)."""
        return [future.result() for future in self.futures]


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
            eligible = self._in_flight[:1] if self.ordered else self._in_flight
            for index, evaluation in enumerate(eligible):
                if evaluation.done:
                    return self._in_flight.pop(index)
            pending = [f for e in eligible for f in e.futures if not f.done()]
            wait(pending, return_when=ALL_COMPLETED if self.ordered else FIRST_COMPLETED)
