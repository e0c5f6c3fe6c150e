"""Failure-aware proposals: candidates likely to fail rank after the others."""

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp
from hyperopt.base import Domain

from hyperopt_search.algorithms import gp, mtpe
from hyperopt_search.algorithms._encoding import encoded_space
from hyperopt_search.algorithms._feasibility import log_feasibility
from hyperopt_search.algorithms._trials import History


def _half_failing(x):
    if x > 0.5:
        return {"status": STATUS_FAIL}
    return {"status": STATUS_OK, "loss": abs(x - 0.3) - 1.0}


@pytest.mark.parametrize("algo", [gp.suggest, mtpe.suggest], ids=["gp", "mtpe"])
def test_proposals_stay_out_of_a_failing_half(algo):
    # Issue 23: without a feasibility model the GP sent 45-65% of candidates
    # 21-40 into the failing half (every fit with x > 0.5 fails).
    trials = Trials()
    fmin(
        _half_failing,
        hp.uniform("x", 0, 1),
        algo=algo,
        max_evals=32,
        trials=trials,
        rstate=np.random.default_rng(0),
        show_progressbar=False,
    )
    later = [t["misc"]["vals"]["x"][0] for t in trials.trials[20:]]
    assert sum(x > 0.5 for x in later) <= 2
    assert min(trials.losses()[:32], key=lambda v: np.inf if v is None else v) < -0.99


def test_feasibility_is_one_without_failures_and_low_among_them():
    space = encoded_space(Domain(lambda _: 0.0, hp.uniform("x", 0, 1)))
    ok = np.linspace(0, 0.5, 6)[:, None]
    none_failed = History(ok, np.zeros(6), np.empty((0, 1)), np.empty((0, 1)))
    assert np.array_equal(log_feasibility(space, none_failed, ok), np.zeros(6))
    failed = np.linspace(0.6, 1, 5)[:, None]
    history = History(ok, np.zeros(6), failed, np.empty((0, 1)))
    p = np.exp(log_feasibility(space, history, np.array([[0.25], [0.8]])))
    assert p[0] > 0.8 and p[1] < 0.2  # below MIN_FEASIBILITY (0.5): ranked last


def test_feasibility_tells_branches_apart():
    # Conditional space: failures in one branch do not mark the other.
    expr = hp.choice("m", [{"a": hp.uniform("a", 0, 1)}, {"b": hp.uniform("b", 0, 1)}])
    space = encoded_space(Domain(lambda _: 0.0, expr))
    rows = [
        space.encode({"m": [i % 2], "a": [0.5] if i % 2 == 0 else [], "b": [0.5] if i % 2 else []})
        for i in range(8)
    ]
    X = np.array(rows)
    ok, failed = X[1::2], X[0::2]  # branch 0 always fails
    history = History(ok, np.zeros(len(ok)), failed, np.empty((0, X.shape[1])))
    p = np.exp(log_feasibility(space, history, X[:2]))
    assert p[0] < 0.2 and p[1] > 0.8
