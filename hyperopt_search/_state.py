"""What a search needs to continue later: the state record and its checkpoint file.

A search keeps a :class:`SearchState` after every round: the raw results of
the candidates evaluated so far (to rebuild ``cv_results_`` without refitting
them), hyperopt's trials, the random generator and the folds. It lives on the
fitted estimator (``warm_start=True`` continues from it) and, when a
``checkpoint`` path is given, in a file written atomically after every round.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from hyperopt import Trials

from ._space import SearchSpace

__all__ = ["SearchState", "data_fingerprint", "load_checkpoint", "save_checkpoint"]

_FORMAT = "hyperopt-search checkpoint"
_VERSION = 1


@dataclass
class SearchState:
    """The evaluated part of a search, enough to continue it.

    Attributes
    ----------
    space_signature : tuple
        Names, labels and kinds of the search dimensions (see
        :func:`space_signature`): a continued search must use the same space.
    data_fingerprint : str
        Hash of the data and fit parameters the candidates were evaluated on.
    splits : list of (train, test) index arrays
        The folds, reused by the continued search.
    params, outs : list
        Candidate parameters, and scikit-learn's raw per-fit results
        (``len(splits)`` per candidate), in evaluation order.
    more_results : dict of str to list
        Our extra ``cv_results_`` columns, one value per candidate.
    trials : hyperopt.Trials
        hyperopt's record, with a result for every candidate; a pipelined
        schedule's candidates still in flight are in it as pending trials
        (a resumed search evaluates them first).
    rng : numpy.random.Generator
        The generator of the suggestion seeds, as it was after the last round.
    n_rounds : int
        Number of rounds evaluated (or started, by a pipelined schedule).
    pending_rounds : dict of int to int, optional
        The round of each pending trial, by trial id.
    """

    space_signature: tuple
    data_fingerprint: str
    splits: list
    trials: Trials
    rng: np.random.Generator
    params: list[dict] = field(default_factory=list)
    outs: list[dict] = field(default_factory=list)
    more_results: dict[str, list] = field(default_factory=dict)
    n_rounds: int = 0
    pending_rounds: dict[int, int] | None = None

    @property
    def n_candidates(self) -> int:
        return len(self.params)


def space_signature(space: SearchSpace) -> tuple:
    """A process-independent identity of a search space's structure."""
    return tuple(
        tuple((dim.name, dim.labels, type(dim).__name__, dim.n_values) for dim in b.dimensions)
        for b in space.branches
    )


def data_fingerprint(X: Any, y: Any, params: dict) -> str:
    """Hash of the data a search is fitted on (X, y and fit parameters)."""
    return joblib.hash((X, y, params))


def save_checkpoint(path: str | os.PathLike, state: SearchState) -> None:
    """Write ``state`` to ``path`` atomically: a temporary file, then a rename.

    A process killed while writing leaves the previous checkpoint intact.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            pickle.dump({"format": _FORMAT, "version": _VERSION, "state": state}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load_checkpoint(path: str | os.PathLike) -> SearchState | None:
    """The state saved at ``path``, or None when there is no such file.

    Raises
    ------
    ValueError
        If the file exists but is not a readable checkpoint of this format.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        with path.open("rb") as file:
            payload = pickle.load(file)
        ok = isinstance(payload, dict) and payload.get("format") == _FORMAT
    except Exception as exc:  # any unpickling failure means a corrupt file
        raise ValueError(
            f"The checkpoint file {str(path)!r} is corrupt or not a hyperopt-search "
            f"checkpoint ({type(exc).__name__}: {exc}). It was left untouched: "
            "delete it, or pass another checkpoint path, to start a new search."
        ) from exc
    if not ok or payload.get("version") != _VERSION:
        raise ValueError(
            f"The file {str(path)!r} is not a hyperopt-search checkpoint of version "
            f"{_VERSION}. It was left untouched: delete it, or pass another "
            "checkpoint path, to start a new search."
        )
    return payload["state"]
