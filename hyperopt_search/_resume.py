"""Which earlier search a ``fit`` continues, checked before any fit.

A search continues the state of its previous ``fit`` (``warm_start=True``) or
of its ``checkpoint`` file. Only settings that leave the scores alone may
change; everything that makes the earlier scores comparable (the data, the
estimator, the space, the scoring, the folds, ...) must match, or the search
refuses, naming what differs, before any fit and without touching the file.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator
from typing import Any

from sklearn.base import clone

from ._space import SearchSpace
from ._state import (
    SearchState,
    load_checkpoint,
    space_identity,
    space_signature,
    stable_hash,
)

__all__ = ["is_one_shot_iterable", "previous_state", "settings_of"]

_RESTART = (
    "Fit with the settings and data it was started with, or start a new "
    "search (warm_start=False, or another checkpoint path)."
)


def is_one_shot_iterable(cv: Any) -> bool:
    """Whether ``cv`` is an iterator of splits that can be read only once."""
    return isinstance(cv, Iterator) and not hasattr(cv, "split")


def settings_of(search, space: SearchSpace) -> dict[str, str]:
    """What makes the candidates' scores comparable, as stable hashes by name.

    A continued search (``warm_start``, ``checkpoint``) must match every one
    of them; only the budget, the stopping rules, the schedule and the
    parallelism may change.
    """
    refit = search.refit if isinstance(search.refit, str) else None
    return {
        "estimator": stable_hash(clone(search.estimator)),
        "param_distributions": space_identity(space),
        "scoring": stable_hash(search.scoring),
        "refit": stable_hash(refit),  # the optimised metric, with multi-metric scoring
        # A generator of splits cannot be compared with an earlier one.
        "cv": "one-shot iterable" if is_one_shot_iterable(search.cv) else stable_hash(search.cv),
        "return_train_score": stable_hash(bool(search.return_train_score)),
        "error_score": stable_hash(repr(search.error_score)),
        # Another seed is another search (a RandomState or Generator instance
        # is consumed as it is used: it counts by its kind only).
        "random_state": stable_hash(_seed_identity(search.random_state)),
    }


def _seed_identity(random_state) -> Any:
    if random_state is None or isinstance(random_state, numbers.Integral):
        return None if random_state is None else int(random_state)
    return type(random_state).__name__


def previous_state(
    search, space: SearchSpace, settings: dict[str, str], fingerprint: str
) -> SearchState | None:
    """The state to continue from (checkpoint file, or previous fit), checked.

    None for a new search. Raises a ``ValueError`` naming what differs when
    the state cannot be continued; a checkpoint file is left untouched.
    """
    state, source = None, None
    if search.checkpoint is not None:
        source = f"the checkpoint {os.fspath(search.checkpoint)!r}"
        searches = load_checkpoint(search.checkpoint)
        state = searches.get(fingerprint)
        # Other datasets' searches (outer folds of a nested CV) must share
        # the settings: a file written by another search is refused.
        for other in searches.values():
            _check_settings(other, settings, source)
    if state is None and search.warm_start:
        state, source = getattr(search, "_search_state", None), "the previous fit"
        if state is not None and state.data_fingerprint != fingerprint:
            raise ValueError(
                f"Cannot continue the search of {source}: it was run on different "
                f"data (X, y or fit parameters). {_RESTART}"
            )
    if state is None or state.n_candidates == 0:
        return None  # nothing finished to continue: a new search
    _check_settings(state, settings, source)
    if state.space_signature != space_signature(space):
        raise ValueError(
            f"Cannot continue the search of {source}: it was run with different "
            "param_distributions (or saved by a version of hyperopt-search that "
            f"encoded them differently). {_RESTART}"
        )
    return state


def _check_settings(state: SearchState, settings: dict[str, str], source: str) -> None:
    """Raise when ``state`` was run with other settings, naming them."""
    if state.settings is None:  # a checkpoint of version 0.1: not recorded
        return
    # A setting a state does not record (written by an earlier version) is
    # not compared.
    changed = [
        name
        for name, value in settings.items()
        if name in state.settings and state.settings[name] != value
    ]
    if changed:
        raise ValueError(
            f"Cannot continue the search of {source}: it was run with another "
            f"{', '.join(changed)}, so its scores are not comparable with new ones "
            "(only settings that leave the scores alone may change: n_iter, the "
            f"stopping rules, algo, batch_size, schedule, n_jobs, ...). {_RESTART}"
        )
