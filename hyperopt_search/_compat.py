"""Everything that depends on scikit-learn's private search machinery.

``HyperoptSearchCV`` builds on ``BaseSearchCV._run_search`` (a private hook all
of scikit-learn's searches use). Three more private details matter and live
only here, tested against the oldest and newest supported scikit-learn:

1. ``evaluate_candidates`` raises "All the N fits failed" when every fit of one
   call fails, dropping that call's results; for a sequential search, one bad
   round would end the whole search. scikit-learn's ``fit`` looks up
   ``_warn_or_raise_about_fit_failures`` in ``sklearn.model_selection._search``
   at call time, with the raw per-fit results of the call. We wrap that
   function once, at import: outside a ``HyperoptSearchCV`` search the wrapper
   calls the original unchanged; inside one (a context variable is set) it
   records the raw results (which candidates failed; what a continued search
   needs to rebuild ``cv_results_``) and turns the all-failed error of one
   round into a ``FitFailedWarning``, so the round's rows (with
   ``error_score``) stay in ``cv_results_``.
2. ``BaseSearchCV._format_results`` turns raw results into ``cv_results_``; a
   continued search prepends the earlier raw results there.
3. scikit-learn >= 1.9 passes a ``callback_ctx`` to ``_run_search``.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import _search as _sklearn_search

__all__ = ["FitRecorder", "callback_task", "evaluate", "record_fits"]

_HOOK = "_warn_or_raise_about_fit_failures"
_ORIGINAL = getattr(_sklearn_search, _HOOK, None)
_ACTIVE: contextvars.ContextVar[FitRecorder | None] = contextvars.ContextVar(
    "hyperopt_search_fit_recorder", default=None
)


class FitRecorder:
    """The raw per-fit results of every ``evaluate_candidates`` call of a search.

    ``calls[i]`` is the list scikit-learn's ``_fit_and_score`` returned for the
    i-th call (candidate-major, then split): dicts with ``fit_error`` (None or
    the traceback text), ``test_scores``, ``fit_time``, ...
    """

    def __init__(self) -> None:
        self.calls: list[list[dict]] = []

    def all_failed(self) -> bool:
        """Whether every fit recorded so far failed."""
        return bool(self.calls) and all(
            out["fit_error"] is not None for call in self.calls for out in call
        )

    def raise_all_failed(self, error_score: Any) -> None:
        """Raise scikit-learn's own "All the N fits failed" error for the search."""
        _ORIGINAL([out for call in self.calls for out in call], error_score)


def _warn_or_raise_recording(results: list[dict], error_score: Any) -> None:
    recorder = _ACTIVE.get()
    if recorder is None:
        return _ORIGINAL(results, error_score)
    recorder.calls.append(results)
    errors = [out["fit_error"] for out in results]
    if errors and all(error is not None for error in errors):
        summary = "\n".join(
            f"{'-' * 80}\n{n} fits failed with the following error:\n{error}"
            for error, n in Counter(errors).items()
        )
        warnings.warn(
            f"\nAll the {len(errors)} fits of this round failed; their scores are "
            f"set to {error_score} and the search goes on.\n"
            f"Below are more details about the failures:\n{summary}",
            FitFailedWarning,
            stacklevel=2,
        )
        return None
    return _ORIGINAL(results, error_score)


if _ORIGINAL is not None and _ORIGINAL.__module__ != __name__:
    setattr(_sklearn_search, _HOOK, _warn_or_raise_recording)


@contextlib.contextmanager
def record_fits() -> Iterator[FitRecorder]:
    """Record the raw results of the ``evaluate_candidates`` calls in this block."""
    if getattr(_sklearn_search, _HOOK, None) is not _warn_or_raise_recording:
        import sklearn

        raise RuntimeError(
            f"hyperopt-search does not support scikit-learn {sklearn.__version__}: "
            f"sklearn.model_selection._search.{_HOOK} is missing."
        )
    recorder = FitRecorder()
    token = _ACTIVE.set(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def callback_task(ctx, estimator, *, task_name, max_subtasks, sequential_subtasks):
    """A callback sub-task of ``ctx`` (scikit-learn >= 1.9), or None before 1.9.

    Each ``evaluate_candidates`` call needs a fresh sub-context: reusing one
    raises "already has a child with task_id=0".
    """
    if ctx is None:
        yield None
        return
    sub = ctx.subcontext(
        task_name=task_name,
        max_subtasks=max_subtasks,
        sequential_subtasks=sequential_subtasks,
    ).call_on_fit_task_begin(estimator=estimator)
    yield sub
    sub.call_on_fit_task_end(estimator=estimator)


def evaluate(evaluate_candidates, params, *, cv, more_results, callback_ctx):
    """``evaluate_candidates`` with a callback context only where supported."""
    kwargs = {} if callback_ctx is None else {"callback_ctx": callback_ctx}
    return evaluate_candidates(params, cv=cv, more_results=more_results, **kwargs)
