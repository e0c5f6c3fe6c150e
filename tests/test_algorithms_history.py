"""The encoded history of a ``Trials`` (algorithms/_trials.py), kept incrementally.

``read_history`` encodes each trial once and caches the rows per ``Trials``
object. These tests compare it, after every kind of change a search makes, with
an encoding made from scratch: the cache must never answer with stale rows.
"""

import copy
import functools
import math
import pickle

import numpy as np
import pytest
from hyperopt import STATUS_OK, Trials, hp, rand
from hyperopt.base import JOB_STATE_DONE, JOB_STATE_ERROR, Domain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import loguniform, uniform

from hyperopt_search import to_hyperopt_space
from hyperopt_search._optimizer import HyperoptOptimizer, resolve_algo
from hyperopt_search.algorithms import _trials, gp, mtpe
from hyperopt_search.algorithms._encoding import encoded_space
from hyperopt_search.algorithms._trials import read_history

SPACE = {
    "C": loguniform(1e-3, 1e3),
    "l1": uniform(0, 1),
    "kind": ["a", "b", "c"],
    "depth": [1, 2, 3, 4],
}


def _no_objective(_):  # pragma: no cover - never evaluated
    raise AssertionError


def _reference(space, trials):
    """The history encoded from scratch, doc by doc (what the cache must equal)."""
    ok, losses, failed, pending = [], [], [], []
    for doc in trials.trials:
        x = space.encode(doc["misc"]["vals"])
        result = doc.get("result") or {}
        loss = result.get("loss")
        if doc["state"] != JOB_STATE_DONE:
            pending.append(x)
        elif result.get("status") == STATUS_OK and loss is not None and math.isfinite(loss):
            ok.append(x)
            losses.append(loss)
        else:
            failed.append(x)
    d = space.n_dims
    rows = [np.array(xs, dtype=float).reshape(len(xs), d) for xs in (ok, failed, pending)]
    return rows[0], np.array(losses, dtype=float), rows[1], rows[2]


def _assert_current(optimizer):
    space = encoded_space(optimizer.domain)
    history = read_history(space, optimizer.trials)
    X_ok, losses, X_failed, X_pending = _reference(space, optimizer.trials)
    np.testing.assert_array_equal(history.X_ok, X_ok)
    np.testing.assert_array_equal(history.losses, losses)
    np.testing.assert_array_equal(history.X_failed, X_failed)
    np.testing.assert_array_equal(history.X_pending, X_pending)
    return history


def _optimizer(seed=0, trials=None, space=SPACE, algo="rand"):
    return HyperoptOptimizer(
        to_hyperopt_space(space),
        resolve_algo(algo, 3),
        np.random.default_rng(seed),
        trials=trials,
    )


def test_a_pending_trial_that_finishes_moves_to_its_outcome():
    opt = _optimizer()
    a, b, c = opt.ask(3)
    history = _assert_current(opt)
    assert len(history.X_pending) == 3
    opt.tell({a.tid: 0.5, b.tid: None})
    history = _assert_current(opt)
    assert history.losses.tolist() == [0.5]
    assert (len(history.X_ok), len(history.X_failed), len(history.X_pending)) == (1, 1, 1)
    opt.tell({c.tid: float("nan")})  # NaN is told as a failure
    history = _assert_current(opt)
    assert (len(history.X_ok), len(history.X_failed), len(history.X_pending)) == (1, 2, 0)


def test_discarded_pending_trials_are_forgotten_even_when_their_ids_come_back():
    opt = _optimizer()
    done = opt.ask(2)
    opt.tell({c.tid: 1.0 for c in done})
    first = opt.ask(3)
    _assert_current(opt)
    opt.discard_pending()
    # The discarded ids are handed out again, for other points, before the
    # history is read again: as many trials as before, other docs.
    opt.rng = np.random.default_rng(99)
    again = opt.ask(3)
    assert [c.tid for c in again] == [c.tid for c in first]
    assert [c.params for c in again] != [c.params for c in first]
    history = _assert_current(opt)
    assert len(history.X_pending) == 3


def test_a_trial_dropped_from_the_middle_of_the_list_is_forgotten():
    opt = _optimizer()
    a, b, c = opt.ask(3)
    _assert_current(opt)
    # hyperopt's refresh() drops a trial in the ERROR state.
    doc = next(d for d in opt.trials._dynamic_trials if d["tid"] == b.tid)
    doc["state"] = JOB_STATE_ERROR
    opt.trials.refresh()
    opt.tell({a.tid: 0.1})
    history = _assert_current(opt)
    assert (len(history.X_ok), len(history.X_pending)) == (1, 1)
    # Dropped and replaced before the next read: as many trials as before.
    doc = next(d for d in opt.trials._dynamic_trials if d["tid"] == c.tid)
    doc["state"] = JOB_STATE_ERROR
    opt.trials.refresh()
    opt.ask(1)
    history = _assert_current(opt)
    assert (len(history.X_ok), len(history.X_pending)) == (1, 1)


def test_a_deep_copy_of_the_trials_has_a_history_of_its_own():
    opt = _optimizer()
    batch = opt.ask(4)
    opt.tell({c.tid: float(i) for i, c in enumerate(batch[:2])})
    _assert_current(opt)
    resumed = _optimizer(seed=1, trials=copy.deepcopy(opt.trials))
    _assert_current(resumed)
    # The copies diverge: each history follows its own trials.
    resumed.tell({batch[2].tid: 7.0})
    resumed.discard_pending()
    resumed.ask(2)
    opt.tell({batch[3].tid: None})
    opt.ask(1)
    mine, theirs = _assert_current(opt), _assert_current(resumed)
    assert mine.losses.tolist() == [0.0, 1.0]
    assert theirs.losses.tolist() == [0.0, 1.0, 7.0]


def test_a_pickled_and_restored_trials_reads_the_same_history():
    opt = _optimizer()
    batch = opt.ask(5)
    opt.tell({c.tid: float(i) for i, c in enumerate(batch[:3])})
    before = _assert_current(opt)
    restored = _optimizer(seed=1, trials=pickle.loads(pickle.dumps(opt.trials)))
    after = _assert_current(restored)
    np.testing.assert_array_equal(before.X_ok, after.X_ok)
    np.testing.assert_array_equal(before.X_pending, after.X_pending)


def test_two_searches_with_the_same_space_share_nothing():
    one, two = _optimizer(seed=0), _optimizer(seed=1)
    for round_ in range(3):
        a, b = one.ask(2), two.ask(2)
        _assert_current(one)
        _assert_current(two)
        one.tell({c.tid: float(round_) for c in a})
        two.tell({c.tid: None for c in b})
    h1, h2 = _assert_current(one), _assert_current(two)
    assert (len(h1.X_ok), len(h1.X_failed)) == (6, 0)
    assert (len(h2.X_ok), len(h2.X_failed)) == (0, 6)


def test_one_trials_read_with_another_space_is_encoded_for_that_space():
    trials = Trials()
    small = Domain(_no_objective, {"x": hp.uniform("x", 0, 10)})
    wide = Domain(_no_objective, {"x": hp.uniform("x", 0, 20)})
    (tid,) = trials.new_trial_ids(1)
    trials.insert_trial_docs(rand.suggest([tid], small, trials, 0))
    trials.refresh()
    x = trials.trials[0]["misc"]["vals"]["x"][0]
    assert read_history(encoded_space(small), trials).X_pending[0, 0] == pytest.approx(x / 10)
    assert read_history(encoded_space(wide), trials).X_pending[0, 0] == pytest.approx(x / 20)


def test_the_history_arrays_cannot_be_changed_by_their_reader():
    opt = _optimizer()
    batch = opt.ask(3)
    opt.tell({batch[0].tid: 1.0, batch[1].tid: None})
    history = _assert_current(opt)
    for part in (history.X_ok, history.losses, history.X_failed, history.X_pending):
        with pytest.raises(ValueError, match="read-only"):
            part[...] = 0.0
    _assert_current(opt)


# -- random sequences of everything a search does ---------------------------------

OPERATIONS = ["ask", "ask", "tell", "tell", "discard", "copy", "pickle", "error"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(OPERATIONS), st.integers(1, 3), st.integers(0, 3), st.booleans()
        ),
        min_size=1,
        max_size=25,
    )
)
def test_the_history_is_always_that_of_a_fresh_encoding(steps):
    space = {
        "model": [
            {"kind": ["a"], "x": uniform(0, 1), "n": [1, 2, 3]},
            {"kind": ["b"], "y": loguniform(1e-2, 1e2)},
        ]
    }
    opt = _optimizer(space=space)
    for step, count, outcome, read in steps:
        pending = opt.pending()
        if step == "ask":
            opt.ask(count)
        elif step == "tell" and pending:
            losses = [0.5 * count, None, float("nan"), -1.0]
            opt.tell({c.tid: losses[outcome] for c in pending[:count]})
        elif step == "discard":
            opt.discard_pending()
        elif step == "copy":
            opt = _optimizer(seed=count, space=space, trials=copy.deepcopy(opt.trials))
        elif step == "pickle":
            trials = pickle.loads(pickle.dumps(opt.trials))
            opt = _optimizer(seed=count, space=space, trials=trials)
        elif step == "error" and pending:
            doc = next(d for d in opt.trials._dynamic_trials if d["tid"] == pending[0].tid)
            doc["state"] = JOB_STATE_ERROR
            opt.trials.refresh()
        if read:  # or not: several changes between two reads
            _assert_current(opt)
    _assert_current(opt)


# -- the algorithms see what a fresh read would give them ------------------------


def _proposals(algo_name, forget):
    """Proposals of a batched search with discards and a resume, by ``algo_name``."""
    algo = {
        "mtpe": functools.partial(mtpe.suggest, n_initial_points=4),
        "gp": functools.partial(gp.suggest, n_initial_points=4),
    }[algo_name]
    if forget:  # every call reads the trials from scratch

        def algo(new_ids, domain, trials, seed, _algo=algo):
            _trials._HISTORIES.clear()
            return _algo(new_ids, domain, trials, seed)

    opt = HyperoptOptimizer(to_hyperopt_space(SPACE), algo, np.random.default_rng(0))
    proposed = []

    def rounds(n):
        for i in range(n):
            batch = opt.ask(3)
            proposed.extend(c.params for c in batch)
            losses = [abs(np.log10(c.params["C"])) + c.params["l1"] for c in batch]
            opt.tell(
                {
                    c.tid: (None if (i + j) % 5 == 4 else loss)
                    for j, (c, loss) in enumerate(zip(batch, losses, strict=True))
                }
            )

    rounds(4)
    opt.ask(2)
    opt.discard_pending()  # trials removed, their ids reused
    rounds(2)
    opt.ask(2)  # left pending across a resume
    opt = HyperoptOptimizer(opt.space, algo, opt.rng, trials=copy.deepcopy(opt.trials))
    rounds(2)
    return proposed


@pytest.mark.parametrize("algo_name", ["mtpe", "gp"])
def test_cached_history_gives_the_proposals_of_a_fresh_read(algo_name):
    assert _proposals(algo_name, forget=False) == _proposals(algo_name, forget=True)
