"""``cv_results_`` and the best candidate, from the record of a search.

``cv_results_`` is scikit-learn's own ``_format_results`` of the record's raw
results, plus ``n_splits_fitted`` and ``hyperopt_order``; the best candidate
follows ``refit`` exactly as in ``BaseSearchCV.fit``, for a finished search
and for the finished part of an interrupted one.

Rows are in evaluation order, except when the record holds every candidate
of a space of lists (a ``param_grid``): then they are in ``ParameterGrid``'s
order, as ``GridSearchCV`` gives them, so code that reshapes or plots the
rows of a grid, and ties for the best score, behave as with
``GridSearchCV``. The record itself always stays in evaluation order.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _compat
from ._record import SearchRecord
from ._reporting import caller_of_fit
from ._space import SearchSpace, position_of

__all__ = ["best_candidate", "cv_results", "grid_order"]


def cv_results(search, record: SearchRecord, space: SearchSpace | None = None) -> dict[str, Any]:
    """All candidates of ``record`` formatted like ``cv_results_``.

    Rows in evaluation order, or in ``ParameterGrid``'s order when
    ``record`` holds every candidate of ``space`` and ``space`` is a space of
    lists (see :func:`grid_order`); ``hyperopt_order`` is each row's position
    in evaluation order either way.

    A raced-out candidate has NaN for the folds it did not fit, so a NaN
    mean score and the worst rank, fewer ``n_splits_fitted``, and mean and
    standard deviation of its times over the folds it fitted.
    scikit-learn's warning about non-finite mean scores is kept for failed
    complete candidates, not for raced-out ones, which have them by design.
    """
    outs, n_splits = record.outs, record.n_splits
    if callable(search.scoring):
        # Failed fits of a callable multi-metric scorer get a dict of
        # error_score, as evaluate_candidates does per call (idempotent).
        _compat.insert_error_scores(outs, search.error_score)
    fitted = np.asarray(record.n_fitted, dtype=int)
    raced = np.flatnonzero(fitted < n_splits)
    format_results = search._format_results  # BaseSearchCV's
    if not len(raced):
        results = format_results(record.params, n_splits, outs, record.more_results())
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = format_results(record.params, n_splits, outs, record.more_results())
        complete = fitted == n_splits
        means = [
            np.asarray(values, dtype=float)[complete]
            for key, values in results.items()
            if key.startswith(("mean_test_", "mean_train_"))
        ]
        for warning in caught:
            if "non-finite" in str(warning.message) and all(np.isfinite(m).all() for m in means):
                continue
            warnings.warn(warning.message, warning.category, stacklevel=caller_of_fit())
        for key in ("fit_time", "score_time"):
            times = np.array([o.get(key, np.nan) for o in outs], dtype=float)
            times = times.reshape(-1, n_splits)[raced]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # nothing fitted
                results[f"mean_{key}"][raced] = np.nanmean(times, axis=1)
                results[f"std_{key}"][raced] = np.nanstd(times, axis=1)
    results["n_splits_fitted"] = fitted
    results["hyperopt_order"] = np.arange(record.n_candidates)
    order = None if space is None else grid_order(search.param_distributions, record, space)
    if order is not None:
        results = {key: _take(values, order) for key, values in results.items()}
    return results


def grid_order(param_grid, record: SearchRecord, space: SearchSpace) -> np.ndarray | None:
    """The rows of ``record`` in ``ParameterGrid(param_grid)``'s order, if it holds all of them.

    None when ``param_grid`` is not a grid (a distribution or a hyperopt
    expression anywhere) or when the record misses one of its candidates.
    A candidate is at the first position of the grid where its parameters
    are: each value matched first by identity in the user's list (the
    object a candidate gets), then by equality (a numpy scalar of an array
    is a new object every time), so equal points (``[1, 1.0]``, the same
    point in two dicts) are one row, at the first of their positions.
    """
    n = record.n_candidates
    if not n or space.size != n:
        return None
    grid = _grid(param_grid)
    if grid is None:
        return None
    positions = []
    for params in record.params:
        position = _grid_position(grid, params)
        if position is None:
            return None
        positions.append(position)
    if len(set(positions)) != n:
        return None
    return np.argsort(positions, kind="stable")


def _grid(param_grid) -> list[tuple[list[str], list[list], int]] | None:
    """Each dict of a grid as (sorted names, their values, offset of its first row)."""
    dicts = [param_grid] if isinstance(param_grid, Mapping) else list(param_grid)
    grid, offset = [], 0
    for params in dicts:
        if not isinstance(params, Mapping) or not all(map(_is_list, params.values())):
            return None
        names = sorted(params)
        values = [list(params[name]) for name in names]
        grid.append((names, values, offset))
        offset += math.prod(len(v) for v in values)
    return grid


def _is_list(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim == 1
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _grid_position(grid, params: dict) -> int | None:
    """The first row of ``ParameterGrid`` that is ``params`` (last name varies fastest)."""
    for names, values, offset in grid:
        if sorted(params) != names:
            continue
        position = 0
        for name, options in zip(names, values, strict=True):
            index = position_of(params[name], options)
            if index is None:
                break
            position = position * len(options) + index
        else:
            return offset + position
    return None


def _take(values, order: np.ndarray):
    if isinstance(values, np.ndarray):  # masked arrays stay masked
        return values[order]
    return [values[i] for i in order]


def best_candidate(
    search, results: dict, refit_metric: str, multimetric: bool, *, partial: bool = False
) -> dict[str, Any]:
    """``best_index_``, ``best_score_`` and ``best_params_``, as ``BaseSearchCV.fit`` sets them.

    Only where ``fit`` sets them: with ``refit``, or with single-metric
    scoring; ``best_score_`` only when ``refit`` is not a callable. For the
    finished part of an interrupted search (``partial``), the same rules, and
    nothing while no candidate has a score (or when a callable ``refit``
    cannot choose among them).
    """
    refit = search.refit
    if not (refit or not multimetric):
        return {}
    if partial and not any(
        math.isfinite(score)
        for key, values in results.items()
        if key.startswith("mean_test_")
        for score in np.asarray(values, dtype=float)
    ):
        return {}
    context = contextlib.suppress(Exception) if partial else contextlib.nullcontext()
    with context:
        index = search._select_best_index(refit, refit_metric, results)
        best = {"best_index_": index, "best_params_": results["params"][index]}
        if not callable(refit):
            best["best_score_"] = results[f"mean_test_{refit_metric}"][index]
        return best
    return {}
