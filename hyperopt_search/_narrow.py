"""Narrow a search space around the good candidates of a fitted search: the refine step.

:func:`narrow_space` reads a fitted search's ``cv_results_`` against its
space and proposes a smaller space in the forms the user wrote (scipy.stats
distributions and lists), with a note per parameter saying what changed and
why. The rules, per parameter of each branch (a dict of a list of dicts):

- **did not matter**: its effect on the score near the good candidates
  (the range of its partial dependence, averaged over the good candidates,
  in a random forest fitted to the mean scores of at least 10 candidates) is
  within half a standard error of the fold noise (:func:`fold_noise`):
  fixed at the best candidate's value. When every parameter of a branch is
  that flat, the one of largest effect stays searched (and a note says that
  more tuning is unlikely to pay);
- **ranges** (``uniform``, ``loguniform``, ``randint``, ordered levels):
  shrunk to the span of the good candidates, widened on each side by a
  quarter of that span or a tenth of the original range, whichever is
  larger (one level for ordered levels), never beyond the original bounds.
  A search that proposed a parameter in a narrow band for other reasons
  can narrow it by chance: read the notes;
- **categories**: only those among the good candidates are kept;
- other distributions and hyperopt expressions are kept as they are.

The good candidates are the complete candidates within the fold noise of
the best, and at least the best ``max(3, 20%)`` of them. A branch without a
good candidate is dropped.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats
from sklearn.ensemble import RandomForestRegressor

from ._noise import fold_noise
from ._space import (
    Branch,
    Categorical,
    Constant,
    Dimension,
    Integer,
    Normal,
    Ordinal,
    Quantile,
    Real,
    SearchSpace,
    _dist_repr,
    position_of,
    to_hyperopt_space,
)

__all__ = ["NarrowedSpace", "narrow_space"]

#: The share of the complete candidates (at least _MIN_GOOD) that counts as good.
_GOOD_SHARE = 0.2
_MIN_GOOD = 3
#: Each side of a range is widened by this share of the good candidates' span.
_MARGIN = 0.25
#: A parameter whose effect is at most this many standard errors of the fold
#: noise did not matter. With 1.0, and every parameter of a branch fixed when
#: all were within it, "20 candidates, narrowed, 10 more" had a regret ratio of
#: 1.16 against 30 from scratch on the tuning tasks; with 0.5 and the
#: parameter of largest effect kept searched, 0.88 (better in 18 runs of 110,
#: worse in 4: benchmarks/results/refine/studies.md).
FIX_WITHIN = 0.5
#: Candidates of a branch needed to judge whether a parameter mattered.
_MIN_EFFECT_ROWS = 10


class _Code:
    """A value that prints as the code that builds it."""

    def __init__(self, value: Any, code: str):
        self.value, self.code = value, code

    def __repr__(self) -> str:
        return self.code


class NarrowedSpace(dict):
    """A narrowed ``param_distributions`` that prints as the code that builds it.

    A dict of parameter names to scipy.stats distributions and lists, to
    pass as ``param_distributions`` as it is; with several branches, the
    list of dicts is in :attr:`branches` and passing :meth:`to_list` (or
    the object itself, whose single branch is its own content) works.
    ``notes`` says, per parameter, what changed and why.
    """

    def __init__(self, branches: list[dict[str, _Code]], notes: list[str]):
        super().__init__(
            {k: v.value for k, v in branches[0].items()} if len(branches) == 1 else {}
        )
        self.branches = [{k: v.value for k, v in b.items()} for b in branches]
        self._code = branches
        self.notes = notes

    def to_list(self) -> list[dict]:
        """The space as a list of dicts (one per branch)."""
        return [dict(b) for b in self.branches]

    @property
    def value(self) -> dict | list[dict]:
        """What to pass as ``param_distributions``: a dict, or a list of dicts."""
        return dict(self) if len(self.branches) == 1 else self.to_list()

    def __repr__(self) -> str:
        def one(branch: dict[str, _Code]) -> str:
            items = ",\n".join(f"    {name!r}: {code!r}" for name, code in branch.items())
            return "{\n" + items + ",\n}" if branch else "{}"

        if len(self._code) == 1:
            return one(self._code[0])
        return "[\n" + ",\n".join(one(b) for b in self._code) + "\n]"

    __str__ = __repr__


def _space_of(search) -> SearchSpace:
    if hasattr(search, "search_space_"):
        return search.search_space_
    for name in ("param_distributions", "param_grid"):
        if hasattr(search, name):
            return to_hyperopt_space(getattr(search, name))
    raise ValueError(
        f"narrow_space needs a fitted search with param_distributions or param_grid; "
        f"got {type(search).__name__}."
    )


def narrow_space(search, *, metric: str | None = None) -> NarrowedSpace:
    """A smaller space around the good candidates of a fitted search (see the module).

    Parameters
    ----------
    search : fitted search
        A fitted :class:`HyperoptSearchCV`, ``GridSearchCV`` or
        ``RandomizedSearchCV``.
    metric : str, default=None
        The metric that makes a candidate good; None for ``"score"``, or
        the ``refit`` metric (else the first) of a multi-metric search.

    Returns
    -------
    NarrowedSpace
        Pass it as ``param_distributions`` (:attr:`NarrowedSpace.value`
        with several branches); ``print`` it to see the code, ``notes`` for
        what changed and why.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from hyperopt_search import HyperoptSearchCV, narrow_space
    >>> X, y = load_iris(return_X_y=True)
    >>> first = HyperoptSearchCV(
    ...     SVC(), {"C": loguniform(1e-3, 1e3), "gamma": loguniform(1e-4, 1e1)},
    ...     n_iter=20, random_state=0,
    ... ).fit(X, y)
    >>> narrowed = narrow_space(first)
    >>> sorted(narrowed)
    ['C', 'gamma']
    >>> second = HyperoptSearchCV(
    ...     SVC(), narrowed, n_iter=5, initial_candidates=first, random_state=0
    ... ).fit(X, y)
    >>> int(second.cv_results_["reused"].sum()) > 0
    True
    """
    if not hasattr(search, "cv_results_"):
        raise ValueError("narrow_space needs a fitted search (it has no cv_results_).")
    space = _space_of(search)
    results = search.cv_results_
    if metric is None and isinstance(getattr(search, "refit", None), str):
        if f"mean_test_{search.refit}" in results:
            metric = search.refit
    noise = fold_noise(results, metric)
    means = np.asarray(results[f"mean_test_{noise.metric}"], dtype=float)
    complete = np.isfinite(noise.lead)
    ranked = np.argsort(-np.where(complete, means, -np.inf), kind="stable")
    order = [int(i) for i in ranked if complete[i]]
    n_good = max(_MIN_GOOD, math.ceil(_GOOD_SHARE * len(order)))
    good = set(order[:n_good]) | set(np.flatnonzero(noise.within_noise).tolist())
    params = results["params"]
    branches, notes = [], []
    for index, branch in enumerate(space.branches):
        rows = [i for i in range(len(params)) if _in_branch(branch, params[i])]
        good_rows = [i for i in rows if i in good]
        where = f" (dict {index})" if len(space.branches) > 1 else ""
        if not good_rows:
            notes.append(f"dict {index} dropped: none of its candidates is among the good ones.")
            continue
        best_row = max(rows, key=lambda i: (complete[i], means[i] if complete[i] else 0.0))
        effects = _effects(branch, [i for i in rows if complete[i]], good_rows, params, means)
        flat = {n for n, e in effects.items() if e <= FIX_WITHIN * noise.std_error}
        searched = {d.name for d in branch.dimensions if not isinstance(d, Constant)}
        if searched and flat >= searched:
            kept = max(flat, key=effects.get)
            flat.discard(kept)
            notes.append(
                f"every parameter{where} moves the score by less than the fold noise: "
                "the search cannot tell its good candidates apart, and more tuning "
                f"is unlikely to find a better model (see fold_noise_); {kept}, of the "
                "largest effect, stays searched."
            )
        narrowed = {}
        for dim in sorted(branch.dimensions, key=lambda d: d.name):
            if dim.name in flat:
                value = params[best_row][dim.name]
                narrowed[dim.name] = _Code([value], repr([_plain(value)]))
                notes.append(
                    f"{dim.name}{where}: fixed at the best's {_plain(value)!r}: its effect on "
                    f"the score ({effects[dim.name]:.2g}) is within the fold noise "
                    f"({noise.std_error:.2g}): it did not matter"
                )
                continue
            values = [params[i][dim.name] for i in good_rows]
            code, note = _narrow(dim, values)
            narrowed[dim.name] = code
            if note:
                notes.append(f"{dim.name}{where}: {note}")
        branches.append(narrowed)
    return NarrowedSpace(branches, notes)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it prints as (the code stays importable)."""
    return value.item() if isinstance(value, np.generic) else value


def _in_branch(branch: Branch, params: Mapping) -> bool:
    """Whether a candidate is one of ``branch``'s (the dicts may share their names)."""
    if set(branch.names) != set(params):
        return False
    try:
        for dim in branch.dimensions:
            dim.encode(params[dim.name])
    except (ValueError, TypeError):
        return False
    return True


def _narrow(dim: Dimension, good: list) -> tuple[_Code, str]:
    """A dimension's narrowed form, and a note on what changed (empty if nothing)."""
    if isinstance(dim, Constant):
        return _Code([dim.decode({})], repr([dim.decode({})])), ""
    if isinstance(dim, Categorical):
        return _narrow_choice(dim, good)
    if isinstance(dim, Real | Integer):
        return _narrow_range(dim, good)
    return _unchanged(dim), ""


def _unchanged(dim: Dimension) -> _Code:
    """A dimension kept as the user wrote it: a distribution or expression not narrowed."""
    if isinstance(dim, Normal):
        return _Code(stats.norm(dim.mu, dim.sigma), f"norm({dim.mu:g}, {dim.sigma:g})")
    if isinstance(dim, Quantile):
        return _Code(dim.dist, _dist_repr(dim.dist))
    return _Code(dim.expression, repr(dim.expression))


def _narrow_choice(dim: Categorical, good: list) -> tuple[_Code, str]:
    options = list(dim.given or dim.options)
    positions = {position_of(v, options) for v in good}
    if isinstance(dim, Ordinal):
        ranks = sorted(dim._order.index(p) for p in positions)
        lo, hi = max(ranks[0] - 1, 0), min(ranks[-1] + 1, len(options) - 1)
        kept = [options[dim._order[r]] for r in range(lo, hi + 1)]
    else:
        kept = [options[p] for p in sorted(positions)]
    if len(kept) == len(options):
        return _Code(list(options), repr(list(options))), ""
    dropped = [o for o in options if not any(o is k for k in kept)]
    return _Code(kept, repr(kept)), (
        f"{len(options)} -> {len(kept)} options; {dropped!r} "
        + ("never among the good candidates" if not isinstance(dim, Ordinal) else "dropped")
    )


def _feature(dim: Dimension, value: Any) -> float:
    """A candidate's value of ``dim`` as one number for the effect model (NaN: unreadable)."""
    if isinstance(dim, Categorical):
        position = position_of(value, list(dim.given or dim.options))
        return float(dim._order.index(position) if isinstance(dim, Ordinal) else position)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(np.log(value)) if getattr(dim, "log", False) else float(value)
    return math.nan


def _effects(branch: Branch, rows: list[int], good: list[int], params, means) -> dict:
    """How much each parameter moves the score near the good candidates.

    A random forest is fitted to the complete candidates' mean scores; a
    parameter's effect is the range of the forest's prediction, averaged
    over the good candidates, when only that parameter is set to each of
    its observed values (its partial dependence where the good candidates
    are, not over the whole space: a choice that matters only near the
    optimum still matters). Only with at least _MIN_EFFECT_ROWS candidates
    (else nothing is judged).
    """
    dims = [d for d in branch.dimensions if not isinstance(d, Constant)]
    if len(rows) < _MIN_EFFECT_ROWS or not dims:
        return {}
    features = np.array([[_feature(d, params[i][d.name]) for d in dims] for i in rows])
    readable = np.isfinite(features).all(axis=0)
    if not readable.any():
        return {}
    dims = [d for d, ok in zip(dims, readable, strict=True) if ok]
    features = features[:, readable]
    forest = RandomForestRegressor(n_estimators=100, min_samples_leaf=5, random_state=0)
    forest.fit(features, means[rows])
    around = features[[rows.index(i) for i in good if i in rows]]
    effects = {}
    for j, dim in enumerate(dims):
        grid = np.unique(features[:, j])
        if len(grid) > 20:
            grid = np.quantile(grid, np.linspace(0, 1, 20))
        dependence = []
        for value in grid:
            varied = around.copy()
            varied[:, j] = value
            dependence.append(forest.predict(varied).mean())
        effects[dim.name] = float(np.ptp(dependence))
    return effects


def _to_scale(dim, x):
    return np.log(x) if getattr(dim, "log", False) else np.asarray(x, dtype=float)


def _from_scale(dim, x):
    return float(np.exp(x)) if getattr(dim, "log", False) else float(x)


def _narrow_range(dim: Real | Integer, good: list) -> tuple[_Code, str]:
    low, high = float(dim.low), float(dim.high)
    lo_s, hi_s = _to_scale(dim, low), _to_scale(dim, high)
    g = _to_scale(dim, good)
    span = float(g.max() - g.min())
    margin = max(_MARGIN * span, 0.1 * (hi_s - lo_s))
    new_lo = _from_scale(dim, max(lo_s, g.min() - margin))
    new_hi = _from_scale(dim, min(hi_s, g.max() + margin))
    if isinstance(dim, Integer):
        new_lo, new_hi = math.floor(new_lo), math.ceil(new_hi)
        new_lo, new_hi = max(new_lo, dim.low), min(new_hi, dim.high)
        code = _Code(stats.randint(new_lo, new_hi + 1), f"randint({new_lo}, {new_hi + 1})")
        old = f"randint({dim.low}, {dim.high + 1})"
    else:
        new_lo = max(_round(new_lo, math.floor), low)
        new_hi = min(_round(new_hi, math.ceil), high)
        if dim.log:
            code = _Code(stats.loguniform(new_lo, new_hi), f"loguniform({new_lo:g}, {new_hi:g})")
            old = f"loguniform({low:g}, {high:g})"
        else:
            code = _Code(
                stats.uniform(new_lo, new_hi - new_lo),
                f"uniform({new_lo:g}, {new_hi - new_lo:g})",
            )
            old = f"uniform({low:g}, {high - low:g})"
    if code.code == old:
        return code, ""
    return code, f"{old} -> {code.code}, around the good candidates"


def _round(x: float, direction) -> float:
    """``x`` to two significant digits, rounded down or up (``math.floor``/``ceil``)."""
    if x == 0 or not math.isfinite(x):
        return x
    step = 10 ** (math.floor(math.log10(abs(x))) - 1)
    return direction(x / step) * step
