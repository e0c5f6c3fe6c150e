"""What a new search starts from: ``initial_candidates``, checked before any fit.

``initial_candidates`` is what the user already knows, in one of two forms:

- **a list of parameter dicts** (the estimator's defaults, configurations the
  user trusts): evaluated first, in the order given, in place of the first
  model-free candidates; they count toward ``n_iter`` and are told to the
  proposer like any other candidate;
- **an earlier search** (a fitted search, or its ``cv_results_``): its
  candidates that lie in the space seed the new search, by one of two rules,
  decided here and nowhere else:

  - ``"reused"``: the earlier search is a :class:`HyperoptSearchCV` fitted on
    the same data with the same estimator, ``cv``, ``scoring``, ``refit``,
    ``error_score`` and ``return_train_score`` (checked from its record, never
    assumed). Its candidates' results are reused without refitting, on its
    own folds: rows of ``cv_results_`` marked ``reused``, told to the
    proposer, on top of ``n_iter``.
  - ``"transfer"``: anything else (other data, another setting, a
    scikit-learn search, a ``cv_results_`` dict, whose data cannot be
    checked). Nothing is reused as a score: the earlier ranking chooses the
    first candidates, the best ones evaluated first in place of the
    model-free start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hyperopt import STATUS_OK

from ._space import SearchSpace, value_key
from ._state import SearchState

__all__ = ["EarlierResults", "KnownStart", "known_start"]

#: The share of the model-free start an earlier search's best candidates take
#: (transfer rule); the rest of the start stays model-free.
TRANSFER_SHARE = 1.0

#: The settings that must match for an earlier search's scores to be reused
#: (everything in ``_resume.settings_of`` but the space and the seed).
_SCORE_SETTINGS = ("estimator", "cv", "scoring", "refit", "error_score", "return_train_score")


@dataclass(frozen=True)
class EarlierResults:
    """An earlier search's candidates that lie in the space, with their raw results.

    In the earlier search's evaluation order; ``losses`` are what its
    proposer was told (None for a failure).
    """

    splits: list
    params: list[dict]
    outs: list[list[dict]]
    n_fitted: list[int]
    losses: list[float | None]


@dataclass(frozen=True)
class KnownStart:
    """What a new search knows before its first proposal.

    ``rule`` is ``"given"`` (a list of dicts), ``"reused"``, ``"transfer"``
    or ``"none"``; ``first`` the candidates to evaluate first, in order;
    ``reused`` the results to reuse without fitting (rule ``"reused"``).
    """

    rule: str = "none"
    first: list[dict] = field(default_factory=list)
    reused: EarlierResults | None = None
    n_earlier: int = 0

    def describe(self) -> str:
        """One line for ``verbose``."""
        if self.rule == "given":
            return f"{len(self.first)} initial candidates evaluated first"
        if self.rule == "reused":
            return (
                f"{len(self.reused.params)} of the earlier search's {self.n_earlier} "
                "candidates lie in the space: their results are reused without "
                "refitting (same data, estimator, cv and scoring)"
            )
        return (
            f"{len(self.first)} best of the earlier search's {self.n_earlier} candidates "
            "evaluated first (other data or settings: none of its scores is reused)"
        )


def known_start(
    search, space: SearchSpace, settings: dict[str, str], fingerprint: str, n_first: int
) -> KnownStart:
    """Check ``search.initial_candidates`` against ``space``, and decide how it is used.

    ``n_first`` is the number of model-free candidates the search would
    start with: an earlier search it cannot reuse gives at most that many of
    its best candidates. Raises a ``ValueError`` naming ``initial_candidates``
    before any fit.
    """
    given = search.initial_candidates
    if given is None or (isinstance(given, list | tuple) and not given):
        return KnownStart()
    if isinstance(given, Sequence) and not isinstance(given, str):
        return KnownStart("given", _checked_list(given, space, search.n_iter))
    if isinstance(given, Mapping):
        return _transfer(given, space, search.refit, n_first)
    if hasattr(given, "get_params"):
        if not hasattr(given, "cv_results_"):
            raise ValueError(
                f"initial_candidates: the search {type(given).__name__} is not fitted; "
                "pass a fitted search or its cv_results_."
            )
        state = getattr(given, "_search_state", None)
        if isinstance(state, SearchState) and _scores_comparable(state, settings, fingerprint):
            return _reuse(state, space)
        return _transfer(given.cv_results_, space, search.refit, n_first)
    raise ValueError(
        "initial_candidates must be a list of parameter dicts, a fitted search or "
        f"its cv_results_ dict; got {type(given).__name__}."
    )


def _checked_list(given: Sequence, space: SearchSpace, n_iter: int) -> list[dict]:
    if len(given) > n_iter:
        raise ValueError(
            f"initial_candidates has {len(given)} candidates, more than n_iter={n_iter}."
        )
    seen: dict[Any, int] = {}
    for i, params in enumerate(given):
        if not isinstance(params, Mapping):
            raise ValueError(
                f"initial_candidates[{i}] must be a dict of parameters; "
                f"got {type(params).__name__}."
            )
        try:
            key = space.key(space.encode(params))
        except ValueError as exc:
            raise ValueError(f"initial_candidates[{i}]: {exc}") from None
        if key in seen:
            raise ValueError(f"initial_candidates[{i}] repeats initial_candidates[{seen[key]}].")
        seen[key] = i
    return [dict(params) for params in given]


def _scores_comparable(state: SearchState, settings: dict[str, str], fingerprint: str) -> bool:
    """Whether an earlier search's scores compare with this search's: checked, not assumed."""
    if state.data_fingerprint != fingerprint or state.settings is None:
        return False
    return all(state.settings.get(name) == settings[name] for name in _SCORE_SETTINGS)


def _in_space(space: SearchSpace, params: Mapping) -> dict | None:
    """``params`` as a candidate of ``space`` (its own objects), or None if outside."""
    try:
        return space.decode(space.encode(params))
    except (ValueError, TypeError):
        return None


def _reuse(state: SearchState, space: SearchSpace) -> KnownStart:
    told = {}
    for doc in state.trials.trials:
        result = doc["result"]
        ok = result.get("status") == STATUS_OK and math.isfinite(result.get("loss", math.nan))
        told[doc["tid"]] = float(result["loss"]) if ok else None
    tids = state.more_results.get("hyperopt_tid", [])
    n_splits = len(state.splits)
    n_fitted = state.n_fitted()
    kept: dict[str, list] = {"params": [], "outs": [], "n_fitted": [], "losses": []}
    for i, params in enumerate(state.params):
        candidate = _in_space(space, params)
        if candidate is None:
            continue
        kept["params"].append(candidate)
        kept["outs"].append(state.outs[i * n_splits : (i + 1) * n_splits])
        kept["n_fitted"].append(int(n_fitted[i]))
        kept["losses"].append(told.get(tids[i]) if i < len(tids) else None)
    if not kept["params"]:
        return KnownStart("reused", n_earlier=state.n_candidates)
    return KnownStart(
        "reused",
        reused=EarlierResults(splits=state.splits, **kept),
        n_earlier=state.n_candidates,
    )


def _rank_key(results: Mapping, refit) -> str:
    names = [key for key in results if key.startswith("rank_test_")]
    for name in (f"rank_test_{refit}" if isinstance(refit, str) else None, "rank_test_score"):
        if name in results:
            return name
    if not names:
        raise ValueError(
            "initial_candidates: the earlier search's cv_results_ has no rank_test_* "
            "key to rank its candidates by."
        )
    return names[0]


def _transfer(results: Mapping, space: SearchSpace, refit, n_first: int) -> KnownStart:
    """The best distinct candidates of ``results`` that lie in ``space``.

    As many as ``TRANSFER_SHARE`` of the ``n_first`` model-free candidates.
    """
    n_first = max(1, math.ceil(TRANSFER_SHARE * n_first))
    if "params" not in results:
        raise ValueError("initial_candidates: a cv_results_ dict needs a 'params' key.")
    rank_key = _rank_key(results, refit)
    means = np.asarray(results["mean" + rank_key[4:]], dtype=float)
    ranks = np.asarray(results[rank_key])
    order = [i for i in np.argsort(ranks, kind="stable") if np.isfinite(means[i])]
    first, seen = [], set()
    for i in order:
        if len(first) >= n_first:
            break
        candidate = _in_space(space, results["params"][i])
        if candidate is not None and (key := value_key(candidate)) not in seen:
            seen.add(key)
            first.append(candidate)
    return KnownStart("transfer", first, n_earlier=len(results["params"]))
