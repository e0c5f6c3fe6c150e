"""Tests of hyperopt_search.plotting: every plot rendered with Agg to PNG."""

import subprocess
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.image import imread  # noqa: E402
from scipy.stats import loguniform, randint, uniform  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from hyperopt_search import HyperoptSearchCV  # noqa: E402
from hyperopt_search.plotting import (  # noqa: E402
    ConvergenceDisplay,
    ParameterPairDisplay,
    ParameterSlicesDisplay,
)

# Failing candidates are part of what is plotted.
pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning"),
    pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite"),
]


class FailingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; ``fit`` raises when ``fail`` is True."""

    def __init__(self, alpha=0.5, fail=False):
        self.alpha = alpha
        self.fail = fail

    def fit(self, X, y):
        if self.fail:
            raise ValueError("this candidate fails")
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)

    def score(self, X, y):
        # Depends on alpha so that candidates differ.
        return float(np.mean(self.predict(X) == y)) + self.alpha


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def svc_search(iris):
    return HyperoptSearchCV(
        SVC(),
        {"C": loguniform(1e-3, 1e2), "kernel": ["linear", "rbf"], "degree": [3]},
        n_iter=10,
        cv=3,
        random_state=0,
    ).fit(*iris)


@pytest.fixture(scope="module")
def failing_search(iris):
    with pytest.warns(FitFailedWarning):
        return HyperoptSearchCV(
            FailingClassifier(),
            {"alpha": uniform(0, 1), "fail": [False, True]},
            n_iter=12,
            cv=2,
            random_state=0,
        ).fit(*iris)


@pytest.fixture(scope="module")
def conditional_search(iris):
    space = [
        {"clf": [SVC()], "clf__C": loguniform(1e-2, 1e2)},
        {"clf": [DecisionTreeClassifier(random_state=0)], "clf__max_depth": randint(1, 6)},
    ]
    return HyperoptSearchCV(
        Pipeline([("clf", SVC())]), space, n_iter=12, cv=2, random_state=0
    ).fit(*iris)


@pytest.fixture(scope="module")
def multimetric_search():
    X, y = load_diabetes(return_X_y=True)
    return HyperoptSearchCV(
        Ridge(),
        {"alpha": loguniform(1e-3, 1e2), "fit_intercept": [True, False]},
        scoring={"r2": "r2", "mse": "neg_mean_squared_error"},
        refit="r2",
        n_iter=8,
        cv=2,
        random_state=0,
    ).fit(X, y)


def _render(display, tmp_path, name="plot.png"):
    """Save the display's figure as PNG and check that an image was written."""
    path = tmp_path / name
    display.figure_.savefig(path)
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    return image


def _failed_mask(search):
    status = {t["tid"]: t["result"]["status"] for t in search.trials_.trials}
    return np.array([status[tid] == "fail" for tid in search.cv_results_["hyperopt_tid"]])


def _ticklabels(ax, axis="x"):
    return [label.get_text() for label in getattr(ax, f"get_{axis}ticklabels")()]


# -- convergence ---------------------------------------------------------------


def test_convergence_plots_every_candidate_and_the_best_so_far(svc_search, tmp_path):
    display = ConvergenceDisplay.from_estimator(svc_search)
    _render(display, tmp_path)

    scores = svc_search.cv_results_["mean_test_score"]
    x, y = display.scores_line_.get_data()
    np.testing.assert_array_equal(x, np.arange(1, 11))
    np.testing.assert_allclose(y, scores)
    best_x, best_y = display.best_line_.get_data()
    np.testing.assert_array_equal(best_x, np.arange(1, 11))
    np.testing.assert_allclose(best_y, np.maximum.accumulate(scores))
    assert best_y[-1] == svc_search.best_score_
    assert display.best_line_.get_drawstyle() == "steps-post"
    assert len(display.failed_line_.get_xdata()) == 0
    assert display.ax_.get_xlabel() == "candidate"
    assert display.ax_.get_ylabel() == "mean test score"
    assert display.figure_ is display.ax_.figure


def test_convergence_shades_the_start_up_of_model_based_algorithms_only(svc_search, iris):
    display = ConvergenceDisplay.from_estimator(svc_search)
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["start-up (no model)", "candidate", "best so far", "failed"]
    rounds = svc_search.cv_results_["hyperopt_round"]
    (shade,) = display.ax_.patches
    display.figure_.canvas.draw()
    x = display.ax_.transData.inverted().transform(shade.get_verts())[:, 0]
    np.testing.assert_allclose([x.min(), x.max()], [0.5, np.sum(rounds == 0) + 0.5])

    random_search = HyperoptSearchCV(
        SVC(), {"C": loguniform(1e-3, 1e2)}, algo="rand", n_iter=6, cv=2, random_state=0
    ).fit(*iris)
    display = ConvergenceDisplay.from_estimator(random_search)
    assert len(display.ax_.patches) == 0


def test_convergence_marks_failed_candidates(failing_search, tmp_path):
    failed = _failed_mask(failing_search)
    assert 0 < failed.sum() < len(failed)
    display = ConvergenceDisplay.from_estimator(failing_search)
    _render(display, tmp_path)

    number = np.arange(1, len(failed) + 1)
    np.testing.assert_array_equal(display.failed_line_.get_xdata(), number[failed])
    np.testing.assert_array_equal(display.scores_line_.get_xdata(), number[~failed])
    assert display.failed_line_.get_marker() == "x"
    # Drawn at the bottom of the Axes, whatever the score scale.
    assert display.failed_line_.get_transform() == display.ax_.get_xaxis_transform()
    assert np.all(np.isfinite(display.best_so_far_[np.argmax(~failed) :]))


def test_failed_candidates_with_a_numeric_error_score_are_marked(iris):
    # error_score=0 gives failed candidates a finite score: the trials tell.
    with pytest.warns(FitFailedWarning):
        search = HyperoptSearchCV(
            FailingClassifier(),
            {"alpha": uniform(0, 1), "fail": [False, True]},
            n_iter=10,
            cv=2,
            error_score=0,
            random_state=0,
        ).fit(*iris)
    failed = _failed_mask(search)
    assert failed.any()
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    display = ConvergenceDisplay.from_estimator(search)
    assert len(display.failed_line_.get_xdata()) == failed.sum()
    slices = ParameterSlicesDisplay.from_estimator(search, params="alpha")
    assert len(slices.failed_lines_[0].get_xdata()) == failed.sum()


def test_convergence_of_a_multimetric_search_uses_the_chosen_metric(multimetric_search):
    results = multimetric_search.cv_results_
    display = ConvergenceDisplay.from_estimator(multimetric_search)
    np.testing.assert_allclose(display.scores_line_.get_ydata(), results["mean_test_r2"])
    assert display.ax_.get_ylabel() == "mean test r2"

    display = ConvergenceDisplay.from_estimator(multimetric_search, metric="mse")
    np.testing.assert_allclose(display.scores_line_.get_ydata(), results["mean_test_mse"])
    assert display.ax_.get_ylabel() == "mean test mse"

    with pytest.raises(ValueError, match=r"metric='accuracy' is not a metric.*'r2', 'mse'"):
        ConvergenceDisplay.from_estimator(multimetric_search, metric="accuracy")


def test_convergence_draws_into_the_given_axes(svc_search):
    fig, (left, right) = plt.subplots(1, 2)
    display = ConvergenceDisplay.from_estimator(svc_search, ax=right)
    assert display.ax_ is right
    assert display.figure_ is fig
    assert not left.lines


def test_displays_need_a_fitted_search():
    from sklearn.exceptions import NotFittedError

    search = HyperoptSearchCV(SVC(), {"C": loguniform(1e-3, 1e2)})
    for display in (ConvergenceDisplay, ParameterSlicesDisplay, ParameterPairDisplay):
        with pytest.raises(NotFittedError):
            display.from_estimator(search)


# -- slices ------------------------------------------------------------------------


def test_slices_use_log_axes_and_categorical_strips(svc_search, tmp_path):
    display = ParameterSlicesDisplay.from_estimator(svc_search)
    _render(display, tmp_path)

    # "degree" has a single value: left out.
    assert display.parameters_ == ["C", "kernel"]
    assert len(display.axes_) == 2
    c_ax, kernel_ax = display.axes_
    assert c_ax.get_xscale() == "log"
    assert c_ax.get_xlabel() == "C"
    assert c_ax.get_ylabel() == "mean test score"

    params = svc_search.cv_results_["params"]
    scores = svc_search.cv_results_["mean_test_score"]
    x, y = display.lines_[0].get_data()
    np.testing.assert_allclose(x, [p["C"] for p in params])
    np.testing.assert_allclose(y, scores)

    assert kernel_ax.get_xscale() == "linear"
    assert _ticklabels(kernel_ax) == ["linear", "rbf"]
    x, y = display.lines_[1].get_data()
    index = np.array([["linear", "rbf"].index(p["kernel"]) for p in params])
    assert np.all(np.abs(x - index) <= 0.2)  # strips around each category
    np.testing.assert_allclose(y, scores)


def test_slices_draw_a_grid_of_numbers_as_levels_in_their_order(iris, tmp_path):
    X, y = iris
    levels = [10.0, 0.01, 1.0, 100.0, 0.1]  # unsorted, as a user may write them
    search = HyperoptSearchCV(
        LogisticRegression(max_iter=300), {"C": levels}, n_iter=5, cv=3, random_state=0
    ).fit(X, y)
    display = ParameterSlicesDisplay.from_estimator(search)
    _render(display, tmp_path)
    (ax,) = display.axes_
    assert _ticklabels(ax) == ["0.01", "0.1", "1", "10", "100"]
    x, _ = display.lines_[0].get_data()
    ranks = np.array([sorted(levels).index(p["C"]) for p in search.cv_results_["params"]])
    assert np.all(np.abs(x - ranks) <= 0.2)


def test_slices_leave_out_inactive_conditional_parameters(conditional_search, tmp_path):
    display = ParameterSlicesDisplay.from_estimator(conditional_search)
    _render(display, tmp_path)
    assert display.parameters_ == ["clf", "clf__C", "clf__max_depth"]

    params = conditional_search.cv_results_["params"]
    n_svc = sum("clf__C" in p for p in params)
    n_tree = sum("clf__max_depth" in p for p in params)
    assert n_svc > 0 and n_tree > 0 and n_svc + n_tree == len(params)

    clf_line, c_line, depth_line = display.lines_
    assert len(clf_line.get_xdata()) == len(params)
    assert len(c_line.get_xdata()) == n_svc
    assert len(depth_line.get_xdata()) == n_tree
    np.testing.assert_array_equal(
        depth_line.get_xdata(), [p["clf__max_depth"] for p in params if "clf__max_depth" in p]
    )
    clf_ax, c_ax, depth_ax = display.axes_
    assert _ticklabels(clf_ax) == ["SVC", "DecisionTreeClassifier"]
    assert c_ax.get_xscale() == "log"
    assert depth_ax.get_xscale() == "linear"
    ticks = depth_ax.xaxis.get_major_locator()()
    assert np.all(ticks == np.round(ticks))  # integer ticks for an integer parameter


def test_slices_of_a_chosen_metric_and_parameter(multimetric_search, tmp_path):
    display = ParameterSlicesDisplay.from_estimator(
        multimetric_search, params=["fit_intercept"], metric="mse"
    )
    _render(display, tmp_path)
    assert display.parameters_ == ["fit_intercept"]
    (ax,) = display.axes_
    assert ax.get_ylabel() == "mean test mse"
    assert _ticklabels(ax) == ["True", "False"]
    np.testing.assert_allclose(
        display.lines_[0].get_ydata(), multimetric_search.cv_results_["mean_test_mse"]
    )

    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['gamma'\]"):
        ParameterSlicesDisplay.from_estimator(multimetric_search, params=["gamma"])


def test_slices_mark_failed_candidates(failing_search, tmp_path):
    display = ParameterSlicesDisplay.from_estimator(failing_search)
    _render(display, tmp_path)
    failed = _failed_mask(failing_search)
    assert display.parameters_ == ["alpha", "fail"]
    for line, failed_line in zip(display.lines_, display.failed_lines_, strict=True):
        assert len(line.get_xdata()) == (~failed).sum()
        assert len(failed_line.get_xdata()) == failed.sum()
    # Every failed candidate has fail=True: its crosses are in that strip.
    assert np.all(np.abs(display.failed_lines_[1].get_xdata() - 1) <= 0.2)


def test_slices_in_a_given_axes_or_list_of_axes(svc_search):
    fig, (left, right) = plt.subplots(1, 2)
    display = ParameterSlicesDisplay.from_estimator(svc_search, ax=right)
    assert display.ax_ is right
    assert not right.axison
    assert all(ax.figure is fig for ax in display.axes_)
    assert all(ax not in (left, right) for ax in display.axes_)

    fig, axes = plt.subplots(2, 1)
    display = ParameterSlicesDisplay.from_estimator(svc_search, ax=axes)
    assert display.ax_ is None
    assert list(display.axes_) == list(axes)
    assert [ax.get_xlabel() for ax in axes] == ["C", "kernel"]

    with pytest.raises(ValueError, match="Expected 2 Axes, one per parameter, got 3"):
        ParameterSlicesDisplay.from_estimator(svc_search, ax=plt.subplots(1, 3)[1])


def test_slices_grid_has_n_cols_panels_per_row(conditional_search, tmp_path):
    display = ParameterSlicesDisplay.from_estimator(conditional_search, n_cols=2)
    _render(display, tmp_path)
    rows = [ax.get_subplotspec().rowspan.start for ax in display.axes_]
    assert rows == [0, 0, 1]
    assert display.axes_[1].get_ylabel() == ""  # shares the row's y axis
    assert display.axes_[2].get_ylabel() == "mean test score"


def test_slices_of_a_scikit_learn_search(iris, tmp_path):
    search = GridSearchCV(SVC(), {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}, cv=2).fit(
        *iris
    )
    display = ParameterSlicesDisplay.from_estimator(search)
    _render(display, tmp_path)
    assert display.parameters_ == ["C", "kernel"]
    assert _ticklabels(display.axes_[0]) == ["0.1", "1", "10"]
    assert len(display.lines_[0].get_xdata()) == 6
    convergence = ConvergenceDisplay.from_estimator(search)
    assert len(convergence.scores_line_.get_xdata()) == 6
    assert len(convergence.ax_.patches) == 0


# -- pair ----------------------------------------------------------------------------


def test_pair_colours_candidates_by_score(iris, tmp_path):
    search = HyperoptSearchCV(
        SVC(),
        {"C": loguniform(1e-3, 1e2), "gamma": loguniform(1e-4, 1e1)},
        n_iter=10,
        cv=2,
        random_state=0,
    ).fit(*iris)
    display = ParameterPairDisplay.from_estimator(search, x="gamma", y="C")
    _render(display, tmp_path)

    params = search.cv_results_["params"]
    scores = search.cv_results_["mean_test_score"]
    offsets = np.asarray(display.scatter_.get_offsets())
    np.testing.assert_allclose(offsets[:, 0], [p["gamma"] for p in params])
    np.testing.assert_allclose(offsets[:, 1], [p["C"] for p in params])
    np.testing.assert_allclose(display.scatter_.get_array(), scores)
    assert (display.ax_.get_xscale(), display.ax_.get_yscale()) == ("log", "log")
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("gamma", "C")
    assert display.colorbar_.ax.get_ylabel() == "mean test score"
    best = search.best_params_
    np.testing.assert_allclose(display.best_marker_.get_xydata(), [[best["gamma"], best["C"]]])


def test_pair_defaults_to_the_first_two_parameters(svc_search):
    display = ParameterPairDisplay.from_estimator(svc_search)
    assert (display.x, display.y) == ("C", "kernel")
    assert display.ax_.get_yscale() == "linear"
    assert _ticklabels(display.ax_, "y") == ["linear", "rbf"]
    assert len(display.scatter_.get_offsets()) == 10

    display = ParameterPairDisplay.from_estimator(svc_search, y="C")
    assert (display.x, display.y) == ("kernel", "C")
    with pytest.raises(ValueError, match="different parameters"):
        ParameterPairDisplay.from_estimator(svc_search, x="C", y="C")


def test_pair_in_a_conditional_space_uses_candidates_with_both_active(
    conditional_search, tmp_path
):
    display = ParameterPairDisplay.from_estimator(conditional_search, x="clf", y="clf__C")
    _render(display, tmp_path)
    n_svc = sum("clf__C" in p for p in conditional_search.cv_results_["params"])
    assert len(display.scatter_.get_offsets()) == n_svc
    assert _ticklabels(display.ax_) == ["SVC", "DecisionTreeClassifier"]

    # No candidate has both: an empty, but valid, plot.
    display = ParameterPairDisplay.from_estimator(
        conditional_search, x="clf__C", y="clf__max_depth"
    )
    _render(display, tmp_path, "empty.png")
    assert len(display.scatter_.get_offsets()) == 0
    assert len(display.best_marker_.get_xdata()) == 0


def test_pair_marks_failed_candidates_where_they_are(failing_search, tmp_path):
    display = ParameterPairDisplay.from_estimator(failing_search, x="alpha", y="fail")
    _render(display, tmp_path)
    failed = _failed_mask(failing_search)
    params = failing_search.cv_results_["params"]
    assert len(display.scatter_.get_offsets()) == (~failed).sum()
    x, y = display.failed_line_.get_data()
    np.testing.assert_allclose(x, [p["alpha"] for p, f in zip(params, failed, strict=True) if f])
    assert np.all(np.abs(y - 1) <= 0.2)  # in the fail=True strip


def test_pair_of_a_multimetric_search(multimetric_search):
    display = ParameterPairDisplay.from_estimator(multimetric_search, metric="mse")
    np.testing.assert_allclose(
        display.scatter_.get_array(), multimetric_search.cv_results_["mean_test_mse"]
    )
    assert display.colorbar_.ax.get_ylabel() == "mean test mse"


# -- the plain constructors and the optional dependency -------------------------------


def test_display_constructors_take_plain_data(tmp_path):
    params = [{"a": 10.0**i, "b": "xy"[i % 2]} for i in range(-3, 3)]
    scores = np.array([0.1, 0.4, np.nan, 0.3, 0.8, 0.5])
    display = ParameterSlicesDisplay(
        params=params, scores=scores, parameters=["a", "b"], scales={"a": "log"}
    ).plot()
    _render(display, tmp_path)
    assert [ax.get_xscale() for ax in display.axes_] == ["log", "linear"]
    assert [len(line.get_xdata()) for line in display.failed_lines_] == [1, 1]

    display = ConvergenceDisplay(scores=scores, failed=[True, False, False, False, False, False])
    display.plot()
    assert len(display.scores_line_.get_xdata()) == 4
    np.testing.assert_allclose(display.best_so_far_, [np.nan, 0.4, 0.4, 0.4, 0.8, 0.8])

    display = ParameterSlicesDisplay(
        params=params, scores=scores, parameters=["a"], scales={"a": "x"}
    )
    with pytest.raises(ValueError, match="scale of 'a' must be"):
        display.plot()


def test_importing_the_module_does_not_import_matplotlib():
    code = (
        "import sys, hyperopt_search, hyperopt_search.plotting;"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- regressions of issue 24 -----------------------------------------------------


def test_estimator_options_are_told_apart_by_their_changed_parameters(iris, tmp_path):
    # Regression (issue 24, item 9): the ticks were "PCA, PCA, PCA" in the
    # slice and pair displays. They show the non-default parameters now.
    from sklearn.decomposition import PCA

    search = HyperoptSearchCV(
        Pipeline([("reduce", PCA()), ("clf", LogisticRegression(max_iter=500))]),
        {"reduce": [PCA(1), PCA(2), PCA(3)], "clf__C": loguniform(1e-2, 1e2)},
        n_iter=6,
        cv=2,
        random_state=0,
    ).fit(*iris)
    expected = ["PCA(n_components=1)", "PCA(n_components=2)", "PCA(n_components=3)"]
    slices = ParameterSlicesDisplay.from_estimator(search, params=["reduce"])
    assert _ticklabels(slices.axes_[0]) == expected
    pair = ParameterPairDisplay.from_estimator(search, x="clf__C", y="reduce")
    assert _ticklabels(pair.ax_, "y") == expected
    _render(pair, tmp_path)


def test_tick_labels_cut_alike_are_shown_in_full():
    # Cut at 24 characters, C=0.1 and C=0.01 would look the same again.
    display = ParameterSlicesDisplay(
        params=[
            {"clf": LogisticRegression(C=0.1, max_iter=1000)},
            {"clf": LogisticRegression(C=0.01, max_iter=1000)},
            {"clf": LogisticRegression()},
        ],
        scores=[0.5, 0.6, 0.7],
        parameters=["clf"],
        scales={"clf": "categorical"},
    ).plot()
    labels = _ticklabels(display.axes_[0])
    assert labels == [
        "LogisticRegression(C=0.1,\nmax_iter=1000)",
        "LogisticRegression(C=0.01,\nmax_iter=1000)",
        "LogisticRegression()",
    ]


def test_convergence_marks_raced_out_candidates_apart_from_failures(iris, tmp_path):
    # Regression (issue 24, item 10): raced-out candidates (NaN mean score)
    # were drawn as failed crosses, partly under the legend. They get their
    # own marks at the mean of the folds they fitted, and a legend entry;
    # the legend sits above the Axes.
    search = HyperoptSearchCV(
        LogisticRegression(max_iter=500),
        {"C": loguniform(1e-4, 1e2)},
        n_iter=16,
        cv=5,
        racing=True,
        random_state=0,
    ).fit(*iris)
    fitted = search.cv_results_["n_splits_fitted"]
    raced = fitted < search.n_splits_
    assert raced.any() and not _failed_mask(search).any()
    display = ConvergenceDisplay.from_estimator(search)
    number = np.arange(1, len(fitted) + 1)
    assert list(display.raced_line_.get_xdata()) == list(number[raced])
    assert len(display.failed_line_.get_xdata()) == 0
    assert list(display.scores_line_.get_xdata()) == list(number[~raced])
    splits = np.array([search.cv_results_[f"split{i}_test_score"] for i in range(5)])
    partial = np.nanmean(splits[:, raced], axis=0)
    np.testing.assert_allclose(display.raced_line_.get_ydata(), partial)
    assert display.raced_line_.get_marker() != display.failed_line_.get_marker()
    assert display.best_so_far_[-1] == search.best_score_
    legend = display.ax_.get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert "raced out (mean of its folds)" in labels
    _render(display, tmp_path)
    renderer = display.figure_.canvas.get_renderer()
    legend_box = legend.get_window_extent(renderer)
    axes_box = display.ax_.get_window_extent(renderer)
    assert legend_box.y0 >= axes_box.y1 - 1  # nothing drawn is under it
