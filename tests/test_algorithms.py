"""Tests of our own proposal algorithms (hyperopt_search.algorithms)."""

import functools
import math

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, rand, space_eval
from hyperopt.base import JOB_STATE_DONE, Domain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import norm

from hyperopt_search import HyperoptSearchCV
from hyperopt_search._defaults import proposer
from hyperopt_search._optimizer import AutoAlgorithm, resolve_algo
from hyperopt_search.algorithms import gp, mtpe, sobol
from hyperopt_search.algorithms._encoding import encoded_space
from hyperopt_search.algorithms._gp import (
    GaussianProcess,
    _neg_log_posterior,
    log_expected_improvement,
    slice_sample,
    squared_differences,
    weighted_squared_distances,
)
from hyperopt_search.algorithms._trials import History

GP_EARLY = functools.partial(gp.suggest, n_initial_points=3)
ALGOS = {
    "gp": GP_EARLY,
    "mtpe": functools.partial(mtpe.suggest, n_initial_points=3),
    "sobol": sobol.suggest,
}


def _no_objective(_):  # pragma: no cover - never evaluated
    raise AssertionError


# -- generated hyperopt spaces ------------------------------------------------


@st.composite
def leaf(draw, label):
    kind = draw(
        st.sampled_from(
            ["uniform", "loguniform", "quniform", "uniformint", "normal", "randint", "choice"]
        )
    )
    if kind == "uniform":
        return hp.uniform(label, -2, 3)
    if kind == "loguniform":
        return hp.loguniform(label, -3, 2)
    if kind == "quniform":
        return hp.quniform(label, 0, 10, 2)
    if kind == "uniformint":
        return hp.uniformint(label, 1, 6)
    if kind == "normal":
        return hp.normal(label, 1, 2)
    if kind == "randint":
        return hp.randint(label, 2, 7)
    return hp.choice(label, ["a", "b", "c"])


@st.composite
def spaces(draw, depth=0, prefix="p"):
    """A dict of leaves, maybe with a nested choice of such dicts (conditional)."""
    n = draw(st.integers(1, 3))
    space = {f"{prefix}{i}": draw(leaf(f"{prefix}{i}")) for i in range(n)}
    if depth < 2 and draw(st.booleans()):
        k = draw(st.integers(2, 3))
        space[f"{prefix}c"] = hp.choice(
            f"{prefix}c",
            [draw(spaces(depth + 1, f"{prefix}c{j}_")) for j in range(k)],
        )
    return space


def _ask(algo, domain, trials, seed):
    (tid,) = trials.new_trial_ids(1)
    (doc,) = algo([tid], domain, trials, seed)
    trials.insert_trial_docs([doc])
    trials.refresh()
    return doc


def _tell(trials, doc, loss):
    doc["state"] = JOB_STATE_DONE
    doc["result"] = (
        {"status": STATUS_FAIL} if loss is None else {"status": STATUS_OK, "loss": float(loss)}
    )
    trials.refresh()


def _record_sizes(patch, method: str) -> list[int]:
    """Patch the classmethod ``GaussianProcess.<method>`` to record ``len(X)``
    of each call (the trials it fits or samples on); returns the record."""
    original = getattr(GaussianProcess, method).__func__
    sizes = []

    def recording(cls, X, *args, **kwargs):
        sizes.append(len(X))
        return original(cls, X, *args, **kwargs)

    patch.setattr(GaussianProcess, method, classmethod(recording))
    return sizes


def _check_vals(domain, vals):
    """Every label of the space present; exactly the active ones have a value."""
    space = encoded_space(domain)
    assert set(vals) == set(space.labels)
    x = space.encode(vals)
    active = space.active(x)[0]
    for dim, on in zip(space.dims, active, strict=True):
        raw = vals[dim.label]
        assert bool(raw) == bool(on), dim.label
        if not raw:
            continue
        value = raw[0]
        if dim.kind in ("randint", "categorical"):
            assert isinstance(value, int)
            assert dim.offset <= value < dim.offset + dim.n_options
        else:
            assert isinstance(value, float)
            if dim.kind == "uniform":
                assert dim.low <= value <= dim.high
            if dim.kind == "loguniform":
                assert math.exp(dim.low) * (1 - 1e-9) <= value <= math.exp(dim.high) * (1 + 1e-9)
            if dim.q is not None:
                assert value / dim.q == pytest.approx(round(value / dim.q))


@pytest.mark.parametrize("name", sorted(ALGOS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(space=spaces(), seed=st.integers(0, 2**31 - 1))
def test_proposals_are_valid_points_of_any_generated_space(name, space, seed):
    domain = Domain(_no_objective, space)
    trials = Trials()
    rng = np.random.default_rng(seed)
    for i in range(8):
        doc = _ask(ALGOS[name], domain, trials, int(rng.integers(2**31 - 1)))
        vals = doc["misc"]["vals"]
        _check_vals(domain, vals)
        # hyperopt itself can evaluate the proposal in the space.
        space_eval(space, {k: v[0] for k, v in vals.items() if v})
        _tell(trials, doc, None if i % 4 == 3 else float(rng.normal()))


@pytest.mark.parametrize("name", sorted(ALGOS))
def test_same_seed_and_history_give_the_same_proposal(name):
    space = {"x": hp.uniform("x", 0, 1), "k": hp.choice("k", ["a", "b"]), "n": hp.randint("n", 5)}
    domain = Domain(_no_objective, space)
    trials = Trials()
    for i in range(6):
        doc = _ask(ALGOS[name], domain, trials, i)
        _tell(trials, doc, (doc["misc"]["vals"]["x"][0] - 0.3) ** 2)
    (tid,) = trials.new_trial_ids(1)
    first = ALGOS[name]([tid], domain, trials, 123)[0]["misc"]["vals"]
    again = ALGOS[name]([tid], Domain(_no_objective, space), trials, 123)[0]["misc"]["vals"]
    assert first == again


def test_mtpe_prefers_the_branch_and_region_of_the_good_trials():
    space = hp.choice(
        "m",
        [{"x": hp.uniform("x", 0, 1)}, {"y": hp.uniform("y", 0, 1)}, {"z": hp.randint("z", 9)}],
    )
    domain = Domain(_no_objective, space)
    trials = Trials()
    algo = functools.partial(mtpe.suggest, n_initial_points=9)
    for i in range(40):
        doc = _ask(algo, domain, trials, i)
        vals = doc["misc"]["vals"]
        # Only branch 0 near x = 0.8 is good.
        _tell(trials, doc, abs(vals["x"][0] - 0.8) if vals["x"] else 1.0)
    late = [t["misc"]["vals"] for t in trials.trials[25:]]
    assert sum(1 for v in late if v["x"]) >= 10
    assert np.median([v["x"][0] for v in late if v["x"]]) == pytest.approx(0.8, abs=0.1)


def test_gp_never_proposes_a_pending_or_finished_point_again():
    # A small discrete space: the GP must move on to unseen points.
    space = {"a": hp.choice("a", [0, 1, 2]), "b": hp.choice("b", [0, 1, 2])}
    domain = Domain(_no_objective, space)
    trials = Trials()
    keys = []
    for i in range(9):
        doc = _ask(GP_EARLY, domain, trials, i)
        vals = doc["misc"]["vals"]
        keys.append((vals["a"][0], vals["b"][0]))
        if i % 2 == 0:  # every other one stays pending
            _tell(trials, doc, vals["a"][0] + vals["b"][0])
    assert len(set(keys)) == 9


def test_gp_on_ordered_levels_never_repeats_a_level_and_stays_in_range():
    # hyperopt-search's encoding of a list of 4 numbers: quantised ranks.
    # Every rank (0 .. 3) once, then nothing new: the top rank must not be
    # proposed as round(3.5) = 4, a second feature for the same level.
    domain = Domain(_no_objective, {"r": hp.quniform("r", -0.5, 3.5, 1)})
    trials = Trials()
    ranks = []
    for i in range(4):
        doc = _ask(GP_EARLY, domain, trials, i)
        ranks.append(doc["misc"]["vals"]["r"][0])
        _tell(trials, doc, -ranks[-1])  # the top rank is the best
    assert sorted(ranks) == [0, 1, 2, 3]
    space = encoded_space(domain)
    assert space.decode(np.array([1.0]))["r"] == [3.0]
    assert space.snap(np.array([1.0]))[0, 0] == pytest.approx(3.5 / 4)


def test_gp_batch_of_ids_spreads_out():
    space = {"x": hp.uniform("x", 0, 1)}
    domain = Domain(_no_objective, space)
    trials = Trials()
    for i in range(5):
        doc = _ask(GP_EARLY, domain, trials, i)
        _tell(trials, doc, (doc["misc"]["vals"]["x"][0] - 0.5) ** 2)
    ids = trials.new_trial_ids(4)
    docs = GP_EARLY(ids, domain, trials, 7)
    xs = sorted(d["misc"]["vals"]["x"][0] for d in docs)
    assert [d["tid"] for d in docs] == ids
    assert min(np.diff(xs)) > 0.02


def test_gp_steers_away_from_failing_region():
    # x > 0.6 fails; below, the loss falls towards the failing edge.
    space = {"x": hp.uniform("x", 0, 1)}
    domain = Domain(_no_objective, space)
    trials = Trials()
    failed_after_design = 0
    for i in range(25):
        doc = _ask(functools.partial(gp.suggest, n_initial_points=6), domain, trials, i)
        x = doc["misc"]["vals"]["x"][0]
        if x > 0.6:
            failed_after_design += i >= 6
            _tell(trials, doc, None)
        else:
            _tell(trials, doc, -x)
    assert failed_after_design <= 4
    assert min(trials.losses(), key=lambda v: np.inf if v is None else v) < -0.55


def test_gp_finds_the_optimum_next_to_a_region_of_diverging_fits():
    # x > 0.85 "diverges" (a loss of 1e20, as an R² of -1e20 would): one such
    # loss must not flatten the model's view of all the others.
    space = {"x": hp.uniform("x", 0, 1), "y": hp.uniform("y", 0, 1)}

    def loss(p):
        return 1e20 if p["x"] > 0.85 else (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2

    bests = []
    for seed in range(3):
        trials = Trials()
        fmin(
            loss,
            space,
            algo=functools.partial(gp.suggest, n_initial_points=6),
            max_evals=25,
            trials=trials,
            rstate=np.random.default_rng(seed),
            show_progressbar=False,
        )
        assert max(trials.losses()) == 1e20  # the design did reach the diverging region
        bests.append(min(trials.losses()))
    assert max(bests) < 2e-3


def test_gp_with_plain_fmin_finds_the_optimum_of_a_smooth_function():
    space = {"x": hp.uniform("x", -5, 10), "y": hp.uniform("y", 0, 15)}

    def branin(p):
        x, y = p["x"], p["y"]
        return (
            (y - 5.1 / (4 * np.pi**2) * x**2 + 5 / np.pi * x - 6) ** 2
            + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x)
            + 10
            - 0.397887
        )

    best_gp, best_rand = [], []
    for seed in range(3):
        for algo, out in (
            (functools.partial(gp.suggest, n_initial_points=5), best_gp),
            (rand.suggest, best_rand),
        ):
            trials = Trials()
            fmin(
                branin,
                space,
                algo=algo,
                max_evals=30,
                trials=trials,
                rstate=np.random.default_rng(seed),
                show_progressbar=False,
            )
            out.append(min(trials.losses()))
    assert max(best_gp) < 0.1  # the global minimum is 0
    assert np.median(best_gp) < np.median(best_rand)


def test_sobol_design_continues_after_a_pickled_resume():
    import pickle

    space = {"x": hp.uniform("x", 0, 1)}
    domain = Domain(_no_objective, space)
    trials = Trials()
    xs = [_ask(sobol.suggest, domain, trials, seed)["misc"]["vals"]["x"][0] for seed in range(4)]
    resumed = pickle.loads(pickle.dumps(trials))
    xs += [
        _ask(sobol.suggest, Domain(_no_objective, space), resumed, seed)["misc"]["vals"]["x"][0]
        for seed in range(4, 8)
    ]
    # 8 points of one scrambled Sobol sequence: one in each eighth of [0, 1].
    assert sorted(int(x * 8) for x in xs) == list(range(8))


# -- the model ------------------------------------------------------------------


def test_log_expected_improvement_matches_the_closed_form_and_its_derivatives():
    mean = np.array([0.0, 1.0, 3.0, -2.0, 8.0])
    std = np.array([1.0, 0.5, 1.0, 1.0, 0.7])
    value, d_mean, d_std = log_expected_improvement(mean, std, 0.0)
    z = -mean / std
    expected = np.log(std * (z * norm.cdf(z) + norm.pdf(z)))
    np.testing.assert_allclose(value, expected, rtol=1e-9)
    eps = 1e-6
    np.testing.assert_allclose(
        (log_expected_improvement(mean + eps, std, 0.0)[0] - value) / eps, d_mean, rtol=1e-4
    )
    np.testing.assert_allclose(
        (log_expected_improvement(mean, std + eps, 0.0)[0] - value) / eps, d_std, rtol=1e-4
    )
    # Far in the tail, where EI itself underflows, the log stays finite.
    tail, _, _ = log_expected_improvement(np.array([60.0]), np.array([1.0]), 0.0)
    assert np.isfinite(tail[0]) and tail[0] < -1000


def test_marginal_likelihood_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.random((15, 3))
    X[:, 2] = rng.integers(0, 3, 15)
    y = rng.normal(size=15)
    d2 = squared_differences(X, X, np.array([False, False, True]))
    raw = np.array([0.3, -0.5, 0.2, 0.1, -3.0])
    _, grad = _neg_log_posterior(raw, d2, y)
    eps = 1e-6
    numeric = [
        (_neg_log_posterior(raw + eps * e, d2, y)[0] - _neg_log_posterior(raw - eps * e, d2, y)[0])
        / (2 * eps)
        for e in np.eye(len(raw))
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_squared_differences_keep_the_values_and_layout_of_the_broadcast_ones():
    # The products over them sum in the order of their layout: the fast
    # version must give the broadcast computation's array, bit for bit.
    rng = np.random.default_rng(0)
    X = rng.random((7, 4))
    X[:, 1] = rng.integers(0, 3, 7)
    categorical = np.array([False, True, False, False])
    for a in (X, np.asfortranarray(X), X[:, [3, 1, 0, 2]]):
        b = a[:5]
        cat = categorical if a.shape == X.shape else categorical[[3, 1, 0, 2]]
        broadcast = (a[:, None, :] - b[None, :, :]) ** 2
        broadcast[..., cat] = (broadcast[..., cat] > 0).astype(float)
        out = squared_differences(a, b, cat)
        assert np.array_equal(out, broadcast)
        assert out.strides == broadcast.strides


def test_weighted_squared_distances_equal_the_product_of_the_squared_differences():
    rng = np.random.default_rng(3)
    a, b = rng.random((30, 4)), rng.random((9, 4))
    a[:, 2], b[:, 2] = rng.integers(0, 3, 30), rng.integers(0, 3, 9)
    weights = rng.random(4) + 0.1
    for categorical in (np.array([False, False, True, False]), np.zeros(4, dtype=bool)):
        expected = squared_differences(a, b, categorical) @ weights
        out = weighted_squared_distances(a, b, categorical, weights)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    # A GP predicts the same with and without the squared differences given.
    y = rng.normal(size=9)
    model = GaussianProcess.fit(b, y, np.array([False, False, True, False]))
    d2 = squared_differences(a, b, model.categorical)
    weighted = model.predict(a, weighted=True)
    for with_d2, without in zip(model.predict(a, d2), weighted, strict=True):
        np.testing.assert_allclose(without, with_d2, rtol=1e-10)


def test_gp_refits_its_kernel_every_proposal_below_100_trials_then_as_they_grow():
    # Below gp._REFIT_GROWTH_FROM finished trials every proposal refits the
    # kernel (searches of up to 100 candidates); from a fit with 100 on, its
    # estimate is reused until the trials have grown by 5% (a refit at 105,
    # 110, ...). A resumed search (its pickled Trials) proposes the same.
    import pickle

    space = {"x": hp.uniform("x", 0, 1), "k": hp.choice("k", ["a", "b"]), "n": hp.randint("n", 5)}
    domain = Domain(_no_objective, space)
    trials = Trials()
    rng = np.random.default_rng(0)
    for i in range(98):
        doc = _ask(rand.suggest, domain, trials, i)
        _tell(trials, doc, (doc["misc"]["vals"]["x"][0] - 0.3) ** 2 + 0.01 * rng.normal())
    with pytest.MonkeyPatch.context() as patch:
        fitted_at = _record_sizes(patch, "fit")
        for i in range(98, 112):
            if i == 103:
                resumed = pickle.loads(pickle.dumps(trials))
                (tid,) = resumed.new_trial_ids(1)
                again = gp.suggest([tid], domain, resumed, i)[0]["misc"]["vals"]
            doc = _ask(gp.suggest, domain, trials, i)
            if i == 103:
                assert doc["misc"]["vals"] == again
            _tell(trials, doc, (doc["misc"]["vals"]["x"][0] - 0.3) ** 2 + 0.01 * rng.normal())
    assert fitted_at == [98, 99, 100, 105, 110]


def test_a_warm_started_fit_with_a_tolerance_stops_near_the_full_fit():
    rng = np.random.default_rng(1)
    X = rng.random((40, 2))
    y = np.sin(5 * X[:, 0]) + 0.1 * rng.normal(size=40)
    y = (y - y.mean()) / y.std()
    cat = np.array([False, False])
    start = GaussianProcess.fit(X[:-1], y[:-1], cat).raw
    full = GaussianProcess.fit(X, y, cat, start=start)
    quick = GaussianProcess.fit(X, y, cat, start=start, tolerance=1e-3)
    d2 = squared_differences(X, X, cat)
    value = _neg_log_posterior(quick.raw, d2, y, gradient=False)
    assert value == pytest.approx(_neg_log_posterior(full.raw, d2, y, gradient=False), abs=0.01)


def test_gp_reuses_the_fit_of_the_same_finished_trials_bit_for_bit():
    # The proposals of a round see the same finished trials: the second one
    # reads the first's kernel fit from trials.attachments, and proposes what
    # a refit would have made it propose.
    space = {"x": hp.uniform("x", 0, 1), "k": hp.choice("k", ["a", "b"]), "n": hp.randint("n", 5)}
    domain = Domain(_no_objective, space)
    trials = Trials()
    for i in range(gp.MAX_INTEGRATED_TRIALS + 2):
        doc = _ask(gp.suggest, domain, trials, i)
        _tell(trials, doc, (doc["misc"]["vals"]["x"][0] - 0.3) ** 2)
    calls = []
    original = GaussianProcess.fit.__func__

    def counting(cls, *args, **kwargs):
        calls.append(1)
        return original(cls, *args, **kwargs)

    (tid,) = trials.new_trial_ids(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(GaussianProcess, "fit", classmethod(counting))
        first = gp.suggest([tid], domain, trials, 7)[0]["misc"]["vals"]
        assert calls == [1]
        reused = gp.suggest([tid], domain, trials, 7)[0]["misc"]["vals"]
        assert calls == [1]
        del trials.attachments[gp._KernelMemory.FITS_KEY]
        refitted = gp.suggest([tid], domain, trials, 7)[0]["misc"]["vals"]
        assert calls == [1, 1]
    assert first == reused == refitted


def test_posterior_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    X = rng.random((20, 2))
    y = np.sin(5 * X[:, 0]) + X[:, 1]
    model = GaussianProcess.fit(X, (y - y.mean()) / y.std(), np.array([False, False]))
    x = np.array([0.4, 0.7])
    mean, std, d_mean, d_std = model.predict_with_gradient(x)
    m0, s0 = model.predict(x[None])
    assert mean == pytest.approx(m0[0]) and std == pytest.approx(s0[0])
    for j in range(2):
        step = np.zeros(2)
        step[j] = 1e-6
        m1, s1 = model.predict((x + step)[None])
        assert (m1[0] - m0[0]) / 1e-6 == pytest.approx(d_mean[j], rel=1e-3, abs=1e-6)
        assert (s1[0] - s0[0]) / 1e-6 == pytest.approx(d_std[j], rel=1e-3, abs=1e-6)


def test_slice_sample_draws_from_a_correlated_gaussian_within_its_bounds():
    cov = np.array([[1.0, 0.8], [0.8, 2.0]])
    precision = np.linalg.inv(cov)
    mean = np.array([1.0, -2.0])

    def log_density(x):
        return -0.5 * float((x - mean) @ precision @ (x - mean))

    draws = np.array(slice_sample(log_density, np.zeros(2), np.random.default_rng(0), 4000))
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.1)
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.15)
    # A bound truncates the density: no draw beyond it, the mass piles up inside.
    bounded = np.array(
        slice_sample(log_density, np.zeros(2), np.random.default_rng(0), 2000, bound=1.5)
    )
    assert np.abs(bounded).max() <= 1.5
    reference = np.random.default_rng(1).multivariate_normal(mean, cov, size=400_000)
    reference = reference[np.all(np.abs(reference) <= 1.5, axis=1)]
    np.testing.assert_allclose(bounded.mean(axis=0), reference.mean(axis=0), atol=0.1)


def test_slice_sample_is_reproducible_and_needs_a_possible_start():
    def log_density(x):
        return -float(x @ x) if x[0] < 3 else -np.inf

    first = slice_sample(log_density, np.ones(3), np.random.default_rng(5), 10)
    again = slice_sample(log_density, np.ones(3), np.random.default_rng(5), 10)
    np.testing.assert_array_equal(first, again)
    assert all(x[0] < 3 for x in first)
    with pytest.raises(ValueError, match="positive density"):
        slice_sample(log_density, np.array([4.0, 0.0, 0.0]), np.random.default_rng(0), 1)


def test_kernel_parameter_samples_narrow_as_the_data_grow():
    # y depends on the first feature only: its length scale is learnt, and
    # more data pin the kernel parameters down.
    rng = np.random.default_rng(0)
    spreads = []
    for n in (8, 60):
        X = rng.random((n, 2))
        y = np.sin(6 * X[:, 0]) + 0.05 * rng.normal(size=n)
        y = (y - y.mean()) / y.std()
        models = GaussianProcess.sample(X, y, np.array([False, False]), rng, 16)
        raws = np.array([model.raw for model in models])
        assert len({tuple(r) for r in raws}) > 1  # the chain moves
        assert np.all(np.abs(raws) <= 12.0)
        spreads.append(raws[:, 0].std())
        if n == 60:  # the relevant feature gets the shorter length scale
            assert np.median(raws[:, 0]) > np.median(raws[:, 1])
    assert spreads[1] < spreads[0]


def test_integrated_expected_improvement_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.random((12, 2))
    y = np.cos(4 * X[:, 0]) + X[:, 1] ** 2
    y = (y - y.mean()) / y.std()
    history = History(X, y, np.empty((0, 2)), np.empty((0, 2)))
    models = GaussianProcess.sample(X, y, np.array([False, False]), rng, 4)
    acquisition = gp.IntegratedEI(models, history)
    x = X[np.argmin(y)] + np.array([0.05, -0.05])
    value, grad = acquisition.with_gradient(x)
    assert value == pytest.approx(acquisition(x[None])[0])
    # log of the mean of the GPs' EIs, each from its own best posterior mean.
    each = [
        log_expected_improvement(*m.predict(x[None]), b)[0][0]
        for m, b in zip(models, acquisition.bests, strict=True)
    ]
    assert value == pytest.approx(logsumexp(each) - np.log(len(each)))
    assert value > -20  # a point worth scoring: the test is not in EI's far tail
    for j in range(2):
        step = np.zeros(2)
        step[j] = 1e-6
        numeric = (acquisition((x + step)[None])[0] - acquisition((x - step)[None])[0]) / 2e-6
        assert numeric == pytest.approx(grad[j], rel=1e-3, abs=1e-6)


def test_gp_integrates_kernel_parameters_only_while_few_trials_have_finished(monkeypatch):
    space = encoded_space(Domain(lambda p: 0.0, {"x": hp.uniform("x", 0, 1)}))
    calls = _record_sizes(monkeypatch, "sample")
    rng = np.random.default_rng(0)
    for n in (gp.MAX_INTEGRATED_TRIALS - 1, gp.MAX_INTEGRATED_TRIALS):
        X = rng.random((n, 1))
        history = History(X, np.sin(6 * X[:, 0]), np.empty((0, 1)), np.empty((0, 1)))
        x = gp.propose(space, history, np.random.default_rng(0))
        assert 0.0 <= x[0] <= 1.0
    assert calls == [gp.MAX_INTEGRATED_TRIALS - 1]


def test_gp_on_a_conditional_space_explores_an_uncertain_branch():
    # Branch "a" is a plateau of fair losses (20 trials); branch "b" has two
    # worse trials, the later one better. The GP of branch "b" is uncertain
    # beyond them, so the next proposal goes there (multivariate TPE, whose
    # good trials are all in "a", stays on the plateau: branch starvation).
    domain = Domain(
        _no_objective,
        hp.choice("m", [{"x": hp.uniform("x", 0, 1)}, {"y": hp.uniform("y", 0, 1)}]),
    )
    space = encoded_space(domain)
    rng = np.random.default_rng(0)
    rows, losses = [], []
    for _ in range(20):
        rows.append(space.encode({"m": [0], "x": [float(rng.random())], "y": []}))
        losses.append(0.5 + 0.01 * rng.random())
    for y, loss in ((0.2, 0.9), (0.4, 0.6)):
        rows.append(space.encode({"m": [1], "x": [], "y": [y]}))
        losses.append(loss)
    empty = np.empty((0, space.n_dims))
    history = History(np.array(rows), np.array(losses), empty, empty)
    for seed in range(3):
        vals = space.decode(gp.propose(space, history, np.random.default_rng(seed)))
        assert vals["m"] == [1] and vals["x"] == []
        assert vals["y"][0] > 0.4


def test_gp_on_a_conditional_space_fits_one_kernel_per_branch_from_20_trials(monkeypatch):
    # As on a flat space: a branch with fewer than MAX_INTEGRATED_TRIALS
    # trials averages over kernel samples; from there on its own MAP estimate,
    # warm-started from that branch's last one (kept apart from the other
    # branches' in trials.attachments).
    import pickle

    domain = Domain(
        _no_objective,
        hp.choice("m", [{"x": hp.uniform("x", 0, 1)}, {"y": hp.uniform("y", 0, 1)}]),
    )
    rng = np.random.default_rng(0)
    trials = Trials()
    for i in range(2 * gp.MAX_INTEGRATED_TRIALS + 6):
        doc = _ask(rand.suggest, domain, trials, i)
        vals = doc["misc"]["vals"]
        value = (vals["x"] or vals["y"])[0]
        _tell(trials, doc, (value - 0.3) ** 2 + 0.2 * vals["m"][0] + 0.01 * rng.normal())
    sampled = _record_sizes(monkeypatch, "sample")
    branch_sizes = sorted(
        sum(1 for t in trials.trials if t["misc"]["vals"]["m"] == [m]) for m in (0, 1)
    )
    assert branch_sizes[1] >= gp.MAX_INTEGRATED_TRIALS  # at least one branch is past it
    resumed = pickle.loads(pickle.dumps(trials))
    (tid,) = trials.new_trial_ids(1)
    first = gp.suggest([tid], domain, trials, 3)[0]["misc"]["vals"]
    assert sampled == [n for n in branch_sizes if n < gp.MAX_INTEGRATED_TRIALS]
    memory = [k for k in trials.attachments if k.startswith(gp._KernelMemory.KEY + ":")]
    assert len(memory) == sum(n >= gp.MAX_INTEGRATED_TRIALS for n in branch_sizes)
    (tid,) = resumed.new_trial_ids(1)
    assert gp.suggest([tid], domain, resumed, 3)[0]["misc"]["vals"] == first


# -- in HyperoptSearchCV ----------------------------------------------------------


def test_auto_uses_the_gp_on_flat_spaces_and_multivariate_tpe_early_on_conditional_ones():
    auto = proposer("auto", n_iter=10, n_initial_points=5).algo
    assert isinstance(auto, AutoAlgorithm)
    flat = Domain(_no_objective, {"x": hp.uniform("x", 0, 1), "k": hp.choice("k", [1, 2])})
    nested = Domain(
        _no_objective, hp.choice("b", [{"x": hp.uniform("x", 0, 1)}, {"y": hp.uniform("y", 0, 1)}])
    )
    assert auto.uses_gp(flat, 0)
    assert not auto.uses_gp(flat, AutoAlgorithm.MAX_GP_TRIALS)
    assert not auto.uses_gp(nested, 0)
    assert not auto.uses_gp(nested, AutoAlgorithm.MIN_CONDITIONAL_GP_TRIALS - 1)
    assert auto.uses_gp(nested, AutoAlgorithm.MIN_CONDITIONAL_GP_TRIALS)
    assert not auto.uses_gp(nested, AutoAlgorithm.MAX_GP_TRIALS)
    calls = []
    auto = AutoAlgorithm(
        *(functools.partial(_record, calls, name) for name in ("gp", "tpe", "mtpe"))
    )
    # Bounds that depend on another label: only hyperopt's TPE can sample it.
    dependent = Domain(_no_objective, {"a": hp.uniform("a", 0, 1 + hp.uniform("b", 0, 1))})
    for domain in (flat, nested, dependent):
        auto([0], domain, Trials(), 0)
    assert calls == ["gp", "mtpe", "tpe"]


def test_auto_falls_back_to_multivariate_tpe_when_the_gp_stops():
    auto = proposer("auto", n_iter=10, n_initial_points=5).algo
    flat = Domain(_no_objective, {"x": hp.uniform("x", 0, 1), "k": hp.choice("k", [1, 2])})
    wide = Domain(
        _no_objective, {f"x{i}": hp.uniform(f"x{i}", 0, 1) for i in range(auto.MAX_GP_DIMS + 1)}
    )
    assert auto.name_of(auto.choose(flat, auto.MAX_GP_TRIALS - 1)) == "gp"
    assert auto.name_of(auto.choose(flat, auto.MAX_GP_TRIALS)) == "mtpe"
    assert auto.name_of(auto.choose(wide, 0)) == "mtpe"
    # hyperopt's TPE stays available by its name.
    assert resolve_algo("tpe", 5).__class__.__name__ == "CachedTPE"


def _record(calls, name, new_ids, domain, trials, seed):
    calls.append(name)
    return []


@pytest.mark.parametrize("algo", ["gp", "mtpe", "auto", "sobol"])
def test_search_with_our_algorithms_end_to_end(algo):
    from scipy.stats import loguniform
    from sklearn.datasets import load_iris
    from sklearn.svm import SVC

    X, y = load_iris(return_X_y=True)
    space = {"C": loguniform(1e-2, 1e2), "gamma": loguniform(1e-3, 1e1), "kernel": ["rbf"]}
    options = {"n_iter": 12, "algo": algo, "random_state": 0, "cv": 3}
    one = HyperoptSearchCV(SVC(), space, n_jobs=1, **options).fit(X, y)
    two = HyperoptSearchCV(SVC(), space, n_jobs=2, **options).fit(X, y)
    assert one.n_candidates_ == 12
    assert one.cv_results_["params"] == two.cv_results_["params"]
    assert one.best_score_ > 0.9
    if algo != "sobol":  # the design is evaluated in one first round
        rounds = one.cv_results_["hyperopt_round"]
        # GP: min(10, max(5, 12 // 2)); multivariate TPE: the larger of that
        # and min(20, max(5, 12 // 5))
        assert (rounds == 0).sum() == 6
