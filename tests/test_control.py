"""Search control: stopping rules, warm start, interrupts, pickling, checkpoints."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import uniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris

from hyperopt_search import HyperoptSearchCV
from hyperopt_search._state import load_checkpoint
from hyperopt_search._stopping import candidates_without_improvement

X, y = load_iris(return_X_y=True)


class ScoreIsP(ClassifierMixin, BaseEstimator):
    """Scores ``p``; logs every fit; raises KeyboardInterrupt for ``p > interrupt_above``.

    ``ScoreIsP.interrupts = False`` turns the interrupts off without changing
    the estimator (a continued search must keep the estimator it started with).
    """

    fitted: list = []  # a deliberate class-level log: tests run with n_jobs=1
    interrupts = True

    def __init__(self, p=0.0, interrupt_above=None):
        self.p = p
        self.interrupt_above = interrupt_above

    def fit(self, X, y):
        above = self.interrupt_above is not None and self.p > self.interrupt_above
        if above and ScoreIsP.interrupts:
            raise KeyboardInterrupt
        ScoreIsP.fitted.append(self.p)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return self.p


@pytest.fixture(autouse=True)
def _clear_fit_log():
    ScoreIsP.fitted.clear()
    ScoreIsP.interrupts = True


def _search(estimator=None, param_distributions=None, **kwargs):
    params = {
        "n_iter": 20,
        "n_initial_points": 4,
        "batch_size": 2,
        "cv": 2,
        "random_state": 0,
        "schedule": "rounds",  # these tests count rounds
        **kwargs,
    }
    return HyperoptSearchCV(
        ScoreIsP() if estimator is None else estimator,
        {"p": uniform(0, 1)} if param_distributions is None else param_distributions,
        **params,
    )


# -- stopping rules ------------------------------------------------------------


def test_candidates_without_improvement_counts_trailing_non_improvements():
    assert candidates_without_improvement([], 0.0) == 0
    assert candidates_without_improvement([0.1, 0.5, 0.4, 0.3], 0.0) == 2
    assert candidates_without_improvement([0.1, 0.5, 0.52], 0.05) == 1
    assert candidates_without_improvement([0.1, float("nan"), 0.2], 0.0) == 0
    assert candidates_without_improvement([0.1, float("nan")], 0.0) == 1


def test_n_iter_no_change_stops_and_refits_the_best_so_far():
    search = _search(n_iter=200, n_iter_no_change=5).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.stop_reason_ == "n_iter_no_change"
    assert search.n_candidates_ == len(scores) < 200
    assert candidates_without_improvement(scores, 0.0) >= 5
    assert candidates_without_improvement(scores[:-2], 0.0) < 5  # not a round later
    assert search.best_params_["p"] == max(scores)
    assert search.best_estimator_.p == max(scores)


def test_tol_makes_small_improvements_not_count():
    strict = _search(n_iter=200, n_iter_no_change=4, tol=0.0).fit(X, y)
    loose = _search(n_iter=200, n_iter_no_change=4, tol=0.2).fit(X, y)
    assert loose.n_candidates_ <= strict.n_candidates_
    assert candidates_without_improvement(loose.cv_results_["mean_test_score"], 0.2) >= 4


def test_score_threshold_stops_after_the_round_that_reaches_it():
    # TPE's random start-up round does not reach 0.9 with this seed.
    search = _search(n_iter=200, score_threshold=0.9, algo="tpe").fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.stop_reason_ == "score_threshold"
    assert scores.max() >= 0.9
    rounds = search.cv_results_["hyperopt_round"]
    assert scores[rounds < rounds[-1]].max() < 0.9  # no earlier round had reached it
    assert search.best_score_ == scores.max()


def test_timeout_stops_starting_rounds():
    # Any positive timeout has passed once the first round took any time at all.
    search = _search(n_iter=200, timeout=1e-9).fit(X, y)
    assert search.stop_reason_ == "timeout"
    assert search.n_candidates_ == 4  # the first round always runs


def test_monitor_sees_every_round_and_can_stop_the_search():
    seen = []

    def monitor(search, results):
        # Fitted attributes are set once, at the end of fit: the monitor reads
        # the results it is given.
        seen.append((hasattr(search, "cv_results_"), len(results["params"])))
        return len(results["params"]) >= 8

    search = _search(monitor=monitor).fit(X, y)
    assert seen == [(False, 4), (False, 6), (False, 8)]
    assert search.stop_reason_ == "monitor"
    assert search.n_candidates_ == 8


def test_monitor_exceptions_propagate_and_keep_the_finished_rounds():
    def monitor(search, results):
        if len(results["params"]) >= 6:
            raise RuntimeError("monitor says no")

    search = _search(monitor=monitor)
    with pytest.raises(RuntimeError, match="monitor says no"):
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert search.stop_reason_ == "interrupted"


def test_verbose_reports_why_it_stopped(capsys):
    _search(n_iter=200, score_threshold=0.5, verbose=1).fit(X, y)
    assert "stopped (score_threshold)" in capsys.readouterr().out


# -- warm start ----------------------------------------------------------------


def test_warm_start_continues_without_refitting_and_matches_one_long_run():
    long_run = _search(n_iter=12).fit(X, y)
    ScoreIsP.fitted.clear()

    search = _search(n_iter=8).fit(X, y)
    first = list(search.cv_results_["params"])
    assert len(ScoreIsP.fitted) == 8 * 2 + 1  # 8 candidates x 2 folds + refit
    ScoreIsP.fitted.clear()

    search.set_params(n_iter=12, warm_start=True).fit(X, y)
    assert search.n_candidates_ == 12 == len(search.trials_)
    assert search.cv_results_["params"][:8] == first
    assert len(ScoreIsP.fitted) == 4 * 2 + 1  # only the 4 new candidates were fitted
    assert search.cv_results_["params"] == long_run.cv_results_["params"]
    np.testing.assert_array_equal(
        search.cv_results_["rank_test_score"], long_run.cv_results_["rank_test_score"]
    )
    assert search.cv_results_["hyperopt_round"].tolist() == [0] * 4 + [1, 1, 2, 2, 3, 3, 4, 4]
    assert search.best_params_ == long_run.best_params_


def test_warm_start_on_different_data_is_an_error():
    search = _search(n_iter=4).fit(X, y)
    search.set_params(n_iter=8, warm_start=True)
    with pytest.raises(ValueError, match="different data"):
        search.fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="different data"):
        search.fit(X + 1, y)
    assert search.n_candidates_ == 4  # the earlier results are still there


def test_warm_start_with_another_space_is_an_error():
    search = _search(n_iter=4).fit(X, y)
    search.set_params(n_iter=8, warm_start=True, param_distributions={"p": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="another param_distributions"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "changed, setting",
    [
        ({"param_distributions": {"p": uniform(0, 0.5)}}, "param_distributions"),
        ({"estimator": ScoreIsP(interrupt_above=2.0)}, "estimator"),
        ({"scoring": "accuracy"}, "scoring"),
        ({"scoring": {"a": "accuracy", "b": "f1_macro"}, "refit": "a"}, "scoring, refit"),
        ({"cv": 3}, "cv"),
        ({"return_train_score": True}, "return_train_score"),
        ({"error_score": -1.0}, "error_score"),
    ],
)
def test_a_continued_search_refuses_settings_that_change_the_scores(changed, setting, tmp_path):
    # Regression (issue 12, 1 and 2): a changed setting mixed incomparable
    # scores, or fitted every new candidate and then crashed and overwrote
    # the checkpoint. Now fit raises first, naming the setting, and nothing
    # is fitted or written.
    path = tmp_path / "search.ckpt"
    first = _search(n_iter=4, checkpoint=path).fit(X, y)
    content = path.read_bytes()
    results = first.cv_results_
    ScoreIsP.fitted.clear()
    message = f"it was run with another {setting}, so its scores"
    with pytest.raises(ValueError, match=message):
        _search(n_iter=8, checkpoint=path, **changed).fit(X, y)
    with pytest.raises(ValueError, match=message):
        first.set_params(n_iter=8, warm_start=True, checkpoint=None, **changed).fit(X, y)
    assert ScoreIsP.fitted == []
    assert path.read_bytes() == content
    assert first.cv_results_ is results and first.n_candidates_ == 4


def test_a_continued_search_may_change_what_leaves_the_scores_alone(tmp_path):
    search = _search(n_iter=4).fit(X, y)
    search.set_params(
        warm_start=True, n_iter=8, batch_size=4, n_jobs=2, verbose=0, n_iter_no_change=50
    ).fit(X, y)
    assert search.n_candidates_ == 8


def test_warm_start_without_a_larger_budget_reloads_the_finished_search():
    # Regression (issue 12, 4): the same n_iter again raised "already evaluated".
    search = _search(n_iter=4).fit(X, y)
    results = search.cv_results_
    ScoreIsP.fitted.clear()
    with pytest.warns(UserWarning, match="no new candidate was evaluated"):
        search.set_params(warm_start=True).fit(X, y)
    assert ScoreIsP.fitted == [search.best_params_["p"]]  # only the refit
    assert search.cv_results_["params"] == results["params"]
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], results["mean_test_score"]
    )
    assert search.n_candidates_ == 4 and search.stop_reason_ == "n_iter"


def test_an_error_in_the_first_round_then_warm_start_runs_the_whole_search():
    # Regression (issue 12, 3): KeyError 'hyperopt_round' after fitting
    # everything, then "the budget is used".
    search = _search(n_iter=6, estimator=ScoreIsP(interrupt_above=-1.0))
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    assert search.n_candidates_ == 0
    ScoreIsP.interrupts = False
    search.set_params(warm_start=True).fit(X, y)
    assert search.n_candidates_ == 6
    assert search.cv_results_["params"] == _search(n_iter=6).fit(X, y).cv_results_["params"]


def test_warm_start_false_starts_over():
    search = _search(n_iter=4).fit(X, y)
    search.fit(X, y)
    assert search.n_candidates_ == 4


# -- interrupts and pickling -------------------------------------------------


def test_keyboard_interrupt_keeps_finished_rounds_and_warm_start_continues():
    # Candidates above 0.97 interrupt their fit: some round in flight is lost.
    search = HyperoptSearchCV(
        ScoreIsP(interrupt_above=0.97),
        {"p": uniform(0, 1)},
        n_iter=60,
        n_initial_points=4,
        batch_size=2,
        cv=2,
        random_state=0,
        schedule="rounds",
    )
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    assert search.stop_reason_ == "interrupted"
    done = len(search.cv_results_["params"])
    assert 4 <= done < 60 and done % 2 == 0
    assert len(search.trials_) == search.n_candidates_ == done
    assert all(t["result"]["status"] == "ok" for t in search.trials_.trials)
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])
    assert not hasattr(search, "best_estimator_")

    # continue after unpickling, without the interrupting candidates
    loaded = pickle.loads(pickle.dumps(search))
    before = list(loaded.cv_results_["params"])
    ScoreIsP.fitted.clear()
    ScoreIsP.interrupts = False
    loaded.set_params(warm_start=True, n_iter=done + 4).fit(X, y)
    assert loaded.cv_results_["params"][:done] == before
    assert loaded.n_candidates_ == done + 4
    assert len(ScoreIsP.fitted) == 4 * 2 + 1


@pytest.mark.parametrize("space", ["uniform", "grid"])
@pytest.mark.parametrize("schedule", ["rounds", "ordered"])
def test_an_interrupted_then_continued_search_proposes_the_uninterrupted_sequence(schedule, space):
    # Regression (issue 12, 16): the round in flight had advanced the random
    # generator, so the continued search went elsewhere. "grid": a list of
    # numbers (ordered levels), re-encoded from the told parameters.
    distributions = {"p": np.linspace(0, 1, 51)} if space == "grid" else None

    def search():
        return _search(
            n_iter=40,
            estimator=ScoreIsP(interrupt_above=0.99),
            param_distributions=distributions,
            schedule=schedule,
        )

    interrupted = search()
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(X, y)
    done = interrupted.n_candidates_
    assert 1 <= done < 40
    ScoreIsP.interrupts = False
    interrupted.set_params(warm_start=True).fit(X, y)
    uninterrupted = search().fit(X, y)
    assert interrupted.cv_results_["params"] == uninterrupted.cv_results_["params"]
    assert interrupted.trials_.tids == uninterrupted.trials_.tids


class ScoreFails(ScoreIsP):
    """Like ScoreIsP, but its ``score`` raises for ``p > 0.5``."""

    def score(self, X, y):
        if self.p > 0.5:
            raise ValueError("cannot score")
        return self.p


@pytest.mark.parametrize("schedule", ["rounds", "ordered"])
def test_a_score_error_is_a_failed_candidate_whatever_error_score_is(schedule):
    # Regression (issue 12, 5): with error_score=-1 a candidate whose score
    # raised was told to hyperopt as a real loss of 1.0.
    search = _search(n_iter=10, estimator=ScoreFails(), error_score=-1, schedule=schedule)
    with pytest.warns(UserWarning, match="Scoring failed"):
        search.fit(X, y)
    failed = np.array([p["p"] > 0.5 for p in search.cv_results_["params"]])
    assert failed.any() and (~failed).any()
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"][failed], -1.0)
    statuses = [trial["result"]["status"] for trial in search.trials_.trials]
    assert statuses == ["fail" if f else "ok" for f in failed]
    # A real score equal to error_score is a score.
    real = _search(n_iter=2, param_distributions={"p": [-1.0, 0.2]}, error_score=-1).fit(X, y)
    assert all(t["result"]["status"] == "ok" for t in real.trials_.trials)


def test_fitted_search_pickles_and_continues_where_it_stopped():
    search = _search(n_iter=6).fit(X, y)
    loaded = pickle.loads(pickle.dumps(search))
    loaded.set_params(n_iter=10, warm_start=True).fit(X, y)
    assert loaded.cv_results_["params"][:6] == search.cv_results_["params"]
    assert loaded.n_candidates_ == 10


# -- checkpoint files ------------------------------------------------------------


def test_checkpoint_is_written_every_round_and_resumes_a_new_search(tmp_path):
    path = tmp_path / "search.ckpt"
    rounds_on_disk = []

    def monitor(search, results):
        rounds_on_disk.append(path.stat().st_mtime_ns if path.exists() else None)

    _search(n_iter=8, checkpoint=path, monitor=monitor).fit(X, y)
    assert None not in rounds_on_disk and len(rounds_on_disk) == 3
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind

    ScoreIsP.fitted.clear()
    resumed = _search(n_iter=12, checkpoint=path).fit(X, y)
    assert resumed.n_candidates_ == 12
    assert len(ScoreIsP.fitted) == 4 * 2 + 1
    long_run = _search(n_iter=12).fit(X, y)
    assert resumed.cv_results_["params"] == long_run.cv_results_["params"]


def test_a_corrupt_checkpoint_is_an_error_and_is_left_untouched(tmp_path):
    path = tmp_path / "search.ckpt"
    path.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="corrupt"):
        _search(n_iter=4, checkpoint=path).fit(X, y)
    assert path.read_bytes() == b"not a pickle"
    assert ScoreIsP.fitted == []  # nothing was fitted

    path.write_bytes(pickle.dumps({"something": "else"}))
    with pytest.raises(ValueError, match="not a hyperopt-search checkpoint"):
        _search(n_iter=4, checkpoint=path).fit(X, y)


def test_a_checkpoint_of_version_one_still_resumes(tmp_path):
    # 0.1 wrote one search per file ({"version": 1, "state": ...}).
    path = tmp_path / "search.ckpt"
    _search(n_iter=4, checkpoint=path).fit(X, y)
    (state,) = load_checkpoint(path).values()
    state.settings = None  # 0.1 did not record them
    payload = {"format": "hyperopt-search checkpoint", "version": 1, "state": state}
    path.write_bytes(pickle.dumps(payload))
    ScoreIsP.fitted.clear()
    resumed = _search(n_iter=6, checkpoint=path).fit(X, y)
    assert resumed.n_candidates_ == 6
    assert len(ScoreIsP.fitted) == 2 * 2 + 1  # the 2 new candidates x 2 folds + refit
    assert pickle.loads(path.read_bytes())["version"] == 2  # rewritten in the current format
    assert len(load_checkpoint(path)) == 1


def test_a_checkpoint_keeps_one_search_per_dataset_for_nested_cv(tmp_path):
    # Regression (issue 12, 4): under cross_val_score, the second outer fold
    # failed with "different data". Each outer fold's search now has its own
    # entry in the file, and a re-run reloads all of them, refitting no
    # candidate.
    from sklearn.model_selection import cross_val_score

    path = tmp_path / "nested.ckpt"
    search = _search(n_iter=4, checkpoint=path)
    first = cross_val_score(search, X, y, cv=3)
    assert len(load_checkpoint(path)) == 3
    ScoreIsP.fitted.clear()
    again = cross_val_score(search, X, y, cv=3)
    np.testing.assert_array_equal(again, first)
    assert len(ScoreIsP.fitted) == 3  # the three refits, no candidate


def test_rerunning_a_finished_script_with_its_checkpoint_gives_the_fitted_search(tmp_path):
    # Regression (issue 12, 4): "already evaluated 8 candidates and n_iter=8".
    path = tmp_path / "search.ckpt"
    finished = _search(n_iter=8, checkpoint=path).fit(X, y)
    ScoreIsP.fitted.clear()
    rerun = _search(n_iter=8, checkpoint=path).fit(X, y)
    assert ScoreIsP.fitted == [finished.best_params_["p"]]  # the refit only
    assert rerun.cv_results_["params"] == finished.cv_results_["params"]
    assert rerun.best_params_ == finished.best_params_
    assert rerun.stop_reason_ == "n_iter"
    # An early stop holds again on re-run: no new candidate either.
    stopped = _search(n_iter=200, n_iter_no_change=3, checkpoint=tmp_path / "b.ckpt").fit(X, y)
    ScoreIsP.fitted.clear()
    rerun = _search(n_iter=200, n_iter_no_change=3, checkpoint=tmp_path / "b.ckpt").fit(X, y)
    assert len(ScoreIsP.fitted) == 1 and rerun.n_candidates_ == stopped.n_candidates_
    assert rerun.stop_reason_ == "n_iter_no_change"


@pytest.mark.parametrize(
    "make_path, problem",
    [
        (lambda tmp: tmp / "missing" / "search.ckpt", "does not exist"),
        (lambda tmp: tmp / "a-file" / "search.ckpt", "which is not a folder"),
        (lambda tmp: tmp, "is a folder"),
    ],
)
def test_an_unwritable_checkpoint_is_an_error_before_any_fit(make_path, problem, tmp_path):
    # Regression (issue 12, 10): reported after the first round, naming a
    # temporary file.
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match=f"checkpoint=.*{problem}"):
        _search(n_iter=4, checkpoint=make_path(tmp_path)).fit(X, y)
    assert ScoreIsP.fitted == []


def test_a_stale_temporary_file_is_removed_on_the_next_write(tmp_path):
    # Regression (issue 12, 15): a kill during a write left it forever.
    path = tmp_path / "search.ckpt"
    stale = tmp_path / ".search.ckpt.k1ll3d.tmp"
    stale.write_bytes(b"half a pickle")
    other = tmp_path / ".other.ckpt.abc.tmp"  # not ours
    other.write_bytes(b"")
    _search(n_iter=4, checkpoint=path).fit(X, y)
    assert not stale.exists() and other.exists()


_KILLED_SCRIPT = textwrap.dedent(
    """
    import os, pickle, signal, sys
    import numpy as np
    from scipy.stats import loguniform
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from hyperopt_search import HyperoptSearchCV

    class KillsItself(LogisticRegression):
        fits = 0

        def fit(self, X, y, **kw):
            KillsItself.fits += 1
            if KillsItself.fits == int(os.environ.get("KILL_AT_FIT", 0)):
                os.kill(os.getpid(), signal.SIGKILL)
            return super().fit(X, y, **kw)

    X, y = load_iris(return_X_y=True)
    search = HyperoptSearchCV(
        KillsItself(), {"C": loguniform(1e-3, 1e3)}, n_iter=20, n_initial_points=4,
        batch_size=2, cv=int(os.environ.get("CV", 3)), random_state=0,
        checkpoint=sys.argv[1] if sys.argv[1] != "-" else None,
        schedule=os.environ.get("SCHEDULE", "rounds"),
        racing=os.environ.get("RACING") == "1",
    ).fit(X, y)
    with open(sys.argv[2], "wb") as file:
        pickle.dump({"cv_results": search.cv_results_, "fits": KillsItself.fits}, file)
    """
)


def _run_script(tmp_path, checkpoint, **env):
    """Run the killable search in a new process: its return code and results."""
    script = tmp_path / "run.py"
    script.write_text(_KILLED_SCRIPT)
    out = tmp_path / "results.pkl"
    out.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, str(script), str(checkpoint), str(out)],
        env={**os.environ, **env},
        capture_output=True,
        timeout=300,
    )
    results = pickle.loads(out.read_bytes()) if out.exists() else None
    return proc, results


def test_resume_after_the_process_is_killed_with_sigkill(tmp_path):
    path = tmp_path / "killed.ckpt"
    # fits: round 0 = 4 candidates x 3 folds = 12, round 1 = 6 more; die in round 2
    proc, _ = _run_script(tmp_path, path, KILL_AT_FIT="22")
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]

    (state,) = load_checkpoint(path).values()
    assert state.n_candidates == 6 and state.n_rounds == 2  # lost only the round in flight

    # The same script, run again, resumes: 14 candidates x 3 folds + the refit.
    proc, resumed = _run_script(tmp_path, path)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert resumed["fits"] == 14 * 3 + 1
    results = resumed["cv_results"]
    assert len(results["params"]) == 20
    assert results["params"][:6] == state.params
    # the finished candidates' scores and fit times are the killed process's own
    fits = [state.outs[i * 3 : (i + 1) * 3] for i in range(6)]
    np.testing.assert_array_equal(
        results["split0_test_score"][:6], [f[0]["test_scores"] for f in fits]
    )
    np.testing.assert_allclose(
        results["mean_fit_time"][:6], [np.mean([o["fit_time"] for o in f]) for f in fits]
    )
    _, uninterrupted = _run_script(tmp_path, "-")
    assert results["params"] == uninterrupted["cv_results"]["params"]


def test_an_ordered_search_killed_with_sigkill_resumes_its_candidates_in_flight(tmp_path):
    # schedule="ordered", one worker: fits run in this process in proposal
    # order. Fit 22 is the first of candidate 7, proposed after candidate 5
    # was told and checkpointed with candidate 6 in flight.
    path = tmp_path / "killed.ckpt"
    proc, _ = _run_script(tmp_path, path, KILL_AT_FIT="22", SCHEDULE="ordered")
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]

    (state,) = load_checkpoint(path).values()
    assert state.n_candidates == 6
    assert len(state.trials._dynamic_trials) == 7  # candidate 6 was in flight

    proc, resumed = _run_script(tmp_path, path, SCHEDULE="ordered")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    _, uninterrupted = _run_script(tmp_path, "-", SCHEDULE="ordered")
    resumed, uninterrupted = resumed["cv_results"], uninterrupted["cv_results"]
    assert resumed["params"] == uninterrupted["params"]
    np.testing.assert_array_equal(resumed["mean_test_score"], uninterrupted["mean_test_score"])
    np.testing.assert_array_equal(resumed["hyperopt_round"], uninterrupted["hyperopt_round"])


def test_a_raced_search_killed_with_sigkill_resumes_as_if_never_killed(tmp_path):
    # racing=True: the candidates in flight keep the candidates they race against.
    path = tmp_path / "killed.ckpt"
    env = {"SCHEDULE": "ordered", "RACING": "1", "CV": "5"}
    proc, _ = _run_script(tmp_path, path, KILL_AT_FIT="45", **env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    proc, resumed = _run_script(tmp_path, path, **env)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    _, uninterrupted = _run_script(tmp_path, "-", **env)
    assert resumed["fits"] < uninterrupted["fits"]  # the killed run's work was kept
    resumed, uninterrupted = resumed["cv_results"], uninterrupted["cv_results"]
    assert (uninterrupted["n_splits_fitted"] < 5).any()
    assert resumed["params"] == uninterrupted["params"]
    np.testing.assert_array_equal(resumed["n_splits_fitted"], uninterrupted["n_splits_fitted"])
    np.testing.assert_array_equal(resumed["mean_test_score"], uninterrupted["mean_test_score"])


def test_checkpoint_accepts_path_objects_and_strings(tmp_path):
    for path in (tmp_path / "a.ckpt", str(tmp_path / "b.ckpt")):
        _search(n_iter=4, checkpoint=path).fit(X, y)
        assert Path(path).exists()


# -- one consistent set of fitted attributes (issue 22, faults 1 and 3) ---------


def _interrupt_after(n):
    def monitor(search, results):
        if len(results["params"]) >= n:
            raise KeyboardInterrupt

    return monitor


@pytest.mark.parametrize("schedule", ["rounds", "ordered"])
@pytest.mark.parametrize("warm_start", [False, True])
def test_an_interrupted_refit_keeps_no_attribute_of_the_earlier_fit(schedule, warm_start):
    # Regression (issue 22, fault 1): best_params_ was new, best_estimator_
    # (and classes_, predict) the earlier fit's, predicting 2 classes.
    from sklearn.linear_model import LogisticRegression

    two_classes = y < 2
    search = HyperoptSearchCV(
        LogisticRegression(max_iter=200),
        {"C": uniform(0.01, 10)},
        n_iter=4,
        cv=2,
        random_state=0,
        schedule=schedule,
    ).fit(X[two_classes], y[two_classes])
    assert list(search.classes_) == [0, 1]
    data = (X[two_classes], y[two_classes]) if warm_start else (X, y)
    search.set_params(n_iter=12, monitor=_interrupt_after(6), warm_start=warm_start)
    with pytest.raises(KeyboardInterrupt):
        search.fit(*data)
    assert search.stop_reason_ == "interrupted"
    assert not hasattr(search, "best_estimator_")
    assert not hasattr(search, "refit_time_")
    assert not hasattr(search, "classes_")
    with pytest.raises(AttributeError):
        search.predict(X)
    n = len(search.cv_results_["params"])
    assert search.n_candidates_ == n == len(search.trials_) >= 6
    assert search.best_params_ == search.cv_results_["params"][search.best_index_]


def test_partial_best_follows_a_callable_refit():
    # Regression (issue 22, fault 3): the partial best_index_ was the best
    # score's, not the callable's choice, and a best_score_ appeared.
    def lowest_p(results):
        return int(np.argmin([params["p"] for params in results["params"]]))

    search = _search(n_iter=12, refit=lowest_p, monitor=_interrupt_after(6))
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    finished = _search(n_iter=6, refit=lowest_p).fit(X, y)
    assert search.best_index_ == lowest_p(search.cv_results_)
    assert not hasattr(search, "best_score_") and not hasattr(finished, "best_score_")
    assert search.best_params_ == finished.best_params_


def test_partial_results_of_a_multimetric_search_without_refit_have_no_best():
    # Regression (issue 22, fault 3): refit=False gained best_* after an interrupt.
    scoring = {"accuracy": "accuracy", "balanced": "balanced_accuracy"}
    search = _search(n_iter=12, scoring=scoring, refit=False, monitor=_interrupt_after(6))
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    for name in ("best_index_", "best_score_", "best_params_", "best_estimator_"):
        assert not hasattr(search, name)
    assert search.multimetric_


# -- checkpoints and stopping rules at the edges (issue 24) -----------------------


class FailsAbove(ScoreIsP):
    """Scores ``p``; its fit fails for ``p > 0.5``."""

    def fit(self, X, y):
        if self.p > 0.5:
            raise ValueError("fails above 0.5")
        return super().fit(X, y)


@pytest.mark.parametrize("schedule", ["rounds", "ordered"])
def test_a_numeric_error_score_never_meets_a_stopping_rule(schedule, capsys):
    # Regression (issue 24, 2): error_score=2 of a failure met score_threshold=1.5
    # (no real score is above 1), and verbose printed it as "best".
    search = _search(
        estimator=FailsAbove(),
        n_iter=12,
        error_score=2.0,
        score_threshold=1.5,
        schedule=schedule,
        verbose=1,
        # GridSearchCV ranks a numeric error_score like a score: the refit
        # would take a failing candidate, as it would there.
        refit=False,
    )
    with pytest.warns(Warning):
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert (scores == 2.0).any()  # failures happened, and kept their error_score
    assert search.stop_reason_ == "n_iter" and search.n_candidates_ == 12
    assert "best 2" not in capsys.readouterr().out


def test_a_failure_neither_resets_nor_extends_n_iter_no_change():
    # Regression (issue 24, 2): with error_score=0, a failure counted.
    from hyperopt_search._record import SearchRecord
    from hyperopt_search._stopping import StoppingRules

    record = SearchRecord([], None)
    record.scores, record.failed = [0.5, 0.9, 0.0, 0.6, 0.7], [False, False, True, False, False]
    rules = StoppingRules(n_iter_no_change=3)
    assert rules.after_round(record.real_scores) == "n_iter_no_change"
    assert rules.after_round(record.scores[:4]) is None  # the failure's 0.0 read as a score


def test_a_checkpoint_refuses_another_random_state(tmp_path):
    # Regression (issue 24, 3): a loop over seeds sharing one checkpoint
    # returned seed 0's search for every seed.
    path = tmp_path / "search.ckpt"
    _search(n_iter=4, checkpoint=path, random_state=0).fit(X, y)
    ScoreIsP.fitted.clear()
    with pytest.raises(ValueError, match="another random_state"):
        _search(n_iter=6, checkpoint=path, random_state=1).fit(X, y)
    assert ScoreIsP.fitted == []


def test_checkpoint_problems_are_found_before_any_fit(tmp_path):
    # Regression (issue 24, 5): found after 15 fits.
    long_name = tmp_path / ("c" * 245)
    with pytest.raises(ValueError, match=r"checkpoint=.*too long for its temporary file"):
        _search(n_iter=4, checkpoint=long_name).fit(X, y)
    (tmp_path / ".search.ckpt.lock").mkdir()
    with pytest.raises(ValueError, match=r"checkpoint=.*lock file.*not a file"):
        _search(n_iter=4, checkpoint=tmp_path / "search.ckpt").fit(X, y)
    space = {"p": uniform(0, 1), "interrupt_above": [None, lambda: 2]}
    with pytest.raises(ValueError, match=r"checkpoint is set.*cannot be pickled"):
        _search(n_iter=4, param_distributions=space, checkpoint=tmp_path / "ok.ckpt").fit(X, y)
    assert ScoreIsP.fitted == []


@pytest.mark.parametrize(
    "payload",
    [
        {"format": "hyperopt-search checkpoint", "version": 2},
        {"format": "hyperopt-search checkpoint", "version": 2, "searches": ["x"]},
        {"format": "hyperopt-search checkpoint", "version": 2, "searches": {"a": object()}},
        {"format": "hyperopt-search checkpoint", "version": 1, "state": None},
    ],
)
def test_a_malformed_checkpoint_with_a_valid_header_is_a_clear_error(payload, tmp_path):
    # Regression (issue 24, 7): KeyError, AttributeError or TypeError.
    path = tmp_path / "search.ckpt"
    path.write_bytes(pickle.dumps(payload))
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"malformed.*left untouched"):
        _search(n_iter=4, checkpoint=path).fit(X, y)
    assert path.read_bytes() == before
    assert ScoreIsP.fitted == []


def test_a_symlinked_checkpoint_is_written_through_the_link(tmp_path):
    # Regression (issue 24, 8): the link became a regular file and its target
    # was never written again.
    storage = tmp_path / "storage"
    storage.mkdir()
    target = storage / "search.ckpt"
    link = tmp_path / "search.ckpt"
    link.symlink_to(target)
    _search(n_iter=4, checkpoint=link).fit(X, y)
    assert link.is_symlink() and target.exists()
    _search(n_iter=6, checkpoint=link).fit(X, y)
    assert link.is_symlink()
    (search,) = load_checkpoint(target).values()
    assert search.n_candidates == 6
