"""The adapter over hyperopt: ask batches, tell results, deduplicate, seed."""

import functools

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, tpe
from scipy.stats import loguniform, randint

from hyperopt_search import to_hyperopt_space
from hyperopt_search._optimizer import HyperoptOptimizer, resolve_algo


def _optimizer(space, algo="tpe", seed=0, n_initial=3, trials=None):
    return HyperoptOptimizer(
        to_hyperopt_space(space),
        resolve_algo(algo, n_initial),
        np.random.default_rng(seed),
        trials=trials,
    )


def _run(optimizer, n_rounds, batch, score):
    """Ask/tell rounds with ``score(params)``; returns the proposed params."""
    proposed = []
    for _ in range(n_rounds):
        candidates = optimizer.ask(batch)
        proposed.extend(c.params for c in candidates)
        optimizer.tell({c.tid: -score(c.params) for c in candidates})
    return proposed


def test_ask_returns_distinct_pending_candidates():
    opt = _optimizer({"C": loguniform(1e-3, 1e3), "k": ["a", "b"]})
    batch = opt.ask(5)
    assert len(batch) == 5 == len(opt.trials)
    assert len({c.tid for c in batch}) == 5
    assert all(t["result"].get("loss") is None for t in opt.trials.trials)  # pending


def test_tell_records_losses_and_failures_as_hyperopt_does():
    opt = _optimizer({"C": loguniform(1e-3, 1e3)})
    a, b = opt.ask(2)
    opt.tell({a.tid: 0.25, b.tid: None})
    results = {t["tid"]: t["result"] for t in opt.trials.trials}
    assert results[a.tid] == {"status": STATUS_OK, "loss": 0.25}
    assert results[b.tid] == {"status": STATUS_FAIL}  # no loss: TPE sees +inf
    assert opt.trials.best_trial["tid"] == a.tid


def test_nan_losses_are_told_as_failures():
    opt = _optimizer({"C": loguniform(1e-3, 1e3)})
    (a,) = opt.ask(1)
    opt.tell({a.tid: float("nan")})
    assert opt.trials.trials[0]["result"]["status"] == STATUS_FAIL


def test_tpe_moves_towards_good_regions_faster_than_random_search():
    def distance(params):  # to the best point, C = 100
        return abs(np.log10(params["C"]) - 2)

    def late_median(algo, seed):
        opt = _optimizer({"C": loguniform(1e-3, 1e3)}, algo=algo, n_initial=5, seed=seed)
        proposed = _run(opt, 15, 2, lambda p: -distance(p))
        return np.median([distance(p) for p in proposed[-10:]])

    tpe_late = np.mean([late_median("tpe", seed) for seed in range(8)])
    rand_late = np.mean([late_median("rand", seed) for seed in range(8)])
    assert tpe_late < 0.6 * rand_late


def test_same_seed_same_sequence_whatever_the_scores_order_of_telling():
    def score(params):
        return -((params["x"] - 7) ** 2)

    space = {"x": randint(0, 40)}
    first = _run(_optimizer(space, seed=3), 8, 3, score)
    second = _run(_optimizer(space, seed=3), 8, 3, score)
    assert first == second
    assert len({p["x"] for p in first}) == len(first)  # never a duplicate


def test_a_finite_space_is_exhausted_exactly_once_per_point():
    opt = _optimizer({"a": [1, 2, 3], "b": ["x", "y"]}, algo="tpe", n_initial=2)
    seen = []
    while not opt.exhausted:
        batch = opt.ask(4)
        seen.extend(tuple(sorted(c.params.items())) for c in batch)
        opt.tell({c.tid: 0.0 for c in batch})
    assert len(seen) == len(set(seen)) == 6


def test_anneal_and_rand_need_one_id_per_ask_and_work_in_batches():
    for algo in ("anneal", "rand"):
        opt = _optimizer({"C": loguniform(1e-3, 1e3)}, algo=algo)
        assert len(opt.ask(4)) == 4


def test_custom_suggest_callable_is_used_as_is():
    algo = resolve_algo(functools.partial(tpe.suggest, gamma=0.5, n_startup_jobs=2), None)
    opt = HyperoptOptimizer(
        to_hyperopt_space({"C": loguniform(1e-3, 1e3)}), algo, np.random.default_rng(0)
    )
    assert len(_run(opt, 3, 2, lambda p: p["C"])) == 6


def test_unknown_algorithm_name():
    with pytest.raises(ValueError, match="Unknown algo"):
        resolve_algo("bayes", None)


def test_add_inserts_known_points_that_are_then_never_proposed():
    opt = _optimizer({"a": [1, 2, 3]}, algo="rand")
    known = opt.add({"a": 2}, loss=-1.0)
    assert known.params == {"a": 2}
    proposed = [c.params["a"] for c in opt.ask(3)]
    assert sorted(proposed) == [1, 3] and opt.exhausted


def test_continuing_from_existing_trials_knows_their_candidates():
    opt = _optimizer({"a": [1, 2, 3, 4]}, algo="rand")
    batch = opt.ask(2)
    opt.tell({c.tid: 0.0 for c in batch})
    again = _optimizer({"a": [1, 2, 3, 4]}, algo="rand", seed=5, trials=opt.trials)
    rest = again.ask(4)
    assert {c.params["a"] for c in rest} | {c.params["a"] for c in batch} == {1, 2, 3, 4}
    assert len(rest) == 2


def test_discard_pending_forgets_an_unfinished_round():
    opt = _optimizer({"a": [1, 2, 3]}, algo="rand")
    done = opt.ask(1)
    opt.tell({c.tid: 0.0 for c in done})
    opt.ask(2)
    opt.discard_pending()
    assert [t["tid"] for t in opt.trials.trials] == [done[0].tid]
    assert len(opt.ask(2)) == 2  # the discarded points can be proposed again


def test_the_callers_trials_object_is_used_not_copied():
    trials = Trials()
    opt = _optimizer({"a": [1, 2]}, trials=trials)
    opt.ask(1)
    assert len(trials) == 1


def _suggest_sequence(algo, space, n, seed=0):
    """Proposals of ``algo`` on hyperopt's own objects: some told, some
    pending, some failed, as in a batched search."""
    from hyperopt import STATUS_FAIL, STATUS_OK, Trials
    from hyperopt.base import JOB_STATE_DONE, Domain

    domain = Domain(lambda p: 0.0, space)
    trials = Trials()
    rng = np.random.default_rng(seed)
    proposals = []
    for i in range(n):
        (tid,) = trials.new_trial_ids(1)
        (doc,) = algo([tid], domain, trials, int(rng.integers(2**31 - 1)))
        proposals.append(doc["misc"]["vals"])
        if i % 5 != 4:  # every fifth stays pending
            doc["state"] = JOB_STATE_DONE
            values = [float(v[0]) for v in doc["misc"]["vals"].values() if v]
            doc["result"] = (
                {"status": STATUS_FAIL}
                if i % 7 == 3
                else {"status": STATUS_OK, "loss": float(np.sum(np.abs(values)))}
            )
        trials.insert_trial_docs([doc])
        trials.refresh()
    return proposals


@pytest.mark.parametrize("n_startup", [0, 5])
def test_cached_tpe_proposes_exactly_what_hyperopts_tpe_suggest_does(n_startup):
    from hyperopt import hp

    from hyperopt_search._optimizer import CachedTPE

    space = to_hyperopt_space(
        [
            {"C": loguniform(1e-3, 1e3), "k": randint(1, 9), "d": ["a", "b", "c"]},
            {"g": hp.randint("g_label", 2, 12), "q": hp.quniform("q_label", 0, 10, 2)},
        ]
    ).expr
    ours = _suggest_sequence(CachedTPE(n_startup_jobs=n_startup, gamma=0.3), space, 40)
    theirs = _suggest_sequence(
        functools.partial(tpe.suggest, n_startup_jobs=n_startup, gamma=0.3, verbose=False),
        space,
        40,
    )
    assert ours == theirs


def test_cached_tpe_matches_tpe_suggest_after_a_discarded_round():
    from hyperopt_search._optimizer import CachedTPE

    def run(algo):
        opt = HyperoptOptimizer(
            to_hyperopt_space({"C": loguniform(1e-3, 1e3), "k": randint(1, 50)}),
            algo,
            np.random.default_rng(0),
        )
        proposed = _run(opt, 6, 2, lambda p: -abs(np.log(p["C"])) - p["k"] / 50)
        opt.ask(3)
        opt.discard_pending()  # trials removed: cached observations must be rebuilt
        proposed += _run(opt, 4, 2, lambda p: -abs(np.log(p["C"])))
        return proposed

    ours = run(CachedTPE(n_startup_jobs=4))
    theirs = run(functools.partial(tpe.suggest, n_startup_jobs=4, verbose=False))
    assert ours == theirs


class _RefreshCountingTrials(Trials):
    def refresh(self):
        self.n_refresh = getattr(self, "n_refresh", 0) + 1
        super().refresh()


@pytest.mark.parametrize("trials_class", [Trials, _RefreshCountingTrials])
def test_the_trials_list_is_always_what_refresh_would_build(trials_class):
    # The optimizer appends to the list instead of refreshing a plain Trials.
    opt = _optimizer({"C": loguniform(1e-3, 1e3), "k": ["a", "b"]}, "rand", trials=trials_class())

    def check():
        listed, ids = list(opt.trials.trials), set(opt.trials._ids)
        opt.trials.refresh()
        assert len(opt.trials.trials) == len(listed)
        assert all(a is b for a, b in zip(opt.trials.trials, listed, strict=True))
        assert opt.trials._ids == ids

    for i in range(4):
        batch = opt.ask(3)
        check()
        opt.tell({c.tid: (None if j == i % 3 else float(j)) for j, c in enumerate(batch[:2])})
        check()
    opt.discard_pending()
    check()
    opt.add({"C": 1.0, "k": "a"}, 0.5)
    check()
    if trials_class is _RefreshCountingTrials:  # any other Trials is refreshed
        n = opt.trials.n_refresh
        opt.ask(1)
        assert opt.trials.n_refresh == n + 1
