"""Racing folds (``racing=True``): candidates stopped when they cannot beat the best."""

from __future__ import annotations

import warnings

import joblib
import numpy as np
import pytest
from joblib._parallel_backends import ThreadingBackend
from scipy.stats import loguniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold

from hyperopt_search import HyperoptSearchCV
from hyperopt_search._racing import Race, estimated_score, reference, should_stop

X, y = load_iris(return_X_y=True)
CV = KFold(5, shuffle=True, random_state=0)
#: C from 1e-4 (chance level on iris) to 1e2 (about 0.97): many candidates
#: are far below the best.
SPACE = {"C": loguniform(1e-4, 1e2)}


class CountingLogisticRegression(LogisticRegression):
    """Logs every fit (tests run with n_jobs=1, in this process)."""

    fits: list = []

    def fit(self, X, y, **kwargs):
        CountingLogisticRegression.fits.append(self.C)
        return super().fit(X, y, **kwargs)


@pytest.fixture(autouse=True)
def _clear_fit_log():
    CountingLogisticRegression.fits.clear()


def _search(**kwargs):
    options = {"n_iter": 20, "cv": CV, "racing": True, "random_state": 0}
    return HyperoptSearchCV(CountingLogisticRegression(max_iter=200), SPACE, **(options | kwargs))


def _split_scores(results, metric="score"):
    n_splits = CV.get_n_splits()
    return np.column_stack([results[f"split{i}_test_{metric}"] for i in range(n_splits)])


# -- the rule ------------------------------------------------------------------


def test_no_reference_before_two_complete_candidates():
    assert reference([]) is None
    assert reference([[0.9, 0.8, 0.9]]) is None
    assert reference([[0.9, 0.8, 0.9], [0.5, np.nan, 0.4]]) is None  # one complete
    ref = reference([[0.7, 0.6, 0.7], [0.9, 0.8, 0.9], [0.5, np.nan, 0.4]])
    assert ref.scores.tolist() == [0.9, 0.8, 0.9]
    # the other complete candidate is 0.2 below on every fold: no fold noise
    assert ref.sum_squares == pytest.approx(0.0) and ref.df == 2


def test_a_candidate_far_below_the_best_is_stopped_after_one_fold():
    ref = reference([[0.90, 0.80, 0.85, 0.88, 0.82], [0.70, 0.61, 0.66, 0.69, 0.62]])
    assert should_stop(ref, [0.3])
    assert not should_stop(ref, [])  # nothing fitted yet


def test_a_candidate_level_with_the_best_runs_all_its_folds():
    ref = reference([[0.90, 0.80, 0.85, 0.88, 0.82], [0.70, 0.61, 0.66, 0.69, 0.62]])
    for k in range(1, 5):
        assert not should_stop(ref, ref.scores[:k])
    # A hard first fold (hard for the best too) is not held against it.
    hard_first = reference([[0.70, 0.90, 0.88, 0.92, 0.90], [0.60, 0.81, 0.77, 0.83, 0.79]])
    assert not should_stop(hard_first, [0.71])
    # Never on the last fold: the candidate is complete then.
    assert not should_stop(ref, [0.0] * 5)


def test_the_rule_is_paired_and_accounts_for_fold_noise():
    best = [0.90, 0.70, 0.85, 0.75, 0.80]
    quiet = reference([best, [b - 0.05 for b in best]])  # steady gap: no noise
    noisy = reference([best, [0.80, 0.75, 0.70, 0.80, 0.70]])  # gaps of -0.1 .. +0.05
    behind = [b - 0.03 for b in best[:2]]  # 0.03 behind on the same folds
    assert should_stop(quiet, behind)
    assert not should_stop(noisy, behind)


def test_a_failed_fold_stops_a_candidate_even_without_reference():
    assert should_stop(None, [np.nan])
    assert should_stop(None, [0.9, np.nan])
    assert not should_stop(None, [0.9, 0.8])


def test_the_estimated_score_is_paired_with_the_best():
    ref = reference([[0.9, 0.7, 0.8], [0.8, 0.6, 0.7]])
    # 0.1 below the best on its folds: 0.1 below the best's mean, whatever
    # the first fold's own level
    assert estimated_score(ref, [0.8]) == pytest.approx(0.7)
    race = Race(ref, lambda out: out["score"])
    assert race.estimate([{"score": 0.8}, {"score": 0.55}]) == pytest.approx(0.675)
    assert race([{"score": 0.1}]) is should_stop(ref, [0.1])


# -- the search ------------------------------------------------------------------


def test_raced_out_candidates_have_nan_for_their_unfitted_folds_only():
    search = _search().fit(X, y)
    results = search.cv_results_
    fitted = results["n_splits_fitted"]
    assert results["n_splits_fitted"].dtype.kind == "i"
    raced = fitted < 5
    assert raced.sum() >= 3, fitted  # a third of the C range is at chance level
    scores = _split_scores(results)
    for row, n in zip(scores, fitted, strict=True):
        assert np.isfinite(row[:n]).all() and np.isnan(row[n:]).all()
    assert np.isnan(results["mean_test_score"][raced]).all()
    assert np.isfinite(results["mean_test_score"][~raced]).all()
    # fit and score times: over the folds fitted
    for key in ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"):
        assert np.isfinite(results[key]).all(), key
    # Their unfitted folds were never fitted: all fits are the counted folds
    # and the refit.
    assert len(CountingLogisticRegression.fits) == fitted.sum() + 1


def test_best_and_ranks_come_from_complete_candidates():
    search = _search().fit(X, y)
    results = search.cv_results_
    complete = results["n_splits_fitted"] == 5
    assert complete[search.best_index_]
    assert search.best_score_ == np.max(results["mean_test_score"][complete])
    ranks = results["rank_test_score"]
    assert ranks[~complete].min() > ranks[complete].max()
    assert search.best_estimator_.C == search.best_params_["C"]


def test_fitted_folds_score_as_grid_search_scores_them():
    # split i of a raced-out candidate is really fold i of cv
    search = _search().fit(X, y)
    results = search.cv_results_
    grid = GridSearchCV(
        LogisticRegression(max_iter=200), {"C": [p["C"] for p in results["params"]]}, cv=CV
    ).fit(X, y)
    ours, theirs = _split_scores(results), _split_scores(grid.cv_results_)
    fitted = np.isfinite(ours)
    np.testing.assert_allclose(ours[fitted], theirs[fitted])


def test_raced_out_candidates_are_told_as_worse_than_the_best():
    search = _search().fit(X, y)
    results = search.cv_results_
    losses = {t["tid"]: t["result"].get("loss") for t in search.trials_.trials}
    raced = results["n_splits_fitted"] < 5
    told = np.array([losses[tid] for tid in results["hyperopt_tid"][raced]], dtype=float)
    assert np.isfinite(told).all()  # a bad result, not a failure
    assert (told > -search.best_score_).all()


def test_racing_saves_fits_and_still_finds_a_good_candidate():
    raced = _search(n_iter=30).fit(X, y)
    n_raced = len(CountingLogisticRegression.fits)
    CountingLogisticRegression.fits.clear()
    full = _search(n_iter=30, racing=False).fit(X, y)
    assert len(CountingLogisticRegression.fits) == 30 * 5 + 1
    assert (full.cv_results_["n_splits_fitted"] == 5).all()
    assert n_raced < 0.9 * (30 * 5 + 1)
    assert raced.best_score_ >= full.best_score_ - 0.03


def test_racing_results_do_not_depend_on_n_jobs():
    serial = _search(n_iter=16).fit(X, y)
    parallel = _search(n_iter=16, n_jobs=2).fit(X, y)
    assert serial.schedule_ == parallel.schedule_ == "ordered"
    ours, theirs = serial.cv_results_, parallel.cv_results_
    assert ours["params"] == theirs["params"]
    np.testing.assert_array_equal(ours["n_splits_fitted"], theirs["n_splits_fitted"])
    np.testing.assert_array_equal(_split_scores(ours), _split_scores(theirs))


def test_racing_races_on_the_refit_metric():
    # "inverted" prefers the worst accuracy: racing on it would stop the
    # accurate candidates.
    scoring = {
        "inverted": make_scorer(lambda y, p: -accuracy_score(y, p)),
        "accuracy": "accuracy",
    }
    search = _search(scoring=scoring, refit="accuracy").fit(X, y)
    results = search.cv_results_
    fitted = results["n_splits_fitted"]
    assert (fitted < 5).any()
    accuracy = _split_scores(results, "accuracy")
    inverted = _split_scores(results, "inverted")
    assert np.array_equal(np.isnan(accuracy), np.isnan(inverted))
    best = accuracy[search.best_index_]
    for row, n in zip(accuracy, fitted, strict=True):
        if n < 5:  # raced out: behind the best on its folds
            assert row[:n].mean() < best[:n].mean()


class FailsAbove(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; its fit raises for ``p > 0.5``."""

    fits: list = []

    def __init__(self, p=0.0):
        self.p = p

    def fit(self, X, y):
        FailsAbove.fits.append(self.p)
        if self.p > 0.5:
            raise ValueError("p > 0.5 does not fit")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return self.p


def test_a_failed_fold_ends_its_candidate_as_a_failure():
    FailsAbove.fits.clear()
    # All 6 in flight at once: no complete reference to race against, so only
    # the failures end early, whatever the order of the candidates.
    search = HyperoptSearchCV(
        FailsAbove(),
        {"p": [0.1, 0.2, 0.3, 0.6, 0.7, 0.8]},
        n_iter=6,
        cv=CV,
        racing=True,
        batch_size=6,
        random_state=0,
    )
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 18"):
        search.fit(X, y)
    results = search.cv_results_
    failing = np.array([p["p"] > 0.5 for p in results["params"]])
    assert (results["n_splits_fitted"][failing] == 1).all()
    status = {t["tid"]: t["result"]["status"] for t in search.trials_.trials}
    assert [status[tid] for tid in results["hyperopt_tid"][failing]] == ["fail"] * 3
    assert search.best_params_ == {"p": 0.3}
    assert len(FailsAbove.fits) == 5 * 3 + 3 + 1


def test_all_candidates_failing_on_their_first_fold_is_still_an_error():
    FailsAbove.fits.clear()
    search = HyperoptSearchCV(FailsAbove(), {"p": [0.6, 0.7, 0.8]}, n_iter=3, cv=CV, racing=True)
    with pytest.raises(ValueError, match="All the 3 fits failed"):
        search.fit(X, y)


def test_no_warning_about_non_finite_scores_for_raced_out_candidates(recwarn):
    search = _search().fit(X, y)
    assert (search.cv_results_["n_splits_fitted"] < 5).any()
    assert not [w for w in recwarn if "non-finite" in str(w.message)]


def test_verbose_says_which_candidates_were_raced_out(capsys):
    _search(verbose=1).fit(X, y)
    assert "raced out after 1/5 folds" in capsys.readouterr().out


def test_racing_needs_a_pipelined_schedule():
    with pytest.raises(ValueError, match="racing=True needs a pipelined schedule"):
        _search(schedule="rounds").fit(X, y)
    assert CountingLogisticRegression.fits == []


class _UnknownBackend(ThreadingBackend):
    """A backend the library does not know (as Spark's or Ray's would be)."""


def test_racing_on_a_backend_without_pipelining_warns_and_fits_every_fold():
    joblib.register_parallel_backend("hyperopt-search-racing", _UnknownBackend)
    with (
        joblib.parallel_config(backend="hyperopt-search-racing"),
        pytest.warns(UserWarning, match="racing=True is ignored"),
    ):
        search = _search(n_iter=8, n_jobs=2).fit(X, y)
    assert search.schedule_ == "rounds"
    assert (search.cv_results_["n_splits_fitted"] == 5).all()


def test_warm_start_continues_a_raced_search():
    search = _search(n_iter=12).fit(X, y)
    first = search.cv_results_
    search.set_params(warm_start=True, n_iter=24).fit(X, y)
    results = search.cv_results_
    assert results["params"][:12] == first["params"]
    np.testing.assert_array_equal(results["n_splits_fitted"][:12], first["n_splits_fitted"])
    assert len(results["params"]) == 24
    complete = results["n_splits_fitted"] == 5
    assert search.best_score_ == np.max(results["mean_test_score"][complete])


def test_the_stopping_rules_ignore_raced_out_candidates():
    # A raced-out candidate is never an improvement.
    search = _search(n_iter=60, n_iter_no_change=5).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.stop_reason_ == "n_iter_no_change"
    best_at = int(np.nanargmax(scores))
    assert len(scores) - 1 - best_at >= 5


def test_racing_is_a_plain_boolean_parameter():
    search = HyperoptSearchCV(LogisticRegression(), SPACE, racing="yes")
    with pytest.raises(ValueError, match="racing"):
        search.fit(X, y)


def test_progress_bar_callback_does_not_break_a_raced_search():
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    search = _search(n_iter=12)
    search.set_callbacks(callback.ProgressBar())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not support callbacks")
        search.fit(X, y)
    assert (search.cv_results_["n_splits_fitted"] < 5).any()
