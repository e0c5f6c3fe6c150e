"""Everything that depends on scikit-learn's private search machinery.

``HyperoptSearchCV`` builds on ``BaseSearchCV._run_search`` (a private hook all
of scikit-learn's searches use). Two more private details matter and live only
here, tested against the oldest and newest supported scikit-learn:

1. ``evaluate_candidates`` raises "All the N fits failed" when every fit of one
   call fails, dropping that call's results; for a sequential search, one bad
   round would end the whole search. scikit-learn's ``fit`` looks up
   ``_warn_or_raise_about_fit_failures`` in ``sklearn.model_selection._search``
   at call time. We wrap that function once, at import: outside a
   ``HyperoptSearchCV`` search the wrapper calls the original unchanged; inside
   one (a context variable is set) it records which fits failed, and turns the
   all-failed error of one round into a ``FitFailedWarning`` so the round's
   rows (with ``error_score``) stay in ``cv_results_``.
2. scikit-learn >= 1.9 passes a ``callback_ctx`` to ``_run_search``.
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

__all__ = ["FitFailureRecorder", "record_fit_failures"]

_ORIGINAL = getattr(_sklearn_search, "_warn_or_raise_about_fit_failures", None)
_ACTIVE: contextvars.ContextVar[FitFailureRecorder | None] = contextvars.ContextVar(
    "hyperopt_search_fit_failure_recorder", default=None
)


class FitFailureRecorder:
    """The fit errors of every ``evaluate_candidates`` call of one search.

    ``calls[i]`` holds, for the i-th call, the error text of each fit (in
    scikit-learn's order: candidate-major, then split) or None for a success.
    """

    def __init__(self) -> None:
        self.calls: list[list[str | None]] = []

    @property
    def supported(self) -> bool:
        """Whether this scikit-learn lets us record (else: fallback mode)."""
        return (
            _ORIGINAL is not None
            and getattr(_sklearn_search, "_warn_or_raise_about_fit_failures", None)
            is _warn_or_raise_recording
        )

    def raise_all_failed(self, error_score: Any) -> None:
        """Raise scikit-learn's own "All the N fits failed" error for the search."""
        results = [{"fit_error": e} for call in self.calls for e in call]
        if _ORIGINAL is not None:
            _ORIGINAL(results, error_score)
        raise ValueError(f"All the {len(results)} fits failed.")


def _warn_or_raise_recording(results: list[dict], error_score: Any) -> None:
    recorder = _ACTIVE.get()
    if recorder is None:
        return _ORIGINAL(results, error_score)
    errors = [result["fit_error"] for result in results]
    recorder.calls.append(errors)
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
    _sklearn_search._warn_or_raise_about_fit_failures = _warn_or_raise_recording


@contextlib.contextmanager
def record_fit_failures() -> Iterator[FitFailureRecorder]:
    """Record fit failures of the ``evaluate_candidates`` calls in this block."""
    recorder = FitFailureRecorder()
    token = _ACTIVE.set(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.reset(token)


def is_all_fits_failed_error(exc: BaseException) -> bool:
    """Whether ``exc`` is scikit-learn's "All the N fits failed" error."""
    return isinstance(exc, ValueError) and "fits failed" in str(exc)


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
