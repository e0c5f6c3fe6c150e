"""Every private name of scikit-learn this package uses, in one place, only called.

``HyperoptSearchCV`` overrides ``BaseSearchCV.fit`` (as scikit-learn's
successive-halving search overrides it): its ``fit`` prepares the data, the
scorers, the routed metadata and the folds, runs the search loop, and sets the
fitted attributes, with scikit-learn's own methods and functions. Nothing of
scikit-learn is read from a closure, replaced or patched. The private names
below are *called*; each is tested at the oldest (1.6.1) and newest (1.9)
supported scikit-learn by the whole test suite, scikit-learn's own
``test_search.py`` included.

Methods of ``BaseSearchCV`` (called on the search):

- ``_get_scorers()``: the scorers and the refit metric, from ``scoring``.
- ``_get_routed_params_for_fit(params)``: metadata routed to the estimator's
  ``fit``, the scorer and the splitter (``groups``).
- ``_check_refit_for_multimetric(scores)``: ``refit`` against a callable
  multi-metric scorer's names.
- ``_select_best_index(refit, refit_metric, results)``: the best candidate.
- ``_format_results(candidate_params, n_splits, out, more_results)``: raw
  per-fit results into ``cv_results_``.
- ``_init_callback_context(...)`` (1.9 and newer): the root callback context.

Functions:

- ``sklearn.base._fit_context``: the decorator of ``fit`` (parameter
  validation; from 1.9 the callbacks' teardown).
- ``sklearn.model_selection._validation._fit_and_score``: one fit of one
  candidate on one fold (``caller`` and ``callback_ctx`` from 1.9).
- ``sklearn.model_selection._validation._insert_error_scores``: failed fits
  of a callable multi-metric scorer get a dict of ``error_score``.
- ``sklearn.model_selection._validation._warn_or_raise_about_fit_failures``:
  scikit-learn's warning about failed fits, and its "All the N fits failed".
- ``sklearn.utils.validation._check_method_params``: fit parameters indexed
  like ``X``.
- ``sklearn.metrics._scorer._MultimetricScorer``: unwrapped into ``scorer_``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sklearn
from sklearn.base import _fit_context, clone
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._validation import (
    _fit_and_score,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils.fixes import parse_version
from sklearn.utils.validation import _check_method_params

__all__ = [
    "SKLEARN_VERSION",
    "FailedScore",
    "callback_contexts",
    "check_method_params",
    "fit_and_score",
    "fit_context",
    "inconsistent_splits_message",
    "insert_error_scores",
    "scorer_attribute",
    "supports_callbacks",
    "warn_or_raise_about_fit_failures",
]

SKLEARN_VERSION = parse_version(parse_version(sklearn.__version__).base_version)

#: ``fit``'s decorator: validates the parameters (and, from 1.9, tears the
#: callbacks down whatever happens).
fit_context = _fit_context(prefer_skip_nested_validation=False)

check_method_params = _check_method_params
insert_error_scores = _insert_error_scores
warn_or_raise_about_fit_failures = _warn_or_raise_about_fit_failures


def supports_callbacks(search) -> bool:
    """Whether this scikit-learn has callbacks (1.9 and newer)."""
    return hasattr(search, "_init_callback_context")


def scorer_attribute(scorers) -> Any:
    """``scorer_``: the only scorer, or the dict of the multi-metric scorer's."""
    return scorers._scorers if isinstance(scorers, _MultimetricScorer) else scorers


class FailedScore(float):
    """``error_score`` standing in for a fit or a score that raised.

    scikit-learn's ``_fit_and_score`` stores its ``error_score`` argument
    itself as the score of a failed fit or scorer. A search passes a
    ``FailedScore`` of the user's ``error_score`` there: ``cv_results_`` get
    the same number (it is a float), and the search can tell a failure from a
    real score equal to ``error_score``, in any worker process.
    """

    __slots__ = ()

    def __reduce__(self):
        return (FailedScore, (float(self),))


def fit_and_score(
    estimator, X, y, train, test, parameters, kwargs, progress=None, callback=None
) -> dict:
    """One fit of one candidate on one fold, as ``BaseSearchCV.fit`` runs it.

    A module-level function, so that process pools and Dask pickle it by
    reference. ``kwargs`` are the scorers, routed fit and score parameters,
    ``error_score``, ...; ``progress`` is ``((split, n_splits), (candidate,
    n_candidates))`` for ``verbose``; ``callback`` is ``(callback_ctx,
    caller)`` on scikit-learn 1.9 and newer, None before.
    """
    extra = {}
    if progress is not None:
        extra.update(split_progress=progress[0], candidate_progress=progress[1])
    if callback is not None:
        extra.update(callback_ctx=callback[0], caller=callback[1])
    return _fit_and_score(
        clone(estimator), X, y, train=train, test=test, parameters=parameters, **kwargs, **extra
    )


def inconsistent_splits_message(n_splits: int, n_got: int) -> str:
    """scikit-learn's error for a ``cv`` whose ``split`` and ``get_n_splits`` disagree.

    The wording changed ("returned" up to 1.8, "return" from 1.9); code that
    matches it, scikit-learn's own tests included, gets the installed one.
    """
    verb = "return" if SKLEARN_VERSION >= parse_version("1.9") else "returned"
    return (
        f"cv.split and cv.get_n_splits {verb} inconsistent results. "
        f"Expected {n_splits} splits, got {n_got}"
    )


class _NoContext:
    """The callback context of a scikit-learn without callbacks: does nothing."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return self

    @contextlib.contextmanager
    def propagate_callback_context(self, estimator):
        yield


class CallbackContexts:
    """The callback contexts of one ``fit``, shaped as ``GridSearchCV``'s task tree.

    A root "fit" task with a "search" subtask whose subtasks are the
    evaluations, numbered candidate-major over the whole search (so the row of
    ``cv_results_`` is ``task_id // n_splits``), then a "refit" subtask.
    Before scikit-learn 1.9, every context is a no-op and the fits get none.
    """

    def __init__(self, search, X, y, metadata, *, supported: bool):
        self._supported = supported
        self._begin = {"X": X, "y": y, "metadata": metadata}
        self._search = search
        estimators = [search, search.estimator, *search.estimator.get_params(deep=True).values()]
        self._in_use = supported and any(
            getattr(estimator, "_skl_callbacks", None) for estimator in estimators
        )
        if supported:
            root = search._init_callback_context(max_subtasks=1 + (search.refit is not False))
            self.root = root.call_on_fit_task_begin(estimator=search, **self._begin)
        else:
            self.root = _NoContext()
        self.search_task = None

    @contextlib.contextmanager
    def search(self, max_subtasks: int | None) -> Iterator[None]:
        """The "search" task, around the loop."""
        task = self.root.subcontext(
            task_name="search", max_subtasks=max_subtasks, sequential_subtasks=False
        ).call_on_fit_task_begin(estimator=self._search)
        self.search_task = task
        yield
        task.call_on_fit_task_end(estimator=self._search)

    def evaluation(self, task_id: int) -> tuple | None:
        """``(callback_ctx, caller)`` of one evaluation for ``fit_and_score``.

        None when no callback is set on the search or on its estimator (or
        the estimator's own estimators): the context, and the search with it,
        would be sent to the workers with every fit for nothing.
        """
        if not self._in_use:
            return None
        context = self.search_task.subcontext(
            task_name="candidate-split-evaluation", task_id=task_id
        )
        return context, self._search

    @contextlib.contextmanager
    def refit(self, estimator) -> Iterator[None]:
        """The "refit-with-best-params" task, around the refit of ``estimator``."""
        task = self.root.subcontext(task_name="refit-with-best-params")
        with task.propagate_callback_context(estimator):
            task.call_on_fit_task_begin(estimator=self._search, **self._begin)
            yield
        task.call_on_fit_task_end(estimator=self._search, **self._begin)

    def end(self) -> None:
        self.root.call_on_fit_task_end(estimator=self._search, **self._begin)


def callback_contexts(search, X, y, params: dict) -> CallbackContexts:
    """The :class:`CallbackContexts` of a ``fit`` of ``search`` (as 1.9's ``fit`` opens them)."""
    sample_weight = params.get("sample_weight")
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    return CallbackContexts(search, X, y, metadata, supported=supports_callbacks(search))
