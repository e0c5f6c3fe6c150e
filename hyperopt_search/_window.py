"""The window of candidates in flight, and which of them the proposer hears about next.

Every schedule is the same loop (:mod:`._loop`) with another :class:`Window`:
candidates are proposed while the window has room, their folds are submitted
to the workers at once (or, with racing, one after the other), and the window
says which finished candidates to tell next.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

import numpy as np

from ._optimizer import Candidate

__all__ = ["Evaluation", "Window"]


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


class Window:
    """The candidates in flight, in proposal order, and when to tell which.

    One policy per schedule:

    - ``"rounds"``: a round of candidates is proposed together, all their
      folds are fitted, and they are told together; the next round is
      proposed when the window is empty.
    - ``"ordered"``: up to ``batch_size`` candidates in flight (the whole
      start-up design at first, unless racing); the oldest is told once all
      its folds are done, and new ones are proposed at once. Each proposal
      sees the same told and pending candidates whatever the timing.
    - ``"async"``: like ``"ordered"``, but whichever candidate finishes first
      is told: no worker waits for a slow candidate, but what each proposal
      sees depends on timing.

    Parameters
    ----------
    schedule : {"rounds", "ordered", "async"}
    batch_size : int
        The candidates of a round, or in flight.
    startup : int
        The model-free candidates of a new search, proposed in its first round.
    racing : bool
        Racing proposes the start-up candidates ``batch_size`` at a time too,
        so that later ones race the first ones.

    Examples
    --------
    >>> from concurrent.futures import Future
    >>> from hyperopt_search._optimizer import Candidate
    >>> def finished(value):
    ...     future = Future()
    ...     future.set_result(value)
    ...     return future
    >>> window = Window("ordered", batch_size=2, startup=0, racing=False)
    >>> window.room(n_told=0, n_iter=10)  # proposed one at a time, up to batch_size
    1
    >>> window.add(Evaluation(Candidate(0, {"C": 1.0}), 0, [finished({"fold": 0})]))
    >>> [evaluation.candidate.tid for evaluation in window.next()]
    [0]
    >>> len(window)
    0
    """

    def __init__(self, schedule: str, *, batch_size: int, startup: int, racing: bool):
        self.schedule = schedule
        self.batch_size = batch_size
        self.startup = startup
        self.racing = racing
        self._in_flight: list[Evaluation] = []

    def __len__(self) -> int:
        return len(self._in_flight)

    def room(self, n_told: int, n_iter: int) -> int:
        """How many candidates to propose now, together (0: wait for results)."""
        if self.schedule == "rounds":
            if self._in_flight:
                return 0
            size = max(self.batch_size, self.startup) if n_told == 0 else self.batch_size
            return max(0, min(size, n_iter - n_told))
        limit = n_told + self.batch_size
        if not self.racing:
            limit = max(limit, self.startup)
        return max(0, min(1, min(n_iter, limit) - n_told - len(self._in_flight)))

    def starts_new_round(self, n_trials: int) -> bool:
        """Whether the round counter moves on after a proposal, ``n_trials`` trials in all.

        A round of ``"rounds"`` is its proposals together; with a pipelined
        schedule, the start-up candidates share a round, then each later
        candidate is its own.
        """
        return self.schedule == "rounds" or n_trials >= self.startup

    def add(self, evaluation: Evaluation) -> None:
        self._in_flight.append(evaluation)

    def next(self) -> list[Evaluation]:
        """Wait for the next candidates to tell, and take them out of the window."""
        if not self._in_flight:
            raise IndexError("no candidate in flight")
        if self.schedule == "rounds":
            wait([f for e in self._in_flight for f in e.futures], return_when=ALL_COMPLETED)
            told, self._in_flight = self._in_flight, []
            return told
        while True:
            for evaluation in self._in_flight:
                evaluation.advance()
            eligible = self._in_flight[:1] if self.schedule == "ordered" else self._in_flight
            for index, evaluation in enumerate(eligible):
                if evaluation.done:
                    return [self._in_flight.pop(index)]
            racing = any(e.submit_fold is not None for e in self._in_flight)
            # Racing submits a fold when the one before is done: wake up for
            # any fold of any candidate in flight.
            watched = self._in_flight if racing else eligible
            pending = [f for e in watched for f in e.futures if not f.done()]
            all_done = self.schedule == "ordered" and not racing
            wait(pending, return_when=ALL_COMPLETED if all_done else FIRST_COMPLETED)
