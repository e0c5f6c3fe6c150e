"""The pipelined schedules: ``schedule="ordered"`` and ``schedule="async"``.

``"ordered"`` keeps ``batch_size`` candidates in flight and tells hyperopt the
oldest one first: each proposal must see the same told and pending trials
whatever ``n_jobs`` is. The fits run outside ``evaluate_candidates``, so these
tests also check that ``cv_results_``, failures, stopping rules, interrupts and
checkpoints behave as with ``schedule="rounds"``.
"""

import functools
import pickle
import warnings

import joblib
import numpy as np
import pytest
from hyperopt import rand
from hyperopt.base import JOB_STATE_DONE
from joblib._parallel_backends import LokyBackend, ThreadingBackend
from scipy.stats import loguniform, randint
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.tree import DecisionTreeClassifier

from hyperopt_search import HyperoptSearchCV
from hyperopt_search._state import load_checkpoint

SPACE = {
    "max_depth": randint(1, 8),
    "min_samples_leaf": randint(1, 10),
    "ccp_alpha": loguniform(1e-4, 1e-1),
    "criterion": ["gini", "entropy"],
}


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=2, random_state=0
    )


def _search(**params):
    options = {
        "n_iter": 9,
        "n_initial_points": 3,
        "batch_size": 3,
        "cv": 3,
        "random_state": 0,
        "schedule": "ordered",
        **params,
    }
    return HyperoptSearchCV(DecisionTreeClassifier(random_state=0), SPACE, **options)


@pytest.fixture(scope="module")
def serial(data):
    return _search(n_jobs=1).fit(*data)


def assert_same_search(search, reference):
    got, expected = search.cv_results_, reference.cv_results_
    assert got["params"] == expected["params"]
    np.testing.assert_array_equal(got["hyperopt_round"], expected["hyperopt_round"])
    np.testing.assert_array_equal(got["hyperopt_tid"], expected["hyperopt_tid"])
    np.testing.assert_array_equal(got["mean_test_score"], expected["mean_test_score"])
    assert search.best_params_ == reference.best_params_


class RecordingSuggest:
    """hyperopt's random search, recording the told and pending trials it saw."""

    def __init__(self):
        self.seen = []

    def __call__(self, new_ids, domain, trials, seed):
        done = sum(doc["state"] == JOB_STATE_DONE for doc in trials._dynamic_trials)
        self.seen.append((done, len(trials._dynamic_trials) - done))
        return rand.suggest(new_ids, domain, trials, seed)


# -- what "ordered" means ---------------------------------------------------


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ordered_proposals_see_the_oldest_candidates_told(data, n_jobs):
    # With batch_size=3, candidate k (k >= 3) is proposed once candidates
    # 0..k-3 are told, with k-2 and k-1 pending, however long the fits take.
    suggest = RecordingSuggest()
    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-3, 1e3)},
        algo=suggest,
        n_iter=8,
        batch_size=3,
        cv=3,
        schedule="ordered",
        n_jobs=n_jobs,
        random_state=0,
    ).fit(*data)
    assert search.n_candidates_ == 8
    assert suggest.seen == [(0, 0), (0, 1), (0, 2)] + [(k - 2, 2) for k in range(3, 8)]
    # Rows are in proposal order; each candidate after the first is a round.
    assert search.cv_results_["hyperopt_round"].tolist() == list(range(8))


def test_tpe_start_up_candidates_are_proposed_together_as_round_0(serial):
    rounds = serial.cv_results_["hyperopt_round"].tolist()
    assert rounds == [0, 0, 0, 1, 2, 3, 4, 5, 6]
    assert serial.n_candidates_ == 9
    assert serial.stop_reason_ == "n_iter"


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_ordered_gives_identical_candidates_for_any_n_jobs(data, serial, n_jobs):
    assert_same_search(_search(n_jobs=n_jobs).fit(*data), serial)


@pytest.mark.parametrize("backend", ["threading", "multiprocessing"])
def test_ordered_gives_identical_candidates_on_pool_backends(data, serial, backend):
    with joblib.parallel_config(backend=backend):
        search = _search(n_jobs=2).fit(*data)
    assert_same_search(search, serial)


def test_ordered_is_not_the_rounds_sequence_but_has_its_columns(data, serial):
    rounds = _search(schedule="rounds").fit(*data)
    assert rounds.cv_results_["params"] != serial.cv_results_["params"]
    assert list(rounds.cv_results_) == list(serial.cv_results_)
    for key, value in rounds.cv_results_.items():
        assert np.asarray(serial.cv_results_[key]).dtype == np.asarray(value).dtype, key


def test_async_with_one_worker_is_the_ordered_search(data, serial):
    assert_same_search(_search(schedule="async").fit(*data), serial)


def test_async_with_workers_evaluates_the_budget_once_each(data):
    search = _search(schedule="async", n_jobs=2, n_iter=12).fit(*data)
    assert search.n_candidates_ == 12
    tids = search.cv_results_["hyperopt_tid"].tolist()
    assert sorted(tids) == sorted(set(tids))
    assert len(search.trials_) == 12
    assert all(doc["state"] == JOB_STATE_DONE for doc in search.trials_.trials)
    assert hasattr(search, "best_estimator_")


def test_scores_match_grid_search_on_the_same_candidates_with_metadata(data):
    # The pipelined fits use fit's own routed parameters and folds: the same
    # candidates through GridSearchCV give the same scores.
    X, y = data
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.5, 2.0, size=len(y))
    groups = np.arange(len(y)) % 4
    search = HyperoptSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-3, 1e3), "fit_intercept": [True, False]},
        n_iter=6,
        batch_size=2,
        cv=GroupKFold(n_splits=4),
        scoring=["accuracy", "neg_log_loss"],
        refit="neg_log_loss",
        return_train_score=True,
        schedule="ordered",
        n_jobs=2,
        random_state=0,
    ).fit(X, y, groups=groups, sample_weight=sample_weight)
    grid = GridSearchCV(
        LogisticRegression(),
        [
            {name: [value] for name, value in params.items()}
            for params in search.cv_results_["params"]
        ],
        cv=GroupKFold(n_splits=4),
        scoring=["accuracy", "neg_log_loss"],
        refit="neg_log_loss",
        return_train_score=True,
    ).fit(X, y, groups=groups, sample_weight=sample_weight)
    assert set(search.cv_results_) - set(grid.cv_results_) == {
        "hyperopt_order",
        "hyperopt_round",
        "hyperopt_tid",
        "n_splits_fitted",
        "reused",
    }
    for key in (
        "mean_test_accuracy",
        "mean_test_neg_log_loss",
        "rank_test_neg_log_loss",
        "mean_train_accuracy",
        "split3_train_neg_log_loss",
    ):
        np.testing.assert_allclose(search.cv_results_[key], grid.cv_results_[key])
    assert search.best_params_ == grid.best_params_
    assert search.best_score_ == pytest.approx(grid.best_score_)
    # hyperopt optimised the refit metric: its losses are minus those scores.
    losses = [doc["result"]["loss"] for doc in search.trials_.trials]
    np.testing.assert_allclose(losses, -search.cv_results_["mean_test_neg_log_loss"])


# -- failures -----------------------------------------------------------------


class FailingTree(ClassifierMixin, BaseEstimator):
    """A decision tree that fails to fit when ``max_depth`` is odd."""

    def __init__(self, max_depth=1, ccp_alpha=0.0):
        self.max_depth = max_depth
        self.ccp_alpha = ccp_alpha

    def fit(self, X, y):
        if self.max_depth % 2:
            raise ValueError("odd depth")
        self.tree_ = DecisionTreeClassifier(max_depth=self.max_depth).fit(X, y)
        self.classes_ = self.tree_.classes_
        return self

    def predict(self, X):
        return self.tree_.predict(X)


def test_failed_candidates_are_told_as_failures_and_the_search_goes_on(data):
    search = HyperoptSearchCV(
        FailingTree(),
        {"max_depth": randint(1, 12), "ccp_alpha": loguniform(1e-4, 1e-1)},
        n_iter=10,
        batch_size=3,
        cv=3,
        schedule="ordered",
        n_jobs=2,
        random_state=0,
    )
    with pytest.warns(FitFailedWarning, match="fits failed"):
        search.fit(*data)
    odd = np.array([p["max_depth"] % 2 == 1 for p in search.cv_results_["params"]])
    assert odd.any() and (~odd).any()
    assert np.isnan(search.cv_results_["mean_test_score"][odd]).all()
    statuses = [doc["result"]["status"] for doc in search.trials_.trials]
    assert [s == "fail" for s in statuses] == odd.tolist()
    assert search.best_params_["max_depth"] % 2 == 0


def test_every_candidate_failing_raises_sklearns_error(data):
    search = HyperoptSearchCV(
        FailingTree(),
        {"max_depth": [1, 3, 5, 7], "ccp_alpha": loguniform(1e-4, 1e-1)},
        n_iter=5,
        batch_size=2,
        cv=3,
        schedule="ordered",
        random_state=0,
    )
    with pytest.raises(ValueError, match="All the 15 fits failed"):
        search.fit(*data)


def test_error_score_raise_raises_and_keeps_the_told_candidates(data):
    search = HyperoptSearchCV(
        FailingTree(),
        {"max_depth": [2, 4, 6, 8, 3], "ccp_alpha": loguniform(1e-4, 1e-1)},
        n_iter=12,
        batch_size=2,
        cv=3,
        schedule="ordered",
        error_score="raise",
        # Random proposals are a function of the seed alone, so an odd depth
        # comes on every platform; a model's proposals depend on the BLAS.
        algo="rand",
        random_state=0,
    )
    with pytest.raises(ValueError, match="odd depth"):
        search.fit(*data)
    assert search.stop_reason_ == "interrupted"
    n_told = len(search.cv_results_["params"])
    assert all(p["max_depth"] % 2 == 0 for p in search.cv_results_["params"])
    assert len(search.trials_) == n_told  # no pending trial is left behind


def _dict_scorer(estimator, X, y):
    accuracy = float((estimator.predict(X) == y).mean())
    return {"accuracy": accuracy, "error": 1.0 - accuracy}


def test_callable_multimetric_scorer_with_failures(data):
    search = HyperoptSearchCV(
        FailingTree(),
        {"max_depth": [1, 2, 3, 4, 5, 6]},
        n_iter=6,
        batch_size=2,
        cv=3,
        scoring=_dict_scorer,
        refit="accuracy",
        schedule="ordered",
        random_state=0,
    )
    with pytest.warns(FitFailedWarning):
        search.fit(*data)
    results = search.cv_results_
    odd = np.array([p["max_depth"] % 2 == 1 for p in results["params"]])
    assert np.isnan(results["mean_test_accuracy"][odd]).all()
    assert np.isfinite(results["mean_test_error"][~odd]).all()
    assert search.best_params_["max_depth"] % 2 == 0


# -- stopping, interrupts, continuation ----------------------------------------


def test_a_stopping_rule_stops_proposals_and_finishes_those_in_flight(data):
    calls = []

    def monitor(search, results):
        calls.append(len(results["params"]))
        return len(results["params"]) == 5

    search = _search(n_iter=20, monitor=monitor, n_jobs=2).fit(*data)
    # Called after every told candidate until it stops the search; candidates
    # 6 and 7 were in flight: they are evaluated and kept.
    assert calls == [1, 2, 3, 4, 5]
    assert search.stop_reason_ == "monitor"
    assert search.n_candidates_ == 7
    assert len(search.trials_) == 7


def test_score_threshold_and_n_iter_no_change(data, serial):
    best = float(np.max(serial.cv_results_["mean_test_score"]))
    search = _search(score_threshold=best).fit(*data)
    assert search.stop_reason_ == "score_threshold"
    first = int(np.argmax(search.cv_results_["mean_test_score"] >= best))
    assert search.n_candidates_ == min(9, first + 3)

    search = _search(n_iter=40, n_iter_no_change=4).fit(*data)
    assert search.stop_reason_ == "n_iter_no_change"
    assert search.n_candidates_ < 40


def test_interrupt_keeps_the_told_candidates_and_warm_start_continues(data):
    def interrupt(search, results):
        if len(results["params"]) == 5:
            raise KeyboardInterrupt

    search = _search(n_iter=9, monitor=interrupt, n_jobs=2)
    with pytest.raises(KeyboardInterrupt):
        search.fit(*data)
    assert search.stop_reason_ == "interrupted"
    assert search.n_candidates_ == 5
    assert len(search.cv_results_["params"]) == 5
    assert len(search.trials_) == 5
    first = search.cv_results_["params"]

    search.set_params(monitor=None, warm_start=True)
    search.fit(*data)
    assert search.n_candidates_ == 9
    assert search.cv_results_["params"][:5] == first
    assert hasattr(search, "best_estimator_")


def test_a_checkpoint_resumes_the_candidates_in_flight(data, serial, tmp_path):
    # The checkpoint after candidate 5 holds candidates 6..7 as pending: a
    # resumed search evaluates them first and ends like one uninterrupted run.
    path = tmp_path / "search.ckpt"

    def crash(search, results):
        if len(results["params"]) == 5:
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        _search(checkpoint=path, monitor=crash, n_jobs=2).fit(*data)
    (state,) = load_checkpoint(path).values()
    assert state.n_candidates == 5
    assert len(state.trials._dynamic_trials) == 7  # 2 pending
    resumed = _search(checkpoint=path).fit(*data)
    assert_same_search(resumed, serial)


def test_a_fitted_ordered_search_pickles(data, serial):
    clone = pickle.loads(pickle.dumps(serial))
    assert clone.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_array_equal(clone.predict(data[0]), serial.predict(data[0]))


# -- backends -------------------------------------------------------------------


class OpaqueBackend(LokyBackend):
    """A backend the pipelined schedules do not know how to submit to."""


class CountingTree(FailingTree):
    """Counts its fits (in this process: the error comes before any fit)."""

    fits = 0

    def fit(self, X, y):
        CountingTree.fits += 1
        return super().fit(X, y)


def test_an_unsupported_backend_is_a_clear_error_before_any_fit(data):
    joblib.register_parallel_backend("opaque", OpaqueBackend)
    search = HyperoptSearchCV(
        CountingTree(), {"max_depth": [2, 4, 6]}, schedule="ordered", n_jobs=2
    )
    with (
        joblib.parallel_config(backend="opaque"),
        pytest.raises(ValueError, match=r"OpaqueBackend.*schedule='rounds'"),
    ):
        search.fit(*data)
    assert CountingTree.fits == 0


def test_schedule_is_validated(data):
    with pytest.raises(ValueError, match="schedule"):
        _search(schedule="eager").fit(*data)


def test_too_small_a_window_for_the_workers_warns(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitFailedWarning)
        with pytest.warns(UserWarning, match="batch_size=1 x 3 folds"):
            _search(batch_size=1, n_iter=4, n_jobs=4).fit(*data)


@pytest.mark.parametrize("schedule", ["ordered", "async"])
def test_partial_suggest_callables_work(data, schedule):
    search = _search(
        algo=functools.partial(rand.suggest), schedule=schedule, n_jobs=2, n_iter=6
    ).fit(*data)
    assert search.n_candidates_ == 6


def test_large_data_is_memory_mapped_after_other_parallel_calls():
    # Regression: loky's reusable executor pickles large arrays into the
    # temporary folder of its *current* context, left pointing at the last
    # Parallel call (cleaned up when it ended): the pipelined fits failed
    # with "Could not pickle the task" until they set their own context.
    X, y = make_classification(n_samples=2500, n_features=60, random_state=0)
    assert X.nbytes > 1e6  # above joblib's max_nbytes: memory-mapped
    joblib.Parallel(n_jobs=2)(joblib.delayed(np.sum)(X) for _ in range(4))
    search = HyperoptSearchCV(
        LogisticRegression(max_iter=200),
        {"C": loguniform(1e-2, 1e2)},
        n_iter=4,
        batch_size=2,
        cv=2,
        schedule="ordered",
        n_jobs=2,
        random_state=0,
    ).fit(X, y)
    assert search.n_candidates_ == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_timeout_stops_proposals_after_the_first_ones(data):
    # The first candidates of a fit are always proposed; none after the timeout.
    search = _search(timeout=1e-9, n_iter=20).fit(*data)
    assert search.stop_reason_ == "timeout"
    assert search.n_candidates_ == 3  # max(batch_size, n_initial_points)


def test_a_finite_space_is_exhausted_without_duplicates(data):
    search = HyperoptSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": [1, 2, 3], "criterion": ["gini", "entropy"]},
        n_iter=30,
        batch_size=4,
        cv=3,
        schedule="ordered",
        n_jobs=2,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="only 6 distinct candidates"):
        search.fit(*data)
    assert search.stop_reason_ == "exhausted"
    params = search.cv_results_["params"]
    assert len(params) == 6
    assert len({tuple(sorted(p.items())) for p in params}) == 6


def test_verbose_prints_one_line_per_candidate(data, capsys):
    _search(verbose=1, n_iter=5).fit(*data)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "] candidate " in line]
    assert [line.split()[2] for line in lines] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert "stopped (n_iter) after 5 candidates" in out


def test_progress_bar_callback_does_not_break_a_pipelined_search(data):
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    search = _search(n_iter=5)
    search.set_callbacks(callback.ProgressBar())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not support callbacks")
        search.fit(*data)
    assert search.n_candidates_ == 5


# -- schedule="auto" ----------------------------------------------------------------


def test_auto_schedule_is_ordered_on_joblibs_own_backends(data, capsys):
    # Issue 13: pipelined by default wherever single fits can be submitted.
    for backend, n_jobs in (("loky", 2), ("threading", 2), ("loky", 1)):
        with joblib.parallel_config(backend=backend):
            search = HyperoptSearchCV(
                LogisticRegression(),
                {"C": [0.1, 1.0, 10.0]},
                n_iter=3,
                cv=2,
                n_jobs=n_jobs,
                verbose=1,
            ).fit(*data)
        assert search.schedule == "auto" and search.schedule_ == "ordered"
    assert "schedule='auto': 'ordered'" in capsys.readouterr().out


class _UnknownBackend(ThreadingBackend):
    """A backend the library does not know (as Spark's or Ray's would be)."""


def test_auto_schedule_falls_back_to_rounds_on_an_unknown_backend(data, capsys):
    joblib.register_parallel_backend("hyperopt-search-test", _UnknownBackend)
    with joblib.parallel_config(backend="hyperopt-search-test"):
        search = HyperoptSearchCV(
            LogisticRegression(),
            {"C": [0.1, 1.0, 10.0]},
            n_iter=3,
            cv=2,
            n_jobs=2,
            verbose=1,
        ).fit(*data)
    assert search.schedule_ == "rounds"
    out = capsys.readouterr().out
    assert "schedule='auto': 'rounds' (joblib's _UnknownBackend runs whole Parallel" in out
    assert search.n_candidates_ == 3
