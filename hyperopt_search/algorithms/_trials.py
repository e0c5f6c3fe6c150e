"""Read a hyperopt ``Trials`` as feature arrays, and write new trial docs.

The only place where the proposal algorithms touch hyperopt's trial
documents (string-keyed dicts): everything else sees typed arrays.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hyperopt.base import JOB_STATE_DONE, STATUS_OK

from ._encoding import EncodedSpace

__all__ = ["History", "design_seed", "new_trial_docs", "read_history"]

#: Key of the seed of the initial design in ``Trials.attachments``.
_DESIGN_SEED = "hyperopt_search.design_seed"


@dataclass(frozen=True)
class History:
    """What a proposal algorithm knows: features of every trial, by outcome.

    ``X_ok`` / ``losses`` are finished trials with a finite loss, ``X_failed``
    finished trials without one (failures), ``X_pending`` trials proposed but
    not finished. ``n_trials`` counts them all.
    """

    X_ok: np.ndarray
    losses: np.ndarray
    X_failed: np.ndarray
    X_pending: np.ndarray

    @property
    def n_trials(self) -> int:
        return len(self.X_ok) + len(self.X_failed) + len(self.X_pending)

    @property
    def X_all(self) -> np.ndarray:
        return np.vstack([self.X_ok, self.X_failed, self.X_pending])

    def with_pending(self, x: np.ndarray) -> History:
        """This history with one more pending trial at ``x``."""
        return History(self.X_ok, self.losses, self.X_failed, np.vstack([self.X_pending, x]))


def read_history(space: EncodedSpace, trials) -> History:
    """The :class:`History` of ``trials`` (hyperopt's ``Trials``), encoded.

    Each trial is encoded once: the rows are cached per ``Trials`` object
    (weakly: the cache goes with the object) and per space, and a call only
    encodes the trials added since the previous one and re-reads the outcome
    of those that were pending then. Anything else (trials removed, replaced
    or reordered, as when a search discards its pending trials) is detected
    and re-read; a copy of a ``Trials`` (a resumed search) has a cache of its
    own. Finished trials are taken as final, as hyperopt's own algorithms do:
    a finished trial doc changed in place is not seen.
    """
    try:
        cache = _HISTORIES.get(trials)
    except TypeError:  # pragma: no cover - a Trials that cannot be weakly referenced
        return _EncodedTrials(space).update(trials.trials)
    if cache is None or cache.space != space:
        cache = _EncodedTrials(space)
        _HISTORIES[trials] = cache
    return cache.update(trials.trials)


_OK, _FAILED, _PENDING = 0, 1, 2

#: Trials -> its :class:`_EncodedTrials` (for the space last read with).
_HISTORIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _EncodedTrials:
    """The encoded rows and outcomes of one ``Trials``'s docs, kept incrementally.

    ``docs`` are the trial docs as last read (references, so that the identity
    of each is known), ``X[:n]`` their features, ``outcome[:n]`` and
    ``losses[:n]`` what became of them, ``pending`` the positions of the docs
    that were not finished then.
    """

    def __init__(self, space: EncodedSpace):
        self.space = space
        self.docs: list[dict] = []
        self.X = np.empty((0, space.n_dims))
        self.outcome = np.empty(0, dtype=np.int8)
        self.losses = np.empty(0)
        self.pending: list[int] = []
        self.history: History | None = None

    def update(self, docs: list[dict]) -> History:
        n_known = len(self.docs)
        # One C-level comparison: the same doc objects (or equal ones) in the
        # same places as at the previous call.
        if len(docs) < n_known or docs[:n_known] != self.docs:
            return self._rebuild(docs)
        changed = False
        still_pending = []
        for i in self.pending:
            outcome, loss = _outcome(docs[i])
            if outcome != _PENDING:
                self.outcome[i], self.losses[i] = outcome, loss
                changed = True
            else:
                still_pending.append(i)
        self.pending = still_pending
        self.docs = list(docs)
        if len(docs) > n_known:
            self._append(docs[n_known:], n_known)
            changed = True
        if changed or self.history is None:
            self.history = self._history()
        return self.history

    def _rebuild(self, docs: list[dict]) -> History:
        """Re-read every doc; the rows of docs seen before are reused."""
        rows = {id(doc): self.X[i] for i, doc in enumerate(self.docs)}
        known = [id(doc) in rows for doc in docs]
        new = [doc for doc, seen in zip(docs, known, strict=True) if not seen]
        X_new = self.space.encode_many([doc["misc"]["vals"] for doc in new])
        it = iter(X_new)
        X = np.empty((len(docs), self.space.n_dims))
        for i, (doc, seen) in enumerate(zip(docs, known, strict=True)):
            X[i] = rows[id(doc)] if seen else next(it)
        self.docs, self.X = [], np.empty((0, self.space.n_dims))
        self.outcome, self.losses, self.pending = np.empty(0, dtype=np.int8), np.empty(0), []
        self._append(docs, 0, X)
        self.docs = list(docs)
        self.history = self._history()
        return self.history

    def _append(self, docs: list[dict], start: int, X: np.ndarray | None = None) -> None:
        if X is None:
            X = self.space.encode_many([doc["misc"]["vals"] for doc in docs])
        outcomes = [_outcome(doc) for doc in docs]
        stop = start + len(docs)
        if stop > len(self.X):  # grow geometrically: appends are amortised O(1)
            capacity = max(stop, 2 * len(self.X), 16)
            self.X = _grow(self.X, capacity)
            self.outcome = _grow(self.outcome, capacity)
            self.losses = _grow(self.losses, capacity)
        self.X[start:stop] = X
        self.outcome[start:stop] = [o for o, _ in outcomes]
        self.losses[start:stop] = [loss for _, loss in outcomes]
        self.pending += [start + i for i, (o, _) in enumerate(outcomes) if o == _PENDING]

    def _history(self) -> History:
        n = len(self.docs)
        # Grouped by outcome, in trial order within each (a stable sort).
        order = np.argsort(self.outcome[:n], kind="stable")
        n_ok, n_failed, _ = np.bincount(self.outcome[:n], minlength=3).tolist()
        X, losses = self.X[order], self.losses[order[:n_ok]]
        X.flags.writeable = losses.flags.writeable = False  # shared: nobody may change them
        return History(X[:n_ok], losses, X[n_ok : n_ok + n_failed], X[n_ok + n_failed :])


def _grow(a: np.ndarray, capacity: int) -> np.ndarray:
    out = np.empty((capacity, *a.shape[1:]), dtype=a.dtype)
    out[: len(a)] = a
    return out


def _outcome(doc: dict) -> tuple[int, float]:
    """(outcome, loss) of one trial doc; the loss is NaN unless the outcome is OK."""
    if doc["state"] != JOB_STATE_DONE:
        return _PENDING, math.nan
    result = doc.get("result") or {}
    loss = result.get("loss")
    if result.get("status") == STATUS_OK and loss is not None and math.isfinite(loss):
        return _OK, float(loss)
    return _FAILED, math.nan


def design_seed(trials, seed: int) -> int:
    """The seed of this search's initial design, kept in ``trials.attachments``.

    The first call sets it from its own seed; later calls (and a search
    resumed from pickled trials) read it back, so every start-up candidate is
    a point of one and the same scrambled sequence.
    """
    attachments = trials.attachments
    if _DESIGN_SEED not in attachments:
        attachments[_DESIGN_SEED] = int(seed)
    return int(attachments[_DESIGN_SEED])


def new_trial_docs(domain, trials, ids: Sequence[int], vals: Sequence[dict]) -> list[dict]:
    """hyperopt trial docs for the given ids and ``misc["vals"]``."""
    miscs = [
        {
            "tid": tid,
            "cmd": domain.cmd,
            "workdir": domain.workdir,
            "idxs": {label: [tid] if v else [] for label, v in one.items()},
            "vals": one,
        }
        for tid, one in zip(ids, vals, strict=True)
    ]
    return trials.new_trial_docs(
        list(ids), [None] * len(ids), [domain.new_result() for _ in ids], miscs
    )
