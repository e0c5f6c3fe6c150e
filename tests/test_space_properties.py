"""Property-based tests of the space conversion: support, types and priors."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from hyperopt_search import to_hyperopt_space
from hyperopt_search._optimizer import HyperoptOptimizer, resolve_algo

finite = {"allow_nan": False, "allow_infinity": False}


def _samples(space, n, seed, algo="rand"):
    optimizer = HyperoptOptimizer(space, resolve_algo(algo, None), np.random.default_rng(seed))
    return [c.params["x"] for c in optimizer.ask(n)]


# (strategy of frozen distributions, python type of a sample)
_continuous = st.one_of(
    st.builds(
        stats.uniform,
        st.floats(-100, 100, **finite),
        st.floats(1e-3, 100, **finite),
    ),
    st.builds(
        lambda a, ratio: stats.loguniform(a, a * ratio),
        st.floats(1e-6, 1e3, **finite),
        st.floats(1.5, 1e6, **finite),
    ),
    st.builds(stats.norm, st.floats(-10, 10, **finite), st.floats(0.1, 10, **finite)),
    st.builds(stats.beta, st.floats(0.5, 5, **finite), st.floats(0.5, 5, **finite)),
    st.builds(stats.gamma, st.floats(0.5, 5, **finite)),
    st.builds(stats.expon, st.floats(-5, 5, **finite), st.floats(0.1, 5, **finite)),
    st.builds(
        lambda a, width: stats.truncnorm(a, a + width),
        st.floats(-3, 3, **finite),
        st.floats(0.5, 3, **finite),
    ),
)
_discrete = st.one_of(
    st.builds(
        lambda low, width: stats.randint(low, low + width),
        st.integers(-50, 50),
        st.integers(1, 100),
    ),
    st.builds(stats.poisson, st.floats(0.5, 20, **finite)),
    st.builds(stats.geom, st.floats(0.05, 0.95, **finite)),
    st.builds(stats.binom, st.integers(1, 30), st.floats(0.05, 0.95, **finite)),
)

_settings = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(dist=_continuous, seed=st.integers(0, 2**16), algo=st.sampled_from(["rand", "tpe"]))
def test_continuous_samples_are_floats_in_the_support(dist, seed, algo):
    low, high = dist.support()
    values = _samples(to_hyperopt_space({"x": dist}), 25, seed, algo)
    assert all(type(v) is float for v in values)
    assert all(low <= v <= high for v in values)


@_settings
@given(dist=_discrete, seed=st.integers(0, 2**16), algo=st.sampled_from(["rand", "tpe"]))
def test_discrete_samples_are_ints_in_the_support(dist, seed, algo):
    low, high = dist.support()
    space = to_hyperopt_space({"x": dist})
    values = _samples(space, 25, seed, algo)
    assert all(type(v) is int for v in values)
    assert all(low <= v <= high and dist.pmf(v) > 0 for v in values)
    # no duplicates are ever proposed, and a small support gets exhausted exactly
    assert len(set(values)) == len(values)
    if space.size is not None and space.size <= 25:
        assert len(values) == space.size


@pytest.mark.parametrize(
    "dist",
    [
        stats.uniform(-2, 5),
        stats.loguniform(1e-3, 1e2),
        stats.norm(3, 2),
        stats.beta(2, 5),
        stats.gamma(3),
        stats.truncnorm(-1, 2),
    ],
    ids=lambda d: d.dist.name,
)
def test_prior_matches_the_scipy_distribution(dist):
    """Samples drawn through hyperopt's prior pass a KS test against scipy."""
    values = _samples(to_hyperopt_space({"x": dist}), 400, seed=12345)
    assert stats.kstest(values, dist.cdf).pvalue > 1e-3


def test_randint_prior_is_uniform_over_its_integers():
    values = _samples(to_hyperopt_space({"x": stats.randint(0, 1000)}), 600, seed=7)
    counts = np.histogram(values, bins=10, range=(0, 1000))[0]
    assert stats.chisquare(counts).pvalue > 1e-3


_numbers = st.lists(
    st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, **finite)),
    min_size=3,
    max_size=40,
    unique=True,  # equal values (1 and 1.0) are one level
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=_numbers,
    seed=st.integers(0, 2**16),
    algo=st.sampled_from(["rand", "tpe", "gp", "mtpe", "auto"]),
)
def test_lists_of_numbers_give_only_their_own_values(values, seed, algo):
    space = to_hyperopt_space({"x": values})
    (dim,) = space.branches[0].dimensions
    # Every level comes back as itself (same type), through its rank.
    for value in dim.options:
        decoded = space.decode(space.encode({"x": value}))["x"]
        assert decoded == value and type(decoded) is type(value)
    n = min(len(dim.options), 12)
    samples = _samples(space, n, seed, algo if algo != "auto" else "gp")
    assert len(samples) == n  # distinct candidates until the list is exhausted
    for sample in samples:
        assert any(sample == v and type(sample) is type(v) for v in dim.options)
