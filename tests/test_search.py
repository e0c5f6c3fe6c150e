"""HyperoptSearchCV as a drop-in GridSearchCV / RandomizedSearchCV."""

import pickle
import re
import warnings

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, hp, rand
from scipy.stats import geom, loguniform, norm, poisson, randint, uniform
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.model_selection._search import BaseSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from hyperopt_search import HyperoptSearchCV

X_iris, y_iris = load_iris(return_X_y=True)
X_clf, y_clf = make_classification(n_samples=120, n_features=6, random_state=0)


# -- small mock estimators -------------------------------------------------------


class ParamClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; its score is ``-abs(p - 3)``; fails when asked.

    ``fail_below``: fit raises for ``p < fail_below``.
    """

    def __init__(self, p=0.0, fail_below=None):
        self.p = p
        self.fail_below = fail_below

    def fit(self, X, y, sample_weight=None):
        if self.fail_below is not None and self.p < self.fail_below:
            raise ValueError(f"p={self.p} is in the failing region")
        self.classes_ = np.unique(y)
        self.sample_weight_sum_ = None if sample_weight is None else float(np.sum(sample_weight))
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y, sample_weight=None):
        return -abs(self.p - 3)


class WeightRecorder(ClassifierMixin, BaseEstimator):
    """Scores the sum of the sample weights it was fitted with."""

    def __init__(self, c=1):
        self.c = c

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.weight_sum_ = -1.0 if sample_weight is None else float(np.sum(sample_weight))
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return self.weight_sum_


def in_order(values):
    """A hyperopt algorithm that proposes the levels ``values`` of ``p`` in this order.

    A list of numbers is searched by rank: the raw value is the level's rank.
    """
    ranks = [sorted(values).index(v) for v in values]

    def suggest(new_ids, domain, trials, seed):
        docs = rand.suggest(new_ids, domain, trials, seed)
        docs[0]["misc"]["vals"]["p"] = [float(ranks[len(trials.trials)])]
        return docs

    return suggest


# -- oracle: same as GridSearchCV on a finite grid --------------------------------


def test_finite_grid_evaluates_the_same_candidates_as_grid_search():
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    gs = GridSearchCV(SVC(), grid, cv=cv).fit(X_iris, y_iris)
    with pytest.warns(UserWarning, match="only 8 distinct candidates"):
        hs = HyperoptSearchCV(SVC(), grid, n_iter=20, cv=cv, random_state=0).fit(X_iris, y_iris)

    def by_params(results):
        return {
            tuple(sorted(p.items())): s
            for p, s in zip(results["params"], results["mean_test_score"], strict=True)
        }

    assert by_params(hs.cv_results_) == pytest.approx(by_params(gs.cv_results_))
    assert hs.best_params_ == gs.best_params_
    assert hs.best_score_ == pytest.approx(gs.best_score_)
    assert hs.n_candidates_ == 8
    assert hs.stop_reason_ == "exhausted"


def test_cv_results_have_grid_search_keys_and_dtypes():
    grid = {"C": [0.1, 1.0], "kernel": ["linear", "rbf"]}
    kwargs = {"cv": 3, "return_train_score": True, "scoring": ["accuracy", "f1_macro"]}
    gs = GridSearchCV(SVC(), grid, refit="accuracy", **kwargs).fit(X_iris, y_iris)
    hs = HyperoptSearchCV(SVC(), grid, n_iter=4, refit="accuracy", random_state=0, **kwargs)
    hs.fit(X_iris, y_iris)
    ours = hs.cv_results_
    extra = {"hyperopt_round", "hyperopt_tid", "hyperopt_order", "n_splits_fitted", "reused"}
    assert set(ours) == set(gs.cv_results_) | extra
    for key, value in gs.cv_results_.items():
        assert type(ours[key]) is type(value), key
        if isinstance(value, np.ndarray):
            assert ours[key].dtype == value.dtype, key
            assert ours[key].shape == value.shape, key
    assert isinstance(ours["param_C"], np.ma.MaskedArray)
    assert ours["hyperopt_round"].tolist() == [0, 0, 0, 0]
    assert ours["n_splits_fitted"].tolist() == [3, 3, 3, 3]


def test_best_params_hold_native_python_values():
    search = HyperoptSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": randint(1, 6), "min_impurity_decrease": uniform(0, 0.01)},
        n_iter=6,
        cv=3,
        random_state=0,
    ).fit(X_iris, y_iris)
    assert type(search.best_params_["max_depth"]) is int
    assert type(search.best_params_["min_impurity_decrease"]) is float
    for params in search.cv_results_["params"]:
        assert type(params["max_depth"]) is int


def test_a_grid_of_numbers_is_searched_in_order():
    # 61 log-spaced levels; the score -|p - 3| peaks at the level 10**0.5.
    # Searched as ordered levels, 16 candidates end on that level or a
    # neighbour in every run; as an unordered choice (before), in 4 of 8
    # seeds (16 random draws: 61% of runs).
    levels = np.logspace(-3, 3, 61)
    for seed in range(5):
        search = HyperoptSearchCV(
            ParamClassifier(), {"p": levels}, n_iter=16, cv=2, random_state=seed
        ).fit(X_iris, y_iris)
        assert abs(np.log10(search.best_params_["p"]) - 0.5) <= 0.1 + 1e-9
        assert type(search.best_params_["p"]) is np.float64  # an array's own scalars


def test_a_long_grid_of_numbers_gets_every_candidate_from_the_model(monkeypatch):
    # 201 levels, 0.005 apart as features: two different levels are two
    # candidates, however close. A proposal the model repeats is redrawn
    # from the prior (a random candidate); here none is.
    prior_draws = []
    suggest = rand.suggest
    monkeypatch.setattr(rand, "suggest", lambda *a: prior_draws.append(1) or suggest(*a))
    search = HyperoptSearchCV(
        ParamClassifier(), {"p": np.linspace(0, 10, 201)}, n_iter=40, cv=2, random_state=0
    ).fit(X_iris, y_iris)
    assert prior_draws == []
    assert search.best_params_ == {"p": 3.0}


@pytest.mark.parametrize("algo", ["gp", "mtpe", "tpe"])
def test_grids_of_numbers_in_a_conditional_space(algo):
    space = [
        {"clf": [LogisticRegression(max_iter=500)], "clf__C": [0.01, 0.1, 1.0, 10.0, 100.0]},
        {"clf": [KNeighborsClassifier()], "clf__n_neighbors": list(range(1, 40, 2))},
    ]
    search = HyperoptSearchCV(
        Pipeline([("clf", LogisticRegression())]),
        space,
        n_iter=16,
        cv=3,
        algo=algo,
        random_state=0,
    ).fit(X_iris, y_iris)
    params = search.cv_results_["params"]
    assert len({repr(sorted(p.items())) for p in params}) == 16
    for p in params:
        if "clf__C" in p:
            assert p["clf__C"] in space[0]["clf__C"] and "clf__n_neighbors" not in p
        else:
            assert p["clf__n_neighbors"] in space[1]["clf__n_neighbors"]
            assert type(p["clf__n_neighbors"]) is int


def test_hyperopt_is_told_minus_the_mean_test_score():
    search = HyperoptSearchCV(
        Ridge(), {"alpha": loguniform(1e-3, 1e3)}, n_iter=7, cv=3, random_state=0
    ).fit(*load_diabetes(return_X_y=True))
    trials = search.trials_
    assert len(trials) == search.n_candidates_ == 7
    by_tid = {t["tid"]: t for t in trials.trials}
    for tid, score in zip(
        search.cv_results_["hyperopt_tid"], search.cv_results_["mean_test_score"], strict=True
    ):
        assert by_tid[tid]["result"] == {"status": STATUS_OK, "loss": pytest.approx(-score)}


# -- pipelines, nesting, clone, pickle -------------------------------------------


def test_searching_a_pipeline_with_a_conditional_estimator_space():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    space = [
        {"clf": [SVC()], "clf__C": loguniform(1e-2, 1e2)},
        {"clf": [LogisticRegression()], "clf__C": loguniform(1e-2, 1e2)},
        {"clf": [KNeighborsClassifier()], "clf__n_neighbors": randint(1, 20)},
    ]
    search = HyperoptSearchCV(pipe, space, n_iter=15, cv=3, random_state=1).fit(X_iris, y_iris)
    kinds = {type(p["clf"]).__name__ for p in search.cv_results_["params"]}
    assert kinds == {"SVC", "LogisticRegression", "KNeighborsClassifier"}
    # refit used a clone, never the object of the space
    assert search.best_estimator_.named_steps["clf"] is not search.best_params_["clf"]
    assert search.score(X_iris, y_iris) > 0.9
    assert np.ma.is_masked(search.cv_results_["param_clf__n_neighbors"][0]) or (
        type(search.cv_results_["params"][0]["clf"]) is KNeighborsClassifier
    )


def test_estimators_in_the_space_are_never_modified():
    svc = SVC()
    pipe = Pipeline([("clf", LogisticRegression())])
    space = [{"clf": [svc], "clf__C": loguniform(1e-2, 1e2)}, {"clf__C": [1.0]}]
    HyperoptSearchCV(pipe, space, n_iter=4, cv=2, random_state=0).fit(X_iris, y_iris)
    assert svc.get_params() == SVC().get_params()


def test_search_as_a_step_of_a_pipeline():
    pipe = make_pipeline(
        StandardScaler(),
        HyperoptSearchCV(LogisticRegression(), {"C": loguniform(1e-2, 1e2)}, n_iter=4, cv=3),
    )
    pipe.fit(X_iris, y_iris)
    assert pipe.predict_proba(X_iris).shape == (150, 3)


def test_nested_cross_validation():
    search = HyperoptSearchCV(
        LogisticRegression(), {"C": loguniform(1e-2, 1e2)}, n_iter=4, cv=3, random_state=0
    )
    scores = cross_val_score(search, X_iris, y_iris, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)


def test_clone_keeps_parameters_and_drops_fitted_state():
    search = HyperoptSearchCV(SVC(), {"C": [1, 2]}, n_iter=2, batch_size=1, random_state=3)
    search.fit(X_iris, y_iris)
    cloned = clone(search)
    assert cloned.get_params()["batch_size"] == 1
    assert cloned.get_params()["random_state"] == 3
    assert not hasattr(cloned, "cv_results_")


def test_pickle_unfitted_and_fitted():
    search = HyperoptSearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}, n_iter=4, random_state=0)
    assert pickle.loads(pickle.dumps(search)).get_params()["n_iter"] == 4
    search.fit(X_iris, y_iris)
    loaded = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(loaded.predict(X_iris), search.predict(X_iris))
    assert len(loaded.trials_) == 4
    assert loaded.best_params_ == search.best_params_


def test_delegated_methods_exist_only_when_the_estimator_has_them():
    search = HyperoptSearchCV(SVC(), {"C": [1, 2]}, n_iter=2).fit(X_iris, y_iris)
    assert not hasattr(search, "predict_proba")
    assert hasattr(search, "decision_function")
    search = HyperoptSearchCV(LogisticRegression(), {"C": [1, 2]}, n_iter=2).fit(X_iris, y_iris)
    assert search.predict_proba(X_iris).shape == (150, 3)


# -- scoring and refit ---------------------------------------------------------------


def test_multimetric_refit_by_name_optimises_that_metric():
    search = HyperoptSearchCV(
        LogisticRegression(max_iter=500),
        {"C": loguniform(1e-4, 1e2)},
        n_iter=8,
        cv=3,
        scoring={"acc": "accuracy", "nll": "neg_log_loss"},
        refit="nll",
        random_state=0,
    ).fit(X_clf, y_clf)
    results = search.cv_results_
    assert search.best_index_ == int(np.argmax(results["mean_test_nll"]))
    assert search.best_score_ == results["mean_test_nll"][search.best_index_]
    losses = {t["tid"]: t["result"]["loss"] for t in search.trials_.trials}
    told = [losses[tid] for tid in results["hyperopt_tid"]]
    np.testing.assert_allclose(told, -results["mean_test_nll"])


def test_callable_refit_picks_the_index_it_returns():
    def lowest_c(cv_results):
        return int(np.argmin(cv_results["param_C"].data.astype(float)))

    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-3, 1e2)},
        n_iter=6,
        cv=3,
        scoring=["accuracy", "f1_macro"],
        refit=lowest_c,
        random_state=0,
    ).fit(X_iris, y_iris)
    cs = [p["C"] for p in search.cv_results_["params"]]
    assert search.best_params_["C"] == min(cs)
    assert search.best_estimator_.C == min(cs)
    # with a callable refit, the first metric guides hyperopt
    losses = {t["tid"]: t["result"]["loss"] for t in search.trials_.trials}
    first = search.cv_results_["mean_test_accuracy"]
    told = [losses[tid] for tid in search.cv_results_["hyperopt_tid"]]
    np.testing.assert_allclose(told, -first)


def test_refit_false_with_multimetric_has_no_best_estimator():
    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0]},
        n_iter=2,
        scoring=["accuracy", "f1_macro"],
        refit=False,
    ).fit(X_iris, y_iris)
    assert not hasattr(search, "best_estimator_")
    assert len(search.cv_results_["params"]) == 2


# -- metadata routing, groups ----------------------------------------------------------


def test_sample_weight_reaches_the_estimator_with_metadata_routing():
    weights = np.full(len(y_iris), 2.0)
    with config_context(enable_metadata_routing=True):
        est = WeightRecorder().set_fit_request(sample_weight=True)
        search = HyperoptSearchCV(est, {"c": [1, 2]}, n_iter=2, cv=KFold(3)).fit(
            X_iris, y_iris, sample_weight=weights
        )
    # 2/3 of the samples in each training fold, weight 2 each
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], [200.0, 200.0])
    assert search.best_estimator_.weight_sum_ == 300.0


def test_sample_weight_is_passed_to_fit_without_routing():
    weights = np.full(len(y_iris), 2.0)
    search = HyperoptSearchCV(WeightRecorder(), {"c": [1, 2]}, n_iter=2, cv=KFold(3))
    search.fit(X_iris, y_iris, sample_weight=weights)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], [200.0, 200.0])


def test_groups_reach_the_splitter():
    groups = np.repeat([0, 1, 2, 3], [30, 40, 40, 40])
    search = HyperoptSearchCV(
        LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, n_iter=3, cv=LeaveOneGroupOut()
    ).fit(X_iris, y_iris, groups=groups)
    assert search.n_splits_ == 4


def test_splits_are_fixed_for_the_whole_search():
    # The scorer returns the sum of the test indices: identical for every
    # candidate of every round iff the folds never change.
    X = np.arange(60, dtype=float).reshape(-1, 1)
    y = np.tile([0, 1], 30)

    def index_sum(estimator, X_test, y_test):
        return float(X_test.sum())

    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-2, 1e2)},
        n_iter=9,
        batch_size=2,
        n_initial_points=3,
        cv=KFold(3, shuffle=True),  # no random_state: new folds on each split() call
        scoring=index_sum,
        random_state=0,
    ).fit(X, y)
    assert len(set(search.cv_results_["hyperopt_round"])) >= 4
    for split in range(3):
        column = search.cv_results_[f"split{split}_test_score"]
        assert np.all(column == column[0])


# -- failures ------------------------------------------------------------------------------


def test_some_failing_candidates_are_told_as_failed_and_the_search_goes_on():
    values = [0, 4, 1, 5, 2, 6]
    est = ParamClassifier(fail_below=3)
    with pytest.warns(FitFailedWarning):
        search = HyperoptSearchCV(
            est, {"p": values}, n_iter=6, batch_size=2, algo=in_order(values), cv=2
        ).fit(X_iris, y_iris)
    results = search.cv_results_
    assert [p["p"] for p in results["params"]] == values
    failed = np.isnan(results["mean_test_score"])
    assert failed.tolist() == [v < 3 for v in values]
    statuses = {t["tid"]: t["result"]["status"] for t in search.trials_.trials}
    assert [statuses[tid] for tid in results["hyperopt_tid"]] == [
        STATUS_FAIL if v < 3 else STATUS_OK for v in values
    ]
    assert search.best_params_ == {"p": 4}


def test_a_whole_failing_round_does_not_end_the_search():
    # Rounds of 2: [0, 1] and [2, 0.5] fail entirely; then [3, 4], [5, 6] work.
    values = [0, 1, 2, 0.5, 3, 4, 5, 6]
    # One account of the failed fits, at the end, as GridSearchCV gives it.
    with pytest.warns(FitFailedWarning, match="8 fits failed out of a total of 16"):
        search = HyperoptSearchCV(
            ParamClassifier(fail_below=2.5),
            {"p": values},
            n_iter=8,
            batch_size=2,
            algo=in_order(values),
            cv=2,
            schedule="rounds",
        ).fit(X_iris, y_iris)
    results = search.cv_results_
    assert len(results["params"]) == 8
    assert np.isnan(results["mean_test_score"][:4]).all()
    assert np.isfinite(results["mean_test_score"][4:]).all()
    assert results["hyperopt_round"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert search.best_params_ == {"p": 3}


def test_numeric_error_score_is_stored_but_told_to_hyperopt_as_failure():
    with pytest.warns(FitFailedWarning):
        search = HyperoptSearchCV(
            ParamClassifier(fail_below=2),
            {"p": [0, 1, 2, 3]},
            n_iter=4,
            batch_size=2,
            algo=in_order([0, 1, 2, 3]),
            cv=2,
            error_score=-100.0,
        ).fit(X_iris, y_iris)
    assert search.cv_results_["mean_test_score"].tolist()[:2] == [-100.0, -100.0]
    statuses = [t["result"]["status"] for t in search.trials_.trials]
    assert statuses == [STATUS_FAIL, STATUS_FAIL, STATUS_OK, STATUS_OK]


def test_every_candidate_failing_raises_like_scikit_learn_and_keeps_the_results():
    search = HyperoptSearchCV(
        ParamClassifier(fail_below=100), {"p": uniform(0, 10)}, n_iter=4, batch_size=2, cv=2
    )
    with pytest.raises(ValueError, match=r"All the 8 fits failed[\s\S]*failing region"):
        search.fit(X_iris, y_iris)
    assert len(search.cv_results_["params"]) == 4
    assert len(search.trials_) == 4


def test_a_search_whose_only_round_fails_raises_without_saying_it_goes_on():
    # Found by the scikit-learn peer suite: it warned "... the search goes on",
    # then raised "All the 4 fits failed".
    search = HyperoptSearchCV(ParamClassifier(fail_below=100), {"p": [1, 2]}, n_iter=2, cv=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="All the 4 fits failed"):
            search.fit(X_iris, y_iris)
    assert not [w for w in caught if "search goes on" in str(w.message)]


def test_error_score_raise_raises_at_once():
    search = HyperoptSearchCV(
        ParamClassifier(fail_below=100),
        {"p": uniform(0, 10)},
        n_iter=10,
        batch_size=2,
        n_initial_points=2,
        cv=2,
        error_score="raise",
    )
    with pytest.raises(ValueError, match="failing region"):
        search.fit(X_iris, y_iris)
    assert search.stop_reason_ == "interrupted"
    assert not hasattr(search, "cv_results_")  # no round finished
    assert len(search.trials_) == 0  # the round in flight is not kept


def test_grid_search_still_raises_when_all_fits_fail():
    """Our hook on scikit-learn's failure check changes nothing for others."""
    with pytest.raises(ValueError, match="All the 4 fits failed"):
        GridSearchCV(ParamClassifier(fail_below=100), {"p": [1, 2]}, cv=2).fit(X_iris, y_iris)


# -- duplicates and exhaustion ------------------------------------------------------------


@pytest.mark.parametrize("algo", ["tpe", "rand", "anneal"])
def test_no_candidate_is_fitted_twice_and_finite_spaces_stop_when_exhausted(algo):
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    with pytest.warns(UserWarning, match="only 6 distinct candidates"):
        search = HyperoptSearchCV(SVC(), grid, n_iter=30, algo=algo, cv=2, random_state=0)
        search.fit(X_iris, y_iris)
    params = search.cv_results_["params"]
    assert len(params) == 6 == search.n_candidates_
    assert len({tuple(sorted(p.items())) for p in params}) == 6
    assert search.stop_reason_ == "exhausted"


def test_tpe_on_a_small_integer_space_never_repeats_a_candidate():
    search = HyperoptSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": randint(1, 4), "min_samples_leaf": randint(1, 5)},
        n_iter=12,
        n_initial_points=3,
        batch_size=1,
        cv=2,
        random_state=0,
    ).fit(X_iris, y_iris)
    keys = [tuple(sorted(p.items())) for p in search.cv_results_["params"]]
    assert len(keys) == len(set(keys)) == 12
    assert search.stop_reason_ == "n_iter"


def test_space_of_one_candidate():
    with pytest.warns(UserWarning, match="only 1 distinct"):
        search = HyperoptSearchCV(SVC(), {"C": [1.0]}, n_iter=5, cv=2).fit(X_iris, y_iris)
    assert search.cv_results_["params"] == [{"C": 1.0}]


# -- reproducibility ------------------------------------------------------------------------


def _params_sequence(random_state, **kwargs):
    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-3, 1e3), "fit_intercept": [True, False]},
        n_iter=10,
        n_initial_points=4,
        cv=2,
        random_state=random_state,
        **kwargs,
    ).fit(X_iris, y_iris)
    return search.cv_results_["params"]


def test_same_int_seed_gives_the_same_candidates():
    first = _params_sequence(42)
    assert _params_sequence(42) == first
    assert _params_sequence(43) != first


@pytest.mark.parametrize(
    "make_state", [np.random.RandomState, np.random.default_rng], ids=["RandomState", "Generator"]
)
def test_random_state_objects_are_accepted_and_reproducible(make_state):
    assert _params_sequence(make_state(5)) == _params_sequence(make_state(5))


def test_random_state_none_gives_different_searches():
    assert _params_sequence(None) != _params_sequence(None)


# -- algorithms ------------------------------------------------------------------------------


@pytest.mark.parametrize("algo", ["tpe", "rand", "anneal"])
def test_each_algorithm_runs_a_mixed_space(algo):
    space = {
        "C": loguniform(1e-3, 1e3),
        "max_iter": randint(50, 200),
        "fit_intercept": [True, False],
        "tol": hp.loguniform("tol_label", -10, -2),
    }
    search = HyperoptSearchCV(
        LogisticRegression(), space, n_iter=8, algo=algo, cv=2, random_state=0
    ).fit(X_iris, y_iris)
    assert len(search.cv_results_["params"]) == 8


def test_atpe_runs_on_integer_and_conditional_spaces():
    """ATPE (hyperopt 0.3.0) reads a loss on every trial and crashes on
    quantised integers; our integers are rounded uniforms and it sees finished
    trials only, failures with the worst loss."""
    pytest.importorskip("lightgbm")
    space = [
        {"max_depth": randint(1, 8), "min_impurity_decrease": loguniform(1e-5, 1e-1)},
        {"max_depth": [2], "criterion": ["gini", "entropy"]},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ATPE's own scipy/lightgbm chatter
        search = HyperoptSearchCV(
            DecisionTreeClassifier(random_state=0), space, n_iter=12, algo="atpe", cv=2
        ).fit(X_iris, y_iris)
    params = search.cv_results_["params"]
    assert len(params) == 12
    assert len({tuple(sorted(p.items())) for p in params}) == 12
    assert all(type(p["max_depth"]) is int for p in params)


def test_initial_round_holds_the_random_start_up_candidates():
    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-3, 1e3)},
        n_iter=14,
        n_initial_points=6,
        batch_size=3,
        cv=2,
        schedule="rounds",
        random_state=0,
    ).fit(X_iris, y_iris)
    assert search.cv_results_["hyperopt_round"].tolist() == [0] * 6 + [1] * 3 + [2] * 3 + [3] * 2


# -- reporting --------------------------------------------------------------------------------


def test_verbose_prints_one_line_per_round(capsys):
    HyperoptSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-2, 1e2)},
        n_iter=9,
        n_initial_points=5,
        cv=2,
        schedule="rounds",
        batch_size=4,
        verbose=1,
        random_state=0,
    ).fit(X_iris, y_iris)
    out = capsys.readouterr().out
    rounds = re.findall(r"\[HyperoptSearchCV\] round (\d+): (\d+) candidates", out)
    assert rounds == [("0", "5"), ("1", "4")]
    assert "best score 0." in out
    # scikit-learn's own tests count fits by "score=" in verbose output: ours
    # must not look like a fit's line.
    assert "score=" not in out
    assert "stopped (n_iter) after 9 candidates" in out


def test_silent_by_default(capsys):
    HyperoptSearchCV(LogisticRegression(), {"C": [1, 2]}, n_iter=2).fit(X_iris, y_iris)
    assert capsys.readouterr().out == ""


def test_progress_bar_callback_on_scikit_learn_with_callbacks():
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    search = HyperoptSearchCV(
        LogisticRegression(), {"C": loguniform(1e-2, 1e2)}, n_iter=6, cv=2, random_state=0
    )
    search.set_callbacks(callback.ProgressBar())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not support callbacks")
        search.fit(X_iris, y_iris)
    assert len(search.cv_results_["params"]) == 6


# -- bad input, all before any fit ----------------------------------------------------------


class NeverFit(BaseEstimator):
    def __init__(self, a=1):
        self.a = a

    def fit(self, X, y=None):
        raise AssertionError("no model may be fitted before the input is validated")

    def score(self, X, y=None):
        return 0.0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"param_distributions": {"b": [1, 2]}}, ValueError, "param_distributions.*'b'"),
        (
            {"param_distributions": [{"a": [1]}, {"zz": [1, 2]}]},
            ValueError,
            r"param_distributions \(dict 1\).*'zz'",
        ),
        ({"param_distributions": {"a": []}}, ValueError, "'a'.*empty"),
        ({"param_distributions": {"a": "xy"}}, TypeError, "'a'.*str"),
        ({"param_distributions": "a"}, InvalidParameterError, "param_distributions"),
        ({"n_iter": 0}, InvalidParameterError, "n_iter"),
        ({"algo": "bayes"}, InvalidParameterError, "algo"),
        ({"batch_size": 0}, InvalidParameterError, "batch_size"),
        ({"n_initial_points": -1}, InvalidParameterError, "n_initial_points"),
        ({"n_initial_points": "many"}, InvalidParameterError, "n_initial_points"),
        ({"random_state": "seed"}, InvalidParameterError, "random_state"),
        # Regression (issue 12, 11): nan was accepted and did nothing.
        ({"score_threshold": float("nan")}, InvalidParameterError, "score_threshold"),
        # Regression (issue 12, 9): crashed deep in hyperopt, or fitted first.
        ({"param_distributions": {"a": norm(1, 0)}}, ValueError, r"'a'.*norm\(1, 0\).*invalid"),
        ({"param_distributions": {"a": uniform(1, 0)}}, ValueError, "'a'.*uniform.*invalid"),
        ({"param_distributions": {"a": loguniform(0, 10)}}, ValueError, "'a'.*loguniform"),
        ({"param_distributions": {"a": loguniform(-1, 1)}}, ValueError, "'a'.*loguniform"),
        ({"param_distributions": {"a": randint(5, 2)}}, ValueError, "'a'.*randint"),
    ],
)
def test_bad_input_raises_a_clear_error_before_any_fit(kwargs, error, match):
    params = {"param_distributions": {"a": [1, 2]}, **kwargs}
    search = HyperoptSearchCV(NeverFit(), **params)
    with pytest.raises(error, match=match):
        search.fit(X_iris, y_iris)


def test_init_stores_parameters_untouched():
    space = {"C": loguniform(1e-2, 1e2)}
    rng = np.random.default_rng(0)
    search = HyperoptSearchCV(SVC(), space, random_state=rng, n_initial_points="auto")
    params = search.get_params(deep=False)
    assert params["param_distributions"] is space
    assert params["random_state"] is rng
    assert params["n_initial_points"] == "auto"


def test_warns_when_a_round_has_fewer_fits_than_workers():
    from joblib import parallel_config

    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0, 10.0]},
        n_iter=3,
        batch_size=1,
        cv=2,
        # joblib 1.3's Parallel(n_jobs=None) ignores parallel_config(n_jobs=8):
        # the rounds' check reads effective_n_jobs, which does not.
        schedule="rounds",
    )
    with parallel_config(backend="threading", n_jobs=8):
        with pytest.warns(UserWarning, match="2 fits per round for 8 workers.*batch_size >= 8"):
            search.set_params(n_initial_points=1).fit(X_iris, y_iris)


# -- cv_results_ formatted once -------------------------------------------------------


def _assert_same_results(got, expected):
    assert list(got) == list(expected)
    for key, value in expected.items():
        if "time" in key:
            continue  # measured, not computed
        if key == "params":
            assert got[key] == value
        elif isinstance(value, np.ma.MaskedArray):
            np.testing.assert_array_equal(np.ma.getmaskarray(got[key]), value.mask, key)
            assert got[key].tolist() == value.tolist(), key
        else:
            np.testing.assert_array_equal(got[key], value, key)


@pytest.mark.parametrize("warm_start", [False, True])
def test_results_formatted_once_equal_results_formatted_every_round(monkeypatch, warm_start):
    # Without a monitor, the rounds skip scikit-learn's formatting of all
    # results after every round (quadratic) and format once at the end; a
    # monitor needs them every round. Both must give the same cv_results_.
    calls = []
    original = BaseSearchCV._format_results

    def counting(self, *args, **kwargs):
        calls.append(len(args[0]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BaseSearchCV, "_format_results", counting)

    def search(**params):
        return HyperoptSearchCV(
            DecisionTreeClassifier(random_state=0),
            {"max_depth": randint(1, 8), "ccp_alpha": loguniform(1e-4, 1e-1)},
            n_iter=11,
            n_initial_points=3,
            batch_size=2,
            cv=3,
            scoring=["accuracy", "f1_macro"],
            refit="f1_macro",
            return_train_score=True,
            random_state=0,
            **params,
        )

    X, y = make_classification(n_samples=90, n_features=5, random_state=0)
    eager = search(monitor=lambda search, results: False)
    lazy = search()
    if warm_start:
        for est in (eager, lazy):
            est.set_params(n_iter=5).fit(X, y)
            est.set_params(n_iter=11, warm_start=True)
    calls.clear()
    lazy.fit(X, y)
    assert calls == [11]  # once, with every candidate (prior ones prepended)
    eager.fit(X, y)
    assert len(calls) > 2
    _assert_same_results(lazy.cv_results_, eager.cv_results_)
    assert lazy.best_params_ == eager.best_params_
    assert lazy.best_index_ == eager.best_index_


# -- regressions of issue 12: what GridSearchCV accepts ----------------------------


class CountsFits(ClassifierMixin, BaseEstimator):
    """Scores ``-abs(c - 3)``; logs the parameters of every fit (n_jobs=1)."""

    log: list = []

    def __init__(self, c=0, class_weight=None):
        self.c = c
        self.class_weight = class_weight

    def fit(self, X, y, callback=None):
        CountsFits.log.append((self.c, self.class_weight))
        if callback is not None:
            callback(self)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return -abs(self.c - 3)


@pytest.fixture
def fit_log():
    CountsFits.log.clear()
    yield CountsFits.log
    CountsFits.log.clear()


def test_a_range_and_other_sequences_are_accepted_like_grid_search():
    # Regression (issue 12, 6): range(1, 6) was refused.
    for values in (range(1, 6), (1, 2, 3, 4, 5), np.arange(1, 6)):
        search = HyperoptSearchCV(CountsFits(), {"c": values}, n_iter=5, cv=2, random_state=0)
        search.fit(X_iris, y_iris)
        assert sorted(p["c"] for p in search.cv_results_["params"]) == [1, 2, 3, 4, 5]
        assert search.best_params_ == {"c": 3}


def test_a_generator_of_splits_is_read_once():
    # Regression (issue 12, 7): "Expected 5 splits, got 0".
    splits = KFold(5).split(X_iris, y_iris)
    search = HyperoptSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_iter=2, cv=splits)
    search.fit(X_iris, y_iris)
    assert search.n_splits_ == 5
    expected = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=KFold(5)).fit(
        X_iris, y_iris
    )
    np.testing.assert_allclose(
        np.sort(search.cv_results_["mean_test_score"]),
        np.sort(expected.cv_results_["mean_test_score"]),
    )
    assert search.cv is splits  # the parameter itself is left as it was given
    # A continued search with the used-up generator keeps the folds of its first fit.
    search.set_params(n_iter=3, warm_start=True, param_distributions={"C": [0.1, 1.0, 10.0]})
    with pytest.raises(ValueError, match="another param_distributions"):
        search.fit(X_iris, y_iris)


def test_a_fit_parameter_that_cannot_be_pickled_is_accepted(fit_log):
    # Regression (issue 12, 8): the data fingerprint pickled fit parameters.
    seen = []

    def callback(estimator):  # a local function: not picklable
        seen.append(estimator.c)

    search = HyperoptSearchCV(CountsFits(), {"c": [1, 2, 3]}, n_iter=3, cv=2, random_state=0)
    search.fit(X_iris, y_iris, callback=callback)
    assert sorted(set(seen)) == [1, 2, 3]
    search.set_params(n_iter=3, warm_start=True)
    with pytest.warns(UserWarning, match="no new candidate"):
        search.fit(X_iris, y_iris, callback=callback)  # the same data: reloaded


@pytest.mark.parametrize(
    "space, n_distinct",
    [
        ({"c": [1.0, 1.0, 2.0]}, 2),
        ({"c": [1, 1.0, 2]}, 2),
        ({"c": [np.float64(1.0), 1, 2]}, 2),
        ([{"c": [1, 2]}, {"c": [2, 3]}], 3),
        ([{}, {}], 1),
        ({"class_weight": [{0: 1, 1: 2}, {0: 1, 1: 2}, None]}, 2),
        ([{"class_weight": [{0: 1.0}]}, {"class_weight": [{0: 1}]}], 1),
    ],
)
def test_a_candidate_equal_to_an_earlier_one_is_never_fitted_again(space, n_distinct, fit_log):
    # Regression (issue 12, 12): duplicate values, the same point in two
    # dicts of a list, [{}, {}] and equal class_weight dicts were refitted.
    search = HyperoptSearchCV(CountsFits(), space, n_iter=10, cv=2, random_state=0)
    with pytest.warns(UserWarning, match=f"only {n_distinct} distinct candidates"):
        search.fit(X_iris, y_iris)
    assert search.n_candidates_ == n_distinct
    fitted = [repr(entry) for entry in fit_log[:-1]]  # without the refit
    assert len(fitted) == 2 * n_distinct and len(set(fitted)) == n_distinct


def test_best_params_hold_the_users_own_values_when_the_list_holds_numpy_scalars():
    # Issue 26 reverses issue 12, 14 (best_params_ held np.float64(10.0), and
    # were made native then): GridSearchCV gives the list's own objects, and
    # code written for it calls .item() on them or prints their repr. The
    # values are still the same numbers; a distribution's values stay native.
    space = {"C": [np.float64(0.1), np.float64(10.0)], "max_iter": [np.int64(200)]}
    search = HyperoptSearchCV(LogisticRegression(), space, n_iter=2, random_state=0)
    search.fit(X_iris, y_iris)
    grid = GridSearchCV(LogisticRegression(), space).fit(X_iris, y_iris)
    assert search.cv_results_["params"] == grid.cv_results_["params"]
    for params in [search.best_params_, *search.cv_results_["params"]]:
        assert type(params["C"]) is np.float64 and type(params["max_iter"]) is np.int64
        assert params["max_iter"] is space["max_iter"][0]  # the very object


@pytest.mark.parametrize(
    "dist, at_least", [(poisson(3, loc=1), 20), (geom(0.95), 9), (poisson(0.05), 6)]
)
def test_an_infinite_discrete_distribution_is_searched_into_its_tails(dist, at_least, fit_log):
    # Regression (issue 12, 13): stopped as "exhausted" after 8, 2 and 2
    # values. Now every value whose probability is representable is proposed,
    # the most probable unseen ones first, and the message says why it ends.
    search = HyperoptSearchCV(CountsFits(), {"c": dist}, n_iter=40, cv=2, random_state=0)
    with pytest.warns(UserWarning, match="infinite support.*below 1e-12"):
        search.fit(X_iris, y_iris)
    values = [p["c"] for p in search.cv_results_["params"]]
    assert len(values) == len(set(values)) >= at_least
    low = int(dist.support()[0])
    assert sorted(values) == list(range(low, low + len(values)))  # no gap: bulk first


class _TaskRecorder:
    """A scikit-learn (>= 1.9) callback recording the path of every finished task."""

    def __init__(self):
        self.paths = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        path = []
        while context is not None:
            path.append((context.task_name, context.task_id))
            context = context.parent
        self.paths.append(tuple(reversed(path)))


def _recorded_tasks(search):
    recorder = _TaskRecorder()
    search.set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not support callbacks")
        search.fit(X_iris, y_iris)
    return recorder.paths


@pytest.mark.parametrize("schedule", ["rounds", "ordered"])
def test_the_callback_task_tree_has_grid_search_cv_shape(schedule):
    # Regression (issue 12, 17): an extra "round" level, and evaluations
    # numbered from 0 in each round, so code reading task_id // n_splits as
    # the candidate (scikit-learn's gallery does) got the wrong ones.
    pytest.importorskip("sklearn.callback")
    grid = _recorded_tasks(GridSearchCV(LogisticRegression(), {"C": [0.1, 1, 10, 100]}, cv=2))
    space = {"C": loguniform(1e-2, 1e2)}
    options = {
        "n_iter": 4,
        "n_initial_points": 2,
        "batch_size": 2,
        "cv": 2,
        "random_state": 0,
        "schedule": schedule,
    }
    search = HyperoptSearchCV(LogisticRegression(), space, **options)
    assert _recorded_tasks(search) == grid
    # A continued search numbers its evaluations after the earlier ones,
    # matching the rows of cv_results_.
    search.set_params(n_iter=8, warm_start=True)
    evaluations = [p[-1][1] for p in _recorded_tasks(search) if len(p) == 3]
    assert evaluations == list(range(8, 16))
    assert len(search.cv_results_["params"]) == 8


def test_verbose_numbers_candidates_over_the_whole_search(capsys):
    pytest.importorskip("sklearn.callback")  # evaluate_candidates numbers per call before
    space = {"C": loguniform(1e-2, 1e2)}
    HyperoptSearchCV(
        LogisticRegression(),
        space,
        n_iter=4,
        n_initial_points=2,
        batch_size=2,
        cv=2,
        random_state=0,
        verbose=10,
    ).fit(X_iris, y_iris)
    out = capsys.readouterr().out
    starts = re.findall(r"\[CV (\d+)/2; (\d+)/(\d+)\] START", out)
    assert [(int(c), int(n)) for _, c, n in starts] == [(c, 4) for c in (1, 1, 2, 2, 3, 3, 4, 4)]


def test_a_heavy_tailed_distribution_is_searched_to_the_budget(fit_log):
    # Regression (issue 24, 4): zipf(2) is searched on its table of 100,000
    # values (it has no size); when the model and the prior kept drawing
    # known values, the search stopped after 8 of 30 candidates, saying the
    # space had only 8. Now its most probable unseen values are proposed.
    from scipy.stats import zipf

    search = HyperoptSearchCV(
        CountsFits(), {"c": zipf(2)}, n_iter=60, cv=2, algo="rand", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        search.fit(X_iris, y_iris)
    assert search.stop_reason_ == "n_iter" and search.n_candidates_ == 60
    values = [p["c"] for p in search.cv_results_["params"]]
    assert len(set(values)) == 60 and min(values) >= 1
    assert set(range(1, 21)) <= set(values)  # the bulk first
