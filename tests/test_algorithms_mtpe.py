"""The multivariate TPE's mixtures (algorithms/mtpe.py) against a plain reading of its maths."""

import math

import numpy as np
import pytest
from hyperopt import Trials, hp
from hyperopt.base import Domain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import trapezoid
from scipy.stats import truncnorm
from test_algorithms import _ask, _check_vals, _tell, spaces

from hyperopt_search.algorithms import mtpe
from hyperopt_search.algorithms._encoding import encoded_space
from hyperopt_search.algorithms.mtpe import _best, _Parzen


def _no_objective(_):  # pragma: no cover - never evaluated
    raise AssertionError


def _naive_log_pdf(space, X, Y):
    """log density of the mixture over the rows of ``X`` at each row of ``Y``, one
    component and one label at a time, as the module docstring describes it."""
    m, d = X.shape
    sigma = float(np.clip(0.2 * max(m, 1) ** (-1.0 / (d + 4)), 1.0 / min(100, 1 + m), 1.0))
    active_x, active_y = space.active(X), space.active(Y)
    out = []
    for y, on_y in zip(Y, active_y, strict=True):
        terms = []
        for x, on_x in zip(X, active_x, strict=True):
            total = 0.0
            for i, dim in enumerate(space.dims):
                if not on_y[i]:
                    continue  # compared on the labels active in the candidate
                k = max(dim.n_options, 1)
                if not on_x[i]:  # the component's prior kernel
                    total += -math.log(k) if dim.categorical else 0.0
                elif dim.categorical:
                    p_keep = (1 + 1 / k) / 2
                    p = p_keep if y[i] == x[i] else (1 - p_keep) / max(k - 1, 1)
                    total += math.log(max(p, 1e-300))
                else:
                    a, b = -x[i] / sigma, (1 - x[i]) / sigma
                    total += truncnorm.logpdf(y[i], a, b, loc=x[i], scale=sigma)
            terms.append(total)
        prior = -sum(
            math.log(max(dim.n_options, 1))
            for dim, on in zip(space.dims, on_y, strict=True)
            if on and dim.categorical
        )
        terms.append(prior)
        out.append(float(np.logaddexp.reduce(terms)) - math.log(m + 1))
    return np.array(out)


def _history(space_def, n, seed):
    """Features of ``n`` trials of the space (Sobol, then mtpe), some failed."""
    domain = Domain(_no_objective, space_def)
    trials = Trials()
    rng = np.random.default_rng(seed)
    for i in range(n):
        doc = _ask(mtpe.suggest, domain, trials, int(rng.integers(2**31 - 1)))
        _tell(trials, doc, None if i % 5 == 4 else float(rng.normal()))
    space = encoded_space(domain)
    return space, np.array([space.encode(t["misc"]["vals"]) for t in trials.trials])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(space_def=spaces(), seed=st.integers(0, 2**31 - 1), n=st.integers(1, 14))
def test_mixture_densities_match_the_plain_per_component_sum(space_def, seed, n):
    space, X = _history(space_def, n, seed)
    split = n // 3
    mixtures = _Parzen(space, [[X[:split]], [X[split:]]])
    Y = mixtures.sample(np.random.default_rng(seed), 6)
    Y = np.vstack([Y, X[:2]])  # and points of the observations themselves
    log_good, log_bad = mixtures.log_pdf(Y)
    np.testing.assert_allclose(log_good, _naive_log_pdf(space, X[:split], Y), atol=1e-8)
    np.testing.assert_allclose(log_bad, _naive_log_pdf(space, X[split:], Y), atol=1e-8)


def test_a_numeric_mixture_is_a_density_on_the_unit_interval():
    space, X = _history({"x": hp.uniform("x", -1, 1)}, 12, 0)
    grid = np.linspace(0, 1, 20001)[:, None]
    (density,) = _Parzen(space, [[X]]).log_pdf(grid)
    assert trapezoid(np.exp(density), grid[:, 0]) == pytest.approx(1.0, abs=1e-4)


@given(
    losses=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, -3.0]), max_size=30),
    k=st.integers(0, 30),
)
def test_best_picks_what_a_stable_sort_puts_first(losses, k):
    losses = np.array(losses, dtype=float)
    k = min(k, len(losses))
    expected = np.zeros(len(losses), dtype=bool)
    expected[np.argsort(losses, kind="stable")[:k]] = True
    np.testing.assert_array_equal(_best(losses, k), expected)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(space_def=spaces(), seed=st.integers(0, 2**31 - 1))
def test_same_history_and_seed_give_the_same_proposal_and_it_is_in_the_space(space_def, seed):
    domain = Domain(_no_objective, space_def)
    trials = Trials()
    rng = np.random.default_rng(seed)
    algo = mtpe.suggest
    for i in range(14):
        doc = _ask(algo, domain, trials, int(rng.integers(2**31 - 1)))
        _check_vals(domain, doc["misc"]["vals"])
        if i % 4 != 3:  # every fourth stays pending
            _tell(trials, doc, float(rng.normal()))
    (tid,) = trials.new_trial_ids(1)
    first = algo([tid], domain, trials, 7)[0]["misc"]["vals"]
    # A new Domain (a new encoded space) and the trials read afresh: the same.
    again = algo([tid], Domain(_no_objective, space_def), trials, 7)[0]["misc"]["vals"]
    assert first == again
    _check_vals(domain, first)
