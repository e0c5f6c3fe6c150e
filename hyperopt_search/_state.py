"""What a search needs to continue later: the state record and its checkpoint file.

A search keeps a :class:`SearchState` after every round: the raw results of
the candidates evaluated so far (to rebuild ``cv_results_`` without refitting
them), hyperopt's trials, the random generator and the folds. It lives on the
fitted estimator (``warm_start=True`` continues from it) and, when a
``checkpoint`` path is given, in a file written atomically after every round.

A checkpoint file holds one search per dataset, keyed by the data's
fingerprint: under ``cross_val_score`` or any nested cross-validation, the
clones fitted on each outer training set keep their own searches in the same
file, and a re-run resumes (or simply reloads) each of them. Writes are
serialised by a lock file next to the checkpoint where the platform has
``fcntl`` (a process killed while holding it releases it).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hyperopt import Trials
from joblib.hashing import NumpyHasher

from ._space import Categorical, Constant, Expression, SearchSpace

__all__ = [
    "SearchState",
    "check_checkpoint_path",
    "check_picklable",
    "data_fingerprint",
    "load_checkpoint",
    "save_checkpoint",
    "space_identity",
    "stable_hash",
]

_FORMAT = "hyperopt-search checkpoint"
#: Version 1 held one search; version 2 holds one search per dataset.
_VERSION = 2
_READABLE_VERSIONS = (1, 2)


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
    pending_told : dict of int to int, optional
        With ``racing``: for each pending trial, by trial id, the number of
        candidates told before it was proposed (the ones it races against).
    settings : dict of str to str, optional
        A stable hash of each setting that makes the candidates' scores
        comparable (estimator, scoring, cv, ...): a continued search must
        match all of them. None in checkpoints written before version 0.2.
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
    pending_told: dict[int, int] | None = None
    settings: dict[str, str] | None = None

    @property
    def n_candidates(self) -> int:
        return len(self.params)

    def n_fitted(self) -> np.ndarray:
        """Each candidate's folds fitted (fewer when raced out: no fit time)."""
        fit_times = np.array([out.get("fit_time", 0.0) for out in self.outs], dtype=float)
        return np.isfinite(fit_times).reshape(-1, len(self.splits)).sum(axis=1)


def space_signature(space: SearchSpace) -> tuple:
    """A process-independent identity of a search space's structure."""
    return tuple(
        tuple((dim.name, dim.labels, type(dim).__name__, dim.n_values) for dim in b.dimensions)
        for b in space.branches
    )


def space_identity(space: SearchSpace) -> str:
    """A process-independent hash of a search space: its bounds and options too.

    Two spaces with the same names but other bounds, options or constants
    differ. Distributions enter by family and parameters, options and
    constants by value.
    """
    parts = []
    for branch in space.branches:
        for dim in branch.dimensions:
            if isinstance(dim, Categorical):
                what = stable_hash(dim.options)
            elif isinstance(dim, Constant):
                what = stable_hash(dim.value)
            elif isinstance(dim, Expression):
                what = str(dim.expression)
            else:
                what = dim.describe()
            parts.append((type(dim).__name__, dim.name, dim.label, what))
        parts.append("|")
    return stable_hash(parts)


class _StableHasher(NumpyHasher):
    """joblib's hasher, with a stable stand-in for what cannot be pickled.

    A local function, a lambda or an open file among the fit parameters is
    hashed by its type, qualified name and bytecode instead of failing; numpy
    arrays are still hashed once, by their bytes.
    """

    def save(self, obj):
        try:
            return super().save(obj)
        except (pickle.PicklingError, TypeError, AttributeError):
            if isinstance(obj, dict | list | tuple | set):
                raise  # the failing item is replaced deeper down
            return super().save(_stand_in(obj))


def _stand_in(obj: Any) -> tuple:
    code = getattr(obj, "__code__", None)
    return (
        "unpicklable",
        type(obj).__qualname__,
        getattr(obj, "__module__", None),
        getattr(obj, "__qualname__", None),
        getattr(code, "co_code", None),
        _stable_repr(obj) if code is None else None,
    )


def _stable_repr(obj: Any) -> str:
    """``repr`` without memory addresses, which differ between processes."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(obj))


def stable_hash(obj: Any) -> str:
    """A hash of ``obj`` that is the same in every process, pickleable or not.

    Examples
    --------
    >>> stable_hash({"C": [1, 2]}) == stable_hash({"C": [1, 2]})
    True
    >>> stable_hash(lambda x: x) == stable_hash(lambda x: x)
    True
    """
    return _StableHasher(hash_name="md5").hash(obj)


def data_fingerprint(X: Any, y: Any, params: dict) -> str:
    """Hash of the data a search is fitted on (X, y and fit parameters).

    Fit parameters that cannot be pickled (a local callback function) are
    hashed by a stable stand-in (see :func:`stable_hash`).
    """
    return stable_hash((X, y, params))


def check_checkpoint_path(path: str | os.PathLike) -> None:
    """Raise a ``ValueError`` naming ``checkpoint`` when ``path`` cannot be written.

    Called before any fit: a missing folder, a folder that is a file, a path
    that is a folder, or a folder without write permission.
    """
    path = Path(path)
    problem = None
    if path.is_dir():
        problem = "is a folder; give the path of a file"
    elif not path.parent.exists():
        problem = f"is in the folder {str(path.parent)!r}, which does not exist"
    elif not path.parent.is_dir():
        problem = f"is under {str(path.parent)!r}, which is not a folder"
    elif not os.access(path.parent, os.W_OK | os.X_OK):
        problem = f"is in the folder {str(path.parent)!r}, which is not writable"
    elif path.exists() and not os.access(path, os.R_OK):
        problem = "exists but cannot be read"
    else:
        target = Path(os.path.realpath(path))
        lock, longest = _lock_path(target), f".{target.name}.{'x' * 8}.tmp"
        name_max = _name_max(target.parent)
        if len(os.fsencode(longest)) > name_max:
            problem = (
                f"has a file name too long for its temporary file {longest!r} "
                f"(the folder allows {name_max} bytes); use a shorter name"
            )
        elif lock.exists() and not lock.is_file():
            problem = f"needs the lock file {str(lock)!r}, which is not a file"
        elif lock.exists() and not os.access(lock, os.R_OK | os.W_OK):
            problem = f"needs the lock file {str(lock)!r}, which cannot be written"
    if problem is not None:
        raise ValueError(f"checkpoint={os.fspath(path)!r} {problem}.")


def check_picklable(space: SearchSpace) -> None:
    """Raise a ``ValueError`` naming ``checkpoint`` when a candidate cannot be saved.

    A checkpoint pickles the candidates' parameters: an option that cannot be
    pickled (a lambda, a local function) would fail at the first write, after
    fits have run.
    """
    for branch in space.branches:
        for dim in branch.dimensions:
            # The user's own objects: what the candidates' parameters hold.
            if isinstance(dim, Categorical):
                values = dim.given or dim.options
            elif isinstance(dim, Constant):
                values = dim.given or (dim.value,)
            else:
                continue
            for value in values:
                try:
                    pickle.dumps(value)
                except Exception as exc:
                    raise ValueError(
                        f"checkpoint is set, but the value {value!r} of {dim.name!r} "
                        f"cannot be pickled ({type(exc).__name__}: {exc}), so the search "
                        "could not be saved. Use a picklable value (a module-level "
                        "function instead of a lambda), or checkpoint=None."
                    ) from exc


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows)
        return 255


def _lock_path(path: Path) -> Path:
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``path``'s lock file (where ``fcntl`` exists)."""
    try:
        import fcntl
    except ImportError:  # Windows: writes are atomic, but not serialised
        yield False
        return
    with open(_lock_path(path), "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporaries of ``path`` left by a process killed while writing."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[^.]+\.tmp$")
    for entry in path.parent.iterdir():
        if pattern.match(entry.name):
            with contextlib.suppress(OSError):
                entry.unlink()


def save_checkpoint(path: str | os.PathLike, state: SearchState) -> None:
    """Store ``state`` in the checkpoint ``path``, next to other datasets' searches.

    The file is rewritten atomically: a temporary file, then a rename. A
    process killed while writing leaves the previous checkpoint intact, and
    the next write removes its temporary file. A symbolic link is written
    through: its target is replaced, the link stays.
    """
    path = Path(os.path.realpath(path))
    with _locked(path) as locked:
        if locked:  # no other writer: any temporary of ours is stale
            _remove_stale_temporaries(path)
        searches = load_checkpoint(path)
        searches[state.data_fingerprint] = state
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                payload = {"format": _FORMAT, "version": _VERSION, "searches": searches}
                pickle.dump(payload, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def load_checkpoint(path: str | os.PathLike) -> dict[str, SearchState]:
    """The searches saved at ``path``, by data fingerprint; empty without a file.

    Raises
    ------
    ValueError
        If the file exists but is not a readable checkpoint of this format.
    """
    path = Path(path)
    if not path.exists():
        return {}
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
    if not ok or payload.get("version") not in _READABLE_VERSIONS:
        raise ValueError(
            f"The file {str(path)!r} is not a hyperopt-search checkpoint of version "
            f"{_VERSION}. It was left untouched: delete it, or pass another "
            "checkpoint path, to start a new search."
        )
    searches = payload.get("searches") if payload["version"] == 2 else None
    if payload["version"] == 1 and isinstance(payload.get("state"), SearchState):
        searches = {payload["state"].data_fingerprint: payload["state"]}
    if not isinstance(searches, dict) or not all(
        isinstance(state, SearchState) and _complete(state) for state in searches.values()
    ):
        raise ValueError(
            f"The checkpoint file {str(path)!r} has a valid header but its searches "
            "are malformed (not written by this version of hyperopt-search, or "
            "edited). It was left untouched: delete it, or pass another checkpoint "
            "path, to start a new search."
        )
    return dict(searches)


def _complete(state: SearchState) -> bool:
    """Whether an unpickled state has every field, of the expected kind."""
    try:
        return (
            isinstance(state.data_fingerprint, str)
            and isinstance(state.space_signature, tuple)
            and isinstance(state.params, list)
            and isinstance(state.outs, list)
            and isinstance(state.more_results, dict)
            and isinstance(state.trials, Trials)
            and isinstance(state.rng, np.random.Generator)
            and isinstance(state.n_rounds, int)
            and (state.settings is None or isinstance(state.settings, dict))
            and len(state.outs) == len(state.params) * len(state.splits)
        )
    except (AttributeError, TypeError):
        return False
