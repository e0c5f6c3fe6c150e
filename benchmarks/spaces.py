"""One search-space description, converted to what each library accepts.

A benchmark space is a dict (or a list of dicts, a conditional space) mapping
scikit-learn parameter names to :class:`Float`, :class:`Int`, :class:`Choice`
or :class:`Levels` (an ordered grid of numbers). Each converter below gives
the *equivalent* space in one library's own vocabulary, so that every method
searches the same ranges with the same priors (log-uniform stays log-uniform,
integers stay integers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Float:
    """A float in ``[low, high]``, uniform or log-uniform."""

    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]``, both inclusive, uniform."""

    low: int
    high: int


@dataclass(frozen=True)
class Choice:
    """One of the given values (any objects, estimators included)."""

    options: tuple


@dataclass(frozen=True)
class Levels(Choice):
    """An ordered list of numbers, as a ``GridSearchCV`` user writes a grid.

    Every library gets it as the list it is (a categorical parameter where the
    library has no ordered lists); only the grid of a smaller budget differs
    from :class:`Choice`: evenly spaced levels, not the first ones.
    """


Param = Float | Int | Choice
Space = dict[str, Param] | list[dict[str, Param]]


def branches(space: Space) -> list[dict[str, Param]]:
    """The dicts of a space (one for a plain dict)."""
    return list(space) if isinstance(space, list) else [space]


def is_conditional(space: Space) -> bool:
    return isinstance(space, list) and len(space) > 1


def _map(space: Space, convert) -> Any:
    converted = [
        {name: convert(name, p, i) for name, p in b.items()} for i, b in enumerate(branches(space))
    ]
    return converted if isinstance(space, list) else converted[0]


# -- scikit-learn / hyperopt-search: lists and scipy.stats ----------------------


def _scipy(name: str, p: Param, index: int) -> Any:
    if isinstance(p, Choice):
        return list(p.options)
    if isinstance(p, Int):
        return stats.randint(p.low, p.high + 1)
    if p.log:
        return stats.loguniform(p.low, p.high)
    return stats.uniform(p.low, p.high - p.low)


def to_scipy(space: Space) -> Any:
    """``param_distributions`` for RandomizedSearchCV and HyperoptSearchCV."""
    return _map(space, _scipy)


# -- Optuna ----------------------------------------------------------------------


def _optuna(name: str, p: Param, index: int) -> Any:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(p, Choice):
        return CategoricalDistribution(list(p.options))
    if isinstance(p, Int):
        return IntDistribution(p.low, p.high)
    return FloatDistribution(p.low, p.high, log=p.log)


def to_optuna(space: Space) -> dict:
    """``param_distributions`` for OptunaSearchCV (no conditional spaces)."""
    if is_conditional(space):
        raise ValueError("OptunaSearchCV has no conditional (list of dicts) spaces")
    return _map(branches(space)[0], _optuna)


# -- scikit-optimize ---------------------------------------------------------------


def _skopt(name: str, p: Param, index: int) -> Any:
    from skopt.space import Categorical, Integer, Real

    if isinstance(p, Choice):
        return Categorical(
            list(p.options), transform="onehot" if len(p.options) > 1 else "identity"
        )
    if isinstance(p, Int):
        return Integer(p.low, p.high)
    return Real(p.low, p.high, prior="log-uniform" if p.log else "uniform")


def to_skopt(space: Space, n_iter: int) -> Any:
    """``search_spaces`` for BayesSearchCV.

    A conditional space becomes BayesSearchCV's list of ``(space, n_iter)``:
    one sub-search per dict, the budget split evenly between them (it has no
    way to learn which dict is good).
    """
    if not is_conditional(space):
        return _map(branches(space)[0], _skopt)
    dicts = branches(space)
    shares = [n_iter // len(dicts) + (i < n_iter % len(dicts)) for i in range(len(dicts))]
    return [(_map(b, _skopt), share) for b, share in zip(dicts, shares, strict=True) if share]


# -- hyperopt (for hyperopt.sklearn.HyperoptSearchCV) -----------------------------


def _hyperopt(name: str, p: Param, index: int) -> Any:
    from hyperopt import hp

    label = f"{name}|{index}"
    if isinstance(p, Choice):
        return p.options[0] if len(p.options) == 1 else hp.choice(label, list(p.options))
    if isinstance(p, Int):
        return hp.uniformint(label, p.low, p.high)
    if p.log:
        return hp.loguniform(label, math.log(p.low), math.log(p.high))
    return hp.uniform(label, p.low, p.high)


def to_hyperopt(space: Space) -> Any:
    """A hyperopt space as a hyperopt user writes it (``hp.choice`` of dicts)."""
    from hyperopt import hp

    converted = [
        {name: _hyperopt(name, p, i) for name, p in b.items()}
        for i, b in enumerate(branches(space))
    ]
    return hp.choice("branch", converted) if is_conditional(space) else converted[0]


# -- a grid of about the same size ---------------------------------------------


def _max_levels(p: Param) -> float:
    if isinstance(p, Choice):
        return len(p.options)
    if isinstance(p, Int):
        return p.high - p.low + 1
    return math.inf


def _levels(p: Param, k: int) -> list:
    if isinstance(p, Levels) and k < len(p.options):
        picks = np.unique(np.round(np.linspace(0, len(p.options) - 1, k)).astype(int))
        return [p.options[i] for i in picks]
    if isinstance(p, Choice):
        return list(p.options[:k]) if k < len(p.options) else list(p.options)
    if isinstance(p, Int):
        if k == 1:
            return [round((p.low + p.high) / 2)]
        return sorted({round(float(v)) for v in np.linspace(p.low, p.high, k)})
    if k == 1:
        return [math.sqrt(p.low * p.high) if p.log else (p.low + p.high) / 2]
    grid = np.geomspace(p.low, p.high, k) if p.log else np.linspace(p.low, p.high, k)
    return grid.tolist()


def _grid_counts(params: dict[str, Param], budget: int) -> dict[str, int]:
    """Levels per parameter, raised in turn while the product stays <= budget."""
    counts = dict.fromkeys(params, 1)
    grown = True
    while grown:
        grown = False
        for name in sorted(params, key=lambda n: counts[n]):
            product = math.prod(counts.values()) // counts[name] * (counts[name] + 1)
            if counts[name] < _max_levels(params[name]) and product <= budget:
                counts[name] += 1
                grown = True
    return counts


def to_grid(space: Space, budget: int) -> Any:
    """A ``param_grid`` with at most ``budget`` points on the same ranges."""
    dicts = branches(space)
    shares = [budget // len(dicts) + (i < budget % len(dicts)) for i in range(len(dicts))]
    grids = []
    for params, share in zip(dicts, shares, strict=True):
        counts = _grid_counts(params, max(share, 1))
        grids.append({name: _levels(p, counts[name]) for name, p in params.items()})
    return grids if isinstance(space, list) else grids[0]


def grid_size(grid: Any) -> int:
    grids = grid if isinstance(grid, list) else [grid]
    return sum(math.prod(len(v) for v in g.values()) for g in grids)
