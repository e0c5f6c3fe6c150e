"""HyperoptSearchCV: scikit-learn's search API, candidates chosen by hyperopt."""

from __future__ import annotations

import copy
import numbers
import os
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import get_tags, indexable
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import _compat
from ._compat import FailedScore
from ._executor import open_executor
from ._loop import FoldFits, LoopHooks, SearchLoop
from ._noise import fold_noise_of
from ._optimizer import ALGORITHMS
from ._plan import FitPlan, plan_fit
from ._reporting import account_for_failures, caller_of_fit, print_told, warn_if_workers_starve
from ._results import best_candidate, cv_results
from ._space import to_hyperopt_space  # noqa: F401  (named in the docstring)
from ._state import data_fingerprint, save_checkpoint
from ._window import Window

__all__ = ["HyperoptSearchCV"]


class HyperoptSearchCV(BaseSearchCV):
    """Hyperparameter search with cross-validation, driven by hyperopt.

    A drop-in replacement for :class:`~sklearn.model_selection.GridSearchCV`
    and :class:`~sklearn.model_selection.RandomizedSearchCV`: it takes the same
    ``param_grid`` / ``param_distributions`` (lists, scipy.stats
    distributions, lists of dicts) and gives the same ``cv_results_``,
    ``best_estimator_``, multi-metric scoring and ``refit``, but chooses each
    new candidate from the scores of the earlier ones, with a Gaussian
    process or a Tree-structured Parzen Estimator (TPE).

    ``batch_size`` candidates are in flight at a time (proposed one at a
    time, each earlier one visible to the model as pending): their folds
    queue for the ``n_jobs`` workers, and whenever the oldest candidate
    finishes, the model is told its score and proposes the next while the
    other fits run (``schedule="ordered"``; on backends that only run whole
    :func:`joblib.Parallel` calls, rounds of ``batch_size`` candidates). The
    sequence of candidates depends only on ``random_state`` and
    ``batch_size``, never on ``n_jobs``. By default (``algo="auto"``), a
    Gaussian process proposes the candidates of spaces without conditional
    parameters; on conditional spaces a multivariate TPE proposes the first
    50, then a Gaussian process per branch.

    Parameters
    ----------
    estimator : estimator object
        An object of that type is instantiated for each candidate. It must
        provide a ``score`` function, or ``scoring`` must be passed.

    param_distributions : dict or list of dicts
        Parameter names (``str``) mapped to what to search, as for
        :class:`~sklearn.model_selection.RandomizedSearchCV`:

        - a list, tuple or 1-D array of values: a categorical choice (a
          one-element list is a constant); three or more numbers, such as a
          ``param_grid`` entry ``[0.01, 0.1, 1, 10]``, are ordered levels,
          searched by rank, so the model learns that neighbouring levels
          score alike;
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

    algo : {"auto", "gp", "mtpe", "tpe", "sobol", "rand", "anneal", "atpe"} \
            or callable, default="auto"
        How candidates are proposed:

        - ``"auto"``: ``"mtpe"`` for a space of more than 12 parameters;
          otherwise ``"gp"`` for the first 200 candidates (on a space with
          conditional parameters, a list of dicts or a nested
          ``hp.choice``, only from the 50th on: ``"mtpe"`` before), and
          ``"mtpe"`` beyond. The choice depends on the space and the number of
          candidates only, so the candidates stay reproducible. See Notes.
        - ``"gp"``: Bayesian optimisation with a Gaussian process (Matern-5/2,
          one length scale per parameter, log expected improvement), after a
          scrambled Sobol design (:mod:`hyperopt_search.algorithms.gp`).
        - ``"mtpe"``: multivariate TPE, one joint Parzen estimator over all
          parameters (:mod:`hyperopt_search.algorithms.mtpe`).
        - ``"tpe"``: hyperopt's Tree-structured Parzen Estimator.
        - ``"sobol"``: a scrambled Sobol sequence (quasi-random search).
        - ``"rand"``, ``"anneal"``, ``"atpe"``: hyperopt's random search,
          simulated annealing and adaptive TPE (needs ``lightgbm``; ignores
          the seed, so not reproducible).
        - a callable with hyperopt's suggest signature
          ``algo(new_ids, domain, trials, seed)``, such as
          ``functools.partial(hyperopt.tpe.suggest, gamma=0.2)``.

    n_initial_points : "auto" or int, default="auto"
        Number of model-free candidates (a Sobol design for the Gaussian
        process and multivariate TPE, random ones for TPE) before the model
        guides the search;
        they are evaluated in one round. ``"auto"`` uses
        ``min(10, max(5, n_iter // 2))`` for the Gaussian process (Optuna's
        ``GPSampler`` uses 10), ``min(20, max(5, n_iter // 5))`` for
        hyperopt's TPE (hyperopt's fixed default of 20 would make a
        30-candidate search two-thirds random) and the larger of the two for
        multivariate TPE (10 at 20 candidates, as Optuna's samplers). Used by
        the model-based algorithms; TPE
        also models the best ``ceil(gamma * sqrt(n))`` of ``n`` candidates
        as "good" with ``gamma=0.5`` from ``n_iter=40`` on (hyperopt's 0.25
        below; see Notes).

    initial_candidates : list of dict, fitted search or dict, default=None
        What you already know, evaluated before the proposer's own
        candidates (see the "Refine and repeat" page of the documentation):

        - a list of parameter dicts, such as the estimator's defaults and a
          few configurations you trust: evaluated first, in order, in place
          of the first model-free candidates. They count toward ``n_iter``,
          must each lie in ``param_distributions`` (checked before any fit)
          and are told to the proposer like any other candidate.
        - an earlier search: a fitted search (``HyperoptSearchCV``,
          ``GridSearchCV``, ``RandomizedSearchCV``, ...) or its
          ``cv_results_``, on other data or another space; only its
          candidates that lie in ``param_distributions`` are used. If it is
          a ``HyperoptSearchCV`` fitted on the same data with the same
          ``estimator``, ``cv``, ``scoring``, ``refit``, ``error_score`` and
          ``return_train_score`` (checked, never assumed), their results
          are reused without refitting, on its folds: rows of
          ``cv_results_`` with ``reused`` True, on top of ``n_iter``.
          Otherwise none of its scores is reused: its best candidates are
          evaluated first, in place of the model-free start (a transfer
          start). ``verbose`` says which rule applied.

        A search is cloned unfitted by :func:`~sklearn.base.clone` (and so
        by ``cross_val_score``): wrap it in
        :class:`~sklearn.frozen.FrozenEstimator`, or pass its
        ``cv_results_``.

    batch_size : int, default=2
        Number of candidates proposed and cross-validated together in each
        round after the initial one; with a pipelined ``schedule``, the
        number of candidates in flight. Larger batches keep more workers
        busy; smaller ones let the model learn from more results before
        choosing (each proposal is made without the scores of the
        ``batch_size - 1`` candidates still in flight). The default, 2,
        keeps 2 to 4 workers busy with ``cv=5`` and costs little search
        quality; a search on one worker (``n_jobs=1``) finds better models
        with ``batch_size=1``. With many workers, use at least ``2 *
        n_workers / n_splits`` (a round has ``batch_size * n_splits``
        fits); see the "Parallel and distributed search" page of the
        documentation.

    schedule : {"auto", "rounds", "ordered", "async"}, default="auto"
        How proposals and fits interleave when fits run in parallel:

        - ``"auto"``: ``"ordered"`` wherever joblib's backend runs single fits
          (loky, the default; threading; multiprocessing; dask; and
          ``n_jobs=1``), ``"rounds"`` elsewhere (Spark, unknown backends).
          The fitted ``schedule_`` says which, and so does ``verbose``.

        - ``"rounds"``: each round's candidates x folds are cross-validated
          together (one :func:`joblib.Parallel` call); the next round starts
          when the slowest fit of the round ends.
        - ``"ordered"``: ``batch_size`` candidates stay in flight; each time
          the oldest one finishes, hyperopt is told its score and proposes a
          new candidate, whose folds are queued at once. Workers wait only
          when the oldest candidate is much slower than the ones after it.
          The candidates depend on ``random_state`` and ``batch_size`` only,
          as with ``"rounds"`` (but they are not the same as with
          ``"rounds"``).
        - ``"async"``: like ``"ordered"``, but a candidate is told as soon as
          it finishes, so no worker waits for a slow candidate; the
          candidates then depend on the fit times: not reproducible with
          more than one worker.

        The pipelined schedules run on joblib's loky (default), threading,
        multiprocessing and dask backends; they call ``monitor`` and check
        the stopping rules after every candidate.

    racing : bool, default=False
        Race the folds: fit each candidate's folds one after the other and
        stop it as soon as its scores on the folds done show, in a paired
        comparison with the best complete candidate on the same folds, that
        it is unlikely (probability below 20%, with the fold-to-fold noise
        estimated from the better half of the complete candidates) to end
        level with it. Its other folds are never fitted. A failed fold also
        ends its candidate (a failure whatever its other folds). ``best_*``, ranks and the
        refit come from complete candidates only; a raced-out candidate is
        in ``cv_results_`` with NaN for the folds it did not fit (so a NaN
        mean score) and fewer ``n_splits_fitted``, and hyperopt is told its
        estimated score (the best's mean plus the mean paired difference).
        The decisions depend only on candidates told before it was proposed:
        the results do not depend on ``n_jobs``. Needs a pipelined
        ``schedule``; one fold per candidate in flight runs at a time, so
        use ``batch_size >= 2 * n_workers``. See the "Long searches" page.

    scoring : str, callable, list, tuple or dict, default=None
        Strategy to evaluate the performance of the cross-validated model on
        the test set, as in :class:`~sklearn.model_selection.GridSearchCV`.
        hyperopt minimises minus the mean test score of the ``refit``
        metric (of the only metric in single-metric evaluation, of the first
        one when ``refit`` is not a metric name).

    n_jobs : int, default=None
        Number of jobs to run in parallel over the candidates x folds of a
        round. ``None`` means 1 unless in a :func:`joblib.parallel_config`
        context; ``-1`` means all processors. Under the Dask backend
        (``joblib.parallel_config(backend="dask")``) the fits run on the
        cluster's workers, which it uses whatever ``n_jobs`` says.

    refit : bool, str, or callable, default=True
        Refit an estimator using the best found parameters on the whole
        dataset, as in :class:`~sklearn.model_selection.GridSearchCV`.

    cv : int, cross-validation generator or an iterable, default=None
        Cross-validation splitting strategy, as in
        :class:`~sklearn.model_selection.GridSearchCV`. The splits are computed
        once and reused by every round, even for a shuffling splitter without
        an integer ``random_state``.

    verbose : int, default=0
        ``>0`` prints GridSearchCV's "Fitting k folds for each of n
        candidates" line, then one line per round (with a pipelined
        ``schedule``, per candidate) with the best score so far; ``>1`` and
        more adds scikit-learn's own per-fit messages.

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

    n_iter_no_change : int, default=None
        Stop when the best score has not improved by more than ``tol`` for
        this many consecutive candidates (checked after each round, so a
        round in flight is finished). None disables it.

    tol : float, default=0.0
        The improvement ``n_iter_no_change`` asks for.

    timeout : float, default=None
        Seconds of wall time: no new round starts after it (the first round
        of a fit always runs), and the search ends with what finished.

    score_threshold : float, default=None
        Stop as soon as a candidate reaches this mean test score (of the
        metric hyperopt optimises), after its round.

    monitor : callable, default=None
        Called after every round (with a pipelined ``schedule``, after every
        candidate) as ``monitor(search, cv_results)``, with the results of
        all candidates so far (formatted like ``cv_results_``; the search's
        fitted attributes are set only at the end of ``fit``). Returning True
        stops the search; its exceptions are not caught (the finished
        candidates are still kept, see Notes).

    warm_start : bool, default=False
        When True, ``fit`` on the same data continues the previous search of
        this object: earlier candidates stay in ``cv_results_`` and in
        ``trials_`` and are not refitted, and the search runs until
        ``n_iter`` candidates in total. Fitting different data, or changing
        a setting the scores depend on (see Notes), raises a ``ValueError``
        before any fit.

    checkpoint : str or path-like, default=None
        A file where the state needed to resume is written after every
        candidate (every round with ``schedule="rounds"``), atomically: a
        killed process loses at most the candidates in flight. When the file
        holds a search of the same data, ``fit`` resumes it, like
        ``warm_start``; a finished one is reloaded without refitting its
        candidates. The file keeps one search per dataset (the outer folds
        of a nested cross-validation each get theirs). A corrupt file, or
        one written with other settings, raises before any fit and is never
        overwritten. Its folder must exist. It is a pickle: only load
        checkpoints you wrote.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        The same keys and dtypes as ``GridSearchCV.cv_results_``, in
        evaluation order, or, once every candidate of a space of lists (a
        ``param_grid``) is evaluated, in ``ParameterGrid``'s order, row for
        row as ``GridSearchCV`` gives them (ties for the best broken as it
        does); plus ``hyperopt_order`` (each row's place in evaluation
        order), ``hyperopt_round`` (the round of each candidate; with a
        pipelined ``schedule``, each candidate after TPE's start-up ones is
        its own round; -1 for a reused one), ``hyperopt_tid`` (its trial id
        in ``trials_``), ``reused`` (True for an earlier search's results
        reused without refitting, see ``initial_candidates``) and
        ``n_splits_fitted`` (the folds fitted: fewer than ``n_splits_`` for
        a candidate raced out by ``racing``).

    best_estimator_ : estimator
        Estimator refitted with the best parameters (if ``refit`` is set).

    best_score_ : float
        Mean cross-validated score of the best candidate.

    best_params_ : dict
        Parameter setting that gave the best results: a value of a list is
        the user's own object (as in ``GridSearchCV``), a value drawn from
        a distribution a native Python number.

    best_index_ : int
        The index (of the ``cv_results_`` arrays) of the best candidate.

    fold_noise_ : FoldNoise or None
        How much of the best candidate's lead is fold noise (see
        :func:`fold_noise`): the pooled standard error of a paired
        difference of CV means, each candidate's lead, and which candidates
        are within one standard error of the best (over-tuning chases their
        differences). ``verbose`` prints it. None with fewer than two folds
        or no complete candidate.

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

    schedule_ : {"rounds", "ordered", "async"}
        The schedule the search ran with (``schedule="auto"`` resolved).

    stop_reason_ : str
        Why the search stopped: ``"n_iter"`` (budget used), ``"exhausted"``
        (every distinct candidate of a finite space was evaluated),
        ``"n_iter_no_change"``, ``"timeout"``, ``"score_threshold"``,
        ``"monitor"``, or ``"interrupted"`` (an exception, such as
        ``KeyboardInterrupt``, ended it).

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
    scikit-learn, and are told to the proposer as failures, never as scores
    (the stopping rules and ``verbose`` ignore them too). Where scikit-learn
    raises "All the N fits failed" for a call whose every fit failed, this
    search goes on, and raises only if every candidate of the search failed;
    failed fits are reported once, at the end of ``fit``, as GridSearchCV
    reports them.

    Fitted attributes are set once, at the end of ``fit``. When ``fit`` is
    interrupted (``KeyboardInterrupt``, an error, a failing ``monitor``),
    the told candidates are kept as one consistent set of attributes before
    the exception propagates: ``cv_results_``, ``trials_``, ``stop_reason_``
    and ``best_index_`` / ``best_score_`` / ``best_params_`` where the same
    ``refit`` rules give them; no ``best_estimator_``, and no attribute of an
    earlier fit. ``fit`` with ``warm_start=True`` continues from them,
    proposing what the uninterrupted search would have, whatever the
    schedule. A fitted or interrupted search pickles with that state.

    ``algo="auto"`` depends on the space and the number of candidates only
    (never on timings, so the candidates stay reproducible); the tuning
    benchmarks behind it, and behind ``algo="tpe"``'s budget-aware settings,
    are on the "Algorithms" page of the documentation. For other TPE
    settings, pass ``algo=functools.partial(hyperopt.tpe.suggest,
    gamma=..., n_startup_jobs=...)``.

    A continued search (``warm_start``, ``checkpoint``) reuses the folds of
    its first fit and continues the same random sequence, proposing what one
    long search with the same seed would have. It refuses, before any fit, a
    change of anything that makes the earlier scores comparable (data,
    ``estimator``, ``param_distributions``, ``scoring``, ``refit``, ``cv``,
    ``return_train_score``, ``error_score``), and a continued search with
    nothing left to do (``n_iter`` reached, space exhausted, a stopping rule
    already met) reloads its results and refits the best candidate without
    fitting any other. A checkpoint file keeps one search per dataset, so a
    search with a ``checkpoint`` works under ``cross_val_score`` (nested
    cross-validation).

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
    >>> search.schedule_  # what schedule="auto" ran: pipelined, on joblib's backend
    'ordered'
    >>> sorted(search.best_params_)
    ['C', 'kernel']
    >>> float(search.best_score_) >= 0.95
    True

    On several workers, ``schedule="ordered"`` keeps them busy; the
    candidates still do not depend on ``n_jobs``:

    >>> space = {"C": loguniform(1e-2, 1e2)}
    >>> options = dict(n_iter=8, schedule="ordered", random_state=0)
    >>> one = HyperoptSearchCV(SVC(), space, n_jobs=1, **options).fit(X, y)
    >>> two = HyperoptSearchCV(SVC(), space, n_jobs=2, **options).fit(X, y)
    >>> one.cv_results_["params"] == two.cv_results_["params"]
    True

    With ``racing=True``, candidates whose first folds are clearly behind
    the best stop early; the best comes from complete candidates:

    >>> from sklearn.linear_model import LogisticRegression
    >>> raced = HyperoptSearchCV(
    ...     LogisticRegression(max_iter=500), {"C": loguniform(1e-4, 1e2)},
    ...     n_iter=16, cv=5, racing=True, random_state=0,
    ... ).fit(X, y)
    >>> fitted = raced.cv_results_["n_splits_fitted"]
    >>> bool((fitted < 5).any()), int(fitted[raced.best_index_])
    (True, 5)
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
        "initial_candidates": [list, tuple, dict, HasMethods(["get_params"]), None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "schedule": [StrOptions({"auto", "rounds", "ordered", "async"})],
        "racing": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "timeout": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "score_threshold": [Interval(numbers.Real, None, None, closed="neither"), None],
        "monitor": [callable, None],
        "warm_start": ["boolean"],
        "checkpoint": [str, os.PathLike, None],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        algo="auto",
        n_initial_points="auto",
        initial_candidates=None,
        batch_size=2,
        schedule="auto",
        racing=False,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        n_iter_no_change=None,
        tol=0.0,
        timeout=None,
        score_threshold=None,
        monitor=None,
        warm_start=False,
        checkpoint=None,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.algo = algo
        self.n_initial_points = n_initial_points
        self.initial_candidates = initial_candidates
        self.batch_size = batch_size
        self.schedule = schedule
        self.racing = racing
        self.random_state = random_state
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.timeout = timeout
        self.score_threshold = score_threshold
        self.monitor = monitor
        self.warm_start = warm_start
        self.checkpoint = checkpoint
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
        target_tags = copy.deepcopy(get_tags(self.estimator).target_tags)
        target_tags.required = tags.target_tags.required
        tags.target_tags = target_tags
        return tags

    @_compat.fit_context
    def fit(self, X, y=None, **params):
        """Run the search: candidates chosen by hyperopt, cross-validated.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_output), default=None
            Target relative to X; None for unsupervised learning.

        **params : dict of str -> object
            Parameters passed to the ``fit`` method of the estimator, the
            scorer and the CV splitter (``groups``), as for
            :meth:`sklearn.model_selection.GridSearchCV.fit`.

        Returns
        -------
        self : object
            Instance of fitted estimator.
        """
        # The data identity lets a continued search refuse different data.
        fingerprint = data_fingerprint(X, y, params)
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _compat.check_method_params(X, params=params)
        routed = self._get_routed_params_for_fit(params)
        plan = plan_fit(self, X, y, routed.splitter.split, fingerprint)
        callbacks = _compat.callback_contexts(self, X, y, params)
        error_score = self.error_score
        fit_kwargs = {
            "scorer": scorers,
            "fit_params": routed.estimator.fit,
            "score_params": routed.scorer.score,
            "return_train_score": self.return_train_score,
            "return_n_test_samples": True,
            "return_times": True,
            "return_parameters": False,
            # A failed fit or score gets a FailedScore: the proposer is told
            # a failure, never the number error_score stands for.
            "error_score": error_score if error_score == "raise" else FailedScore(error_score),
            "verbose": self.verbose,
        }
        try:
            stop_reason = plan.finished or self._search(plan, X, y, fit_kwargs, callbacks)
            account_for_failures(plan.record, error_score)
        except BaseException:
            # Never lose finished work: the told candidates, as one set of attributes.
            self._set_fitted(plan, "interrupted", scorers, refit_metric)
            raise
        self._set_fitted(plan, stop_reason, scorers, refit_metric)
        self._report_stop(plan)
        if self.refit:
            self._refit(X, y, routed.estimator.fit, callbacks)
        callbacks.end()
        return self

    def _search(self, plan: FitPlan, X, y, fit_kwargs: dict, callbacks) -> str:
        """Run the search loop on the executor of joblib's current backend."""
        record = plan.record
        pipelined = plan.schedule != "rounds"
        with (
            open_executor(self.n_jobs, pipelined=pipelined, pre_dispatch=self.pre_dispatch) as ex,
            callbacks.search(max_subtasks=plan.budget * record.n_splits),
        ):
            warn_if_workers_starve(self, record.n_splits, ex.n_workers, pipelined=pipelined)
            if self.verbose > 0:
                # GridSearchCV's line: the candidates this fit can evaluate.
                if plan.known.rule != "none":
                    print(f"[HyperoptSearchCV] initial_candidates: {plan.known.describe()}")
                n_left = min(plan.budget, plan.space.size or plan.budget) - record.n_candidates
                print(
                    f"Fitting {record.n_splits} folds for each of {n_left} candidates, "
                    f"totalling {n_left * record.n_splits} fits"
                )
            fits = FoldFits(
                ex,
                estimator=clone(self.estimator),
                X=X,
                y=y,
                fit_kwargs=fit_kwargs,
                splits=record.splits,
                callbacks=callbacks,
                n_iter=plan.budget,
            )

            def told(evaluations, record):
                if self.checkpoint is not None:
                    save_checkpoint(self.checkpoint, plan.state())
                if self.verbose > 0:
                    print_told(evaluations, record, n_iter=plan.budget, rounds=not pipelined)

            def monitor(record):
                return self.monitor(self, cv_results(self, record, plan.space))

            window = Window(
                plan.schedule, batch_size=self.batch_size, startup=plan.startup, racing=plan.racing
            )
            return SearchLoop(
                optimizer=plan.optimizer,
                record=record,
                fits=fits,
                window=window,
                n_iter=plan.budget,
                rules=plan.rules,
                racing=plan.racing,
                hooks=LoopHooks(told=told, monitor=None if self.monitor is None else monitor),
            ).run()

    def _set_fitted(self, plan: FitPlan, stop_reason: str, scorers, refit_metric) -> None:
        """Set every fitted attribute at once, from the record; none of an earlier fit survives.

        After an interrupt (``stop_reason="interrupted"``) they describe the
        told candidates, with the same ``refit`` rules as a finished search,
        and no ``best_estimator_``; the state kept for ``warm_start`` keeps
        the candidates in flight, so a continued search proposes what the
        uninterrupted one would have.
        """
        record, optimizer = plan.record, plan.optimizer
        interrupted = stop_reason == "interrupted"
        self._search_state = plan.state(detached=interrupted)
        if interrupted:
            optimizer.discard_pending()  # trials_: the told candidates only
        fitted = {
            "search_space_": plan.space,
            "schedule_": plan.schedule,
            "trials_": optimizer.trials,
            "n_candidates_": record.n_candidates,
            "stop_reason_": stop_reason,
            "n_splits_": record.n_splits,
            "scorer_": _compat.scorer_attribute(scorers),
        }
        if record.n_candidates:
            results = fitted["cv_results_"] = cv_results(self, record, plan.space)
            first_test_score = record.outs[0]["test_scores"]
            multimetric = fitted["multimetric_"] = isinstance(first_test_score, dict)
            if callable(self.scoring) and multimetric:
                self._check_refit_for_multimetric(first_test_score)
                refit_metric = self.refit
            fitted.update(
                best_candidate(self, results, refit_metric, multimetric, partial=interrupted)
            )
            fitted["fold_noise_"] = fold_noise_of(
                results, record.objective.metric_name(record.outs)
            )
        for name in [name for name in vars(self) if name.endswith("_") and name[0] != "_"]:
            delattr(self, name)
        for name, value in fitted.items():
            setattr(self, name, value)

    def _refit(self, X, y, fit_params: dict, callbacks) -> None:
        """Refit the best candidate on the whole data, as ``BaseSearchCV.fit`` does."""
        # Cloned parameters too: they may be estimators (a pipeline's steps).
        estimator = clone(self.estimator).set_params(**clone(self.best_params_, safe=False))
        with callbacks.refit(estimator):
            start = time.time()
            if y is not None:
                estimator.fit(X, y, **fit_params)
            else:
                estimator.fit(X, **fit_params)
            refit_time = time.time() - start
        self.best_estimator_ = estimator
        self.refit_time_ = refit_time
        if hasattr(estimator, "feature_names_in_"):
            self.feature_names_in_ = estimator.feature_names_in_

    def _report_stop(self, plan: FitPlan) -> None:
        if plan.finished == "n_iter" and self.checkpoint is None:
            warnings.warn(
                f"warm_start=True with n_iter={self.n_iter}, which the previous fit "
                f"already evaluated ({self.n_candidates_} candidates): no new "
                "candidate was evaluated. Raise n_iter to continue the search.",
                UserWarning,
                stacklevel=caller_of_fit(),
            )
        if self.stop_reason_ == "exhausted" and self.search_space_.size is None:
            warnings.warn(
                f"The search stopped after {self.n_candidates_} distinct candidates, "
                f"fewer than n_iter={self.n_iter}: neither the model nor random draws "
                "from the space proposed a candidate not evaluated already (its "
                "distributions put nearly all their probability on values already "
                "tried).",
                UserWarning,
                stacklevel=caller_of_fit(),
            )
        elif self.stop_reason_ == "exhausted":
            message = (
                f"The search space has only {self.n_candidates_} distinct candidates, "
                f"fewer than n_iter={self.n_iter}; each was evaluated once."
            )
            if truncated := self.search_space_.truncated:
                message += (
                    f" The distributions of {', '.join(map(repr, truncated))} have an "
                    "infinite support, but their other values have probabilities "
                    "below 1e-12 and cannot be proposed."
                )
            warnings.warn(message, UserWarning, stacklevel=caller_of_fit())
        if self.verbose > 0:
            print(
                f"[HyperoptSearchCV] stopped ({self.stop_reason_}) after "
                f"{self.n_candidates_} candidates"
            )
            if getattr(self, "fold_noise_", None) is not None:
                print(f"[HyperoptSearchCV] {self.fold_noise_}")
