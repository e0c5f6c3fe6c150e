"""Refine and repeat: known candidates, starting from an earlier search, the fold noise,
the noise-aware refit rule and the narrowed space (issue 25)."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.stats import loguniform, randint, uniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.svm import SVC

from hyperopt_search import (
    HyperoptSearchCV,
    NarrowedSpace,
    SimplestWithinNoise,
    fold_noise,
    narrow_space,
)

X, y = load_iris(return_X_y=True)


class Bowl(ClassifierMixin, BaseEstimator):
    """Scores a known function of its parameters, plus paired fold noise; logs its fits.

    The score peaks at ``C = 10`` (log scale) and ``kind = "good"``; ``dummy``
    has no effect. Each (candidate, fold) gets noise of scale ``noise`` from
    a generator seeded by the parameters and the fold, so the same candidate
    scores the same on the same fold.
    """

    fitted: list = []

    def __init__(self, C=1.0, kind="good", dummy=0.5, noise=0.002, fail_above=None):
        self.C = C
        self.kind = kind
        self.dummy = dummy
        self.noise = noise
        self.fail_above = fail_above

    def fit(self, X, y):
        if self.fail_above is not None and self.C > self.fail_above:
            raise ValueError("C too large")
        Bowl.fitted.append(self.get_params())
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        seed = abs(hash((round(math.log(self.C), 9), self.kind, float(X[:, 0].sum()))))
        noise = np.random.default_rng(seed % 2**32).normal(0, self.noise)
        bad = 0.3 if self.kind == "bad" else 0.0
        return 0.9 - 0.02 * (math.log10(self.C) - 1) ** 2 - bad + noise


@pytest.fixture(autouse=True)
def _clear_fit_log():
    Bowl.fitted.clear()


SPACE = {"C": loguniform(1e-3, 1e3), "kind": ["good", "bad"]}


def _search(param_distributions=None, estimator=None, **kwargs):
    options = {"n_iter": 12, "cv": 3, "random_state": 0, **kwargs}
    return HyperoptSearchCV(
        Bowl() if estimator is None else estimator,
        SPACE if param_distributions is None else param_distributions,
        **options,
    )


# -- known candidates ----------------------------------------------------------


@pytest.mark.parametrize("schedule", ["rounds", "ordered"])
def test_initial_candidates_are_evaluated_first_in_order_and_count_toward_n_iter(schedule):
    known = [{"C": 1.0, "kind": "good"}, {"C": 500.0, "kind": "bad"}, {"C": 0.01, "kind": "good"}]
    search = _search(initial_candidates=known, schedule=schedule).fit(X, y)
    assert search.cv_results_["params"][:3] == known
    assert search.n_candidates_ == 12
    assert not search.cv_results_["reused"].any()
    # Told to the proposer like any other candidate: their losses are in trials_.
    losses = search.trials_.losses()[:3]
    np.testing.assert_allclose(losses, -search.cv_results_["mean_test_score"][:3])


def test_initial_candidates_take_the_places_of_the_model_free_start():
    known = [{"C": 10.0, "kind": "good"}]
    plain = _search(n_initial_points=4, schedule="rounds").fit(X, y)
    seeded = _search(n_initial_points=4, schedule="rounds", initial_candidates=known).fit(X, y)
    rounds = seeded.cv_results_["hyperopt_round"]
    # The first round is still the 4 model-free candidates, the known one first.
    assert (rounds == 0).sum() == (plain.cv_results_["hyperopt_round"] == 0).sum() == 4
    assert seeded.cv_results_["params"][0] == known[0]
    assert seeded.cv_results_["params"] != plain.cv_results_["params"]


@pytest.mark.parametrize(
    "initial, message",
    [
        ([{"C": 1e4, "kind": "good"}], r"initial_candidates\[0\]: .*outside"),
        ([{"C": 1.0, "kind": "ugly"}], r"initial_candidates\[0\]: .*not one of the options"),
        ([{"C": 1.0}], r"initial_candidates\[0\]: .*branch 0 has parameters"),
        ([{"C": 1.0, "kind": "good"}, {"kind": "good", "C": 1.0}], r"\[1\] repeats .*\[0\]"),
        ([("C", 1.0)], r"initial_candidates\[0\] must be a dict"),
        ([{"C": 1.0, "kind": "good"}] * 3, r"more than n_iter=2"),
        (42, r"initial_candidates"),
        (Bowl(), r"initial_candidates: the search Bowl is not fitted"),
    ],
)
def test_bad_initial_candidates_are_refused_before_any_fit(initial, message):
    search = _search(initial_candidates=initial, n_iter=2)
    with pytest.raises((ValueError, TypeError), match=message):
        search.fit(X, y)
    assert Bowl.fitted == []


def test_an_interrupted_search_with_initial_candidates_continues_exactly():
    known = [{"C": 3.0, "kind": "good"}, {"C": 30.0, "kind": "good"}, {"C": 0.3, "kind": "bad"}]

    def monitor(search, results):
        if len(results["params"]) == 2:
            raise RuntimeError("stop")

    interrupted = _search(initial_candidates=known, monitor=monitor, batch_size=1)
    with pytest.raises(RuntimeError):
        interrupted.fit(X, y)
    assert interrupted.n_candidates_ == 2
    interrupted.set_params(monitor=None, warm_start=True).fit(X, y)
    uninterrupted = _search(initial_candidates=known, batch_size=1).fit(X, y)
    assert interrupted.cv_results_["params"] == uninterrupted.cv_results_["params"]


# -- an earlier search ---------------------------------------------------------


def test_an_earlier_search_on_the_same_data_is_reused_without_refitting():
    first = _search(n_iter=10).fit(X, y)
    narrower = {"C": loguniform(1e-1, 1e3), "kind": ["good", "bad"]}
    inside = [p for p in first.cv_results_["params"] if p["C"] >= 1e-1]
    assert 0 < len(inside) < 10
    Bowl.fitted.clear()
    second = _search(narrower, n_iter=4, initial_candidates=first, random_state=1).fit(X, y)
    results = second.cv_results_
    n = len(inside)
    assert results["reused"].tolist() == [True] * n + [False] * 4
    assert results["params"][:n] == inside
    assert (results["hyperopt_round"][:n] == -1).all()
    # Only the 4 new candidates were fitted (3 folds each) before the refit.
    assert len(Bowl.fitted) == 4 * 3 + 1
    rows = [first.cv_results_["params"].index(p) for p in inside]
    for k in range(3):
        key = f"split{k}_test_score"
        np.testing.assert_array_equal(results[key][:n], first.cv_results_[key][rows])
    # Told to the proposer with the scores they had.
    np.testing.assert_allclose(
        second.trials_.losses()[:n], -first.cv_results_["mean_test_score"][rows]
    )
    assert second.n_candidates_ == n + 4


def test_reused_results_survive_a_checkpoint(tmp_path):
    first = _search(n_iter=6).fit(X, y)
    path = tmp_path / "search.ckpt"
    second = _search(n_iter=3, initial_candidates=first, checkpoint=path).fit(X, y)
    Bowl.fitted.clear()
    resumed = _search(n_iter=5, initial_candidates=first, checkpoint=path).fit(X, y)
    assert resumed.cv_results_["reused"].tolist() == [True] * 6 + [False] * 5
    assert resumed.cv_results_["params"][:9] == second.cv_results_["params"]
    assert len(Bowl.fitted) == 2 * 3 + 1


@pytest.mark.parametrize(
    "change",
    ["data", "scoring", "cv", "estimator", "grid_search", "cv_results", "frozen_other_data"],
)
def test_an_earlier_search_that_cannot_be_checked_gives_its_ranking_and_no_score(change):
    first = _search(n_iter=10).fit(X, y)
    earlier, kwargs, data = first, {}, (X, y)
    if change == "data":
        data = (X[:120], y[:120])
    elif change == "scoring":
        kwargs = {"scoring": "accuracy"}
    elif change == "cv":
        kwargs = {"cv": 4}
    elif change == "estimator":
        kwargs = {"estimator": Bowl(noise=0.003)}
    elif change == "grid_search":
        earlier = GridSearchCV(Bowl(), {"C": [0.1, 10.0, 1000.0], "kind": ["good"]}, cv=3)
        earlier.fit(X, y)
    elif change == "cv_results":
        earlier = first.cv_results_
    elif change == "frozen_other_data":
        earlier, data = FrozenEstimator(first), (X[:120], y[:120])
    results = earlier if isinstance(earlier, dict) else earlier.cv_results_
    ranked = [results["params"][i] for i in np.argsort(results["rank_test_score"], kind="stable")]
    second = _search(n_iter=8, n_initial_points=3, initial_candidates=earlier, **kwargs)
    second.fit(*data)
    assert not second.cv_results_["reused"].any()
    assert second.n_candidates_ == 8
    assert second.cv_results_["params"][:3] == ranked[:3]


def test_a_frozen_earlier_search_is_reused_under_clone_and_cross_val_score():
    first = _search(n_iter=6, cv=3).fit(X, y)
    search = _search(n_iter=2, initial_candidates=FrozenEstimator(first))
    scores = cross_val_score(search, X, y, cv=2)
    assert scores.shape == (2,)
    cloned = search.fit(X, y)
    assert cloned.cv_results_["reused"].sum() == 6


def test_an_earlier_search_outside_the_space_warns_and_starts_from_nothing():
    first = _search(n_iter=5, param_distributions={"C": [0.01], "kind": ["bad"]}).fit(X, y)
    with pytest.warns(UserWarning, match="none of the earlier search's 1 candidates"):
        second = _search({"C": loguniform(1, 10), "kind": ["good"]}, initial_candidates=first)
        second.fit(X, y)
    assert not second.cv_results_["reused"].any()


def test_failed_earlier_candidates_are_reused_as_failures():
    estimator = Bowl(fail_above=100.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = _search(estimator=estimator, n_iter=12).fit(X, y)
        failed = np.isnan(first.cv_results_["mean_test_score"])
        assert failed.any()
        second = _search(estimator=estimator, n_iter=2, initial_candidates=first).fit(X, y)
    told = second.trials_.trials[: len(failed)]
    assert [t["result"]["status"] == "fail" for t in told] == failed.tolist()


# -- the fold noise and the refit rule -----------------------------------------


def _results(folds):
    folds = np.asarray(folds, dtype=float)
    results = {f"split{k}_test_score": folds[:, k] for k in range(folds.shape[1])}
    results["mean_test_score"] = folds.mean(axis=1)
    results["params"] = [{"C": float(c)} for c in range(1, len(folds) + 1)]
    return results


def test_fold_noise_pools_the_paired_differences_of_the_better_half():
    folds = [[0.90, 0.80, 0.86], [0.92, 0.78, 0.85], [0.89, 0.80, 0.86], [0.5, 0.4, 0.45]]
    noise = fold_noise(_results(folds))
    best = np.array(folds[0])
    # The better half of the 3 others: ceil(3 / 2) = 2 candidates, rows 2 and 1.
    d = np.array([folds[2], folds[1]]) - best
    ss = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum()
    assert noise.best_index == 0
    assert noise.std_error == pytest.approx(math.sqrt(ss / 4 / 3))
    np.testing.assert_allclose(noise.lead, best.mean() - np.asarray(folds).mean(axis=1))
    assert noise.within_noise.tolist() == [True, True, True, False]
    assert "3 candidates are within 1 standard error" in str(noise)


def test_fold_noise_skips_incomplete_candidates_and_needs_folds():
    folds = [[0.9, 0.8, 0.85], [0.95, np.nan, np.nan], [0.7, 0.6, 0.66], [0.89, 0.8, 0.85]]
    noise = fold_noise(_results(folds))
    assert noise.best_index == 0
    assert math.isnan(noise.lead[1]) and not noise.within_noise[1]
    with pytest.raises(ValueError, match="fewer than two split"):
        fold_noise({"split0_test_score": [0.5], "mean_test_score": [0.5]})


def test_simplest_within_noise_prefers_as_told_among_the_indistinguishable():
    folds = [[0.90, 0.80, 0.86], [0.92, 0.78, 0.85], [0.89, 0.80, 0.86], [0.5, 0.4, 0.45]]
    results = _results(folds)  # C = 1, 2, 3, 4
    assert SimplestWithinNoise({"C": "low"})(results) == 0
    assert SimplestWithinNoise({"C": "high"})(results) == 2  # row 3 is not within
    assert SimplestWithinNoise(lambda p: -p["C"], n_se=0.0)(results) == 0
    with pytest.raises(ValueError, match="'low' or 'high'"):
        SimplestWithinNoise({"C": "small"})
    with pytest.raises(ValueError, match="n_se"):
        SimplestWithinNoise({"C": "low"}, n_se=-1)


@pytest.mark.parametrize("search_class", ["hyperopt", "grid"])
def test_simplest_within_noise_is_a_refit_for_any_search(search_class):
    rule = SimplestWithinNoise({"C": "low"})
    if search_class == "grid":
        grid = {"C": [0.1, 1.0, 10.0, 100.0]}
        search = GridSearchCV(SVC(), grid, refit=rule, cv=5).fit(X, y)
    else:
        search = HyperoptSearchCV(
            SVC(), {"C": loguniform(1e-2, 1e3)}, n_iter=10, refit=rule, random_state=0
        ).fit(X, y)
    noise = fold_noise(search.cv_results_)
    chosen = search.best_index_
    assert noise.within_noise[chosen]
    within = np.flatnonzero(noise.within_noise)
    values = [search.cv_results_["params"][i]["C"] for i in within]
    assert search.cv_results_["params"][chosen]["C"] == min(values)
    assert search.best_estimator_.C == min(values)


def test_a_fitted_search_reports_its_fold_noise(capsys):
    search = _search(n_iter=10, verbose=1).fit(X, y)
    assert search.fold_noise_.best_index == search.best_index_
    assert search.fold_noise_.std_error > 0
    assert "standard error" in capsys.readouterr().out


# -- the narrowed space ----------------------------------------------------------


def _narrowed_first(**kwargs):
    space = {
        "C": loguniform(1e-3, 1e3),
        "kind": ["good", "bad"],
        "dummy": uniform(0, 1),
        "noise": [0.005],
    }
    return _search(space, **{"n_iter": 30, "random_state": 2, **kwargs}).fit(X, y)


def test_narrow_space_shrinks_ranges_drops_bad_options_and_prints_as_code():
    first = _narrowed_first()
    narrowed = narrow_space(first)
    assert isinstance(narrowed, NarrowedSpace)
    assert narrowed["kind"] == ["good"]
    assert narrowed["noise"] == [0.005]
    c = narrowed["C"]
    low, high = c.support()
    assert 1e-3 < low < 10 < high < 1e3  # around the optimum, C = 10
    text = repr(narrowed)
    namespace = {"loguniform": stats.loguniform, "uniform": stats.uniform}
    rebuilt = eval(text, namespace)
    assert rebuilt["C"].support() == pytest.approx(c.support())
    assert rebuilt["kind"] == ["good"]
    assert any(note.startswith("kind:") for note in narrowed.notes)


def test_a_parameter_without_effect_is_fixed_at_the_best_value():
    # A quasi-random first search, whose good candidates cover dummy's range.
    first = _narrowed_first(algo="sobol")
    narrowed = narrow_space(first)
    best = first.cv_results_["params"][first.fold_noise_.best_index]
    assert narrowed["dummy"] == [best["dummy"]]
    assert any("dummy: fixed" in note for note in narrowed.notes)


def test_the_refine_step_is_one_call_and_reuses_the_first_search():
    first = _narrowed_first()
    narrowed = narrow_space(first)
    Bowl.fitted.clear()
    second = _search(narrowed, n_iter=5, initial_candidates=first).fit(X, y)
    reused = second.cv_results_["reused"]
    assert reused.sum() >= 1 and (~reused).sum() == 5
    assert len(Bowl.fitted) == 5 * 3 + 1
    # The first search's best lies in the narrowed space: reused, and never lost.
    assert first.best_params_ in second.cv_results_["params"]
    assert second.best_score_ >= first.best_score_


def test_narrow_space_on_scikit_learn_searches_and_conditional_spaces():
    grid = [{"C": [0.01, 0.1, 1.0, 10.0, 100.0], "kind": ["good"]}, {"C": [1.0], "kind": ["bad"]}]
    search = GridSearchCV(Bowl(), grid, cv=3).fit(X, y)
    narrowed = narrow_space(search)
    assert narrowed.branches == [narrowed.value]  # the "bad" dict is dropped
    levels = narrowed["C"]
    assert 10.0 in levels and 0.01 not in levels  # ordered levels keep a neighbour
    random = RandomizedSearchCV(
        Bowl(),
        {"C": loguniform(1e-3, 1e3), "dummy": randint(0, 10)},
        n_iter=15,
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert set(narrow_space(random)) == {"C", "dummy"}
    with pytest.raises(ValueError, match="fitted search"):
        narrow_space(Bowl())
