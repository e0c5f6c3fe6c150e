"""HyperoptSearchCV: scikit-learn's search API, candidates chosen by hyperopt."""

from __future__ import annotations

import numbers
import warnings
from copy import deepcopy
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import Interval, StrOptions

from . import _compat
from ._optimizer import ALGORITHMS, Candidate, HyperoptOptimizer, resolve_algo
from ._space import SearchSpace, to_hyperopt_space

__all__ = ["HyperoptSearchCV"]


class HyperoptSearchCV(BaseSearchCV):
    """Hyperparameter search with cross-validation, driven by hyperopt.

    A drop-in replacement for :class:`~sklearn.model_selection.GridSearchCV`
    and :class:`~sklearn.model_selection.RandomizedSearchCV`: it takes the same
    ``param_grid`` / ``param_distributions`` (lists, scipy.stats
    distributions, lists of dicts) and gives the same ``cv_results_``,
    ``best_estimator_``, multi-metric scoring and ``refit``, but chooses each
    new candidate with hyperopt's Tree-structured Parzen Estimator (TPE) from
    the scores of the earlier ones.

    The search runs in rounds. A round asks hyperopt for ``batch_size``
    candidates (one at a time, each earlier proposal visible as a pending
    trial), cross-validates them together in one parallel call (so
    candidates x folds spread over ``n_jobs``) and tells hyperopt their
    scores. The sequence of candidates depends only on ``random_state`` and
    ``batch_size``, never on ``n_jobs``.

    Parameters
    ----------
    estimator : estimator object
        An object of that type is instantiated for each candidate. It must
        provide a ``score`` function, or ``scoring`` must be passed.

    param_distributions : dict or list of dicts
        Parameter names (``str``) mapped to what to search, as for
        :class:`~sklearn.model_selection.RandomizedSearchCV`:

        - a list, tuple or 1-D array of values: a categorical choice (a
          one-element list is a constant);
        - a frozen ``scipy.stats`` distribution: ``uniform``, ``loguniform``,
          ``norm`` and ``randint`` map to the matching hyperopt expression,
          any other continuous or discrete distribution is searched through
          its quantile function, so the prior is exactly that distribution;
        - a hyperopt expression such as ``hp.uniform("C", 0, 1)``, used as it
          is.

        A list of dicts is a conditional space: a top-level choice between
        the dicts, each dict's parameters active only in its branch. See
        :func:`to_hyperopt_space` to inspect the converted space.

    n_iter : int, default=10
        Number of candidates evaluated. A finite space (lists and integer
        ranges only) with fewer distinct candidates stops when exhausted:
        no candidate is ever fitted twice.

    algo : {"tpe", "rand", "anneal", "atpe"} or callable, default="tpe"
        hyperopt's algorithm: ``"tpe"`` (Tree-structured Parzen Estimator),
        ``"rand"`` (random search), ``"anneal"`` (simulated annealing),
        ``"atpe"`` (adaptive TPE; needs ``lightgbm``; ignores the seed, so
        not reproducible), or any callable with hyperopt's suggest signature
        ``algo(new_ids, domain, trials, seed)``, such as
        ``functools.partial(hyperopt.tpe.suggest, gamma=0.2)``.

    n_initial_points : "auto" or int, default="auto"
        Number of random candidates TPE starts from before its model guides
        the search (hyperopt's ``n_startup_jobs``). ``"auto"`` uses
        ``min(20, max(5, n_iter // 5))``: hyperopt's fixed default of 20
        would make a 30-candidate search two-thirds random. The initial
        candidates are evaluated in one round. Used by ``algo="tpe"`` only.

    batch_size : int, default=4
        Number of candidates proposed and cross-validated together in each
        round after the initial one. Larger batches keep more workers busy;
        smaller ones let the model learn from more results before choosing.

    scoring : str, callable, list, tuple or dict, default=None
        Strategy to evaluate the performance of the cross-validated model on
        the test set, as in :class:`~sklearn.model_selection.GridSearchCV`.
        hyperopt minimises minus the mean test score of the ``refit``
        metric (of the only metric in single-metric evaluation, of the first
        one when ``refit`` is not a metric name).

    n_jobs : int, default=None
        Number of jobs to run in parallel over the candidates x folds of a
        round. ``None`` means 1 unless in a :obj:`joblib.parallel_backend`
        context; ``-1`` means all processors.

    refit : bool, str, or callable, default=True
        Refit an estimator using the best found parameters on the whole
        dataset, as in :class:`~sklearn.model_selection.GridSearchCV`.

    cv : int, cross-validation generator or an iterable, default=None
        Cross-validation splitting strategy, as in
        :class:`~sklearn.model_selection.GridSearchCV`. The splits are computed
        once and reused by every round, even for a shuffling splitter without
        an integer ``random_state``.

    verbose : int, default=0
        ``>0`` prints one line per round with the best score so far, and
        scikit-learn's own per-round messages.

    pre_dispatch : int or str, default="2*n_jobs"
        Controls the number of jobs dispatched during parallel execution, as
        in :class:`~sklearn.model_selection.GridSearchCV`.

    random_state : int, RandomState instance, Generator or None, default=None
        Seeds hyperopt's suggestions. Pass an int for a reproducible sequence
        of candidates across calls.

    error_score : "raise" or numeric, default=np.nan
        Value assigned to the score of a fit that fails. A candidate with a
        failed fit is told to hyperopt as a failed trial (never as a score),
        so TPE steers away from it; the search goes on. If every candidate of
        the whole search fails, ``fit`` raises. ``"raise"`` raises at once.

    return_train_score : bool, default=False
        Whether ``cv_results_`` includes training scores.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        The same keys and dtypes as ``GridSearchCV.cv_results_``, in
        evaluation order, plus ``hyperopt_round`` (the round of each
        candidate) and ``hyperopt_tid`` (its trial id in ``trials_``).

    best_estimator_ : estimator
        Estimator refitted with the best parameters (if ``refit`` is set).

    best_score_ : float
        Mean cross-validated score of the best candidate.

    best_params_ : dict
        Parameter setting that gave the best results, with native Python
        values.

    best_index_ : int
        The index (of the ``cv_results_`` arrays) of the best candidate.

    scorer_ : function or a dict
        Scorer function(s) used on the held out data.

    n_splits_ : int
        The number of cross-validation splits (folds/iterations).

    refit_time_ : float
        Seconds used for refitting the best model on the whole dataset.

    multimetric_ : bool
        Whether or not the scorers compute several metrics.

    trials_ : hyperopt.Trials
        hyperopt's record of the search: one trial per evaluated candidate,
        with loss ``-score`` (status ``"fail"`` for failed candidates).

    search_space_ : SearchSpace
        ``param_distributions`` converted to hyperopt (see
        :func:`to_hyperopt_space`).

    n_candidates_ : int
        Number of candidates evaluated.

    stop_reason_ : str
        Why the search stopped: ``"n_iter"`` (budget used) or
        ``"exhausted"`` (every distinct candidate of a finite space was
        evaluated).

    classes_ : ndarray of shape (n_classes,)
        The classes labels (only for classifiers with ``refit``).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Exhaustive search over a grid.
    sklearn.model_selection.RandomizedSearchCV : Random search.
    to_hyperopt_space : How ``param_distributions`` becomes a hyperopt space.

    Notes
    -----
    Failed candidates get ``error_score`` in ``cv_results_`` like in
    scikit-learn. Where scikit-learn raises "All the N fits failed" for a
    call whose every fit failed, this search warns and goes on, unless every
    candidate of the search failed.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from hyperopt_search import HyperoptSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = HyperoptSearchCV(
    ...     SVC(),
    ...     {"C": loguniform(1e-2, 1e2), "kernel": ["linear", "rbf"]},
    ...     n_iter=12,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> search.n_candidates_
    12
    >>> sorted(search.best_params_)
    ['C', 'kernel']
    >>> round(search.best_score_, 2) >= 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "algo": [StrOptions(set(ALGORITHMS)), callable],
        "n_initial_points": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 0, None, closed="left"),
        ],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        algo="tpe",
        n_initial_points="auto",
        batch_size=4,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.algo = algo
        self.n_initial_points = n_initial_points
        self.batch_size = batch_size
        self.random_state = random_state
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # BaseSearchCV (up to 1.9 at least) does not pass on the target tags,
        # so a search around a multi-output regressor would claim it is not.
        # `required` stays False: without y, every fit fails and the search
        # raises scikit-learn's "All the N fits failed", as GridSearchCV does.
        target_tags = deepcopy(get_tags(self.estimator).target_tags)
        target_tags.required = tags.target_tags.required
        tags.target_tags = target_tags
        return tags

    # -- set-up, all before any fit ------------------------------------------

    def _resolved_n_initial_points(self) -> int:
        if self.n_initial_points == "auto":
            return min(20, max(5, self.n_iter // 5))
        return self.n_initial_points

    def _check_space(self) -> SearchSpace:
        space = to_hyperopt_space(self.param_distributions)
        for index, branch in enumerate(space.branches):
            try:
                clone(self.estimator).set_params(**branch.example())
            except ValueError as exc:
                where = f" (dict {index})" if len(space.branches) > 1 else ""
                raise ValueError(
                    f"Invalid parameter in param_distributions{where}: {exc}"
                ) from exc
        return space

    def _make_optimizer(self, space: SearchSpace) -> HyperoptOptimizer:
        n_initial = self._resolved_n_initial_points() if self.algo == "tpe" else None
        algo = resolve_algo(self.algo, n_initial)
        random_state = self.random_state
        if isinstance(random_state, np.random.Generator):
            seed = int(random_state.integers(2**32))
        else:
            seed = int(check_random_state(random_state).randint(2**31 - 1))
        return HyperoptOptimizer(space, algo, np.random.default_rng(seed))

    def _round_sizes(self):
        """Sizes of the rounds: the initial random round, then batches."""
        first = self.batch_size
        if self.algo == "tpe":
            first = max(first, self._resolved_n_initial_points())
        yield first
        while True:
            yield self.batch_size

    # -- the search loop -------------------------------------------------------

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Ask hyperopt for rounds of candidates until ``n_iter`` are evaluated."""
        space = self._check_space()
        optimizer = self._make_optimizer(space)
        self.search_space_ = space
        self.trials_ = optimizer.trials
        self.n_candidates_ = 0
        self.stop_reason_ = "n_iter"
        cv = _FixedSplits(self.cv, classifier=is_classifier(self.estimator))
        results: dict[str, Any] | None = None

        try:
            with (
                _compat.record_fit_failures() as recorder,
                _compat.callback_task(
                    callback_ctx,
                    self,
                    task_name="search",
                    max_subtasks=None,
                    sequential_subtasks=True,
                ) as search_ctx,
            ):
                for round_index, size in enumerate(self._round_sizes()):
                    remaining = self.n_iter - self.n_candidates_
                    if remaining <= 0:
                        break
                    batch = optimizer.ask(min(size, remaining))
                    if batch:
                        results = self._evaluate_round(
                            evaluate_candidates, batch, round_index, cv, search_ctx,
                            optimizer, recorder, results,
                        )  # fmt: skip
                    if optimizer.exhausted:
                        self.stop_reason_ = "exhausted"
                        break
                if (
                    recorder.supported
                    and recorder.calls
                    and all(error is not None for call in recorder.calls for error in call)
                ):
                    recorder.raise_all_failed(self.error_score)
        except BaseException:
            # Never lose finished work: keep what was evaluated on the object.
            self._keep_partial_results(results)
            raise
        self._report_stop(space)

    def _evaluate_round(
        self, evaluate_candidates, batch, round_index, cv, search_ctx, optimizer,
        recorder, results,
    ):  # fmt: skip
        """Cross-validate one round of candidates and tell hyperopt the losses."""
        more_results = {
            "hyperopt_round": [round_index] * len(batch),
            "hyperopt_tid": [c.tid for c in batch],
        }
        n_calls = len(recorder.calls)
        try:
            with _compat.callback_task(
                search_ctx,
                self,
                task_name="round",
                max_subtasks=len(batch) * len(cv.splits) if cv.splits else None,
                sequential_subtasks=False,
            ) as round_ctx:
                results = _compat.evaluate(
                    evaluate_candidates,
                    [c.params for c in batch],
                    cv=cv,
                    more_results=more_results,
                    callback_ctx=round_ctx,
                )
        except ValueError as exc:
            # Only without the recorder (an unknown scikit-learn) does a round
            # whose fits all failed raise; its rows are then lost.
            if recorder.supported or not _compat.is_all_fits_failed_error(exc):
                raise
            warnings.warn(
                f"All fits of {len(batch)} candidates failed; they are left out "
                f"of cv_results_ on this scikit-learn version.\n{exc}",
                UserWarning,
                stacklevel=3,
            )
            optimizer.tell({c.tid: None for c in batch})
            return results

        errors = recorder.calls[n_calls] if len(recorder.calls) > n_calls else None
        optimizer.tell(self._losses(results, batch, errors, len(cv.splits)))
        self.n_candidates_ += len(batch)
        if self.verbose > 0:
            self._print_round(round_index, batch, results)
        return results

    def _objective_metric(self, results: dict[str, Any]) -> str:
        """The metric hyperopt optimises: the refit metric, else the first."""
        metrics = [key[len("mean_test_") :] for key in results if key.startswith("mean_test_")]
        if isinstance(self.refit, str) and self.refit in metrics:
            return self.refit
        return metrics[0]

    def _losses(
        self, results, batch: list[Candidate], errors, n_splits: int
    ) -> dict[int, float | None]:
        """hyperopt losses of the last ``len(batch)`` rows: ``-score`` or None."""
        scores = results[f"mean_test_{self._objective_metric(results)}"][-len(batch) :]
        losses = {}
        for i, (candidate, score) in enumerate(zip(batch, scores, strict=True)):
            failed = errors is not None and any(
                e is not None for e in errors[i * n_splits : (i + 1) * n_splits]
            )
            losses[candidate.tid] = None if failed or not np.isfinite(score) else -float(score)
        return losses

    # -- reporting -------------------------------------------------------------

    def _best_so_far(self, results) -> tuple[str, float]:
        metric = self._objective_metric(results)
        scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
        finite = scores[np.isfinite(scores)]
        return metric, float(finite.max()) if finite.size else float("nan")

    def _print_round(self, round_index: int, batch, results) -> None:
        metric, best = self._best_so_far(results)
        print(
            f"[HyperoptSearchCV] round {round_index}: {len(batch)} candidates, "
            f"{self.n_candidates_}/{self.n_iter} evaluated, best {metric}={best:.5g}"
        )

    def _report_stop(self, space: SearchSpace) -> None:
        if self.stop_reason_ == "exhausted":
            message = (
                f"The search space has only {self.n_candidates_} distinct candidates, "
                f"fewer than n_iter={self.n_iter}; each was evaluated once."
            )
            warnings.warn(message, UserWarning, stacklevel=5)
        if self.verbose > 0:
            print(
                f"[HyperoptSearchCV] stopped ({self.stop_reason_}) after "
                f"{self.n_candidates_} candidates"
            )

    def _keep_partial_results(self, results) -> None:
        """On an error or interrupt, keep the finished candidates' results."""
        if results is None:
            return
        self.cv_results_ = results
        metric, best = self._best_so_far(results)
        scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
        if np.isfinite(best):
            self.best_index_ = int(np.nanargmax(np.where(np.isfinite(scores), scores, np.nan)))
            self.best_score_ = best
            self.best_params_ = results["params"][self.best_index_]


class _FixedSplits:
    """A splitter whose folds are computed once; every round reuses them.

    ``evaluate_candidates`` calls ``cv.split`` on every call: a shuffling
    splitter without an integer ``random_state`` would give new folds each
    round, making candidates of different rounds incomparable.
    """

    def __init__(self, cv, *, classifier: bool):
        self.cv = cv
        self.classifier = classifier
        self.splits: list | None = None

    def split(self, X, y=None, **params):
        if self.splits is None:
            cv = check_cv(self.cv, y, classifier=self.classifier)
            self.splits = list(cv.split(X, y, **params))
        return iter(self.splits)

    def get_n_splits(self, X=None, y=None, **params):
        return check_cv(self.cv, y, classifier=self.classifier).get_n_splits(X, y, **params)
