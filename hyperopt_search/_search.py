"""HyperoptSearchCV: scikit-learn's search API, candidates chosen by hyperopt."""

from __future__ import annotations

import contextlib
import copy
import numbers
import os
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import clone, is_classifier
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import Interval, StrOptions

from . import _compat
from ._executor import open_executor, pipeline_unsupported
from ._optimizer import (
    ALGORITHMS,
    MODEL_ALGORITHMS,
    AutoAlgorithm,
    Candidate,
    HyperoptOptimizer,
    resolve_algo,
)
from ._pipeline import Evaluation, Pipeline
from ._racing import Race, reference
from ._run import FixedSplits, Run
from ._space import SearchSpace, to_hyperopt_space
from ._state import (
    SearchState,
    check_checkpoint_path,
    data_fingerprint,
    load_checkpoint,
    save_checkpoint,
    space_identity,
    space_signature,
    stable_hash,
)
from ._stopping import StoppingRules

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
        Called after every round as ``monitor(search, cv_results)``, with the
        results of all candidates so far (formatted like ``cv_results_``).
        Returning True stops the search; its exceptions are not caught (the
        finished candidates are still kept, see Notes).

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
        evaluation order, plus ``hyperopt_round`` (the round of each
        candidate; with a pipelined ``schedule``, each candidate after TPE's
        start-up ones is its own round), ``hyperopt_tid`` (its trial id in
        ``trials_``) and ``n_splits_fitted`` (the folds fitted: fewer than
        ``n_splits_`` for a candidate raced out by ``racing``).

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
    scikit-learn. Where scikit-learn raises "All the N fits failed" for a
    call whose every fit failed, this search warns and goes on, unless every
    candidate of the search failed.

    When ``fit`` is interrupted (``KeyboardInterrupt``, an error, a failing
    ``monitor``), the finished candidates are kept before the exception
    propagates: ``cv_results_``, ``trials_``, ``best_index_``,
    ``best_score_`` and ``best_params_`` describe them (there is no
    ``best_estimator_``), and ``fit`` with ``warm_start=True`` continues from
    them, proposing what the uninterrupted search would have. A fitted or
    interrupted search pickles with that state.

    ``algo="auto"`` (the default) follows the tuning tasks of
    ``benchmarks/`` (never the held-out report tasks): on the five without
    conditional parameters, the regret ratio against random search at 50
    candidates was 0.36 with the Gaussian process and 0.58 with TPE (0.70
    and 0.66 at 20 candidates: a tie). On the three conditional ones the
    Gaussian process was the weakest (0.49 at 50 candidates, 0.89 at 20);
    multivariate TPE was best at 50 candidates (0.22, hyperopt's TPE 0.34)
    and second at 20 (0.62, hyperopt's TPE 0.53), so ``"auto"`` uses
    multivariate TPE there for the first 50 candidates. Later, it can starve
    a branch that is good only in a narrow region (a diagnostic task:
    multivariate TPE ended on the better branch in 5 of 20 seeds at 100
    candidates); from 50 candidates on ``"gp"`` models each branch with its
    own GP, whose uncertainty keeps such a branch in view (19 of 20 on that
    task; level on the three conditional tuning tasks at 100 candidates, 12
    better and 12 worse of 60). A GP proposal costs 40 to 60 ms while fewer
    than 50 candidates have finished (it averages over 8 samples of its
    kernel parameters), 10 to 30 ms from then on, and grows with the cube of
    the candidates; from 200
    candidates on (and on spaces of more than 12 parameters), ``"auto"``
    switches to multivariate TPE (under a millisecond per proposal up to
    1,000 candidates; on the tuning tasks at 100 candidates it beat
    hyperopt's TPE, regret ratio 0.22 against 0.32).
    The choice never depends on timings, so the candidates stay
    reproducible.

    ``algo="tpe"`` is hyperopt's TPE with budget-aware settings chosen from
    the benchmarks in ``benchmarks/results/defaults.md`` (6 tasks, 10 seeds,
    confirmed on 20 more): ``n_initial_points="auto"`` and ``gamma=0.5`` from
    40 candidates on lowered the regret ratio against random search at 50
    candidates from 0.80 (hyperopt's defaults) to 0.53. For other settings,
    pass ``algo=functools.partial(hyperopt.tpe.suggest, gamma=...,
    n_startup_jobs=...)``.

    A continued search (``warm_start``, ``checkpoint``) reuses the folds of
    its first fit and continues the same random sequence: with rounds that
    end on the same candidates, it proposes what one long search with the
    same seed would have. It refuses, before any fit, a change of anything
    that makes the earlier scores comparable (data, ``estimator``,
    ``param_distributions``, ``scoring``, ``refit``, ``cv``,
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

    # verbose > 9 numbers candidates over the whole search (see _compat).
    _numbers_candidates_globally = True

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

    def fit(self, X, y=None, **params):
        """Run the search: rounds of candidates chosen by hyperopt, cross-validated.

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
        self._fit_fingerprint = data_fingerprint(X, y, params)
        cv = self.cv
        self._cv_one_shot = _is_one_shot_iterable(cv)
        if self._cv_one_shot:
            # A generator of splits (scikit-learn accepts "an iterable yielding
            # (train, test) splits") would be used up by the first check_cv:
            # read it once, and give scikit-learn and our folds the list. One
            # already used up by an earlier fit continues with that fit's folds.
            splits = list(cv)
            previous = getattr(self, "_search_state", None)
            if not splits and self.warm_start and previous is not None:
                splits = list(previous.splits)
            self.cv = splits
        try:
            return super().fit(X, y, **params)
        finally:
            self.cv = cv
            del self._fit_fingerprint, self._cv_one_shot
            self.__dict__.pop("_prior", None)

    # -- set-up, all before any fit ------------------------------------------

    def _resolved_n_initial_points(self, algo: str = "tpe") -> int:
        if self.n_initial_points != "auto":
            return self.n_initial_points
        gp = min(10, max(5, self.n_iter // 2))
        tpe = min(20, max(5, self.n_iter // 5))
        return {"gp": gp, "mtpe": max(gp, tpe)}.get(algo, tpe)

    def _check_space(self) -> SearchSpace:
        space = to_hyperopt_space(self.param_distributions)
        for index, branch in enumerate(space.branches):
            try:
                # Cloned values: set_params must not touch the user's objects.
                clone(self.estimator).set_params(**clone(branch.example(), safe=False))
            except ValueError as exc:
                where = f" (dict {index})" if len(space.branches) > 1 else ""
                raise ValueError(
                    f"Invalid parameter in param_distributions{where}: {exc}"
                ) from exc
        return space

    def _settings(self, space: SearchSpace) -> dict[str, str]:
        """What makes the candidates' scores comparable, as stable hashes by name.

        A continued search (``warm_start``, ``checkpoint``) must match every
        one of them; only the budget, the stopping rules, the schedule and
        the parallelism may change.
        """
        refit = self.refit if isinstance(self.refit, str) else None
        return {
            "estimator": stable_hash(clone(self.estimator)),
            "param_distributions": space_identity(space),
            "scoring": stable_hash(self.scoring),
            "refit": stable_hash(refit),  # the optimised metric, with multi-metric scoring
            # A generator of splits cannot be compared with an earlier one.
            "cv": "one-shot iterable" if self._cv_one_shot else stable_hash(self.cv),
            "return_train_score": stable_hash(bool(self.return_train_score)),
            "error_score": stable_hash(repr(self.error_score)),
        }

    def _prior_state(self, space: SearchSpace, settings: dict) -> SearchState | None:
        """The state to continue from (checkpoint file, or previous fit), checked.

        Everything is checked before any fit: a state that cannot be continued
        raises, naming what differs (``settings``: see :meth:`_settings`), and a
        checkpoint file is left untouched.
        """
        restart = (
            "Fit with the settings and data it was started with, or start a new "
            "search (warm_start=False, or another checkpoint path)."
        )
        state, source = None, None
        if self.checkpoint is not None:
            source = f"the checkpoint {os.fspath(self.checkpoint)!r}"
            searches = load_checkpoint(self.checkpoint)
            state = searches.get(self._fit_fingerprint)
            # Other datasets' searches (outer folds of a nested CV) must share
            # the settings: a file written by another search is refused.
            for other in searches.values():
                _check_settings(other, settings, source, restart)
        if state is None and self.warm_start:
            state, source = getattr(self, "_search_state", None), "the previous fit"
            if state is not None and state.data_fingerprint != self._fit_fingerprint:
                raise ValueError(
                    f"Cannot continue the search of {source}: it was run on different "
                    f"data (X, y or fit parameters). {restart}"
                )
        if state is None or state.n_candidates == 0:
            return None  # nothing finished to continue: a new search
        _check_settings(state, settings, source, restart)
        if state.space_signature != space_signature(space):
            raise ValueError(
                f"Cannot continue the search of {source}: it was run with different "
                "param_distributions (or saved by a version of hyperopt-search that "
                f"encoded them differently). {restart}"
            )
        return state

    def _finished_before(self, prior: SearchState, space: SearchSpace, rules, scores):
        """Why a continued search has nothing left to do, if it has not."""
        if prior.n_candidates >= self.n_iter:
            return "n_iter"
        if space.size is not None and prior.n_candidates >= space.size:
            return "exhausted"
        return rules.after_round(scores)

    def _tpe_gamma(self) -> float:
        """TPE's gamma: 0.5 from 40 candidates on, hyperopt's 0.25 below.

        hyperopt models the ceil(gamma * sqrt(n)) best trials as "good": with
        0.25, only 2 of 50. In benchmarks/results/defaults.md, 0.5 lowered the
        regret ratio at 50 candidates from 0.71 to 0.53 (confirmed on 20 fresh
        seeds, 0.70 to 0.55), was neutral at 100 and worse at 20.
        """
        return 0.5 if self.n_iter >= 40 else 0.25

    def _resolve_algo(self):
        """The suggest function of ``algo``, with this search's settings."""
        n_initial = {name: self._resolved_n_initial_points(name) for name in ("gp", "mtpe", "tpe")}
        gamma = self._tpe_gamma()
        if self.algo == "auto":
            return AutoAlgorithm(
                *(resolve_algo(name, n_initial[name], gamma) for name in ("gp", "tpe", "mtpe"))
            )
        return resolve_algo(self.algo, n_initial.get(self.algo), gamma)

    def _n_startup(self, optimizer: HyperoptOptimizer) -> int:
        """Model-free candidates a new search proposes first, in one round."""
        if self.algo not in MODEL_ALGORITHMS:
            return 0
        algo = self.algo
        if algo == "auto":
            algo = optimizer.algo.name_of(optimizer.algo.choose(optimizer.domain, 0))
        return self._resolved_n_initial_points(algo)

    def _resolve_schedule(self, evaluate_candidates) -> str:
        """``schedule``, with ``"auto"`` resolved for joblib's current backend."""
        if self.schedule != "auto":
            return self.schedule
        reason = pipeline_unsupported(self.n_jobs)
        if reason is None:
            try:
                _compat.fit_context(evaluate_candidates)
            except RuntimeError as exc:
                reason = str(exc)
        schedule = "ordered" if reason is None else "rounds"
        if self.verbose > 0:
            why = "" if reason is None else f" ({reason})"
            print(f"[HyperoptSearchCV] schedule='auto': {schedule!r}{why}")
        return schedule

    def _make_optimizer(self, space: SearchSpace, prior: SearchState | None):
        algo = self._resolve_algo()
        if prior is not None:
            # Copies: the previous fit's state stays as it was if this one fails.
            rng, trials = copy.deepcopy(prior.rng), copy.deepcopy(prior.trials)
            optimizer = HyperoptOptimizer(space, algo, rng, trials=trials)
            if self.schedule_ == "rounds":
                # Candidates a pipelined search had in flight when its
                # checkpoint was written: only a pipelined search resumes them.
                optimizer.discard_pending()
            return optimizer
        random_state = self.random_state
        if isinstance(random_state, np.random.Generator):
            seed = int(random_state.integers(2**32))
        else:
            seed = int(check_random_state(random_state).randint(2**31 - 1))
        return HyperoptOptimizer(space, algo, np.random.default_rng(seed))

    def _round_sizes(self, first_round: int, optimizer: HyperoptOptimizer):
        """Sizes of the rounds from ``first_round``: the initial one, then batches."""
        if first_round == 0 and self.algo in MODEL_ALGORITHMS:
            yield max(self.batch_size, self._n_startup(optimizer))
        while True:
            yield self.batch_size

    # -- the search loop -------------------------------------------------------

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Ask hyperopt for rounds of candidates until a stopping rule holds."""
        space = self._check_space()
        if self.checkpoint is not None:
            check_checkpoint_path(self.checkpoint)
        settings = self._settings(space)
        prior = self._prior_state(space, settings)
        self.schedule_ = self._resolve_schedule(evaluate_candidates)
        self._check_racing()
        optimizer = self._make_optimizer(space, prior)
        run = Run(
            prior=prior,
            signature=space_signature(space),
            fingerprint=self._fit_fingerprint,
            settings=settings,
            optimizer=optimizer,
            cv=FixedSplits(
                self.cv,
                classifier=is_classifier(self.estimator),
                splits=None if prior is None else prior.splits,
            ),
        )
        self._prior = prior  # read by _format_results
        if self.error_score != "raise":
            # A fit or a score that raised gets a FailedScore: hyperopt is
            # told a failure, never the number error_score stands for.
            with contextlib.suppress(RuntimeError):
                _compat.mark_failed_scores(evaluate_candidates, self.error_score)
        self.search_space_ = space
        self.trials_ = optimizer.trials
        self.n_candidates_ = run.n_candidates
        self.stop_reason_ = "n_iter"
        rules = StoppingRules(self.n_iter_no_change, self.tol, self.score_threshold, self.timeout)
        if prior is not None:
            prior_fits = _by_candidate(prior.outs, len(prior.splits))
            run.scores = [self._candidate_score(fits) for fits in prior_fits]
            if done := self._finished_before(prior, space, rules, run.scores):
                self._reload(evaluate_candidates, run, done)
                return
        start = time.monotonic()
        try:
            with (
                _compat.record_fits() as run.recorder,
                # GridSearchCV's task tree: one "search" task whose subtasks
                # are the evaluations, numbered candidate-major over the
                # whole search (cv_results_ row = task_id // n_splits).
                _compat.callback_task(
                    callback_ctx,
                    self,
                    task_name="search",
                    max_subtasks=self.n_iter * getattr(self, "n_splits_", 0) or None,
                    sequential_subtasks=False,
                ) as search_ctx,
            ):
                if self.schedule_ == "rounds":
                    self._search_rounds(evaluate_candidates, run, rules, start, search_ctx)
                else:
                    self._search_pipelined(evaluate_candidates, run, rules, start, search_ctx)
                if run.recorder.all_failed() and (prior is None or not prior.n_candidates):
                    run.recorder.raise_all_failed(self.error_score)
                run.recorder.flush()
        except BaseException:
            # Never lose finished work: keep the finished candidates on the object.
            self.stop_reason_ = "interrupted"
            optimizer.discard_pending()
            run.pending_rounds.clear()
            run.pending_told.clear()
            self._search_state = run.state()
            self._keep_partial_results(run.current_results())
            raise
        self._search_state = run.state()
        self._report_stop()

    def _reload(self, evaluate_candidates, run: Run, reason: str) -> None:
        """A continued search with nothing left to do: its results, no new fit.

        Re-running a finished script with its ``checkpoint`` (or fitting again
        with ``warm_start=True`` and the same ``n_iter``) gives the finished
        search: ``cv_results_`` from the saved results, and the refit of the
        best candidate.
        """
        prior = self._prior
        context = run.context = _compat.fit_context(evaluate_candidates)
        context.add(prior.params, prior.outs, prior.more_results)
        self._prior = None  # its candidates are fit's own now
        context.results()
        self.stop_reason_ = reason
        self._search_state = run.state()
        if self.checkpoint is None and reason == "n_iter":
            warnings.warn(
                f"warm_start=True with n_iter={self.n_iter}, which the previous fit "
                f"already evaluated ({prior.n_candidates} candidates): no new "
                "candidate was evaluated. Raise n_iter to continue the search.",
                UserWarning,
                stacklevel=_caller_of_fit(),
            )
        self._report_stop()

    def _search_rounds(self, evaluate_candidates, run: Run, rules, start, search_ctx) -> None:
        """``schedule="rounds"``: one ``evaluate_candidates`` call per round.

        ``evaluate_candidates`` formats ``cv_results_`` for all candidates so
        far after every round: quadratic over a long search, and only
        ``monitor`` reads it. Without a ``monitor`` (and where the fit context
        can be read), the rounds skip it and the results are formatted once,
        at the end.
        """
        optimizer = run.optimizer
        if self.monitor is None:
            with contextlib.suppress(RuntimeError):
                run.context = _compat.fit_context(evaluate_candidates)
        self._defer_format = run.context is not None
        try:
            for size in self._round_sizes(run.n_rounds, run.optimizer):
                remaining = self.n_iter - run.n_candidates
                if remaining <= 0:
                    break
                elapsed = time.monotonic() - start
                if run.n_rounds_this_fit and (reason := rules.before_round(elapsed)):
                    self.stop_reason_ = reason
                    break
                batch = optimizer.ask(min(size, remaining))
                if batch:
                    self._evaluate_round(evaluate_candidates, run, batch, search_ctx)
                    if reason := self._stop_after(rules, run):
                        self.stop_reason_ = reason
                        break
                if optimizer.exhausted:
                    self.stop_reason_ = "exhausted"
                    break
        finally:
            self._defer_format = False
        if run.context is not None and run.context.n_candidates:
            run.context.results()  # what fit stores as cv_results_

    def _search_pipelined(self, evaluate_candidates, run: Run, rules, start, search_ctx) -> None:
        """``schedule="ordered"`` or ``"async"``: ``batch_size`` candidates in flight.

        Whenever a candidate is told to hyperopt, new ones are proposed until
        ``batch_size`` are in flight again (more while TPE's random start-up
        candidates, which need no result, are proposed), before the next one
        is told: with ``"ordered"``, each proposal sees the same results
        whatever the timing. A stopping rule stops the proposals; the
        candidates in flight still finish.
        """
        context = run.context = _compat.fit_context(evaluate_candidates)
        n_splits = run.cv.get_n_splits(context.X, context.y, **context.split_params)
        splits = list(run.cv.split(context.X, context.y, **context.split_params))
        # The checks of evaluate_candidates, with its words, before any fit.
        if len(splits) != n_splits:
            raise ValueError(_compat.inconsistent_splits_message(n_splits, len(splits)))
        if not splits:
            evaluate_candidates([], cv=run.cv)  # raises "No fits were performed. ..."
        optimizer = run.optimizer
        n_prior = run.n_candidates
        fresh = run.n_rounds == 0
        startup = self._n_startup(optimizer) if fresh else 0
        pipeline = Pipeline(ordered=self.schedule_ == "ordered")
        new_outs: list[dict] = []
        stop = None
        with open_executor(self.n_jobs) as executor:
            self._warn_if_workers_starve(len(splits), executor.n_workers)
            X, y = executor.share(context.X), executor.share(context.y)
            fit_kwargs = executor.share(context.fit_and_score_kwargs)

            n_submitted = run.n_candidates
            # Each fit gets its callback context (and the search, as scikit-learn
            # passes it) only when callbacks are set: both are sent to the worker.
            with_callbacks = search_ctx is not None and bool(getattr(self, "_skl_callbacks", None))

            def submit(candidate: Candidate, round_index: int) -> None:
                # Numbered like GridSearchCV's evaluations: candidate-major
                # over the whole search, in proposal order.
                nonlocal n_submitted
                index, n_submitted = n_submitted, n_submitted + 1

                def submit_fold(split: int):
                    train, test = splits[split]
                    return executor.submit(
                        _compat.fit_and_score,
                        context.base_estimator,
                        X,
                        y,
                        train,
                        test,
                        candidate.params,
                        fit_kwargs,
                        ((split, len(splits)), (index, self.n_iter)),
                        *(
                            (
                                _compat.evaluation_context(
                                    search_ctx, index * len(splits) + split
                                ),
                                self,
                            )
                            if with_callbacks
                            else ()
                        ),
                    )

                race = self._race(run, candidate)
                run.pending_rounds[candidate.tid] = round_index
                if race is None:
                    futures = [submit_fold(split) for split in range(len(splits))]
                    pipeline.add(Evaluation(candidate, round_index, futures))
                else:
                    # Folds one after the other, each after the race goes on.
                    evaluation = Evaluation(
                        candidate,
                        round_index,
                        [],
                        n_splits=len(splits),
                        submit_fold=submit_fold,
                        race=race,
                    )
                    evaluation.advance()
                    pipeline.add(evaluation)

            for candidate in optimizer.pending():  # in flight when a checkpoint was written
                submit(candidate, run.pending_rounds.get(candidate.tid, run.n_rounds))
            while True:
                while stop is None:
                    # Racing: start-up candidates too are proposed batch_size
                    # at a time, so that later ones race the first ones.
                    in_flight_limit = run.n_candidates + self.batch_size
                    if not self.racing:
                        in_flight_limit = max(in_flight_limit, startup)
                    if run.n_candidates + len(pipeline) >= min(self.n_iter, in_flight_limit):
                        break
                    if run.n_rounds_this_fit and (
                        stop := rules.before_round(time.monotonic() - start)
                    ):
                        break
                    batch = optimizer.ask(1)
                    if not batch:
                        stop = "exhausted"
                        break
                    submit(batch[0], run.n_rounds)
                    # TPE's start-up candidates share round 0; then one each.
                    if len(optimizer.trials) >= startup:
                        run.n_rounds += 1
                if not pipeline:
                    break
                evaluation = pipeline.next()
                outs = evaluation.outs()
                new_outs.extend(evaluation.fitted_outs())
                self._tell_candidate(run, evaluation, outs)
                if stop is None:
                    stop = self._stop_after(rules, run)
        if new_outs:
            all_failed = all(out["fit_error"] is not None for out in new_outs)
            if all_failed and n_prior == 0:
                run.recorder.calls.append(new_outs)  # _run_search raises "All ... failed"
            else:
                run.recorder.report(new_outs, self.error_score)
        self.stop_reason_ = stop or "n_iter"
        context.results()  # what fit stores as cv_results_

    def _tell_candidate(self, run: Run, evaluation: Evaluation, outs: list[dict]) -> None:
        """Tell hyperopt one finished candidate; record it; checkpoint; report."""
        candidate = evaluation.candidate
        score = self._candidate_score(outs)
        raced_out = evaluation.n_fitted < evaluation.n_splits
        loss = _loss(score, outs, self.refit)
        if raced_out and evaluation.race.reference is not None:
            # Told as the bad result it is: its estimated complete score.
            fitted = evaluation.fitted_outs()
            estimate = evaluation.race.estimate(fitted)
            failed = any(_failed(out, self.refit) for out in fitted)
            loss = None if failed or not np.isfinite(estimate) else -estimate
        run.optimizer.tell({candidate.tid: loss})
        run.pending_rounds.pop(candidate.tid, None)
        run.pending_told.pop(candidate.tid, None)
        more_results = {"hyperopt_round": [evaluation.round], "hyperopt_tid": [candidate.tid]}
        run.context.add([candidate.params], outs, more_results)
        run.add_candidate(candidate, outs, more_results, score)
        self.n_candidates_ = run.n_candidates
        if self.checkpoint is not None:
            save_checkpoint(self.checkpoint, run.state())
        if self.verbose > 0:
            what = f"score {score:.5g}"
            if raced_out:
                what = f"raced out after {evaluation.n_fitted}/{evaluation.n_splits} folds"
            print(
                f"[HyperoptSearchCV] candidate {self.n_candidates_}/{self.n_iter} "
                f"(round {evaluation.round}): {what}, best {run.best_score:.5g}"
            )

    def _race(self, run: Run, candidate: Candidate) -> Race | None:
        """The race of a candidate about to be submitted (None: all folds at once).

        Folds are fitted one after the other: a failed fold ends the
        candidate (a failure whatever its other folds), and, once two
        complete candidates exist, so does :func:`~._racing.should_stop`.

        It races against the candidates told before it was proposed (kept
        for a candidate still in flight when a checkpoint was written), so
        its folds do not depend on timing or on the number of workers.
        """
        if not self.racing:
            return None
        told = run.pending_told.setdefault(candidate.tid, run.n_candidates)
        n_splits = len(run.cv.splits)
        told_fits = _by_candidate(run.outs[: told * n_splits], n_splits)
        fold_scores = [[self._fold_score(out) for out in fits] for fits in told_fits]
        return Race(reference(fold_scores), self._fold_score)

    def _check_racing(self) -> None:
        """``racing`` needs a pipelined schedule (a round fits all its folds at once)."""
        if not self.racing or self.schedule_ != "rounds":
            return
        if self.schedule == "rounds":
            raise ValueError(
                "racing=True needs a pipelined schedule ('auto', 'ordered' or 'async'); "
                "got schedule='rounds', which fits all folds of a round at once."
            )
        warnings.warn(
            "racing=True is ignored: schedule='auto' runs 'rounds' on this joblib "
            "backend, which fits all folds of a round at once; every candidate gets "
            "all its folds.",
            UserWarning,
            stacklevel=_caller_of_fit(),
        )

    def _stop_after(self, rules: StoppingRules, run: Run) -> str | None:
        """The reason to stop after a round (or a pipelined candidate), if any."""
        reason = rules.after_round(run.scores)
        if reason is None and self.monitor is not None:
            if self.monitor(self, run.current_results()):
                reason = "monitor"
        return reason

    def _evaluate_round(self, evaluate_candidates, run: Run, batch, search_ctx) -> None:
        """Cross-validate one round of candidates and tell hyperopt the losses."""
        cv = run.cv
        more_results = {
            "hyperopt_round": [run.n_rounds] * len(batch),
            "hyperopt_tid": [c.tid for c in batch],
        }
        first_evaluation = run.n_candidates * len(cv.splits) if cv.splits else 0
        results = _compat.evaluate(
            evaluate_candidates,
            [c.params for c in batch],
            cv=cv,
            more_results=more_results,
            callback_ctx=_compat.OffsetContext.of(search_ctx, first_evaluation),
        )
        if run.n_rounds_this_fit == 0:
            self._warn_if_workers_starve(len(cv.splits))
        outs = run.recorder.calls[-1]
        fits = _by_candidate(outs, len(cv.splits))
        scores = [self._candidate_score(candidate_fits) for candidate_fits in fits]
        run.optimizer.tell(
            {
                candidate.tid: _loss(score, candidate_fits, self.refit)
                for candidate, score, candidate_fits in zip(batch, scores, fits, strict=True)
            }
        )
        run.add_round(batch, outs, more_results, results, scores)
        self.n_candidates_ = run.n_candidates
        if self.checkpoint is not None:
            save_checkpoint(self.checkpoint, run.state())
        if self.verbose > 0:
            print(
                f"[HyperoptSearchCV] round {run.n_rounds - 1}: {len(batch)} candidates, "
                f"{self.n_candidates_}/{self.n_iter} evaluated, best "
                f"{self._objective_name(outs)} {run.best_score:.5g}"
            )

    def _warn_if_workers_starve(self, n_splits: int, n_workers: int | None = None) -> None:
        """Warn when a round has fewer fits than there are workers."""
        if n_workers is None:
            n_workers = effective_n_jobs(self.n_jobs)
        if self.racing and self.schedule_ != "rounds":
            if self.batch_size < n_workers:
                warnings.warn(
                    f"racing=True fits one fold of each candidate in flight at a time: "
                    f"batch_size={self.batch_size} keeps at most {self.batch_size} of "
                    f"{n_workers} workers busy. Use batch_size >= {2 * n_workers}.",
                    UserWarning,
                    stacklevel=_caller_of_fit(),
                )
            return
        if self.batch_size * n_splits < n_workers:
            warnings.warn(
                f"batch_size={self.batch_size} x {n_splits} folds gives "
                f"{self.batch_size * n_splits} fits per round for {n_workers} "
                f"workers: some stay idle. Use batch_size >= "
                f"{-(-2 * n_workers // n_splits)} to keep them busy.",
                UserWarning,
                stacklevel=_caller_of_fit(),
            )

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        if getattr(self, "_defer_format", False):
            # evaluate_candidates during the rounds: formatted once at the end.
            return {"params": list(candidate_params)}
        # A continued search puts the earlier candidates' raw results first.
        prior = getattr(self, "_prior", None)
        if prior is not None:
            candidate_params = prior.params + list(candidate_params)
            out = prior.outs + list(out)
            more_results = {
                key: prior.more_results[key] + list(values)
                for key, values in (more_results or {}).items()
            }
        # Folds fitted per candidate: fewer than n_splits for a raced-out one
        # (its other folds are NaN placeholders, without a fit time).
        fit_times = np.array([o.get("fit_time", 0.0) for o in out], dtype=float)
        fitted = np.isfinite(fit_times).reshape(-1, n_splits).sum(axis=1) if n_splits else []
        fitted = np.asarray(fitted, dtype=int)
        if not (fitted < n_splits).any():
            results = super()._format_results(candidate_params, n_splits, out, more_results)
        else:
            # scikit-learn warns about non-finite mean scores: raced-out
            # candidates have them by design, failed complete ones are news.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                results = super()._format_results(candidate_params, n_splits, out, more_results)
            complete = fitted == n_splits
            for warning in caught:
                means = [
                    np.asarray(values, dtype=float)[complete]
                    for key, values in results.items()
                    if key.startswith(("mean_test_", "mean_train_"))
                ]
                if "non-finite" in str(warning.message) and all(
                    np.isfinite(m).all() for m in means
                ):
                    continue
                warnings.warn(warning.message, warning.category, stacklevel=_caller_of_fit())
        results["n_splits_fitted"] = fitted
        raced = np.flatnonzero(fitted < n_splits)
        if len(raced):
            # Times of a raced-out candidate: over the folds it fitted.
            for key in ("fit_time", "score_time"):
                times = np.array([o.get(key, np.nan) for o in out], dtype=float)
                times = times.reshape(-1, n_splits)[raced]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # nothing fitted
                    results[f"mean_{key}"][raced] = np.nanmean(times, axis=1)
                    results[f"std_{key}"][raced] = np.nanstd(times, axis=1)
        return results

    def _objective_metric(self, results: dict[str, Any]) -> str:
        """The metric hyperopt optimises: the refit metric, else the first."""
        metrics = [key[len("mean_test_") :] for key in results if key.startswith("mean_test_")]
        return _objective_key(dict.fromkeys(metrics), self.refit)

    def _objective_name(self, outs: list[dict]) -> str:
        """The name of the metric hyperopt optimises, from raw results."""
        for out in outs:
            if isinstance(out["test_scores"], dict):
                return _objective_key(out["test_scores"], self.refit)
        return "score"

    def _fold_score(self, out: dict) -> float:
        """One fold's score of the optimised metric; NaN if its fit or score failed."""
        if _failed(out, self.refit):
            return float("nan")
        return float(_objective_value(out, self.refit))

    def _candidate_score(self, outs: list[dict]) -> float:
        """A candidate's mean test score of the optimised metric, from its raw results.

        The same number as its ``mean_test_<metric>`` in ``cv_results_``: the
        unweighted mean over folds, ``error_score`` for a failed fold.
        """
        return float(np.mean([float(_objective_value(out, self.refit)) for out in outs]))

    # -- reporting -------------------------------------------------------------

    def _best_so_far(self, results) -> tuple[str, float]:
        metric = self._objective_metric(results)
        scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
        finite = scores[np.isfinite(scores)]
        return metric, float(finite.max()) if finite.size else float("nan")

    def _report_stop(self) -> None:
        if self.stop_reason_ == "exhausted":
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
            warnings.warn(message, UserWarning, stacklevel=_caller_of_fit())
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
        self.n_candidates_ = len(results["params"])
        metric, best = self._best_so_far(results)
        if np.isfinite(best):
            scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
            self.best_index_ = int(np.nanargmax(np.where(np.isfinite(scores), scores, np.nan)))
            self.best_score_ = best
            self.best_params_ = results["params"][self.best_index_]


def _by_candidate(outs: list[dict], n_splits: int) -> list[list[dict]]:
    """Raw per-fit results (candidate-major, then fold) grouped by candidate."""
    return [outs[i : i + n_splits] for i in range(0, len(outs), n_splits)]


def _objective_key(scores: dict, refit) -> str:
    """The optimised metric among a multi-metric result: ``refit``, else the first."""
    return refit if isinstance(refit, str) and refit in scores else next(iter(scores))


def _loss(score: float, outs: list[dict], refit) -> float | None:
    """hyperopt's loss for a candidate: ``-score``, or None when a fit or score failed.

    A failed fit or score is a failure whatever ``error_score`` is: its
    ``error_score`` (a :class:`~._compat.FailedScore`) is never told as a score.
    """
    if any(_failed(out, refit) for out in outs):
        return None
    return None if not np.isfinite(score) else -score


def _objective_value(out: dict, refit) -> float:
    """One fold's test score of the optimised metric (``error_score`` if it failed)."""
    value = out["test_scores"]
    return value[_objective_key(value, refit)] if isinstance(value, dict) else value


def _failed(out: dict, refit) -> bool:
    """Whether a fold's fit, or its score of the optimised metric, failed."""
    value = _objective_value(out, refit)
    return out["fit_error"] is not None or isinstance(value, _compat.FailedScore)


def _is_one_shot_iterable(cv: Any) -> bool:
    """Whether ``cv`` is an iterator of splits that can be read only once."""
    return isinstance(cv, Iterator) and not hasattr(cv, "split")


def _check_settings(state: SearchState, settings: dict[str, str], source: str, restart: str):
    """Raise when ``state`` was run with other settings, naming them."""
    if state.settings is None:  # a checkpoint of version 0.1: not recorded
        return
    changed = [name for name, value in settings.items() if state.settings.get(name) != value]
    if changed:
        raise ValueError(
            f"Cannot continue the search of {source}: it was run with another "
            f"{', '.join(changed)}, so its scores are not comparable with new ones "
            "(only settings that leave the scores alone may change: n_iter, the "
            f"stopping rules, algo, batch_size, schedule, n_jobs, ...). {restart}"
        )


_OWN_CODE = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (sys.modules[__package__], sys.modules["sklearn"])
)


def _caller_of_fit() -> int:
    """``stacklevel`` of the first frame outside this package and scikit-learn.

    A warning then points at the user's line that called ``fit`` (or
    ``cross_val_score``...), as scikit-learn's own warnings do, and
    warning filters on this package's modules do not catch it.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_OWN_CODE):
        frame, level = frame.f_back, level + 1
    return level
