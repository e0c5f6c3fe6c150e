"""A completed grid gives ``GridSearchCV``'s results, row for row (issue 26).

The patterns of scikit-learn's gallery that read ``cv_results_`` in the
grid's order (a heatmap ``reshape``, a bar chart over a list of dicts, ties
for the best score, a callable ``refit``, a callback on the inner
estimator), run side by side with ``GridSearchCV`` on deterministic
estimators, and compared array for array. Then what differs on purpose: an
unfinished search keeps evaluation order, a continued one that completes the
grid gets the grid's order.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from hyperopt_search import HyperoptSearchCV

X, y = load_iris(return_X_y=True)
CV = StratifiedKFold(3, shuffle=True, random_state=0)
EXTRA = {"hyperopt_round", "hyperopt_tid", "hyperopt_order", "n_splits_fitted", "reused"}


def _fit(search, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*distinct candidates")
        return search.fit(*args, **kwargs)


def _hyperopt(estimator, grid, **kwargs):
    n_iter = len(ParameterGrid(grid))
    return HyperoptSearchCV(estimator, grid, n_iter=n_iter, cv=CV, **kwargs)


def assert_same_results(ours, grid_search):
    """Every column of GridSearchCV's cv_results_ (but times) and the best, equal."""
    theirs = grid_search.cv_results_
    assert set(ours.cv_results_) == set(theirs) | EXTRA
    for key, value in theirs.items():
        if key.endswith("_time"):
            continue
        mine = ours.cv_results_[key]
        assert type(mine) is type(value), key
        if key == "params":
            assert mine == value
            assert [list(p) for p in mine] == [list(p) for p in value]  # key order
            for a, b in zip(mine, value, strict=True):
                assert [type(v) for v in a.values()] == [type(v) for v in b.values()]
        elif isinstance(value, np.ma.MaskedArray):
            assert np.array_equal(mine.mask, value.mask), key
            assert mine.dtype == value.dtype, key
            assert list(mine.data[~mine.mask]) == list(value.data[~value.mask]), key
        else:
            np.testing.assert_array_equal(mine, value, err_msg=key)
    for name in ("best_index_", "best_params_", "best_score_"):
        if hasattr(grid_search, name):
            assert getattr(ours, name) == getattr(grid_search, name), name


def evaluation_rows(search):
    """The rows of cv_results_ in the order the candidates were evaluated."""
    return np.argsort(search.cv_results_["hyperopt_order"])


# -- the gallery's patterns ----------------------------------------------------------


@pytest.mark.parametrize("schedule", ["ordered", "rounds"])
def test_a_heatmap_reshape_of_a_completed_grid_is_grid_search_cv_s(schedule):
    # svm/plot_rbf_parameters.py: scores.reshape(len(C_range), len(gamma_range)).
    C_range = np.logspace(-2, 4, 4)
    gamma_range = np.logspace(-5, 1, 4)
    grid = {"C": C_range, "gamma": gamma_range}
    gs = GridSearchCV(SVC(), grid, cv=CV).fit(X, y)
    hs = _fit(_hyperopt(SVC(), grid, schedule=schedule, random_state=0), X, y)
    shape = (len(C_range), len(gamma_range))
    heatmap = hs.cv_results_["mean_test_score"].reshape(shape)
    np.testing.assert_array_equal(heatmap, gs.cv_results_["mean_test_score"].reshape(shape))
    assert_same_results(hs, gs)
    # The candidates were not evaluated in the grid's order; the column says how.
    order = hs.cv_results_["hyperopt_order"]
    assert sorted(order) == list(range(16)) and list(order) != list(range(16))
    tids = hs.cv_results_["hyperopt_tid"][evaluation_rows(hs)]
    assert list(tids) == sorted(tids)
    # The user's own values: np.float64 from np.logspace, as GridSearchCV gives them.
    assert type(hs.best_params_["C"]) is np.float64
    assert hs.best_params_["C"].item() == gs.best_params_["C"].item()
    np.testing.assert_array_equal(hs.predict(X), gs.predict(X))


def test_a_bar_chart_over_a_list_of_dicts_is_grid_search_cv_s():
    # compose/plot_compare_reduction.py: estimators as values, a list of dicts,
    # mean_scores.reshape(len(C_OPTIONS), -1, len(N_FEATURES_OPTIONS)).
    N_FEATURES_OPTIONS = [1, 2, 3]
    C_OPTIONS = [0.1, 1, 10]
    pca = PCA(iterated_power=7)
    grid = [
        {
            "reduce_dim": [pca],
            "reduce_dim__n_components": N_FEATURES_OPTIONS,
            "classify__C": C_OPTIONS,
        },
        {
            "reduce_dim": [SelectKBest(f_classif)],
            "reduce_dim__k": N_FEATURES_OPTIONS,
            "classify__C": C_OPTIONS,
        },
    ]
    pipe = Pipeline(
        [
            ("scaling", MinMaxScaler()),
            ("reduce_dim", "passthrough"),
            ("classify", LogisticRegression(max_iter=1000)),
        ]
    )
    gs = GridSearchCV(pipe, grid, cv=CV).fit(X, y)
    hs = _fit(_hyperopt(pipe, grid, random_state=1), X, y)
    bars = hs.cv_results_["mean_test_score"].reshape(len(C_OPTIONS), -1, len(N_FEATURES_OPTIONS))
    expected = gs.cv_results_["mean_test_score"].reshape(bars.shape)
    np.testing.assert_array_equal(bars, expected)
    assert_same_results(hs, gs)
    # The very estimator objects of the list, by identity.
    rows = [p for p in hs.cv_results_["params"] if "reduce_dim__n_components" in p]
    assert len(rows) == 9 and all(p["reduce_dim"] is pca for p in rows)


def test_lines_of_a_multi_metric_search_are_grid_search_cv_s():
    # model_selection/plot_multi_metric_evaluation.py: lines over
    # results["param_min_samples_split"].data, for each scorer.
    grid = {"min_samples_split": range(2, 120, 13)}
    scoring = {"AUC": "roc_auc_ovr", "Accuracy": "accuracy"}
    options = {"scoring": scoring, "refit": "AUC", "return_train_score": True}
    tree = DecisionTreeClassifier(random_state=42)
    gs = GridSearchCV(tree, grid, cv=CV, **options).fit(X, y)
    hs = _fit(_hyperopt(tree, grid, random_state=0, **options), X, y)
    assert_same_results(hs, gs)
    x_axis = np.array(hs.cv_results_["param_min_samples_split"].data, dtype=float)
    assert list(x_axis) == list(range(2, 120, 13))  # increasing: no zigzag


class Plateau(ClassifierMixin, BaseEstimator):
    """Scores ``-(|a - 4| // 3) - (b != "x")``: many ties, the same on every fold."""

    def __init__(self, a=0, b="x"):
        self.a = a
        self.b = b

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return -float(abs(self.a - 4) // 3) - float(self.b != "x")


@pytest.mark.parametrize("seed", range(3))
def test_ties_are_broken_as_grid_search_cv_does(seed):
    # a in 2..6 and b="x" score 0: GridSearchCV takes the first in grid order
    # (names sorted: a varies slowest).
    grid = {"b": ["y", "x"], "a": list(range(10))}
    gs = GridSearchCV(Plateau(), grid, cv=3).fit(X, y)
    hs = _fit(_hyperopt(Plateau(), grid, random_state=seed), X, y)
    assert_same_results(hs, gs)
    assert hs.best_params_ == {"a": 2, "b": "x"} and hs.best_index_ == 5
    assert hs.cv_results_["rank_test_score"].tolist().count(1) == 5


def test_ties_of_a_real_estimator_give_grid_search_cv_s_best_and_refit():
    grid = {"n_neighbors": list(range(1, 31)), "weights": ["uniform", "distance"]}
    knn = KNeighborsClassifier()
    gs = GridSearchCV(knn, grid, cv=CV).fit(X, y)
    assert (gs.cv_results_["rank_test_score"] == 1).sum() > 1  # ties to break
    hs = _fit(_hyperopt(knn, grid, random_state=0), X, y)
    assert_same_results(hs, gs)
    assert hs.best_estimator_.get_params() == gs.best_estimator_.get_params()


def test_a_callable_refit_sees_the_grid_s_rows():
    # model_selection/plot_grid_search_refit_callable.py: the simplest model
    # within one standard deviation of the best, as an index of the rows.
    def lowest_complexity(cv_results):
        scores = cv_results["mean_test_score"]
        threshold = scores.max() - cv_results["std_test_score"][scores.argmax()]
        candidates = np.flatnonzero(scores >= threshold)
        complexity = cv_results["param_reduce_dim__n_components"][candidates]
        return int(candidates[np.argmin(complexity)])

    pipe = Pipeline([("reduce_dim", PCA(random_state=0)), ("classify", LogisticRegression())])
    grid = {"reduce_dim__n_components": [1, 2, 3, 4]}
    gs = GridSearchCV(pipe, grid, cv=CV, refit=lowest_complexity).fit(X, y)
    hs = _fit(_hyperopt(pipe, grid, refit=lowest_complexity, random_state=0), X, y)
    assert_same_results(hs, gs)
    assert hs.best_estimator_.get_params()["reduce_dim__n_components"] == gs.best_index_ + 1


@pytest.mark.parametrize("schedule", ["rounds", "ordered", "async"])
def test_a_scoring_monitor_on_the_inner_estimator_logs_one_run_like_grid_search_cv(schedule):
    # callbacks/plot_scoring_monitor.py without its ProgressBar: the fold
    # fits are logged under the search's task tree, in one run, as with
    # GridSearchCV (task ids numbered in evaluation order: mapped to rows).
    callback = pytest.importorskip("sklearn.callback")
    grid = {"C": [0.1, 1.0, 10.0]}

    def logged(search):
        monitor = callback.ScoringMonitor(scoring="accuracy")
        estimator = LogisticRegression(max_iter=200).set_callbacks(monitor)
        _fit(search.set_params(estimator=estimator), X, y)
        (run,) = monitor.get_logs(select="all")
        return run.data

    gs = GridSearchCV(None, grid, cv=CV)
    theirs = logged(gs)
    hs = HyperoptSearchCV(None, grid, n_iter=3, cv=CV, schedule=schedule, random_state=0)
    ours = logged(hs)
    assert len(ours) == len(theirs) > 100

    row_of = {int(k): row for row, k in enumerate(hs.cv_results_["hyperopt_order"])}

    def as_grid_rows(entry):
        path = entry["task_id_path"]
        if path[:2] == (0, 0) and len(path) > 2:  # search, evaluation task_id
            candidate, split = divmod(path[2], 3)
            path = (0, 0, row_of[candidate] * 3 + split, *path[3:])
        return path, entry["task_name"], entry["accuracy"]

    def rows(data):
        return sorted((e["task_id_path"], e["task_name"], e["accuracy"]) for e in data)

    assert sorted(map(as_grid_rows, ours)) == rows(theirs)


def test_verbose_prints_grid_search_cv_s_line(capsys):
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    GridSearchCV(SVC(), grid, cv=CV, verbose=1).fit(X, y)
    line = capsys.readouterr().out.splitlines()[0]
    assert line == "Fitting 3 folds for each of 6 candidates, totalling 18 fits"
    # n_iter above the grid's size: the candidates this fit can evaluate.
    _fit(HyperoptSearchCV(SVC(), grid, n_iter=50, cv=CV, verbose=1, random_state=0), X, y)
    assert line in capsys.readouterr().out.splitlines()


# -- what differs on purpose ---------------------------------------------------------


def test_an_unfinished_search_keeps_evaluation_order_and_a_continued_one_gets_the_grids():
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "gamma": [0.01, 0.1, 1.0]}
    gs = GridSearchCV(SVC(), grid, cv=CV).fit(X, y)
    hs = HyperoptSearchCV(SVC(), grid, n_iter=7, cv=CV, random_state=0).fit(X, y)
    results = hs.cv_results_
    assert results["hyperopt_order"].tolist() == list(range(7))
    assert list(results["hyperopt_tid"]) == sorted(results["hyperopt_tid"])
    assert results["params"][hs.best_index_] == hs.best_params_
    first = list(results["params"])
    # Continued to the whole grid: GridSearchCV's rows; the first seven
    # candidates are the rows evaluated first.
    _fit(hs.set_params(n_iter=12, warm_start=True), X, y)
    assert_same_results(hs, gs)
    evaluated = [hs.cv_results_["params"][i] for i in evaluation_rows(hs)]
    assert evaluated[:7] == first
    # Nothing left to do: reloaded, still in the grid's order.
    with pytest.warns(UserWarning, match="no new candidate"):
        _fit(hs.set_params(n_iter=12), X, y)
    assert_same_results(hs, gs)


def test_a_search_stopped_by_a_rule_keeps_evaluation_order():
    grid = {"b": ["y", "x"], "a": list(range(10))}
    hs = HyperoptSearchCV(
        Plateau(), grid, n_iter=20, cv=3, score_threshold=0.0, random_state=0
    ).fit(X, y)
    assert hs.stop_reason_ == "score_threshold" and hs.n_candidates_ < 20
    assert hs.cv_results_["hyperopt_order"].tolist() == list(range(hs.n_candidates_))
    assert hs.best_score_ == 0.0


def test_equal_values_are_one_row_at_their_first_place_in_the_grid():
    # [1, 1.0, 2] and a point in two dicts are one candidate (fitted once):
    # the completed grid's rows are GridSearchCV's without the repeats.
    for grid in ({"a": [1, 1.0, 2], "b": ["x", "y"]}, [{"a": [1, 2]}, {"a": [2, 3]}]):
        gs = GridSearchCV(Plateau(), grid, cv=3).fit(X, y)
        hs = _fit(HyperoptSearchCV(Plateau(), grid, n_iter=10, cv=3, random_state=0), X, y)
        assert hs.stop_reason_ == "exhausted"
        seen, first_rows = [], []
        for row, params in enumerate(gs.cv_results_["params"]):
            if params not in seen:
                seen.append(params)
                first_rows.append(row)
        assert hs.cv_results_["params"] == seen
        assert [type(p["a"]) for p in hs.cv_results_["params"]] == [
            type(gs.cv_results_["params"][row]["a"]) for row in first_rows
        ]
        np.testing.assert_array_equal(
            hs.cv_results_["mean_test_score"], gs.cv_results_["mean_test_score"][first_rows]
        )


def test_a_monitor_sees_evaluation_order_until_the_grid_is_done():
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    orders = []

    def monitor(search, results):
        orders.append(results["hyperopt_order"].tolist())

    _fit(HyperoptSearchCV(SVC(), grid, n_iter=6, cv=CV, random_state=0, monitor=monitor), X, y)
    assert orders[:-1] == [list(range(len(o))) for o in orders[:-1]]
    assert sorted(orders[-1]) == list(range(6))


def test_the_convergence_plot_of_a_completed_grid_is_in_evaluation_order():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from hyperopt_search.plotting import ConvergenceDisplay

    grid = {"C": [0.01, 0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    hs = _fit(HyperoptSearchCV(SVC(), grid, n_iter=8, cv=CV, random_state=0), X, y)
    display = ConvergenceDisplay.from_estimator(hs)
    expected = hs.cv_results_["mean_test_score"][evaluation_rows(hs)]
    np.testing.assert_array_equal(display.scores, expected)
    rounds = hs.cv_results_["hyperopt_round"][evaluation_rows(hs)]
    np.testing.assert_array_equal(display.rounds, rounds)
    assert (np.diff(display.rounds) >= 0).all()  # rounds come one after another
