"""Read a hyperopt ``Trials`` as feature arrays, and write new trial docs.

The only place where the proposal algorithms touch hyperopt's trial
documents (string-keyed dicts): everything else sees typed arrays.
"""

from __future__ import annotations

import math
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
    """The :class:`History` of ``trials`` (hyperopt's ``Trials``), encoded."""
    ok, losses, failed, pending = [], [], [], []
    for doc in trials.trials:
        x = space.encode(doc["misc"]["vals"])
        if doc["state"] != JOB_STATE_DONE:
            pending.append(x)
            continue
        result = doc.get("result") or {}
        loss = result.get("loss")
        if result.get("status") == STATUS_OK and loss is not None and math.isfinite(loss):
            ok.append(x)
            losses.append(float(loss))
        else:
            failed.append(x)
    d = space.n_dims

    def rows(xs):
        return np.array(xs, dtype=float).reshape(len(xs), d)

    return History(rows(ok), np.array(losses, dtype=float), rows(failed), rows(pending))


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
