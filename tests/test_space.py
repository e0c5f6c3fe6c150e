"""Conversion of scikit-learn parameter spaces to hyperopt spaces, and back."""

import numpy as np
import pytest
from hyperopt import hp
from hyperopt.pyll.stochastic import sample
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

from hyperopt_search import HyperoptSearchCV, to_hyperopt_space
from hyperopt_search._optimizer import HyperoptOptimizer, resolve_algo
from hyperopt_search._space import (
    BRANCH_LABEL,
    Categorical,
    Constant,
    Expression,
    Integer,
    Normal,
    Ordinal,
    Quantile,
    Real,
)
from hyperopt_search.algorithms._encoding import encoded_space


def _prior_samples(space, n, seed=0):
    """Draw ``n`` candidates from hyperopt's prior (rand.suggest) through the adapter."""
    optimizer = HyperoptOptimizer(space, resolve_algo("rand", None), np.random.default_rng(seed))
    return [c.params for c in optimizer.ask(n)]


def _dims(space, branch=0):
    return {dim.name: dim for dim in space.branches[branch].dimensions}


# -- each kind of input --------------------------------------------------------


def test_lists_tuples_and_arrays_are_categorical():
    space = to_hyperopt_space(
        {"a": [1, 2, 3], "b": ("x", None), "c": np.array([0.5, 1.5]), "d": [True, False]}
    )
    dims = _dims(space)
    assert all(isinstance(d, Categorical) for d in dims.values())
    assert dims["c"].options == (0.5, 1.5)
    assert all(type(v) is float for v in dims["c"].options)  # native, not np.float64
    params = _prior_samples(space, 30)
    assert {p["a"] for p in params} == {1, 2, 3}
    assert {p["b"] for p in params} == {"x", None}
    assert all(type(p["d"]) is bool for p in params)


@pytest.mark.parametrize(
    ("values", "ordinal"),
    [
        ([0.1, 1, 10], True),
        (np.logspace(-3, 3, 7), True),
        (range(2, 9), True),
        ([5, 1, 3, 3.0], True),  # unsorted, with a repeat: still 3 levels
        ([1, 2], False),  # two values: nothing to order
        ([1, 2, None], False),
        ([1, 2, "a"], False),
        ([True, 1, 2], False),  # True is not a level
        ([1.0, 2.0, float("inf")], False),
        ([1.0, 2.0, float("nan")], False),
    ],
)
def test_lists_of_three_or_more_numbers_are_ordered_levels(values, ordinal):
    (dim,) = _dims(to_hyperopt_space({"a": values})).values()
    assert isinstance(dim, Categorical)  # the same options and candidates either way
    assert isinstance(dim, Ordinal) is ordinal


def test_ordered_levels_are_searched_by_rank_and_decode_to_the_given_objects():
    values = [10, 0.1, 1, 100.0, 0.01]  # unsorted, ints and floats
    space = to_hyperopt_space({"a": values})
    (dim,) = space.branches[0].dimensions
    assert dim.options == tuple(values)  # the user's order is kept
    by_rank = [0.01, 0.1, 1, 10, 100.0]
    for rank, value in enumerate(by_rank):
        for raw in (rank - 0.49, rank, rank + 0.49):
            decoded = dim.decode({"a": [raw]})
            assert decoded == value and type(decoded) is type(value)
        assert dim.encode(value) == {"a": float(rank)}
    assert dim.decode({"a": [-0.5]}) == 0.01 and dim.decode({"a": [4.5]}) == 100.0
    assert repr(space).splitlines()[1].strip() == "a: ordered levels [0.01, 0.1, 1, 10, 100.0]"
    assert space.size == 5 and len({space.key(v) for v in space.iter_vals()}) == 5
    # hyperopt's prior gives every level, each about equally often.
    rng = np.random.default_rng(0)
    draws = [dim.decode({"a": [sample(space.expr, rng=rng)["a"]]}) for _ in range(500)]
    counts = np.unique(draws, return_counts=True)[1]
    assert len(counts) == 5 and counts.min() >= 70
    # The proposal algorithms see evenly spaced ranks: neighbours are close.
    domain = HyperoptOptimizer(space, resolve_algo("rand", None), np.random.default_rng(0)).domain
    features = [encoded_space(domain).encode(space.encode({"a": v}))[0] for v in by_rank]
    np.testing.assert_allclose(np.diff(features), 0.2)


def test_one_element_list_is_a_constant_not_a_dimension():
    space = to_hyperopt_space({"kernel": ["rbf"], "C": [1, 10]})
    dims = _dims(space)
    assert isinstance(dims["kernel"], Constant)
    assert space.labels == ("C",)
    assert space.size == 2
    assert all(p["kernel"] == "rbf" for p in _prior_samples(space, 2))


def test_estimators_and_callables_as_options_come_back_as_the_same_objects():
    svc, knn = SVC(), KNeighborsClassifier()
    space = to_hyperopt_space({"clf": [svc, knn], "f": [np.log, np.sqrt]})
    params = _prior_samples(space, 4)
    assert {id(p["clf"]) for p in params} <= {id(svc), id(knn)}
    assert {p["f"] for p in params} <= {np.log, np.sqrt}


def test_scipy_uniform_loguniform_norm_map_to_matching_hyperopt_expressions():
    space = to_hyperopt_space(
        {
            "u": stats.uniform(2, 3),
            "l": stats.loguniform(1e-3, 1e2),
            "r": stats.reciprocal(1, 10),
            "n": stats.norm(1, 2),
        }
    )
    dims = _dims(space)
    assert dims["u"] == Real("u", "u", low=2.0, high=5.0)
    assert dims["l"].log and dims["l"].low == pytest.approx(1e-3)
    assert dims["r"].log and dims["r"].high == pytest.approx(10)
    assert isinstance(dims["n"], Normal) and (dims["n"].mu, dims["n"].sigma) == (1.0, 2.0)
    assert dims["u"].expr.pos_args[0].arg["obj"].name == "uniform"
    assert dims["l"].expr.pos_args[0].arg["obj"].name == "loguniform"


def test_shifted_loguniform_keeps_its_exact_prior_through_the_quantile_function():
    dim = _dims(to_hyperopt_space({"x": stats.loguniform(1, 10, loc=5)}))["x"]
    assert isinstance(dim, Quantile)


def test_randint_keeps_scipys_exclusive_upper_bound():
    space = to_hyperopt_space({"k": stats.randint(1, 5)})
    assert _dims(space)["k"] == Integer("k", "k", low=1, high=4)
    values = [p["k"] for p in _prior_samples(space, 200)]
    assert set(values) == {1, 2, 3, 4}
    assert all(type(v) is int for v in values)


def test_any_other_scipy_distribution_goes_through_its_quantile_function():
    space = to_hyperopt_space(
        {"beta": stats.beta(2, 5), "gamma": stats.gamma(2), "poisson": stats.poisson(3)}
    )
    dims = _dims(space)
    assert all(isinstance(d, Quantile) for d in dims.values())
    params = _prior_samples(space, 50)
    assert all(0 < p["beta"] < 1 and type(p["beta"]) is float for p in params)
    assert all(p["gamma"] > 0 for p in params)
    assert all(type(p["poisson"]) is int and p["poisson"] >= 0 for p in params)


def test_hyperopt_expressions_pass_through_and_mix_with_the_rest():
    space = to_hyperopt_space(
        {"C": hp.loguniform("logC", -3, 3), "kernel": ["rbf", "linear"], "tol": [1e-3]}
    )
    dims = _dims(space)
    assert isinstance(dims["C"], Expression) and dims["C"].labels == ("logC",)
    params = _prior_samples(space, 20)
    assert all(np.exp(-3) <= p["C"] <= np.exp(3) and type(p["C"]) is float for p in params)
    assert {p["kernel"] for p in params} == {"rbf", "linear"}


def test_hyperopt_choice_expression_decodes_to_its_options():
    space = to_hyperopt_space({"n": hp.choice("n_choice", [3, 5, 7])})
    assert {p["n"] for p in _prior_samples(space, 30)} == {3, 5, 7}


# -- conditional spaces ------------------------------------------------------------


def _three_branch_space():
    return [
        {"clf": [SVC()], "clf__C": stats.loguniform(1e-2, 1e2), "clf__kernel": ["rbf", "poly"]},
        {"clf": [LogisticRegression()], "clf__C": stats.loguniform(1e-3, 1e3)},
        {"clf": [KNeighborsClassifier()], "clf__n_neighbors": stats.randint(1, 30)},
    ]


def test_list_of_dicts_is_a_top_level_choice_with_unique_labels():
    space = to_hyperopt_space(_three_branch_space())
    assert len(space.branches) == 3
    assert BRANCH_LABEL in space.labels
    assert len(set(space.labels)) == len(space.labels)  # clf__C twice, two labels
    assert "clf__C@0" in space.labels and "clf__C@1" in space.labels
    params = _prior_samples(space, 60)
    by_type = {}
    for p in params:
        by_type.setdefault(type(p["clf"]).__name__, []).append(p)
    assert set(by_type) == {"SVC", "LogisticRegression", "KNeighborsClassifier"}
    # only the active branch's parameters, with the branch's own ranges
    assert all(set(p) == {"clf", "clf__C", "clf__kernel"} for p in by_type["SVC"])
    assert all(set(p) == {"clf", "clf__C"} for p in by_type["LogisticRegression"])
    assert all(set(p) == {"clf", "clf__n_neighbors"} for p in by_type["KNeighborsClassifier"])
    assert all(1e-2 <= p["clf__C"] <= 1e2 for p in by_type["SVC"])
    assert all(type(p["clf__n_neighbors"]) is int for p in by_type["KNeighborsClassifier"])


def test_empty_dict_branch_is_one_candidate_without_parameters():
    space = to_hyperopt_space([{}, {"C": [1, 2]}])
    assert space.size == 3
    assert {} in _prior_samples(space, 3)


def test_same_expression_object_may_be_shared_by_branches():
    shared = hp.uniform("shared_x", 0, 1)
    space = to_hyperopt_space([{"a": [1], "x": shared}, {"a": [2], "x": shared}])
    assert all(0 <= p["x"] <= 1 for p in _prior_samples(space, 10))


# -- encode / decode -------------------------------------------------------------


def test_decode_gives_native_python_types():
    space = to_hyperopt_space(
        {"i": stats.randint(0, 100), "f": stats.uniform(0, 1), "c": np.array([1, 2])}
    )
    params = space.decode({"i": [np.float64(41.6)], "f": [np.float64(0.25)], "c": [np.int64(1)]})
    assert params == {"i": 42, "f": 0.25, "c": 2}
    assert [type(v) for v in params.values()] == [int, float, int]


def test_encode_round_trips_on_a_three_branch_space():
    space = to_hyperopt_space(_three_branch_space())
    for params in _prior_samples(space, 40):
        assert space.decode(space.encode(params)) == params


def test_encode_round_trips_quantile_dimensions():
    space = to_hyperopt_space({"b": stats.beta(2, 5), "p": stats.poisson(4)})
    for params in _prior_samples(space, 30):
        decoded = space.decode(space.encode(params))
        assert decoded["p"] == params["p"]
        assert decoded["b"] == pytest.approx(params["b"], rel=1e-9)


def test_encode_rejects_points_outside_the_space():
    space = to_hyperopt_space({"k": stats.randint(1, 5), "c": ["a", "b"]})
    with pytest.raises(ValueError, match="not in the search space"):
        space.encode({"k": 5, "c": "a"})
    with pytest.raises(ValueError, match="not in the search space"):
        space.encode({"k": 2, "c": "z"})
    with pytest.raises(ValueError, match="not in the search space"):
        space.encode({"k": 2})


def test_encode_keeps_true_apart_from_one():
    space = to_hyperopt_space({"x": [1, True]})
    assert space.encode({"x": True})["x"] == [1]
    assert space.encode({"x": 1})["x"] == [0]


def test_iter_vals_enumerates_a_finite_space_once():
    space = to_hyperopt_space([{"a": [1, 2], "k": stats.randint(0, 3)}, {"b": ["x"]}])
    keys = [space.key(v) for v in space.iter_vals()]
    assert len(keys) == len(set(keys)) == space.size == 7


def test_size_is_none_for_continuous_spaces():
    assert to_hyperopt_space({"a": [1, 2], "x": stats.uniform()}).size is None


def test_repr_shows_what_each_parameter_became():
    text = repr(to_hyperopt_space(_three_branch_space()))
    assert "branch 2:" in text
    assert "clf__n_neighbors: integer in [1, 29]" in text
    assert "clf__C: loguniform(0.001, 1000)" in text


# -- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"C": []}, "'C'.*empty list"),
        ({"C": np.ones((2, 2))}, "'C'.*one-dimensional"),
        ([], "empty list"),
    ],
)
def test_bad_values_raise_value_error_naming_the_parameter(bad, match):
    with pytest.raises(ValueError, match=match):
        to_hyperopt_space(bad)


class _OnlyRvs:
    def rvs(self, random_state=None):
        return 1.0


@pytest.mark.parametrize(
    "value, type_name",
    [(_OnlyRvs(), "_OnlyRvs"), ("rbf", "str"), (3.0, "float"), (stats.beta, "beta_gen")],
)
def test_values_hyperopt_cannot_model_raise_type_error(value, type_name):
    with pytest.raises(TypeError, match=rf"'C'.*{type_name}.*Expected .*scipy.stats"):
        to_hyperopt_space({"C": value})


def test_non_dict_items_and_non_string_names_raise_type_error():
    with pytest.raises(TypeError, match="item 1"):
        to_hyperopt_space([{"a": [1]}, ["a"]])
    with pytest.raises(TypeError, match="strings"):
        to_hyperopt_space({1: [1, 2]})
    with pytest.raises(TypeError, match="dict or a list of dicts"):
        to_hyperopt_space("C")


def test_colliding_labels_raise():
    with pytest.raises(ValueError, match="label 'C'"):
        to_hyperopt_space({"C": [1, 2], "gamma": hp.uniform("C", 0, 1)})
    with pytest.raises(ValueError, match="reserved"):
        to_hyperopt_space({"x": hp.uniform(BRANCH_LABEL, 0, 1)})


# -- regressions of issue 24 -------------------------------------------------------


def test_a_discrete_distribution_with_non_integer_values_gives_values_of_its_support():
    # Regression (issue 24, item 1): decoded with int(), so Ridge's alpha was
    # only ever 0 (not in the support) and the search stopped as exhausted.
    dist = stats.rv_discrete(values=([0.1, 0.5, 2.0], [0.3, 0.3, 0.4]))()
    space = to_hyperopt_space({"alpha": dist})
    assert space.size == 3
    assert sorted(space.decode(vals)["alpha"] for vals in space.iter_vals()) == [0.1, 0.5, 2.0]
    for value in (0.1, 0.5, 2.0):
        assert space.decode(space.encode({"alpha": value})) == {"alpha": value}
    with pytest.raises(ValueError, match="not in the search space"):
        space.encode({"alpha": 1})
    values = [p["alpha"] for p in _prior_samples(space, 3)]
    assert sorted(values) == [0.1, 0.5, 2.0] and all(type(v) is float for v in values)
    # The prior is the distribution's: each value gets its share of quantiles.
    draws = [space.decode({"alpha": [q]})["alpha"] for q in np.linspace(0, 1, 1001)]
    shares = [draws.count(v) / 1001 for v in (0.1, 0.5, 2.0)]
    assert shares == pytest.approx([0.3, 0.3, 0.4], abs=0.01)
    X, y = np.arange(16.0).reshape(8, 2), np.arange(8.0)
    search = HyperoptSearchCV(Ridge(), {"alpha": dist}, n_iter=3, cv=2, random_state=0)
    search.fit(X, y)
    assert sorted(p["alpha"] for p in search.cv_results_["params"]) == [0.1, 0.5, 2.0]


def test_a_discrete_distribution_of_integer_values_and_loc_gives_native_values():
    ints = stats.rv_discrete(values=([2, 5, 9], [0.2, 0.5, 0.3]))()
    shifted = stats.rv_discrete(values=([0.1, 0.5, 2.0], [0.3, 0.3, 0.4]))(loc=1)
    space = to_hyperopt_space({"k": ints, "x": shifted})
    params = [space.decode(vals) for vals in space.iter_vals()]
    assert sorted({p["k"] for p in params}) == [2, 5, 9]
    assert all(type(p["k"]) is int for p in params)
    assert sorted({p["x"] for p in params}) == pytest.approx([1.1, 1.5, 3.0])
    # log_prior reads the given probabilities (scipy's pmf misses 1.1 = 0.1 + 1).
    vals = space.encode({"k": 5, "x": params[0]["x"]})
    assert space.log_prior(vals) == pytest.approx(np.log(0.5) + np.log(0.3))


class _Param(RegressorMixin, BaseEstimator):
    """A regressor with one parameter ``x`` whose fits take no time."""

    def __init__(self, x=1):
        self.x = x

    def fit(self, X, y):
        return self

    def score(self, X, y):
        return -abs(float(self.x) - 3.0)


_HEAVY = [
    stats.zipf(2),
    stats.zipf(1.1),
    stats.geom(0.001),
    stats.yulesimon(5),
    stats.logser(0.9),
    stats.zipfian(1.5, 1000),
    stats.nbinom(1, 0.01),
    stats.poisson(1000),
    stats.betanbinom(5, 1.1, 1),
    stats.skellam(10, 3),
]


@pytest.mark.parametrize("dist", _HEAVY, ids=lambda d: f"{d.dist.name}{d.args}")
def test_heavy_tailed_and_wide_discrete_distributions_are_searched(dist):
    # Regression (issue 24, item 4): set-up asked scipy's generic ppf for the
    # quantile 1 - 1e-12 and enumerated the support value by value: zipf(2)
    # never finished, geom(0.001) took 30 s, yulesimon(5) and logser(0.9)
    # raised "updating stopped, endless loop". The enumeration is bounded now.
    space = to_hyperopt_space({"x": dist})
    assert space.size is None or space.size <= 100_000
    for algo in ("rand", "tpe"):
        optimizer = HyperoptOptimizer(space, resolve_algo(algo, None), np.random.default_rng(0))
        values = [c.params["x"] for c in optimizer.ask(30)]
        # (zipf(2) repeats itself: the optimizer stops asking its prior sooner)
        assert len(set(values)) == len(values) >= 15
        assert all(type(v) is int and dist.pmf(v) > 0 for v in values)
    # The extreme quantiles decode to values of the support, within the bound.
    ends = [space.decode({"x": [q]})["x"] for q in (0.0, 1e-12, 0.5, 1 - 1e-12, 1.0)]
    assert ends == sorted(ends) and all(dist.pmf(v) > 0 for v in ends)
    X, y = np.zeros((8, 1)), np.zeros(8)
    search = HyperoptSearchCV(_Param(), {"x": dist}, n_iter=4, cv=2, random_state=0)
    search.fit(X, y)
    assert search.n_candidates_ == 4
    assert all(dist.pmf(p["x"]) > 0 for p in search.cv_results_["params"])


def test_a_distribution_with_much_probability_beyond_the_bound_is_truncated():
    # zipf(1.1) puts 30% of its probability above 100000: searched truncated
    # to the integers up to the bound, and the space says so.
    space = to_hyperopt_space({"x": stats.zipf(1.1)})
    assert space.decode({"x": [1.0]})["x"] == 100_000
    assert "truncated at 100000" in repr(space)
    with pytest.raises(ValueError, match="beyond the values 1 to 100000"):
        space.encode({"x": 10**6})


@pytest.mark.parametrize(
    "unfrozen, frozen",
    [
        (
            stats.rv_discrete(values=([0.1, 0.5, 2.0], [0.3, 0.3, 0.4])),
            stats.rv_discrete(values=([0.1, 0.5, 2.0], [0.3, 0.3, 0.4]))(),
        ),
        (
            stats.rv_histogram(np.histogram(np.linspace(0, 3, 30) ** 2, bins=4)),
            stats.rv_histogram(np.histogram(np.linspace(0, 3, 30) ** 2, bins=4))(),
        ),
        (stats.uniform, stats.uniform()),
    ],
    ids=["rv_discrete", "rv_histogram", "uniform"],
)
def test_scipy_distributions_without_shapes_are_accepted_unfrozen(unfrozen, frozen):
    # Regression (issue 24, item 6): rv_discrete(values=...) and rv_histogram
    # objects (scipy's idiom, sampled by RandomizedSearchCV) raised a
    # TypeError naming rv_sample. They are their frozen version.
    space = to_hyperopt_space({"x": unfrozen})
    same = to_hyperopt_space({"x": frozen})
    assert repr(space) == repr(same)
    quantiles = [{"x": [q]} for q in np.linspace(0, 1, 11)]
    assert [space.decode(v) for v in quantiles] == [same.decode(v) for v in quantiles]


def test_custom_distributions_differ_by_their_data():
    # The description is also the space's identity in a checkpoint.
    a = stats.rv_discrete(values=([1, 2], [0.5, 0.5]))
    b = stats.rv_discrete(values=([1, 3], [0.5, 0.5]))
    h1 = stats.rv_histogram(np.histogram([0, 1, 1, 2], bins=3))
    h2 = stats.rv_histogram(np.histogram([0, 1, 2, 2], bins=3))
    assert repr(to_hyperopt_space({"x": a})) != repr(to_hyperopt_space({"x": b}))
    assert repr(to_hyperopt_space({"x": h1})) != repr(to_hyperopt_space({"x": h2}))


def test_a_scipy_distribution_needing_shapes_says_to_freeze_it():
    with pytest.raises(TypeError, match=r"'C'.*poisson.*not frozen.*\(mu\)"):
        to_hyperopt_space({"C": stats.poisson})
