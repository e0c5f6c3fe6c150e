"""Convert scikit-learn parameter spaces to hyperopt spaces, and back.

scikit-learn's searches take ``param_grid`` / ``param_distributions``: a dict
(or list of dicts) mapping parameter names to lists of values or to frozen
``scipy.stats`` distributions. This module turns such a space into typed
:class:`Dimension` records, each owning one hyperopt expression, and decodes
hyperopt's raw trial values (``misc["vals"]``) back into native Python
parameter dicts ready for ``set_params``.

Everything here is pure: no estimator, no ``Trials``, no fitting.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from hyperopt import hp
from hyperopt.fmin import space_eval
from hyperopt.pyll import Apply, dfs
from hyperopt.pyll.stochastic import sample
from scipy import stats

__all__ = ["SearchSpace", "to_hyperopt_space"]

#: Label of the top-level choice between the dicts of a list of dicts.
BRANCH_LABEL = "__branch__"

# Quantiles fed to ``ppf`` are kept inside (0, 1): ppf(0) and ppf(1) are the
# (possibly infinite) ends of the support.
_EPS = 1e-12
# Discrete quantile dimensions with a wider support count as infinite.
_MAX_ENUMERATED = 100_000
# Lists of at least this many numbers are searched as ordered levels.
_MIN_LEVELS = 3
# Finite spaces of several branches up to this size count their distinct
# candidates exactly (the same point may be in two branches).
_MAX_COUNTED = 20_000

Vals = Mapping[str, list]
"""hyperopt's ``misc["vals"]``: label -> ``[raw value]``, or ``[]`` if inactive."""


# --------------------------------------------------------------------------
# Dimensions
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """One parameter of one branch of a search space.

    Subclasses own a hyperopt expression (``expr``) under a unique ``label``,
    and know how to turn the raw value hyperopt stores for that label into the
    value given to ``set_params`` (``decode``), and back (``encode``).
    """

    name: str
    label: str

    @property
    def expr(self) -> Apply | None:
        """The hyperopt expression, or None for a constant."""
        raise NotImplementedError

    @property
    def labels(self) -> tuple[str, ...]:
        """The hyperopt labels this dimension uses."""
        return (self.label,)

    def decode(self, vals: Vals) -> Any:
        """The parameter value for the raw trial values ``vals``."""
        return self._decode_raw(vals[self.label][0])

    def _decode_raw(self, raw: Any) -> Any:
        raise NotImplementedError

    def encode(self, value: Any) -> dict[str, Any]:
        """Raw hyperopt values (label -> raw) that decode to ``value``."""
        raise NotImplementedError

    def example(self) -> Any:
        """One valid value (used to check parameter names before fitting)."""
        raise NotImplementedError

    @property
    def n_values(self) -> int | None:
        """Number of distinct values, or None when infinite or unknown."""
        return None

    def raw_values(self) -> Iterator[dict[str, Any]]:
        """Every distinct raw assignment (only for finite dimensions)."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short human-readable description of the hyperopt expression."""
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Dimension):
    """A parameter with a single value: not a search dimension."""

    value: Any = None
    #: The user's own object (``value`` is its native Python equal).
    given: tuple = field(default=(), compare=False, repr=False)

    @property
    def expr(self) -> None:
        return None

    @property
    def labels(self) -> tuple[str, ...]:
        return ()

    def decode(self, vals: Vals) -> Any:
        return self.given[0] if self.given else self.value

    def encode(self, value: Any) -> dict[str, Any]:
        if not _same_value(value, self.value):
            raise ValueError(f"{value!r} is not the constant {self.value!r}")
        return {}

    @property
    def n_values(self) -> int:
        return 1

    def raw_values(self) -> Iterator[dict[str, Any]]:
        yield {}

    def example(self) -> Any:
        return self.value

    def describe(self) -> str:
        return f"constant {self.value!r}"


@dataclass(frozen=True)
class Categorical(Dimension):
    """A choice between the given objects (``hp.choice`` over their indices)."""

    options: tuple = ()
    #: The user's own objects, one per option (``options`` holds their native
    #: Python equals): what a candidate gets, as ``GridSearchCV`` gives them.
    given: tuple = field(default=(), compare=False, repr=False)

    @cached_property
    def expr(self) -> Apply:
        # hyperopt stores the index of a choice; the options themselves never
        # enter the pyll graph (which would walk lists/dicts and leak numpy
        # scalars), so any object can be an option.
        return hp.choice(self.label, list(range(len(self.options))))

    def _decode_raw(self, raw: Any) -> Any:
        return self._value(int(raw))

    def _value(self, index: int) -> Any:
        """The user's object of option ``index``."""
        return self.given[index] if self.given else self.options[index]

    def encode(self, value: Any) -> dict[str, Any]:
        for index, option in enumerate(self.options):
            if option is value:
                return {self.label: index}
        for index, option in enumerate(self.options):
            if _same_value(option, value):
                return {self.label: index}
        raise ValueError(f"{value!r} is not one of the options {list(self.options)!r}")

    @property
    def n_values(self) -> int:
        return len(self.options)

    def raw_values(self) -> Iterator[dict[str, Any]]:
        for index in range(len(self.options)):
            yield {self.label: index}

    def example(self) -> Any:
        return self.options[0]

    def describe(self) -> str:
        return f"choice({list(self.options)!r})"


@dataclass(frozen=True)
class Ordinal(Categorical):
    """A list of three or more numbers, searched as ordered levels.

    A ``param_grid`` entry such as ``[0.01, 0.1, 1, 10, 100]`` has an order
    that an unordered ``hp.choice`` throws away: a model could never learn
    that the levels next to a good one are likely good too. hyperopt sees
    the level's rank instead, as ``hp.quniform(-0.5, k - 0.5, 1)`` (every
    rank equally likely, and a quantised expression tells a model which
    points are the same candidate), so ranks are evenly spaced: a log-spaced
    grid is searched on the log scale, an evenly spaced one linearly. Which
    options exist, and what a candidate can be, is exactly as for
    :class:`Categorical`; ``options`` keeps the user's order.
    """

    @cached_property
    def _order(self) -> tuple[int, ...]:
        """Indices of ``options`` by increasing value (rank -> index)."""
        return tuple(sorted(range(len(self.options)), key=lambda i: self.options[i]))

    @cached_property
    def expr(self) -> Apply:
        return hp.quniform(self.label, -0.5, len(self.options) - 0.5, 1)

    def _decode_raw(self, raw: Any) -> Any:
        rank = min(max(round(float(raw)), 0), len(self.options) - 1)
        return self._value(self._order[rank])

    def encode(self, value: Any) -> dict[str, Any]:
        index = super().encode(value)[self.label]
        return {self.label: float(self._order.index(index))}

    def raw_values(self) -> Iterator[dict[str, Any]]:
        for rank in range(len(self.options)):
            yield {self.label: float(rank)}

    @cached_property
    def levels(self) -> tuple:
        """The options in increasing order: the value of each rank."""
        return tuple(self.options[i] for i in self._order)

    def describe(self) -> str:
        return f"ordered levels {list(self.levels)!r}"


@dataclass(frozen=True)
class Real(Dimension):
    """A float, uniform or log-uniform between ``low`` and ``high``."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False

    @cached_property
    def expr(self) -> Apply:
        if self.log:
            return hp.loguniform(self.label, math.log(self.low), math.log(self.high))
        return hp.uniform(self.label, self.low, self.high)

    def _decode_raw(self, raw: Any) -> float:
        return float(raw)

    def encode(self, value: Any) -> dict[str, Any]:
        value = _as_real(value)
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside [{self.low}, {self.high}]")
        return {self.label: value}

    def example(self) -> float:
        return self.low

    def describe(self) -> str:
        kind = "loguniform" if self.log else "uniform"
        return f"{kind}({self.low:g}, {self.high:g})"


@dataclass(frozen=True)
class Normal(Dimension):
    """A float from a normal distribution."""

    mu: float = 0.0
    sigma: float = 1.0

    @cached_property
    def expr(self) -> Apply:
        return hp.normal(self.label, self.mu, self.sigma)

    def _decode_raw(self, raw: Any) -> float:
        return float(raw)

    def encode(self, value: Any) -> dict[str, Any]:
        return {self.label: _as_real(value)}

    def example(self) -> float:
        return self.mu

    def describe(self) -> str:
        return f"normal({self.mu:g}, {self.sigma:g})"


@dataclass(frozen=True)
class Integer(Dimension):
    """An int uniform in ``[low, high]`` (both inclusive).

    Modelled as a continuous ``hp.uniform(low - 0.5, high + 0.5)`` rounded at
    decode time: TPE then keeps the order of the integers ("near 20 is good"),
    which it would lose with ``hp.randint`` (an unordered categorical), at the
    cost of a float instead of a quantised expression.
    """

    low: int = 0
    high: int = 1

    @cached_property
    def expr(self) -> Apply:
        return hp.uniform(self.label, self.low - 0.5, self.high + 0.5)

    def _decode_raw(self, raw: Any) -> int:
        return min(max(round(float(raw)), self.low), self.high)

    def encode(self, value: Any) -> dict[str, Any]:
        value = _as_int(value)
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside [{self.low}, {self.high}]")
        return {self.label: float(value)}

    @property
    def n_values(self) -> int:
        return self.high - self.low + 1

    def raw_values(self) -> Iterator[dict[str, Any]]:
        for value in range(self.low, self.high + 1):
            yield {self.label: float(value)}

    def example(self) -> int:
        return self.low

    def describe(self) -> str:
        return f"integer in [{self.low}, {self.high}]"


@dataclass(frozen=True)
class Quantile(Dimension):
    """Any frozen scipy distribution, as ``dist.ppf(hp.uniform(0, 1))``.

    The prior is then exactly ``dist``; TPE models the parameter in quantile
    space. Discrete distributions decode to ``int``.
    """

    dist: Any = None

    @cached_property
    def discrete(self) -> bool:
        return isinstance(self.dist.dist, stats.rv_discrete)

    @cached_property
    def expr(self) -> Apply:
        return hp.uniform(self.label, 0.0, 1.0)

    def _decode_raw(self, raw: Any) -> float | int:
        q = min(max(float(raw), _EPS), 1.0 - _EPS)
        value = self.dist.ppf(q)
        return int(value) if self.discrete else float(value)

    def encode(self, value: Any) -> dict[str, Any]:
        if self.discrete:
            value = _as_int(value)
            if self.dist.pmf(value) <= 0:
                raise ValueError(f"{value!r} is outside the support of the distribution")
            # The middle of the quantile interval that maps to `value`.
            q = 0.5 * (float(self.dist.cdf(value - 1)) + float(self.dist.cdf(value)))
        else:
            value = _as_real(value)
            low, high = self.dist.support()
            if not low <= value <= high:
                raise ValueError(f"{value!r} is outside the support [{low}, {high}]")
            q = float(self.dist.cdf(value))
        return {self.label: min(max(q, _EPS), 1.0 - _EPS)}

    @cached_property
    def _reachable(self) -> tuple[int, ...] | None:
        """The integers a discrete distribution can decode to, if few enough.

        Values whose quantile interval is narrower than float resolution (far
        tails) cannot be reached and do not count.
        """
        if not self.discrete:
            return None
        low, high = self.dist.support()
        # An infinite support ends, for us, where the quantiles stop telling
        # values apart: the rest have probabilities below 1e-12.
        if not np.isfinite(low):
            low = self.dist.ppf(_EPS)
        if not np.isfinite(high):
            high = self.dist.ppf(1.0 - _EPS)
        if high - low > _MAX_ENUMERATED:
            return None
        return tuple(
            k
            for k in range(int(low), int(high) + 1)
            if self.dist.pmf(k) > 0 and self._decode_raw(self.encode(k)[self.label]) == k
        )

    @property
    def n_values(self) -> int | None:
        return None if self._reachable is None else len(self._reachable)

    @property
    def truncated(self) -> bool:
        """Whether an infinite discrete support was cut where quantiles end."""
        return self.discrete and not all(np.isfinite(self.dist.support()))

    def log_prior(self, vals: Vals) -> float:
        """Log-probability of the decoded value (discrete distributions)."""
        if not self.discrete:
            return 0.0
        return float(self.dist.logpmf(self.decode(vals)))

    def raw_values(self) -> Iterator[dict[str, Any]]:
        for value in self._reachable:
            yield self.encode(value)

    def example(self) -> float | int:
        return self._decode_raw(0.5)

    def describe(self) -> str:
        return f"ppf of scipy.stats.{_dist_repr(self.dist)} at uniform(0, 1)"


@dataclass(frozen=True)
class Expression(Dimension):
    """A hyperopt expression given by the user, used as it is."""

    expression: Any = None

    @property
    def expr(self) -> Apply:
        return self.expression

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return _expression_labels(self.expression)

    def decode(self, vals: Vals) -> Any:
        assignment = {label: vals[label][0] for label in self.labels if vals.get(label)}
        return _native(space_eval(self.expression, assignment))

    def encode(self, value: Any) -> dict[str, Any]:
        node = self.expression
        if node.name == "float":  # hp.uniform & co wrap their param in float()
            node = node.pos_args[0]
        if node.name == "hyperopt_param":
            dist = node.pos_args[1].name
            if dist in {"uniform", "loguniform", "normal", "lognormal"}:
                return {node.arg["label"].obj: _as_real(value)}
        raise ValueError(
            f"cannot express {value!r} in the hyperopt expression given for "
            f"{self.name!r}; only plain hp.uniform, hp.loguniform, hp.normal and "
            "hp.lognormal expressions can be encoded"
        )

    def example(self) -> Any:
        return _native(sample(self.expression, rng=np.random.default_rng(0)))

    def describe(self) -> str:
        return f"hyperopt expression with labels {list(self.labels)!r}"


# --------------------------------------------------------------------------
# The space
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    """One dict of a (list of) parameter dicts."""

    dimensions: tuple[Dimension, ...]

    @cached_property
    def expr(self) -> dict[str, Apply]:
        return {dim.label: dim.expr for dim in self.dimensions if dim.expr is not None}

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for dim in self.dimensions for label in dim.labels)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dim.name for dim in self.dimensions)

    def example(self) -> dict[str, Any]:
        """One valid parameter dict of this branch."""
        return {dim.name: dim.example() for dim in self.dimensions}

    @cached_property
    def n_values(self) -> int | None:
        size = 1
        for dim in self.dimensions:
            if dim.n_values is None:
                return None
            size *= dim.n_values
        return size


@dataclass(frozen=True)
class SearchSpace:
    """A scikit-learn parameter space converted to a hyperopt space.

    Built by :func:`to_hyperopt_space`. A single dict gives one branch; a list
    of dicts gives one branch per dict, chosen by a top-level ``hp.choice``
    labelled ``"__branch__"``.

    Attributes
    ----------
    branches : tuple of Branch
        One per dict of the input, each holding its typed dimensions.
    """

    branches: tuple[Branch, ...]

    @cached_property
    def _has_choice(self) -> bool:
        """Whether a top-level ``hp.choice`` picks the branch.

        Also used for a single branch without any search dimension: hyperopt
        cannot work on an empty space, so it gets a choice with one option.
        """
        return len(self.branches) > 1 or not self.branches[0].expr

    @cached_property
    def expr(self) -> Any:
        """The hyperopt space (pyll expression), as given to ``fmin``/``Domain``.

        It evaluates to the RAW values per label (choice indices, unrounded
        integers); use :meth:`decode` to get the scikit-learn parameters.
        """
        if not self._has_choice:
            return self.branches[0].expr
        return hp.choice(BRANCH_LABEL, [branch.expr for branch in self.branches])

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Every hyperopt label of the space."""
        labels = tuple(label for branch in self.branches for label in branch.labels)
        return labels + ((BRANCH_LABEL,) if self._has_choice else ())

    @cached_property
    def size(self) -> int | None:
        """Number of distinct candidates, or None when infinite or unknown.

        Candidates are distinct by their parameters: the same point in two
        dicts of a list of dicts counts once.
        """
        sizes = [branch.n_values for branch in self.branches]
        if None in sizes:
            return None
        if len(self.branches) == 1 or sum(sizes) > _MAX_COUNTED:
            return sum(sizes)
        return len({self.key(vals) for vals in self.iter_vals()})

    @cached_property
    def truncated(self) -> tuple[str, ...]:
        """Parameters whose infinite discrete support counts only representable values."""
        return tuple(
            dim.name
            for branch in self.branches
            for dim in branch.dimensions
            if isinstance(dim, Quantile) and dim.truncated
        )

    def log_prior(self, vals: Vals) -> float:
        """Log prior probability of the discrete distributions' values in ``vals``."""
        branch = self.branches[self._branch_index(vals)]
        return sum(dim.log_prior(vals) for dim in branch.dimensions if isinstance(dim, Quantile))

    def _branch_index(self, vals: Vals) -> int:
        if not self._has_choice:
            return 0
        return int(vals[BRANCH_LABEL][0])

    def decode(self, vals: Vals) -> dict[str, Any]:
        """The scikit-learn parameters of one hyperopt trial.

        Parameters
        ----------
        vals : mapping of str to list
            hyperopt's ``trial["misc"]["vals"]``: each label mapped to a
            one-element list, or to an empty list when inactive.

        Returns
        -------
        params : dict
            Only the active branch's parameters, by name in alphabetical
            order (as ``ParameterGrid`` and ``ParameterSampler`` give them):
            a value of a list is the user's own object (an ``np.float64`` of
            an array stays one), a value of a distribution a native Python
            number.
        """
        branch = self.branches[self._branch_index(vals)]
        return {dim.name: dim.decode(vals) for dim in sorted(branch.dimensions, key=_name)}

    def key(self, vals: Vals) -> tuple:
        """A hashable identity of the decoded candidate (for deduplication).

        Equal parameter dicts have equal keys, whichever branch they come
        from: ``1`` and ``1.0`` are equal, ``True`` and ``1`` are not.
        """
        return value_key(self.decode(vals))

    def encode(self, params: Mapping[str, Any]) -> dict[str, list]:
        """hyperopt ``vals`` for a known parameter dict (inverse of :meth:`decode`).

        Raises
        ------
        ValueError
            If no branch of the space can express ``params``.
        """
        errors = []
        for index, branch in enumerate(self.branches):
            if set(branch.names) != set(params):
                errors.append(f"branch {index} has parameters {sorted(branch.names)}")
                continue
            try:
                raw: dict[str, Any] = {}
                for dim in branch.dimensions:
                    raw.update(dim.encode(params[dim.name]))
            except ValueError as exc:
                errors.append(f"branch {index}: {exc}")
                continue
            if self._has_choice:
                raw[BRANCH_LABEL] = index
            return self._full_vals(raw)
        raise ValueError(
            f"The parameters {dict(params)!r} are not in the search space: " + "; ".join(errors)
        )

    def _full_vals(self, raw: Mapping[str, Any]) -> dict[str, list]:
        return {label: [raw[label]] if label in raw else [] for label in self.labels}

    def iter_vals(self) -> Iterator[dict[str, list]]:
        """Every distinct candidate as hyperopt ``vals`` (finite spaces only)."""
        if any(branch.n_values is None for branch in self.branches):
            raise ValueError("the search space is not finite")
        for index, branch in enumerate(self.branches):
            head = {BRANCH_LABEL: index} if self._has_choice else {}
            for parts in itertools.product(*(d.raw_values() for d in branch.dimensions)):
                raw = dict(head)
                for part in parts:
                    raw.update(part)
                yield self._full_vals(raw)

    def __repr__(self) -> str:
        lines = ["SearchSpace("]
        for index, branch in enumerate(self.branches):
            if len(self.branches) > 1:
                lines.append(f"  branch {index}:")
            for dim in branch.dimensions:
                lines.append(f"    {dim.name}: {dim.describe()}")
        lines.append(")")
        return "\n".join(lines)


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------

_ACCEPTED = (
    "a non-empty list, tuple or 1-D numpy array of values, a frozen scipy.stats "
    "distribution (e.g. scipy.stats.loguniform(1e-3, 1e3)), or a hyperopt "
    "expression (e.g. hp.uniform('x', 0, 1))"
)


def to_hyperopt_space(param_distributions: Any) -> SearchSpace:
    """Convert a scikit-learn parameter space into a hyperopt search space.

    Accepts exactly what ``GridSearchCV(param_grid=...)`` and
    ``RandomizedSearchCV(param_distributions=...)`` accept, plus hyperopt
    expressions:

    - lists, tuples and 1-D arrays of any objects become ``hp.choice``
      (a one-element list is a constant, not a search dimension), except
      lists of three or more numbers: they are ordered levels, searched by
      rank (``hp.quniform`` over the ranks), so that a model learns that
      neighbouring levels score alike;
    - ``scipy.stats.uniform`` becomes ``hp.uniform``; ``loguniform`` /
      ``reciprocal`` becomes ``hp.loguniform``; ``norm`` becomes
      ``hp.normal``; ``randint(a, b)`` becomes the integers ``a .. b-1``
      (scipy's exclusive upper bound), modelled as an ordered dimension;
    - any other frozen scipy distribution (``beta``, ``gamma``, ``poisson``,
      ...) becomes ``dist.ppf(hp.uniform(0, 1))``: the prior is exactly
      ``dist``; discrete distributions give ints;
    - hyperopt expressions (``hp.uniform(...)`` etc.) are used as they are;
    - a list of dicts is a conditional space: one top-level choice between
      the dicts, each dict's parameters active only in its branch.

    Parameters
    ----------
    param_distributions : dict or list of dicts
        Parameter names mapped to values or distributions, as for
        :class:`~sklearn.model_selection.RandomizedSearchCV`.

    Returns
    -------
    space : SearchSpace
        The converted space. ``space.expr`` is the hyperopt space;
        ``space.decode(trial["misc"]["vals"])`` gives scikit-learn parameters;
        ``repr(space)`` shows what each parameter became.

    Raises
    ------
    TypeError
        If a value is of a kind hyperopt cannot model (the message names the
        parameter, its type and what is accepted).
    ValueError
        If a list of values is empty, or labels collide.

    Examples
    --------
    >>> from scipy.stats import loguniform, randint
    >>> from hyperopt_search import to_hyperopt_space
    >>> space = to_hyperopt_space(
    ...     {"C": loguniform(1e-3, 1e3), "degree": randint(2, 5), "kernel": ["poly"]}
    ... )
    >>> space
    SearchSpace(
        C: loguniform(0.001, 1000)
        degree: integer in [2, 4]
        kernel: constant 'poly'
    )
    >>> space.decode({"C": [0.5], "degree": [3.2]})
    {'C': 0.5, 'degree': 3, 'kernel': 'poly'}
    """
    if isinstance(param_distributions, Mapping):
        dicts = [param_distributions]
        multi = False
    elif isinstance(param_distributions, list | tuple):
        dicts = list(param_distributions)
        multi = len(dicts) > 1
        if not dicts:
            raise ValueError("param_distributions must not be an empty list.")
    else:
        raise TypeError(
            "param_distributions must be a dict or a list of dicts, got "
            f"{type(param_distributions).__name__}."
        )

    branches = []
    for index, params in enumerate(dicts):
        if not isinstance(params, Mapping):
            raise TypeError(
                "param_distributions must be a dict or a list of dicts, but item "
                f"{index} is a {type(params).__name__}."
            )
        dims = []
        for name, value in params.items():
            if not isinstance(name, str):
                raise TypeError(
                    f"Parameter names in param_distributions must be strings, got {name!r}."
                )
            label = f"{name}@{index}" if multi else name
            dims.append(_to_dimension(name, label, value))
        branches.append(Branch(tuple(dims)))

    space = SearchSpace(tuple(branches))
    _check_unique_labels(space)
    return space


def _to_dimension(name: str, label: str, value: Any) -> Dimension:
    if isinstance(value, Apply):
        return Expression(name, label, expression=value)
    given = None
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(
                f"Parameter array for {name!r} in param_distributions must be "
                f"one-dimensional, got shape {value.shape}."
            )
        given = list(value)  # numpy scalars, as ParameterGrid gives them
        value = value.tolist()  # native Python scalars
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        # Any sequence scikit-learn accepts (list, tuple, range, ...). Equal
        # values are one candidate: 1 and 1.0, two equal dicts. A candidate
        # gets the user's object (the first of equal ones), the model and
        # the space's identity their native Python equals.
        given = list(value) if given is None else given
        natives = [_native(v) for v in value]
        keep = _distinct_indices(natives)
        options = tuple(natives[i] for i in keep)
        objects = tuple(given[i] for i in keep)
        if len(options) == 0:
            raise ValueError(
                f"Parameter {name!r} in param_distributions has an empty list of "
                "values; give at least one value."
            )
        if len(options) == 1:
            return Constant(name, label, value=options[0], given=objects)
        if len(options) >= _MIN_LEVELS and all(map(_is_level, options)):
            return Ordinal(name, label, options=options, given=objects)
        return Categorical(name, label, options=options, given=objects)
    if _is_frozen_scipy(value):
        return _scipy_dimension(name, label, value)
    raise TypeError(
        f"Parameter {name!r} in param_distributions is a {type(value).__name__} "
        f"({value!r}), which hyperopt cannot model. Expected {_ACCEPTED}. "
        "Single values must be wrapped in a list with one element."
    )


def _is_frozen_scipy(value: Any) -> bool:
    dist = getattr(value, "dist", None)
    return isinstance(dist, stats.rv_continuous | stats.rv_discrete) and hasattr(value, "ppf")


def _scipy_dimension(name: str, label: str, dist: Any) -> Dimension:
    family = dist.dist.name
    low, high = (float(x) for x in dist.support())
    if math.isnan(low) or math.isnan(high):
        # scipy answers nan for invalid parameters (a scale of 0, loguniform
        # with a bound <= 0, randint with high <= low, ...).
        raise ValueError(
            f"Parameter {name!r} in param_distributions is scipy.stats."
            f"{_dist_repr(dist)}, whose parameters are invalid for this "
            "distribution (scipy gives it no support): check its bounds, "
            "scale and shape parameters."
        )
    if family == "uniform":
        return Real(name, label, low=low, high=high)
    if family in {"loguniform", "reciprocal"} and low > 0:
        # Only log-uniform when not shifted by `loc`: then the median is the
        # geometric middle of the support.
        if math.isclose(float(dist.cdf(math.sqrt(low * high))), 0.5, abs_tol=1e-9):
            return Real(name, label, low=low, high=high, log=True)
    if family == "norm":
        return Normal(name, label, mu=float(dist.mean()), sigma=float(dist.std()))
    if family == "randint":
        return Integer(name, label, low=int(low), high=int(high))
    return Quantile(name, label, dist=dist)


def _check_unique_labels(space: SearchSpace) -> None:
    owners: dict[str, Dimension] = {}
    for branch in space.branches:
        for dim in branch.dimensions:
            for label in dim.labels:
                if label == BRANCH_LABEL:
                    raise ValueError(f"The hyperopt label {BRANCH_LABEL!r} is reserved.")
                other = owners.setdefault(label, dim)
                shared = other.expr is dim.expr  # one expression reused in branches
                if other is not dim and not shared:
                    raise ValueError(
                        f"The hyperopt label {label!r} of parameter {dim.name!r} is "
                        f"already used by parameter {other.name!r}; give hyperopt "
                        "expressions labels that differ from each other and from "
                        "the parameter names."
                    )


def _expression_labels(expr: Apply) -> tuple[str, ...]:
    labels = []
    for node in dfs(expr):
        if node.name == "hyperopt_param":
            label = node.arg["label"].obj
            if label not in labels:
                labels.append(label)
    return tuple(labels)


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def value_key(value: Any) -> Any:
    """A hashable key under which equal parameter values (and dicts of them) collide.

    Examples
    --------
    >>> value_key({"C": 1, "w": {0: 1}}) == value_key({"w": {0: 1.0}, "C": 1.0})
    True
    >>> value_key(True) == value_key(1)
    False
    """
    if isinstance(value, bool | np.bool_):
        return ("bool", bool(value))
    if isinstance(value, numbers.Number):
        value = _native(value)
        if isinstance(value, float) and math.isnan(value):
            return ("nan",)
        return ("number", value)
    if isinstance(value, str | bytes) or value is None:
        return ("atom", value)
    if isinstance(value, Mapping):
        items = [(value_key(k), value_key(v)) for k, v in value.items()]
        return ("map", tuple(sorted(items, key=repr)))
    if isinstance(value, list | tuple):
        return ("seq", type(value).__name__, tuple(value_key(v) for v in value))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    try:
        hash(value)
    except TypeError:
        return ("repr", type(value).__qualname__, repr(value))
    return ("object", value)


def _distinct_indices(values: list) -> list[int]:
    """Indices of ``values`` without repeats (see :func:`_same_value`), first one kept."""
    kept: list[int] = []
    for index, value in enumerate(values):
        if not any(_same_value(value, values[other]) for other in kept):
            kept.append(index)
    return kept


def _name(dim: Dimension) -> str:
    return dim.name


def _same_value(a: Any, b: Any) -> bool:
    """Equality that is safe for arrays and keeps ``True`` apart from ``1``."""
    if a is b:
        return True
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _is_level(value: Any) -> bool:
    """Whether a list entry is a finite real number (``True`` is not)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(value)
    )


def _as_real(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{value!r} is not a real number")
    return float(value)


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{value!r} is not an integer")
    if int(value) != value:
        raise ValueError(f"{value!r} is not an integer")
    return int(value)


def _native(value: Any) -> Any:
    """numpy scalars from pyll evaluation -> Python scalars."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _dist_repr(dist: Any) -> str:
    args = [repr(a) for a in dist.args] + [f"{k}={v!r}" for k, v in dist.kwds.items()]
    return f"{dist.dist.name}({', '.join(args)})"
