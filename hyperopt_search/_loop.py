"""The search loop: propose, fit, tell, record; one loop for every schedule.

:class:`SearchLoop` proposes candidates while its :class:`~._window.Window`
has room, submits their folds' fits (:class:`FoldFits`), waits for the window
to say which finished candidates to tell, tells the proposer their losses in
one place, appends them to the :class:`~._record.SearchRecord`, and then asks
its hooks to checkpoint, report and check the stopping rules. The schedule is
the window's policy, never a second copy of the loop.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from . import _compat
from ._executor import TaskExecutor
from ._optimizer import Candidate, HyperoptOptimizer
from ._racing import Race, reference
from ._record import SearchRecord
from ._stopping import StoppingRules
from ._window import Evaluation, Window

__all__ = ["FoldFits", "LoopHooks", "SearchLoop"]


class FoldFits:
    """Submits the fits of candidates' folds to an executor, as GridSearchCV runs them.

    ``X``, ``y`` and the keyword arguments of ``_fit_and_score`` are sent to
    the workers once per search (:meth:`~._executor.TaskExecutor.share`).
    Evaluations are numbered candidate-major over the whole search, in
    proposal order, as GridSearchCV numbers its (candidate, split) tasks.
    """

    def __init__(
        self,
        executor: TaskExecutor,
        *,
        estimator,
        X,
        y,
        fit_kwargs: dict,
        splits: list,
        callbacks: _compat.CallbackContexts,
        n_iter: int,
    ):
        self.executor = executor
        self.estimator = estimator
        self.X, self.y = executor.share(X), executor.share(y)
        self.fit_kwargs = executor.share(fit_kwargs)
        self.splits = splits
        self.callbacks = callbacks
        self.n_iter = n_iter

    def submit(self, index: int, params: dict, split: int) -> Future:
        """Fit candidate number ``index`` (over the whole search) on one fold."""
        train, test = self.splits[split]
        n_splits = len(self.splits)
        return self.executor.submit(
            _compat.fit_and_score,
            self.estimator,
            self.X,
            self.y,
            train,
            test,
            params,
            self.fit_kwargs,
            ((split, n_splits), (index, self.n_iter)),
            self.callbacks.evaluation(index * n_splits + split),
        )


@dataclass
class LoopHooks:
    """What the loop calls after each step that told candidates.

    ``told(told, record)`` checkpoints and reports; ``monitor(record)``
    returns True to stop. Both belong to the search that runs the loop.
    """

    told: Callable[[list[Evaluation], SearchRecord], None]
    monitor: Callable[[SearchRecord], bool] | None = None


class SearchLoop:
    """Ask, fit, tell and record until the budget, the space or a stopping rule ends it.

    Parameters
    ----------
    optimizer : HyperoptOptimizer
        The proposer (hyperopt's trials and the random generator).
    record : SearchRecord
        Appended to as candidates are told.
    fits : FoldFits
        Submits the fits.
    window : Window
        The schedule.
    n_iter : int
        The budget, earlier candidates of a continued search included.
    rules : StoppingRules
    racing : bool
        Fit a candidate's folds one after the other, and stop it when it
        cannot end level with the best (see :mod:`._racing`).
    hooks : LoopHooks
    """

    def __init__(
        self,
        *,
        optimizer: HyperoptOptimizer,
        record: SearchRecord,
        fits: FoldFits,
        window: Window,
        n_iter: int,
        rules: StoppingRules,
        racing: bool,
        hooks: LoopHooks,
    ):
        self.optimizer = optimizer
        self.record = record
        self.fits = fits
        self.window = window
        self.n_iter = n_iter
        self.rules = rules
        self.racing = racing
        self.hooks = hooks
        self._n_submitted = record.n_candidates

    def run(self) -> str:
        """Run the search; the reason it stopped (see ``stop_reason_``).

        A stopping rule stops the proposals; the candidates in flight still
        finish and are told. The first step of a ``fit`` always runs.
        """
        start = time.monotonic()
        record, window = self.record, self.window
        stop: str | None = None
        exhausted = told_this_fit = False
        for candidate in self.optimizer.pending():  # in flight when the state was saved
            self._submit(candidate, record.propose(candidate.tid, racing=self.racing))
        while True:
            while stop is None and not exhausted:
                n = window.room(record.n_candidates, self.n_iter)
                if n <= 0:
                    break
                if told_this_fit and (stop := self.rules.before_round(time.monotonic() - start)):
                    break
                batch = self.optimizer.ask(n)
                rounds = [record.propose(c.tid, racing=self.racing) for c in batch]
                if batch and window.starts_new_round(len(self.optimizer.trials)):
                    record.n_rounds += 1
                exhausted = len(batch) < n
                for candidate, round_index in zip(batch, rounds, strict=True):
                    self._submit(candidate, round_index)
            if not window:
                break
            self.fits.executor.flush()
            told = window.next()
            self._tell(told)
            told_this_fit = True
            self.hooks.told(told, record)
            if stop is None and self.rules.reads_scores:
                # The scores are listed only for a rule that reads them: this
                # runs after every candidate of a pipelined search.
                stop = self.rules.after_round(record.real_scores)
            if stop is None and self.hooks.monitor is not None and self.hooks.monitor(record):
                stop = "monitor"
        return stop or ("exhausted" if exhausted else "n_iter")

    def _submit(self, candidate: Candidate, round_index: int) -> None:
        """Submit a proposed candidate's folds (all at once, or raced one by one)."""
        index, self._n_submitted = self._n_submitted, self._n_submitted + 1
        n_splits = self.record.n_splits

        def submit_fold(split: int) -> Future:
            return self.fits.submit(index, candidate.params, split)

        if not self.racing:
            futures = [submit_fold(split) for split in range(n_splits)]
            self.window.add(Evaluation(candidate, round_index, futures))
            return
        # Folds one after the other, each after the race goes on.
        evaluation = Evaluation(
            candidate,
            round_index,
            [],
            n_splits=n_splits,
            submit_fold=submit_fold,
            race=self._race(candidate),
        )
        evaluation.advance()
        self.window.add(evaluation)

    def _race(self, candidate: Candidate) -> Race:
        """The race of a candidate: against the candidates told before it was proposed.

        So its folds do not depend on timing or on the number of workers (a
        resumed candidate keeps what it raced against when it was proposed).
        """
        told_before = self.record.pending[candidate.tid].told_before
        return Race(
            reference(self.record.fold_scores(told_before)), self.record.objective.fold_score
        )

    def _tell(self, evaluations: list[Evaluation]) -> None:
        """Tell the proposer these finished candidates, and record them.

        A candidate with a failed fit or score is told as a failure (never as
        its ``error_score``); a raced-out one as its estimated complete score.
        """
        objective = self.record.objective
        losses: dict[int, float | None] = {}
        outs_of: dict[int, list[dict]] = {}
        for evaluation in evaluations:
            tid = evaluation.candidate.tid
            outs_of[tid] = outs = evaluation.outs()  # raises a fit's exception
            losses[tid] = objective.loss(outs)
            if evaluation.n_fitted < evaluation.n_splits and evaluation.race.reference:
                fitted = evaluation.fitted_outs()
                estimate = evaluation.race.estimate(fitted)
                failed = any(objective.failed(out) for out in fitted)
                losses[tid] = None if failed or not math.isfinite(estimate) else -estimate
        self.optimizer.tell(losses)
        for evaluation in evaluations:
            candidate = evaluation.candidate
            self.record.append(
                candidate.tid, candidate.params, outs_of[candidate.tid], evaluation.n_fitted
            )
