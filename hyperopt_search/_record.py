"""The one record of a search: what was proposed, fitted, scored and told.

The search loop owns a :class:`SearchRecord` and only appends to it. Everything
else reads it: ``cv_results_`` (through scikit-learn's ``_format_results``),
the checkpoint file and the in-memory state of ``warm_start`` (both
:class:`~._state.SearchState` snapshots of it), the ``monitor``, the stopping
rules, racing's reference, ``verbose`` and the fitted attributes after an
interrupt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._objective import Objective
from ._state import SearchState

__all__ = ["Pending", "SearchRecord"]


@dataclass(frozen=True)
class Pending:
    """A candidate in flight: its round and, with racing, what it races against.

    ``told_before`` is the number of candidates told when it was proposed: it
    races against those only, so its folds do not depend on timing.
    """

    round: int
    told_before: int | None = None


class SearchRecord:
    """Every candidate told so far, in the order told, and those in flight.

    Parameters
    ----------
    splits : list of (train, test) index arrays
        The folds of the search, fixed for its whole life.
    objective : Objective
        How to read the optimised score from raw results.

    Attributes
    ----------
    params : list of dict
        Each candidate's parameters.
    outs : list of dict
        scikit-learn's raw per-fit results, ``n_splits`` per candidate
        (candidate-major): a NaN placeholder for a fold raced out.
    tids, rounds, n_fitted : list of int
        Each candidate's trial id, round, and number of folds fitted.
    scores : list of float
        Each candidate's mean test score of the optimised metric, as in
        ``cv_results_`` (``error_score`` for a failure, NaN when raced out).
    failed : list of bool
        Whether a fit or a score of the candidate failed.
    reused : list of bool
        Whether the candidate's results were reused from an earlier search
        (``initial_candidates``) rather than fitted by this one.
    n_rounds : int
        Rounds proposed so far.
    pending : dict of int to Pending
        The candidates in flight, by trial id, in proposal order.
    n_prior : int
        Candidates told before this ``fit`` (a continued search).
    """

    def __init__(self, splits: list, objective: Objective):
        self.splits = splits
        self.objective = objective
        self.params: list[dict] = []
        self.outs: list[dict] = []
        self.tids: list[int] = []
        self.rounds: list[int] = []
        self.n_fitted: list[int] = []
        self.scores: list[float] = []
        self.failed: list[bool] = []
        self.reused: list[bool] = []
        self.n_rounds = 0
        self.pending: dict[int, Pending] = {}
        self.n_prior = 0

    @property
    def n_splits(self) -> int:
        return len(self.splits)

    @property
    def n_candidates(self) -> int:
        return len(self.params)

    @property
    def n_reused(self) -> int:
        """Candidates whose results came from an earlier search, without fits."""
        return sum(self.reused)

    # -- appending -------------------------------------------------------------

    def propose(self, tid: int, *, racing: bool) -> int:
        """Put a proposed candidate in flight in the current round; its round."""
        pending = self.pending.get(tid)  # resumed: proposed before a checkpoint
        if pending is None or (racing and pending.told_before is None):
            told_before = self.n_candidates if racing else None
            round_index = self.n_rounds if pending is None else pending.round
            pending = self.pending[tid] = Pending(round_index, told_before)
        return pending.round

    def append(
        self, tid: int, params: dict, outs: list[dict], n_fitted: int, *, reused: bool = False
    ) -> None:
        """Record a candidate told to the proposer, with its folds' raw results.

        A ``reused`` candidate (an earlier search's results, told without
        fitting) was never in flight: its round is -1.
        """
        round_index = -1 if reused else self.pending.pop(tid).round
        self.params.append(params)
        self.outs.extend(outs)
        self.tids.append(tid)
        self.rounds.append(round_index)
        self.reused.append(reused)
        self.n_fitted.append(n_fitted)
        self.scores.append(self.objective.score(outs))
        self.failed.append(any(self.objective.failed(out) for out in self.fitted_outs(-1)))

    def discard_pending(self) -> None:
        """Forget the candidates in flight; their rounds will be proposed again."""
        if self.pending:
            self.n_rounds = min(p.round for p in self.pending.values())
            self.pending.clear()

    # -- reading ---------------------------------------------------------------

    def candidate_outs(self, index: int) -> list[dict]:
        """The raw results of one candidate's folds (placeholders included)."""
        index %= self.n_candidates
        return self.outs[index * self.n_splits : (index + 1) * self.n_splits]

    def fitted_outs(self, index: int) -> list[dict]:
        """The raw results of one candidate's fitted folds."""
        return self.candidate_outs(index)[: self.n_fitted[index]]

    def new_fitted_outs(self) -> list[dict]:
        """The raw results of every fold fitted by this ``fit``."""
        return [out for i in range(self.n_prior, self.n_candidates) for out in self.fitted_outs(i)]

    @property
    def real_scores(self) -> list[float]:
        """Each candidate's score, NaN for a failure: what the stopping rules read.

        A failure's ``error_score`` is never a score, whatever its value.
        """
        return [math.nan if f else s for s, f in zip(self.scores, self.failed, strict=True)]

    @property
    def best_score(self) -> float:
        """The best real score so far (NaN if none)."""
        return max((s for s in self.real_scores if math.isfinite(s)), default=math.nan)

    def fold_scores(self, n: int) -> list[list[float]]:
        """The optimised metric's fold scores of the first ``n`` candidates (NaN: failed)."""
        return [
            [self.objective.fold_score(out) for out in self.candidate_outs(i)] for i in range(n)
        ]

    def more_results(self) -> dict[str, list]:
        """The extra ``cv_results_`` columns: each candidate's round, trial id and reuse."""
        return {
            "hyperopt_round": list(self.rounds),
            "hyperopt_tid": list(self.tids),
            "reused": np.array(self.reused, dtype=bool),
        }

    # -- snapshots -------------------------------------------------------------

    def state(self, *, trials, rng, signature, fingerprint, settings) -> SearchState:
        """A :class:`~._state.SearchState` snapshot: enough to continue the search."""
        return SearchState(
            space_signature=signature,
            data_fingerprint=fingerprint,
            splits=self.splits,
            trials=trials,
            rng=rng,
            params=list(self.params),
            outs=list(self.outs),
            more_results=self.more_results(),
            n_rounds=self.n_rounds,
            pending_rounds={tid: p.round for tid, p in self.pending.items()},
            pending_told={
                tid: p.told_before for tid, p in self.pending.items() if p.told_before is not None
            },
            settings=dict(settings),
        )

    @classmethod
    def from_state(cls, state: SearchState, objective: Objective) -> SearchRecord:
        """The record of a saved search, to continue it."""
        record = cls(state.splits, objective)
        n_splits = record.n_splits
        tids = state.more_results.get("hyperopt_tid", [])
        rounds = state.more_results.get("hyperopt_round", [0] * state.n_candidates)
        n_fitted = state.n_fitted()
        reused = state.more_results.get("reused", [False] * state.n_candidates)
        pending_told = state.pending_told or {}
        for i, params in enumerate(state.params):
            if not reused[i]:
                record.pending[tids[i]] = Pending(rounds[i])
            outs = state.outs[i * n_splits : (i + 1) * n_splits]
            record.append(tids[i], params, outs, int(n_fitted[i]), reused=bool(reused[i]))
        record.n_rounds = state.n_rounds
        for tid, round_index in (state.pending_rounds or {}).items():
            record.pending[tid] = Pending(round_index, pending_told.get(tid))
        record.n_prior = record.n_candidates
        return record
