"""``cv_results_`` and the best candidate, from the record of a search.

``cv_results_`` is scikit-learn's own ``_format_results`` of the record's raw
results, plus ``n_splits_fitted``; the best candidate follows ``refit``
exactly as in ``BaseSearchCV.fit``, for a finished search and for the
finished part of an interrupted one.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

import numpy as np

from . import _compat
from ._record import SearchRecord
from ._reporting import caller_of_fit

__all__ = ["best_candidate", "cv_results"]


def cv_results(search, record: SearchRecord) -> dict[str, Any]:
    """All candidates of ``record`` formatted like ``cv_results_``.

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
    return results


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
