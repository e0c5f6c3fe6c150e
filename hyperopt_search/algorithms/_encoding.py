"""Read a hyperopt ``Domain`` once and map its trial values to the unit cube.

Every proposal algorithm of this package works on numeric feature vectors:
one feature per hyperopt label. A numeric parameter's feature is its position
in ``[0, 1]`` (on the log scale for log-distributed parameters, in quantile
space for normal ones); a categorical parameter's feature is its index (the
kernels compare categories for equality only). A label that is inactive in a
conditional branch gets the feature :data:`INACTIVE` (numeric) or ``-1``
(categorical).

The space is read from hyperopt's own description of it
(``domain.params``: label -> distribution node, and the ``switch`` nodes of
``hp.choice`` for the conditions), once per domain; nothing here evaluates
the pyll graph per proposal.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from hyperopt import pyll
from scipy.special import ndtr, ndtri

__all__ = ["INACTIVE", "Dim", "EncodedSpace", "encoded_space"]

#: Feature of an inactive numeric label.
INACTIVE = 0.5
#: Quantiles of normal parameters are kept inside (EPS, 1 - EPS).
_EPS = 1e-6
_NUMERIC = {
    "uniform",
    "quniform",
    "loguniform",
    "qloguniform",
    "normal",
    "qnormal",
    "lognormal",
    "qlognormal",
}

#: A condition: the labels of enclosing choices and the option taken.
Condition = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Dim:
    """One hyperopt label: how its raw value maps to a feature and back.

    ``kind`` is the hyperopt distribution (``"uniform"``, ``"qloguniform"``,
    ``"randint"``, ``"categorical"``, ...). Numeric kinds have ``low`` and
    ``high`` (log bounds for the log kinds, ``mu`` and ``sigma`` for the
    normal kinds) and a quantum ``q`` (None when continuous); categorical
    kinds (``hp.choice``, ``hp.pchoice``, ``hp.randint``) have ``n_options``
    values ``offset .. offset + n_options - 1`` with prior ``probabilities``.
    ``conditions`` lists the ways the label can be active (any one of them).
    """

    label: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    q: float | None = None
    n_options: int = 0
    offset: int = 0
    probabilities: tuple[float, ...] | None = None
    conditions: tuple[Condition, ...] = ((),)

    @property
    def categorical(self) -> bool:
        return self.kind not in _NUMERIC

    @property
    def log(self) -> bool:
        return "log" in self.kind

    @property
    def normal(self) -> bool:
        return "normal" in self.kind

    # -- categorical parameters ---------------------------------------------

    def option_of_unit(self, u: np.ndarray) -> np.ndarray:
        """Option index at quantile ``u`` of the prior (for designs)."""
        if self.probabilities is None:
            return np.minimum((np.asarray(u) * self.n_options).astype(int), self.n_options - 1)
        edges = np.cumsum(self.probabilities)[:-1]
        return np.searchsorted(edges, u, side="right")


class _NumericTransform:
    """Raw values of numeric labels <-> their features, a whole matrix at once.

    Built from the labels' :class:`Dim`; column ``j`` of the matrices is
    ``dims[j]``. A feature is the position in ``[0, 1]`` between ``low`` and
    ``high`` (on the log scale for the log kinds), or the quantile of the
    normal distribution ``N(low, high)`` for the normal kinds.
    """

    def __init__(self, dims: Sequence[Dim]):
        self.low = np.array([dim.low for dim in dims], dtype=float)
        self.high = np.array([dim.high for dim in dims], dtype=float)
        self.span = self.high - self.low
        self.log = np.flatnonzero([dim.log for dim in dims])
        self.normal = np.flatnonzero([dim.normal for dim in dims])
        self.q = np.array([dim.q for dim in dims if dim.q is not None], dtype=float)
        self.quantised = np.flatnonzero([dim.q is not None for dim in dims])
        # The smallest and largest values hyperopt's round(x / q) * q reaches
        # for x inside the bounds (an end exactly half-way between two
        # multiples of q is a single point: it does not count).
        ends = np.vstack([self.low, self.high])
        ends[:, self.log] = np.exp(ends[:, self.log])
        ends[:, self.normal] = [[-np.inf], [np.inf]]
        ends = ends[:, self.quantised]
        with np.errstate(invalid="ignore"):
            self.q_low = np.floor(ends[0] / self.q + (0.5 + 1e-9)) * self.q
            self.q_high = np.ceil(ends[1] / self.q - (0.5 + 1e-9)) * self.q

    def to_unit(self, V: np.ndarray) -> np.ndarray:
        """Features of raw values ``V`` (rows of values, one column per label)."""
        V = np.array(V, dtype=float)
        if len(self.log):
            with np.errstate(divide="ignore"):
                V[:, self.log] = np.log(np.maximum(V[:, self.log], 0.0))
        U = np.minimum(np.maximum((V - self.low) / self.span, 0.0), 1.0)
        if len(self.normal):
            z = (V[:, self.normal] - self.low[self.normal]) / self.high[self.normal]
            U[:, self.normal] = np.clip(ndtr(z), _EPS, 1 - _EPS)
        return U

    def from_unit(self, U: np.ndarray) -> np.ndarray:
        """Raw values at features ``U`` (the inverse of :meth:`to_unit`), quantised."""
        U = np.minimum(np.maximum(U, 0.0), 1.0)
        V = self.low + U * self.span
        if len(self.normal):
            u = np.clip(U[:, self.normal], _EPS, 1 - _EPS)
            V[:, self.normal] = self.low[self.normal] + self.high[self.normal] * ndtri(u)
        if len(self.log):
            V[:, self.log] = np.exp(V[:, self.log])
        if len(self.quantised):
            rounded = np.round(V[:, self.quantised] / self.q) * self.q
            V[:, self.quantised] = np.minimum(np.maximum(rounded, self.q_low), self.q_high)
        return V


@dataclass(frozen=True)
class EncodedSpace:
    """The labels of a hyperopt space as features (see the module docstring)."""

    dims: tuple[Dim, ...]

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return tuple(dim.label for dim in self.dims)

    @cached_property
    def categorical(self) -> np.ndarray:
        """Boolean mask of the categorical features."""
        return np.array([dim.categorical for dim in self.dims], dtype=bool)

    @cached_property
    def discrete(self) -> np.ndarray:
        """Boolean mask of the features with a finite set of values per unit:
        categorical and quantised ones."""
        return np.array([dim.categorical or dim.q is not None for dim in self.dims], dtype=bool)

    @cached_property
    def conditional(self) -> bool:
        """Whether some label is active only in some branches."""
        return any(cond != () for dim in self.dims for cond in dim.conditions)

    @property
    def n_dims(self) -> int:
        return len(self.dims)

    @cached_property
    def n_options(self) -> np.ndarray:
        """Options of each categorical feature, as floats (1 for numeric ones)."""
        n = np.array([max(dim.n_options, 1) for dim in self.dims], dtype=float)
        n.flags.writeable = False
        return n

    @cached_property
    def _numeric(self) -> tuple[np.ndarray, _NumericTransform]:
        """The numeric feature columns, and their transform."""
        columns = np.flatnonzero(~self.categorical)
        return columns, _NumericTransform([self.dims[i] for i in columns])

    @cached_property
    def _quantised(self) -> tuple[np.ndarray, _NumericTransform]:
        """The quantised numeric feature columns, and their transform."""
        quantised = [not d.categorical and d.q is not None for d in self.dims]
        columns = np.flatnonzero(np.array(quantised, dtype=bool))
        return columns, _NumericTransform([self.dims[i] for i in columns])

    @cached_property
    def _inactive_features(self) -> np.ndarray:
        """The feature of each label where it is inactive."""
        return np.where(self.categorical, -1.0, INACTIVE)

    @cached_property
    def _offsets(self) -> np.ndarray:
        """The value of option 0 of each categorical feature (0 for numeric ones)."""
        return np.array([dim.offset for dim in self.dims], dtype=float)

    @cached_property
    def _condition_columns(self) -> list[list[list[tuple[int, int]]]]:
        """Per label, its conditions as (feature column, option) pairs."""
        column = {label: i for i, label in enumerate(self.labels)}
        return [
            [[(column[lab], opt) for lab, opt in cond] for cond in dim.conditions]
            for dim in self.dims
        ]

    def active(self, X: np.ndarray) -> np.ndarray:
        """Which labels are active in each row of features ``X`` (a boolean array).

        Conditions are whole paths from the root of the space, so the option
        held by an inactive choice never activates anything.
        """
        X = np.atleast_2d(X)
        if not self.conditional:
            return np.ones(X.shape, dtype=bool)
        mask = np.zeros(X.shape, dtype=bool)
        for i, conditions in enumerate(self._condition_columns):
            for cond in conditions:
                hit = np.ones(len(X), dtype=bool)
                for col, opt in cond:
                    hit &= X[:, col] == opt
                mask[:, i] |= hit
        return mask

    def encode(self, vals: Mapping[str, list]) -> np.ndarray:
        """The feature vector of hyperopt's ``misc["vals"]``."""
        return self.encode_many([vals])[0]

    def encode_many(self, many: Sequence[Mapping[str, list]]) -> np.ndarray:
        """The feature rows of several ``misc["vals"]``."""
        values, off = [], []
        for vals in many:
            for label, kind in self._kinds:
                raw = vals.get(label)
                values.append(kind(raw[0]) if raw else math.nan)
                off.append(not raw)
        X = np.array(values, dtype=float).reshape(len(many), self.n_dims) - self._offsets
        columns, transform = self._numeric
        if any(off):
            off_mask = np.array(off, dtype=bool).reshape(X.shape)
            if len(columns):
                with np.errstate(invalid="ignore"):  # NaN where inactive
                    X[:, columns] = transform.to_unit(X[:, columns])
            X[off_mask] = self._inactive_features[np.nonzero(off_mask)[1]]
        elif len(columns):
            X[:, columns] = transform.to_unit(X[:, columns])
        return X

    @cached_property
    def _kinds(self) -> tuple[tuple[str, type], ...]:
        """(label, conversion of its raw value) of each feature."""
        return tuple((dim.label, int if dim.categorical else float) for dim in self.dims)

    def decode(self, x: np.ndarray) -> dict[str, list]:
        """hyperopt ``vals`` of one feature vector: inactive labels get ``[]``.

        Categorical features are rounded to an option and numeric ones
        clipped to ``[0, 1]``; which labels are active follows from the
        choices, whatever the features of inactive labels are.
        """
        X = self._options_snapped(np.array(np.atleast_2d(x), dtype=float))
        mask = self.active(X)[0].tolist()
        values = (X[0] + self._offsets).tolist()
        columns, transform = self._numeric
        # from_unit clips and quantises: the numeric part of snap, in raw values.
        numeric = transform.from_unit(X[:, columns])[0].tolist()
        for i, v in zip(columns.tolist(), numeric, strict=True):
            values[i] = v
        return {
            dim.label: ([int(v)] if dim.categorical else [v]) if on else []
            for dim, v, on in zip(self.dims, values, mask, strict=True)
        }

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Features of the values that the rows of ``X`` decode to.

        Categorical features rounded to an option, quantised numeric ones to
        their quantum, everything clipped, inactive labels filled.
        """
        X = self._options_snapped(np.array(np.atleast_2d(X), dtype=float))
        columns, transform = self._quantised
        if len(columns):
            X[:, columns] = transform.to_unit(transform.from_unit(X[:, columns]))
        if self.conditional:
            mask = self.active(X)
            X[~mask & self.categorical] = -1.0
            X[~mask & ~self.categorical] = INACTIVE
        return X

    def _options_snapped(self, X: np.ndarray) -> np.ndarray:
        """``X`` with categorical features rounded to an option and every
        feature clipped to its range (one pass over the whole matrix)."""
        if self._any_categorical:
            X = np.where(self.categorical, np.round(X), X)
        return np.minimum(np.maximum(X, 0.0), self._upper)

    @cached_property
    def _any_categorical(self) -> bool:
        return bool(self.categorical.any())

    @cached_property
    def _upper(self) -> np.ndarray:
        """The largest feature of each label: its last option, or 1."""
        return np.where(self.categorical, self._max_option, 1.0)

    @cached_property
    def _max_option(self) -> np.ndarray:
        """The largest option of each categorical feature (0 for numeric ones)."""
        return np.array([max(dim.n_options - 1, 0) for dim in self.dims], dtype=float)

    def from_design(self, u: np.ndarray) -> np.ndarray:
        """Map points of the unit cube (rows) to features, following the prior.

        Numeric features are used as they are; a categorical feature picks
        the option at that quantile of its prior.
        """
        X = np.array(u, dtype=float, copy=True)
        for i, dim in enumerate(self.dims):
            if dim.categorical:
                X[:, i] = dim.option_of_unit(u[:, i])
        return self.snap(X)


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def encoded_space(domain) -> EncodedSpace:
    """The :class:`EncodedSpace` of a hyperopt ``Domain`` (read once per domain).

    Raises
    ------
    ValueError
        If a label's distribution is not one hyperopt's ``hp`` module builds,
        or its arguments depend on other labels.
    """
    try:
        return _CACHE[domain]
    except (KeyError, TypeError):
        pass
    conditions = _conditions(domain.expr)
    dims = tuple(
        _dim(label, node, tuple(conditions.get(label, [()])))
        for label, node in domain.params.items()
    )
    space = EncodedSpace(dims)
    try:
        _CACHE[domain] = space
    except TypeError:  # pragma: no cover - a domain that cannot be weakly referenced
        pass
    return space


def _conditions(expr) -> dict[str, list[Condition]]:
    """label -> the conditions (enclosing choices and options) it appears under."""
    found: dict[str, list[Condition]] = {}
    seen: set[tuple[int, Condition]] = set()
    stack: list[tuple[object, Condition]] = [(expr, ())]
    while stack:
        node, cond = stack.pop()
        if (id(node), cond) in seen:
            continue
        seen.add((id(node), cond))
        if node.name == "hyperopt_param":
            label = node.arg["label"].obj
            if cond not in found.setdefault(label, []):
                found[label].append(cond)
            continue
        if node.name == "switch" and node.pos_args[0].name == "hyperopt_param":
            selector = node.pos_args[0]
            stack.append((selector, cond))
            label = selector.arg["label"].obj
            for index, option in enumerate(node.pos_args[1:]):
                stack.append((option, (*cond, (label, index))))
            continue
        stack.extend((child, cond) for child in node.inputs())
    return found


def _constant(node, label: str):
    if any(n.name == "hyperopt_param" for n in pyll.dfs(node)):
        raise ValueError(
            f"The distribution of hyperopt label {label!r} depends on other labels; "
            "only constant arguments are supported."
        )
    return pyll.rec_eval(node)


def _dim(label: str, node, conditions: tuple[Condition, ...]) -> Dim:
    kind = node.name
    args = [_constant(a, label) for a in node.pos_args]
    kwargs = {name: _constant(a, label) for name, a in node.named_args}
    if kind in _NUMERIC:
        names = ["low", "high", "q"] if "uniform" in kind else ["mu", "sigma", "q"]
        bound = dict(zip(names, args, strict=False)) | kwargs
        low, high = float(bound[names[0]]), float(bound[names[1]])
        q = float(bound["q"]) if kind.startswith("q") else None
        if not high > low and "uniform" in kind:
            raise ValueError(f"hyperopt label {label!r}: {kind} needs low < high.")
        return Dim(label, kind, low=low, high=high, q=q, conditions=conditions)
    if kind == "randint":
        bound = dict(zip(["low", "high"], args, strict=False)) | kwargs
        if "high" not in bound:  # randint(upper)
            bound = {"low": 0, "high": bound["low"]}
        low, high = int(bound["low"]), int(bound["high"])
        return Dim(label, kind, n_options=high - low, offset=low, conditions=conditions)
    if kind == "categorical":
        p = np.asarray(args[0] if args else kwargs["p"], dtype=float)
        return Dim(
            label,
            kind,
            n_options=len(p),
            probabilities=tuple((p / p.sum()).tolist()),
            conditions=conditions,
        )
    raise ValueError(
        f"hyperopt label {label!r} has the distribution {kind!r}, which this "
        f"algorithm does not model; expected one of {sorted(_NUMERIC)}, randint, "
        "categorical (hp.choice, hp.pchoice)."
    )
