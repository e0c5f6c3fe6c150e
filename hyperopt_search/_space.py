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

import hashlib
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

# The probability left in each tail: quantiles fed to ``ppf`` are kept inside
# [_TAIL, 1 - _TAIL], since ppf(0) and ppf(1) are the
# (possibly infinite) ends of the support.
_TAIL = 1e-12
# At most this many values of a discrete distribution (other than randint) are
# enumerated: its quantile table then costs a few MB and well under a second
# to build, whatever the distribution. A distribution with more than _TAIL of
# its probability beyond them is searched truncated (zipf(2) loses 6e-6).
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
class _Table:
    """The values a discrete distribution can decode to, with their quantiles.

    ``values[i]`` is decoded from the quantiles in ``(lower[i], upper[i]]``
    (the distribution's cdf just before and at the value, normalised to the
    enumerated values); ``pmf`` is their probability. Only values whose
    interval reaches into ``[_TAIL, 1 - _TAIL]`` are kept. ``capped`` says that
    the enumeration stopped at :data:`_MAX_ENUMERATED` values while more than
    ``_TAIL`` of the probability lay beyond: the distribution is then searched
    truncated to ``values`` (``lost`` is the probability left out).
    """

    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    pmf: np.ndarray
    capped: bool
    lost: float

    @classmethod
    def from_pmf(cls, values, pmf, capped: bool, lost: float) -> _Table:
        values = np.asarray(values)
        pmf = np.asarray(pmf, dtype=float)
        total = float(pmf.sum())
        if not total > 0:
            raise ValueError("no probability on the enumerated values")
        upper = np.cumsum(pmf) / total
        upper[-1] = 1.0
        lower = np.concatenate([[0.0], upper[:-1]])
        keep = (upper > lower) & (upper >= _TAIL) & (lower < 1.0 - _TAIL)
        return cls(values[keep], lower[keep], upper[keep], pmf[keep], capped, lost)

    def index(self, q: float) -> int:
        """The index of the value decoded from quantile ``q`` (as ``ppf``)."""
        q = min(max(float(q), _TAIL), 1.0 - _TAIL)
        return min(int(np.searchsorted(self.upper, q, side="left")), len(self.values) - 1)

    def quantile_of(self, i: int) -> float:
        """The middle of the quantiles (inside ``[_TAIL, 1 - _TAIL]``) of value ``i``."""
        low = max(float(self.lower[i]), _TAIL)
        high = min(float(self.upper[i]), 1.0 - _TAIL)
        return 0.5 * (low + high)


def _discrete_table(dist: Any) -> _Table:
    """Enumerate a frozen discrete distribution, in bounded time.

    ``rv_discrete(values=...)`` gives its own values. Any other (integer)
    distribution is enumerated on a window of at most :data:`_MAX_ENUMERATED`
    integers around its median, grown by doubling on each side until the
    probability beyond is at most ``_TAIL`` (such values cannot be decoded).
    Each step asks ``cdf``/``sf`` at one point and the probabilities come
    from one vectorised ``pmf`` call; ``ppf`` is asked only for the median:
    scipy's generic ``ppf`` (zipf, yulesimon, logser, ...) sums or bisects
    its way to extreme quantiles, which never ends for heavy tails or stops
    with "updating stopped, endless loop".
    """
    xk = getattr(dist.dist, "xk", None)
    if xk is not None:  # rv_discrete(values=(xk, pk)), maybe shifted by loc
        pk = np.asarray(dist.dist.pk, dtype=float)
        values = dist.ppf(np.cumsum(pk) - 0.5 * pk)  # each value, with loc
        return _Table.from_pmf(values, pk, capped=False, lost=0.0)
    low, high = (float(x) for x in dist.support())
    try:
        middle = float(dist.ppf(0.5))
    except (RuntimeError, ArithmeticError):  # pragma: no cover - defensive
        middle = math.nan
    if not math.isfinite(middle):
        middle = low if math.isfinite(low) else (high if math.isfinite(high) else 0.0)
    middle = int(middle)

    def grow(tail, end: float, sign: int, limit: int) -> tuple[int, float]:
        """The end of the window on one side (at most ``limit`` away), and its tail."""
        offset, point, mass = 0, middle, float(tail(middle))
        while point != end and mass > _TAIL and offset < limit:
            offset = min(2 * offset or 1, limit)
            point = int(max(middle - offset, end) if sign < 0 else min(middle + offset, end))
            mass = float(tail(point))
        return point, 0.0 if point == end else mass

    half = _MAX_ENUMERATED // 2
    start, lost_low = grow(lambda k: dist.cdf(k - 1), low, -1, half)
    stop, lost_high = grow(dist.sf, high, +1, _MAX_ENUMERATED - 1 - (middle - start))
    values = np.arange(start, stop + 1)
    lost = lost_low + lost_high
    return _Table.from_pmf(values, dist.pmf(values), capped=lost > _TAIL, lost=lost)


@dataclass(frozen=True)
class Quantile(Dimension):
    """Any frozen scipy distribution, as ``dist.ppf(hp.uniform(0, 1))``.

    The prior is then exactly ``dist``; TPE models the parameter in quantile
    space. A discrete distribution decodes to values of its support: ``int``
    for integer supports, ``float`` for ``rv_discrete(values=...)`` with
    non-integer values. Its quantile function is a table of its values
    (:func:`_discrete_table`), computed once, so that decoding never calls
    scipy's generic ``ppf``.
    """

    dist: Any = None

    @cached_property
    def discrete(self) -> bool:
        return isinstance(self.dist.dist, stats.rv_discrete)

    @cached_property
    def expr(self) -> Apply:
        return hp.uniform(self.label, 0.0, 1.0)

    @cached_property
    def _table(self) -> _Table:
        return _discrete_table(self.dist)

    @cached_property
    def _integers(self) -> bool:
        """Whether a discrete distribution's values are all integers."""
        values = self._table.values
        return bool(np.all(np.isfinite(values) & (np.round(values) == values)))

    def _native_value(self, value: Any) -> float | int:
        return int(value) if self._integers else float(value)

    def value_at(self, q: float) -> float | int:
        """The value at quantile ``q`` (for discrete ones, of the values searched)."""
        return self._decode_raw(q)

    def _decode_raw(self, raw: Any) -> float | int:
        if self.discrete:
            return self._native_value(self._table.values[self._table.index(raw)])
        q = min(max(float(raw), _TAIL), 1.0 - _TAIL)
        return float(self.dist.ppf(q))

    def _index_of(self, value: Any) -> int:
        value = _as_int(value) if self._integers else _as_real(value)
        values = self._table.values
        i = int(np.searchsorted(values, value))
        if i < len(values) and values[i] == value:
            return i
        if values[0] <= value <= values[-1] or not self.dist.pmf(value) > 0:
            raise ValueError(f"{value!r} is outside the support of the distribution")
        raise ValueError(
            f"{value!r} is beyond the values {self._native_value(values[0])!r} to "
            f"{self._native_value(values[-1])!r} that the search can propose"
        )

    def encode(self, value: Any) -> dict[str, Any]:
        if self.discrete:
            return {self.label: self._table.quantile_of(self._index_of(value))}
        value = _as_real(value)
        low, high = self.dist.support()
        if not low <= value <= high:
            raise ValueError(f"{value!r} is outside the support [{low}, {high}]")
        q = float(self.dist.cdf(value))
        return {self.label: min(max(q, _TAIL), 1.0 - _TAIL)}

    @property
    def n_values(self) -> int | None:
        if not self.discrete or self._table.capped:
            return None
        return len(self._table.values)

    @property
    def truncated(self) -> bool:
        """Whether an infinite discrete support was cut where quantiles end."""
        return self.discrete and not all(np.isfinite(self.dist.support()))

    def log_prior(self, vals: Vals) -> float:
        """Log-probability of the decoded value (discrete distributions)."""
        if not self.discrete:
            return 0.0
        return float(np.log(self._table.pmf[self._table.index(vals[self.label][0])]))

    def raw_values(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self._table.values)):
            yield {self.label: self._table.quantile_of(i)}

    def example(self) -> float | int:
        return self._decode_raw(0.5)

    def describe(self) -> str:
        text = f"ppf of scipy.stats.{_dist_repr(self.dist)} at uniform(0, 1)"
        if self.discrete and self._table.capped:
            last = self._native_value(self._table.values[-1])
            text += f", truncated at {last!r}"
        return text


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

    @cached_property
    def enumerable(self) -> bool:
        """Whether :meth:`iter_vals` can list the space with ``truncated=True``.

        Finite spaces, and discrete spaces whose infinite distributions are
        searched on their table of values (``zipf(2)``: 100,000 values).
        """
        return all(
            dim.n_values is not None or (isinstance(dim, Quantile) and dim.discrete)
            for branch in self.branches
            for dim in branch.dimensions
        )

    def iter_vals(self, *, truncated: bool = False) -> Iterator[dict[str, list]]:
        """Every distinct candidate as hyperopt ``vals`` (finite spaces only).

        ``truncated=True``: also a discrete space whose tables were cut (see
        :attr:`enumerable`), lazily, in the tables' order (for one such
        distribution of non-negative values, its most probable values first).
        """
        finite = all(branch.n_values is not None for branch in self.branches)
        if not (finite or (truncated and self.enumerable)):
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
      ``dist``; discrete distributions give ints (the values of
      ``rv_discrete(values=...)`` as given); a distribution without shape
      parameters (``rv_discrete(values=...)``, ``rv_histogram(...)``) may be
      given unfrozen;
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
    if isinstance(value, stats.rv_continuous | stats.rv_discrete):
        value = _freeze(name, value)
    if _is_frozen_scipy(value):
        return _scipy_dimension(name, label, value)
    raise TypeError(
        f"Parameter {name!r} in param_distributions is a {type(value).__name__} "
        f"({value!r}), which hyperopt cannot model. Expected {_ACCEPTED}. "
        "Single values must be wrapped in a list with one element."
    )


def _freeze(name: str, dist: Any) -> Any:
    """A scipy distribution given unfrozen, as its frozen version.

    ``rv_discrete(values=...)`` and ``rv_histogram(...)`` are built unfrozen
    (scipy's idiom), and RandomizedSearchCV samples any object with ``rvs``:
    a distribution without shape parameters is the one it samples, frozen
    with its default ``loc`` and ``scale``. One with shape parameters cannot
    be sampled as it is.
    """
    if not dist.numargs:
        return dist()
    family = dist.name
    raise TypeError(
        f"Parameter {name!r} in param_distributions is the scipy.stats "
        f"distribution {family} ({type(dist).__name__}), which is not frozen: call it "
        f"with its shape parameters ({dist.shapes}) to freeze it, e.g. "
        f"scipy.stats.{family}({dist.shapes}). Expected {_ACCEPTED}."
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


def position_of(value: Any, options: Sequence[Any]) -> int | None:
    """Index of ``value`` among ``options``: the same object first, then an equal one.

    >>> import numpy as np
    >>> position_of(1.0, [True, 1]), position_of(np.float64(2), [1, 2]), position_of(3, [])
    (1, 1, None)
    """
    for index, option in enumerate(options):
        if option is value:
            return index
    for index, option in enumerate(options):
        if _same_value(option, value):
            return index
    return None


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
    """``family(args)`` of a frozen distribution; scipy's custom ones by their data.

    Also the identity of a distribution in a checkpoint's space, so the data of
    ``rv_discrete(values=...)`` and ``rv_histogram`` enter it (as a digest when
    long).
    """
    family = dist.dist.name
    args = [repr(a) for a in dist.args] + [f"{k}={v!r}" for k, v in dist.kwds.items()]
    if getattr(dist.dist, "xk", None) is not None:
        family = "rv_discrete"
        data = (dist.dist.xk, dist.dist.pk)
        args.insert(0, f"values=({_short_array(data[0])}, {_short_array(data[1])})")
    elif isinstance(dist.dist, stats.rv_histogram):
        family = "rv_histogram"
        data = getattr(dist.dist, "_histogram", None) or ((), ())
        args.insert(0, f"<{len(data[0])} bins, {_digest(*data)}>")
    return f"{family}({', '.join(args)})"


def _short_array(values: Any) -> str:
    values = np.asarray(values, dtype=float)
    if len(values) <= 6:
        return "[" + ", ".join(f"{v:g}" for v in values) + "]"
    return f"<{len(values)} values, {_digest(values)}>"


def _digest(*arrays: Any) -> str:
    """A short stable digest of numeric arrays."""
    digest = hashlib.sha256()
    for values in arrays:
        digest.update(np.ascontiguousarray(values, dtype=float).tobytes())
    return digest.hexdigest()[:10]
