"""The book-keeping of one ``fit``: the candidates it continues from and adds, fixed folds."""

from __future__ import annotations

import math
from typing import Any

from sklearn.model_selection import check_cv

from . import _compat
from ._optimizer import Candidate
from ._state import SearchState

__all__ = ["FixedSplits", "Run"]


class Run:
    """Book-keeping of one ``fit``: what it continues from and what it adds."""

    def __init__(self, *, prior, signature, fingerprint, settings, optimizer, cv):
        self.signature = signature
        self.fingerprint = fingerprint
        self.settings = settings
        self.optimizer = optimizer
        self.cv = cv
        self.recorder: _compat.FitRecorder | None = None
        self.params: list[dict] = [] if prior is None else list(prior.params)
        self.outs: list[dict] = [] if prior is None else list(prior.outs)
        self.more_results: dict[str, list] = (
            {} if prior is None else {k: list(v) for k, v in prior.more_results.items()}
        )
        self.n_rounds = 0 if prior is None else prior.n_rounds
        self.n_rounds_this_fit = 0
        self.results: dict[str, Any] | None = None
        # The fit context read from evaluate_candidates (results added and
        # formatted through it), each candidate's score of the optimised
        # metric, and the rounds of pipelined candidates in flight (by tid).
        self.context: _compat.FitContext | None = None
        self.scores: list[float] = []
        self.pending_rounds: dict[int, int] = (
            {} if prior is None or prior.pending_rounds is None else dict(prior.pending_rounds)
        )
        # Racing: for each candidate in flight, the number of candidates told
        # before it was proposed (the ones it races against).
        self.pending_told: dict[int, int] = (
            {} if prior is None or prior.pending_told is None else dict(prior.pending_told)
        )

    @property
    def n_candidates(self) -> int:
        return len(self.params)

    @property
    def best_score(self) -> float:
        """The best finite score so far (NaN if none)."""
        return max((s for s in self.scores if math.isfinite(s)), default=math.nan)

    def add_round(self, batch, outs, more_results, results, scores) -> None:
        self.params.extend(c.params for c in batch)
        self.scores.extend(scores)
        self.outs.extend(outs)
        for key, values in more_results.items():
            self.more_results.setdefault(key, []).extend(values)
        self.n_rounds += 1
        self.n_rounds_this_fit += 1
        self.results = results

    def add_candidate(self, candidate: Candidate, outs, more_results, score: float) -> None:
        """Record one candidate of a pipelined schedule (its round is counted at proposal)."""
        self.params.append(candidate.params)
        self.outs.extend(outs)
        for key, values in more_results.items():
            self.more_results.setdefault(key, []).extend(values)
        self.scores.append(score)
        self.n_rounds_this_fit = max(self.n_rounds_this_fit, 1)

    def current_results(self) -> dict[str, Any] | None:
        """All candidates so far formatted like ``cv_results_``; None before any."""
        if self.context is not None:
            return self.context.results() if self.context.n_candidates else None
        return self.results

    def state(self) -> SearchState:
        """The finished rounds, as a record to continue from."""
        return SearchState(
            space_signature=self.signature,
            data_fingerprint=self.fingerprint,
            splits=self.cv.splits,
            trials=self.optimizer.trials,
            rng=self.optimizer.rng,
            params=list(self.params),
            outs=list(self.outs),
            more_results={k: list(v) for k, v in self.more_results.items()},
            n_rounds=self.n_rounds,
            pending_rounds=dict(self.pending_rounds),
            pending_told=dict(self.pending_told),
            settings=dict(self.settings),
        )


class FixedSplits:
    """A splitter whose folds are computed once; every round reuses them.

    ``evaluate_candidates`` calls ``cv.split`` on every call: a shuffling
    splitter without an integer ``random_state`` would give new folds each
    round, making candidates of different rounds incomparable. A continued
    search passes the folds of its first fit as ``splits``.
    """

    def __init__(self, cv, *, classifier: bool, splits: list | None = None):
        self.cv = cv
        self.classifier = classifier
        self.splits = splits

    def split(self, X, y=None, **params):
        if self.splits is None:
            cv = check_cv(self.cv, y, classifier=self.classifier)
            self.splits = list(cv.split(X, y, **params))
        return iter(self.splits)

    def get_n_splits(self, X=None, y=None, **params):
        if self.splits is not None:
            return len(self.splits)
        return check_cv(self.cv, y, classifier=self.classifier).get_n_splits(X, y, **params)
