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
4. The pipelined schedules (``schedule="ordered"`` / ``"async"``) cannot use
   ``evaluate_candidates``, which fits a whole batch and returns when the last
   fit ends. They run scikit-learn's own ``_fit_and_score`` per (candidate,
   fold) and hand the raw results back to ``fit`` through the variables
   ``evaluate_candidates`` closes over (``all_out``, ``results``, ...): the
   same lists and the same ``_format_results``, so ``fit`` finishes (best
   candidate, refit, ``cv_results_``) exactly as after ``evaluate_candidates``.
   :func:`fit_context` reads those variables; they have the same names from
   scikit-learn 1.6 to 1.9.
5. ``_fit_and_score`` stores its ``error_score`` argument itself as the score
   of a failed fit or scorer: :func:`mark_failed_scores` passes a
   :class:`FailedScore` there, so a failure is told from a real score.
6. scikit-learn >= 1.9 numbers the evaluations of each ``evaluate_candidates``
   call from 0. Code written for GridSearchCV reads ``task_id // n_splits`` as
   the candidate, so the rounds pass an :class:`OffsetContext`, and
   ``_search._fit_and_score`` (looked up at call time) is wrapped once so
   ``verbose``'s ``[CV i/k; j/n]`` counts candidates over the whole search;
   for any other caller the wrapper calls the original unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from types import CellType
from typing import Any

from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import _search as _sklearn_search
from sklearn.model_selection import _validation as _sklearn_validation

__all__ = [
    "FailedScore",
    "FitContext",
    "FitRecorder",
    "OffsetContext",
    "callback_task",
    "evaluate",
    "evaluation_context",
    "fit_and_score",
    "fit_context",
    "record_fits",
]

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
        # "All the fits of this round failed ... the search goes on": said
        # only once the search does go on (see flush).
        self._deferred: list[str] = []

    def all_failed(self) -> bool:
        """Whether every fit recorded so far failed."""
        return bool(self.calls) and all(
            out["fit_error"] is not None for call in self.calls for out in call
        )

    def report(self, results: list[dict], error_score: Any) -> None:
        """Record the raw results of one evaluation and warn about failed fits.

        scikit-learn's own warning for some failed fits; a warning, instead
        of its "All the N fits failed" error, when all of them failed.
        """
        self.flush()  # a new round: the search went on after the earlier ones
        self.calls.append(results)
        errors = [out["fit_error"] for out in results]
        if errors and all(error is not None for error in errors):
            summary = "\n".join(
                f"{'-' * 80}\n{n} fits failed with the following error:\n{error}"
                for error, n in Counter(errors).items()
            )
            self._deferred.append(
                f"\nAll the {len(errors)} fits of this round failed; their scores are "
                f"set to {error_score} and the search goes on.\n"
                f"Below are more details about the failures:\n{summary}"
            )
            return
        _ORIGINAL(results, error_score)

    def flush(self) -> None:
        """Warn about the completely failed rounds the search went on after."""
        for message in self._deferred:
            warnings.warn(message, FitFailedWarning, stacklevel=3)
        self._deferred.clear()

    def raise_all_failed(self, error_score: Any) -> None:
        """Raise scikit-learn's own "All the N fits failed" error for the search."""
        self._deferred.clear()  # the search did not go on: the error says it all
        _ORIGINAL([out for call in self.calls for out in call], error_score)


def _warn_or_raise_recording(results: list[dict], error_score: Any) -> None:
    recorder = _ACTIVE.get()
    if recorder is None:
        return _ORIGINAL(results, error_score)
    return recorder.report(results, error_score)


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


# -- failed scores ---------------------------------------------------------------


class FailedScore(float):
    """``error_score`` standing in for a fit or a score that raised.

    scikit-learn's ``_fit_and_score`` stores its ``error_score`` argument
    itself as the score of a failed fit or scorer. A search passes a
    ``FailedScore`` of the user's ``error_score`` there (see
    :func:`mark_failed_scores`): ``cv_results_`` get the same number (it is
    a float), and the search can tell a failure from a real score equal to
    ``error_score``, in any worker process.
    """

    __slots__ = ()

    def __reduce__(self):
        return (FailedScore, (float(self),))


def mark_failed_scores(evaluate_candidates, error_score) -> None:
    """Make the fits of this ``fit`` call mark failed scores as :class:`FailedScore`."""
    cells = _cells(evaluate_candidates)
    if "fit_and_score_kwargs" not in cells:
        raise RuntimeError("BaseSearchCV.fit no longer prepares fit_and_score_kwargs")
    kwargs = cells["fit_and_score_kwargs"].cell_contents
    kwargs["error_score"] = FailedScore(error_score)


def _cells(evaluate_candidates) -> dict[str, CellType]:
    code = getattr(evaluate_candidates, "__code__", None)
    names = code.co_freevars if code is not None else ()
    return dict(zip(names, evaluate_candidates.__closure__ or (), strict=True))


# -- the pipelined schedules: fits outside evaluate_candidates ------------------

#: What ``evaluate_candidates`` (a closure inside ``BaseSearchCV.fit``) closes
#: over and the pipelined schedules need.
_FIT_LOCALS = (
    "X",
    "y",
    "base_estimator",
    "fit_and_score_kwargs",
    "routed_params",
    "all_candidate_params",
    "all_out",
    "all_more_results",
    "results",
    "self",
)


def fit_and_score(
    estimator, X, y, train, test, parameters, kwargs, progress=None, callback_ctx=None, caller=None
) -> dict:
    """One fit of one candidate on one fold, as ``evaluate_candidates`` runs it.

    A module-level function, so that process pools and Dask pickle it by
    reference; ``kwargs`` are ``fit``'s ``fit_and_score_kwargs`` (scorers,
    routed fit and score parameters, ``error_score``, ...). ``progress`` is
    ``((split, n_splits), (candidate, n_candidates))`` for ``verbose``;
    ``callback_ctx`` the evaluation's callback context (scikit-learn >= 1.9).
    """
    extra = {}
    if progress is not None:
        extra.update(split_progress=progress[0], candidate_progress=progress[1])
    if callback_ctx is not None:
        extra.update(callback_ctx=callback_ctx, caller=caller)
    return _sklearn_validation._fit_and_score(
        clone(estimator), X, y, train=train, test=test, parameters=parameters, **kwargs, **extra
    )


def inconsistent_splits_message(n_splits: int, n_got: int) -> str:
    """scikit-learn's error for a ``cv`` whose ``split`` and ``get_n_splits`` disagree.

    The wording changed ("returned" up to 1.8, "return" from 1.9); code that
    matches it, scikit-learn's own tests included, gets the installed one.
    """
    source = inspect.getsource(_sklearn_search.BaseSearchCV.fit)
    verb = "returned" if "get_n_splits returned" in source else "return"
    return (
        f"cv.split and cv.get_n_splits {verb} inconsistent results. "
        f"Expected {n_splits} splits, got {n_got}"
    )


# -- callbacks (scikit-learn >= 1.9) ---------------------------------------------


class OffsetContext:
    """A callback context whose evaluation subtasks are numbered from ``offset``.

    ``evaluate_candidates`` numbers the evaluations of each call from 0; a
    search made of several calls passes this proxy of its "search" context,
    so the evaluations are numbered over the whole search, as in one
    GridSearchCV call.
    """

    def __init__(self, ctx, offset: int):
        self._ctx = ctx
        self._offset = offset

    @classmethod
    def of(cls, ctx, offset: int):
        return None if ctx is None else cls(ctx, offset)

    def subcontext(self, task_name="", task_id=None, **kwargs):
        return self._ctx.subcontext(task_name=task_name, task_id=task_id + self._offset, **kwargs)


def evaluation_context(search_ctx, task_id: int):
    """The context of one (candidate, split) evaluation, or None without callbacks."""
    if search_ctx is None:
        return None
    return search_ctx.subcontext(task_name="candidate-split-evaluation", task_id=task_id)


def _fit_and_score_numbered(*args, caller=None, callback_ctx=None, **kwargs):
    """scikit-learn's ``_fit_and_score``, numbering a search's candidates globally.

    ``evaluate_candidates`` gives each call's candidates the progress
    ``(index in the call, size of the call)``; ``verbose > 9`` prints it as
    ``[CV i/k; j/n]``. For a HyperoptSearchCV, whose rounds are separate calls,
    the evaluation's callback context holds the global number (see
    :class:`OffsetContext`): the candidate becomes ``(task_id // n_splits,
    n_iter)``. Any other caller gets ``_fit_and_score`` unchanged.
    """
    split_progress = kwargs.get("split_progress")
    if (
        getattr(caller, "_numbers_candidates_globally", False)
        and callback_ctx is not None
        and split_progress is not None
        and kwargs.get("candidate_progress") is not None
    ):
        kwargs["candidate_progress"] = (callback_ctx.task_id // split_progress[1], caller.n_iter)
    return _ORIGINAL_FIT_AND_SCORE(*args, caller=caller, callback_ctx=callback_ctx, **kwargs)


_ORIGINAL_FIT_AND_SCORE = getattr(_sklearn_search, "_fit_and_score", None)
if (
    _ORIGINAL_FIT_AND_SCORE is not None
    and "callback_ctx" in inspect.signature(_ORIGINAL_FIT_AND_SCORE).parameters
    and _ORIGINAL_FIT_AND_SCORE.__module__ != __name__
):
    _sklearn_search._fit_and_score = _fit_and_score_numbered


class FitContext:
    """What ``BaseSearchCV.fit`` prepared for ``evaluate_candidates``, and its results.

    Built by :func:`fit_context`. ``X``, ``y``, ``base_estimator``,
    ``fit_and_score_kwargs`` and ``split_params`` are ``fit``'s own (after
    ``indexable`` and metadata routing); :meth:`add` appends raw results to the
    lists ``fit`` reads after ``_run_search``, and :meth:`results` formats them
    into what ``fit`` stores as ``cv_results_``.
    """

    def __init__(self, cells: dict[str, CellType]):
        self._cells = cells
        self.X = cells["X"].cell_contents
        self.y = cells["y"].cell_contents
        self.base_estimator = cells["base_estimator"].cell_contents
        self.fit_and_score_kwargs = dict(cells["fit_and_score_kwargs"].cell_contents)
        self.split_params = dict(cells["routed_params"].cell_contents.splitter.split)
        self._search = cells["self"].cell_contents
        self._formatted_n = -1  # number of candidates when last formatted here

    @property
    def n_candidates(self) -> int:
        """Number of candidates added to ``fit``'s results (by any means)."""
        return len(self._cells["all_candidate_params"].cell_contents)

    def add(self, params: Sequence[dict], outs: Sequence[dict], more_results: dict) -> None:
        """Append candidates (their per-fold raw results, candidate-major)."""
        self._cells["all_candidate_params"].cell_contents.extend(params)
        self._cells["all_out"].cell_contents.extend(outs)
        more = self._cells["all_more_results"].cell_contents
        for key, values in more_results.items():
            more[key].extend(values)

    def results(self) -> dict[str, Any]:
        """All candidates so far, formatted like ``cv_results_`` (and kept for ``fit``).

        Formatted again only when candidates were added since the last call,
        by :meth:`add` or by ``evaluate_candidates``.
        """
        if self._formatted_n == self.n_candidates:
            return self._cells["results"].cell_contents
        out = self._cells["all_out"].cell_contents
        if callable(self._search.scoring):
            # Failed fits of a callable multi-metric scorer get a dict of
            # error_score, as evaluate_candidates does per call (idempotent).
            _sklearn_validation._insert_error_scores(out, self._search.error_score)
        params = self._cells["all_candidate_params"].cell_contents
        results = self._search._format_results(
            params,
            len(out) // len(params),  # fit sets n_splits_ after _run_search before 1.9
            out,
            self._cells["all_more_results"].cell_contents,
        )
        self._cells["results"].cell_contents = results
        self._formatted_n = self.n_candidates
        return results


def fit_context(evaluate_candidates) -> FitContext:
    """The :class:`FitContext` of the ``fit`` call that made ``evaluate_candidates``."""
    cells = _cells(evaluate_candidates)
    missing = [name for name in _FIT_LOCALS if name not in cells]
    if missing:
        import sklearn

        raise RuntimeError(
            f"schedule='ordered' and schedule='async' do not support scikit-learn "
            f"{sklearn.__version__}: BaseSearchCV.fit no longer prepares "
            f"{', '.join(missing)} for evaluate_candidates. Use schedule='rounds'."
        )
    return FitContext(cells)
