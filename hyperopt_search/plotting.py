"""Plots of a fitted search, in scikit-learn's Display style.

Each display is built from a fitted search with ``from_estimator`` and draws
with ``plot``; the matplotlib objects it drew are kept as attributes
(``figure_``, ``ax_``, ...), so a plot can be restyled afterwards:

- :class:`ConvergenceDisplay`: each candidate's score and the best score so
  far, against the candidate number;
- :class:`ParameterSlicesDisplay`: one panel per parameter, its value
  against the score;
- :class:`ParameterPairDisplay`: two parameters, the candidates coloured by
  their score.

They work on any fitted :class:`~hyperopt_search.HyperoptSearchCV`, with
single- or multi-metric scoring (``metric=`` chooses the score) and
conditional spaces (a parameter is only shown for the candidates where it is
active), and on scikit-learn's own fitted searches (then the axis scales are
guessed from the values). Failed candidates (a fit failed, or the mean test
score is not finite) have no score: they are drawn as red crosses along the
bottom of the convergence and slice plots, and at their place in the pair plot.

matplotlib is an optional dependency (``pip install
"hyperopt-search[plotting]"``); it is imported only when a plot is drawn.
"""

from __future__ import annotations

import inspect
import math
import numbers
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._optimizer import MODEL_ALGORITHMS
from ._space import (
    Categorical,
    Constant,
    Expression,
    Ordinal,
    Quantile,
    Real,
    SearchSpace,
    position_of,
)

__all__ = ["ConvergenceDisplay", "ParameterPairDisplay", "ParameterSlicesDisplay"]

#: Style of the failed-candidate markers, shared by every display.
_FAILED_STYLE = {
    "marker": "x",
    "color": "tab:red",
    "linestyle": "none",
    "clip_on": False,
    "in_layout": False,
}
#: Style of the raced-out candidates (``racing=True``): not failures, but
#: scored on some folds only, so drawn apart from the complete candidates.
_RACED_STYLE = {
    "marker": "v",
    "markerfacecolor": "none",
    "color": "tab:gray",
    "linestyle": "none",
}
#: Vertical position (axes fraction) of the failed-candidate markers.
_FAILED_Y = 0.03
#: Half-width of the random horizontal spread of a categorical strip.
_JITTER = 0.2
#: A numeric parameter without a known scale gets a log axis when its positive
#: values span at least this ratio.
_LOG_RATIO = 1e3
#: A parameter of a scikit-learn search with at most this many distinct
#: numeric values is drawn as categories.
_MAX_GUESSED_CATEGORIES = 10

_LOG_DISTRIBUTIONS = {"loguniform", "qloguniform", "lognormal", "qlognormal"}


# --------------------------------------------------------------------------
# What a fitted search gives to plot
# --------------------------------------------------------------------------


@dataclass
class _Scores:
    """The scores of one metric, in evaluation order, and which failed."""

    scores: np.ndarray
    failed: np.ndarray
    name: str
    metric: str


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'hyperopt_search.plotting needs matplotlib: pip install "hyperopt-search[plotting]"'
        ) from exc
    return plt


def _metrics(search) -> list[str]:
    results = search.cv_results_
    return [key[len("mean_test_") :] for key in results if key.startswith("mean_test_")]


def _default_metric(search) -> str:
    metrics = _metrics(search)
    refit = getattr(search, "refit", None)
    if isinstance(refit, str) and refit in metrics:
        return refit
    return metrics[0]


def _search_scores(search, metric: str | None) -> _Scores:
    """Mean test scores of ``metric`` and the failed mask of a fitted search."""
    check_is_fitted(search, "cv_results_")
    metrics = _metrics(search)
    if metric is None:
        metric = _default_metric(search)
    elif metric not in metrics:
        raise ValueError(
            f"metric={metric!r} is not a metric of this search; expected one of {metrics}."
        )
    scores = np.asarray(search.cv_results_[f"mean_test_{metric}"], dtype=float)
    failed = ~np.isfinite(scores)
    trials = getattr(search, "trials_", None)
    tids = search.cv_results_.get("hyperopt_tid")
    if trials is not None and tids is not None:
        status = {trial["tid"]: trial["result"].get("status") for trial in trials.trials}
        failed |= np.array([status.get(int(tid)) == "fail" for tid in tids], dtype=bool)
    name = "mean test score" if metric == "score" else f"mean test {metric}"
    return _Scores(scores, failed, name, metric)


def _raced_out(search, data: _Scores) -> tuple[np.ndarray, np.ndarray]:
    """Which candidates ``racing=True`` stopped early, and their partial scores.

    A raced-out candidate (fewer ``n_splits_fitted`` than ``n_splits_``, and
    not a failed trial) has a NaN mean test score; its score here is the mean
    over the folds it fitted. Others keep their mean test score.
    """
    results = search.cv_results_
    fitted = results.get("n_splits_fitted")
    n_splits = getattr(search, "n_splits_", None)
    if fitted is None or n_splits is None:
        return np.zeros(len(data.scores), dtype=bool), data.scores
    trials = getattr(search, "trials_", None)
    tids = results.get("hyperopt_tid")
    failed = np.zeros(len(data.scores), dtype=bool)
    if trials is not None and tids is not None:
        status = {trial["tid"]: trial["result"].get("status") for trial in trials.trials}
        failed = np.array([status.get(int(tid)) == "fail" for tid in tids], dtype=bool)
    raced = (np.asarray(fitted) < n_splits) & ~failed
    scores = data.scores.copy()
    if raced.any():
        splits = np.array(
            [results[f"split{i}_test_{data.metric}"] for i in range(n_splits)], dtype=float
        )
        scores[raced] = np.nanmean(splits[:, raced], axis=0)
    return raced, scores


def _check_metric_scores(scores, failed) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=float)
    if failed is None:
        failed = ~np.isfinite(scores)
    failed = np.asarray(failed, dtype=bool) | ~np.isfinite(scores)
    if failed.shape != scores.shape:
        raise ValueError(f"failed has shape {failed.shape}, but scores has shape {scores.shape}.")
    return scores, failed


# --------------------------------------------------------------------------
# How each parameter is drawn
# --------------------------------------------------------------------------


@dataclass
class _Parameter:
    """How one parameter is drawn: its axis scale and, if categorical, values."""

    name: str
    scale: str  # "linear", "log" or "categorical"
    categories: list = field(default_factory=list)
    integer: bool = False  # integer ticks on a numeric axis


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _index_of(value: Any, categories: list) -> int:
    """Position of ``value`` in ``categories`` (appended when new)."""
    index = position_of(value, categories)
    if index is None:
        categories.append(value)
        return len(categories) - 1
    return index


def _expression_kind(expression) -> str:
    """'categorical', 'log' or 'linear' for a user's hyperopt expression."""
    node = expression
    if node.name == "float":
        node = node.pos_args[0]
    if node.name == "switch":
        return "categorical"
    if node.name == "hyperopt_param" and node.pos_args[1].name in _LOG_DISTRIBUTIONS:
        return "log"
    return "linear"


def _quantile_is_log(dim: Quantile) -> bool:
    # Through the dimension, not scipy's ppf: a heavy tail's 99% quantile may
    # be beyond the values the search proposes (and slow to find).
    low, high = float(dim.value_at(0.01)), float(dim.value_at(0.99))
    return low > 0 and high / low >= _LOG_RATIO


def _parameters_from_space(space: SearchSpace, params: Sequence[Mapping]) -> list[_Parameter]:
    """The parameters of a space that vary, in order of first appearance."""
    dims_by_name: dict[str, list] = {}
    for branch in space.branches:
        for dim in branch.dimensions:
            dims_by_name.setdefault(dim.name, []).append(dim)

    parameters = []
    for name, dims in dims_by_name.items():
        constants: list = []
        for dim in dims:
            if isinstance(dim, Constant):
                _index_of(dim.value, constants)
        searched = [dim for dim in dims if not isinstance(dim, Constant)]
        if not searched and len(constants) < 2:
            continue  # the same value in every candidate: nothing to plot
        categories: list = []
        kinds = set()
        for dim in dims:
            if isinstance(dim, Constant):
                _index_of(dim.value, categories)
                kinds.add("categorical" if not _is_real(dim.value) else "constant")
            elif isinstance(dim, Categorical):
                # Ordered levels (a list of numbers) in their order: the axis
                # is then the ranks the search modelled.
                for option in dim.levels if isinstance(dim, Ordinal) else dim.options:
                    _index_of(option, categories)
                kinds.add("categorical")
            elif isinstance(dim, Real):
                kinds.add("log" if dim.log else "linear")
            elif isinstance(dim, Quantile):
                kinds.add("log" if _quantile_is_log(dim) else "linear")
            elif isinstance(dim, Expression):
                kinds.add(_expression_kind(dim.expression))
            else:  # Integer, Normal and any future numeric dimension
                kinds.add("linear")
        numeric = kinds - {"categorical", "constant"}
        if "categorical" in kinds or not numeric:
            for candidate in params:  # e.g. options of a hyperopt choice
                if name in candidate:
                    _index_of(candidate[name], categories)
            parameters.append(_Parameter(name, "categorical", categories))
        else:
            scale = "log" if numeric == {"log"} else "linear"
            parameters.append(_Parameter(name, scale))
    return parameters


def _parameters_from_values(params: Sequence[Mapping]) -> list[_Parameter]:
    """Guess how to draw the parameters of a search without a ``search_space_``."""
    values: dict[str, list] = {}
    for candidate in params:
        for name, value in candidate.items():
            _index_of(value, values.setdefault(name, []))
    parameters = []
    for name, distinct in values.items():
        if len(distinct) < 2:
            continue
        if all(_is_real(v) for v in distinct) and len(distinct) > _MAX_GUESSED_CATEGORIES:
            low, high = min(distinct), max(distinct)
            log = low > 0 and high / low >= _LOG_RATIO
            parameters.append(_Parameter(name, "log" if log else "linear"))
        else:
            if all(_is_real(v) for v in distinct):
                distinct = sorted(distinct)
            parameters.append(_Parameter(name, "categorical", distinct))
    return parameters


def _search_parameters(search) -> list[_Parameter]:
    params = search.cv_results_["params"]
    space = getattr(search, "search_space_", None)
    if isinstance(space, SearchSpace):
        return _parameters_from_space(space, params)
    return _parameters_from_values(params)


def _select(parameters: list[_Parameter], names: Sequence[str] | None) -> list[_Parameter]:
    if names is None:
        return parameters
    if isinstance(names, str):
        names = [names]
    by_name = {parameter.name: parameter for parameter in parameters}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {unknown}; the parameters that vary in this "
            f"search are {list(by_name)}."
        )
    return [by_name[name] for name in names]


def _check_parameters(params, parameters, scales, categories) -> list[_Parameter]:
    """Build the parameter records of a display from its constructor arguments."""
    if parameters is None:
        return _parameters_from_values(params)
    scales = {} if scales is None else dict(scales)
    categories = {} if categories is None else dict(categories)
    records = []
    for name in parameters:
        values = [candidate[name] for candidate in params if name in candidate]
        numeric = all(_is_real(v) for v in values) and name not in categories
        scale = scales.get(name, "linear" if numeric else "categorical")
        if scale not in {"linear", "log", "categorical"}:
            raise ValueError(
                f"The scale of {name!r} must be 'linear', 'log' or 'categorical', got {scale!r}."
            )
        integer = scale == "linear" and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values
        )
        records.append(_Parameter(name, scale, list(categories.get(name, [])), integer))
    return records


def _full_label(value: Any) -> str:
    """A categorical value as text; an estimator as ``Name(changed=value, ...)``.

    As scikit-learn's ``repr`` (``print_changed_only``), an estimator shows
    only the parameters that differ from their defaults, nested estimators
    the same way: ``[PCA(1), PCA(2)]`` gives ``PCA(n_components=1)`` and
    ``PCA(n_components=2)``, not ``PCA`` twice.
    """
    if isinstance(value, BaseEstimator):
        return f"{type(value).__name__}({', '.join(_changed_params(value))})"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _changed_params(estimator: BaseEstimator) -> list[str]:
    try:
        signature = inspect.signature(type(estimator).__init__)
        params = estimator.get_params(deep=False)
    except (TypeError, ValueError, AttributeError):
        return []
    changed = []
    for name, value in params.items():
        default = signature.parameters.get(name)
        if default is None or default.default is inspect.Parameter.empty:
            changed.append(f"{name}={_param_text(value)}")
            continue
        both_nan = all(isinstance(v, float) and math.isnan(v) for v in (value, default.default))
        if not both_nan and repr(value) != repr(default.default):
            changed.append(f"{name}={_param_text(value)}")
    return changed


def _param_text(value: Any) -> str:
    """A parameter value inside an estimator's label."""
    if isinstance(value, BaseEstimator | float):
        return _full_label(value)
    return repr(value)


def _cut(text: str) -> str:
    """``text`` cut at 24 characters (a tick label)."""
    return text if len(text) <= 24 else text[:23] + "\u2026"


def _tick_labels(categories: Sequence) -> list[str]:
    """Short tick labels for ``categories`` that tell them apart.

    An estimator is its class name when that is enough (``SVC``,
    ``DecisionTreeClassifier``); options of one class show their changed
    parameters (``PCA(n_components=1)``), in full and wrapped if cut at 24
    characters they would still look alike; options whose full labels are
    the same (equal reprs) get their position, ``#1``, ``#2``, ...
    """

    def name(value: Any) -> str:
        return type(value).__name__ if isinstance(value, BaseEstimator) else _full_label(value)

    labels = [_cut(name(v)) for v in categories]
    for detail in (
        lambda v: _cut(_full_label(v)),
        lambda v: textwrap.fill(_full_label(v), 24, break_long_words=False),
    ):
        counts = Counter(labels)
        labels = [
            detail(v) if counts[label] > 1 else label
            for v, label in zip(categories, labels, strict=True)
        ]
    counts = Counter(labels)
    return [f"{label} #{i + 1}" if counts[label] > 1 else label for i, label in enumerate(labels)]


def _coordinates(parameter: _Parameter, params, rows: np.ndarray, rng) -> np.ndarray:
    """Plot coordinates of ``parameter`` for the candidates ``rows``."""
    values = [params[i][parameter.name] for i in rows]
    if parameter.scale != "categorical":
        return np.array([float(v) for v in values], dtype=float)
    positions = np.array([_index_of(v, parameter.categories) for v in values], dtype=float)
    return positions + rng.uniform(-_JITTER, _JITTER, size=len(positions))


def _set_scale(ax, parameter: _Parameter, axis: str) -> None:
    """Log scale or categorical ticks on ``axis`` ("x" or "y") of ``ax``."""
    if parameter.scale == "log":
        getattr(ax, f"set_{axis}scale")("log")
    elif parameter.integer:
        from matplotlib.ticker import MaxNLocator

        getattr(ax, f"{axis}axis").set_major_locator(MaxNLocator(integer=True))
    elif parameter.scale == "categorical":
        n = len(parameter.categories)
        getattr(ax, f"set_{axis}ticks")(np.arange(n), _tick_labels(parameter.categories))
        getattr(ax, f"set_{axis}lim")(-0.5, n - 0.5)
    getattr(ax, f"set_{axis}label")(parameter.name)


def _active_rows(params, names: Sequence[str]) -> np.ndarray:
    return np.array(
        [i for i, candidate in enumerate(params) if all(n in candidate for n in names)],
        dtype=int,
    )


# --------------------------------------------------------------------------
# Convergence
# --------------------------------------------------------------------------


class ConvergenceDisplay:
    """Each candidate's score and the best score so far, in evaluation order.

    Build it with :meth:`from_estimator`; the constructor takes the plain
    data and does not draw. Candidates are numbered from 1 in the order they
    were evaluated (``cv_results_["hyperopt_order"]``). Failed candidates are
    drawn as red crosses along the bottom of the Axes; candidates raced out by
    ``racing=True`` (not failures: stopped after some folds) as grey hollow
    triangles at the mean score of the folds they fitted, left out of the
    best so far; the first round of a TPE search (random candidates, before
    the model guides the search) is shaded. The legend is above the Axes,
    where it hides no candidate.

    Parameters
    ----------
    scores : array-like of shape (n_candidates,)
        Mean test score of each candidate, in evaluation order.

    failed : array-like of bool of shape (n_candidates,), default=None
        Which candidates failed. Candidates whose score is not finite always
        count as failed.

    rounds : array-like of int of shape (n_candidates,), default=None
        The round of each candidate (``cv_results_["hyperopt_round"]``);
        round 0 is shaded when there are several rounds.

    raced : array-like of bool of shape (n_candidates,), default=None
        Which candidates were raced out (``racing=True``): their ``scores``
        are the mean over the folds they fitted. They are drawn apart and
        do not count in the best so far; a failed one is drawn as failed.

    score_name : str, default="mean test score"
        Label of the score axis.

    Attributes
    ----------
    best_so_far_ : ndarray of shape (n_candidates,)
        Best finite score among the candidates up to each one (NaN before the
        first finite score).

    scores_line_ : matplotlib Line2D
        The markers of the candidates that did not fail.

    best_line_ : matplotlib Line2D
        The best-so-far line (a step line).

    failed_line_ : matplotlib Line2D
        The markers of the failed candidates (possibly empty).

    raced_line_ : matplotlib Line2D
        The markers of the raced-out candidates (possibly empty).

    ax_ : matplotlib Axes
        The Axes drawn into.

    figure_ : matplotlib Figure
        The Figure of ``ax_``.

    See Also
    --------
    ParameterSlicesDisplay : Score against each parameter.
    ParameterPairDisplay : Score over a pair of parameters.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from hyperopt_search import HyperoptSearchCV
    >>> from hyperopt_search.plotting import ConvergenceDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> search = HyperoptSearchCV(
    ...     SVC(), {"C": loguniform(1e-3, 1e2)}, n_iter=10, cv=3, random_state=0
    ... ).fit(X, y)
    >>> display = ConvergenceDisplay.from_estimator(search)
    >>> len(display.scores_line_.get_xdata())
    10
    >>> bool(display.best_so_far_[-1] == search.best_score_)
    True
    >>> display.ax_.get_xlabel()
    'candidate'
    """

    def __init__(
        self, *, scores, failed=None, rounds=None, raced=None, score_name="mean test score"
    ):
        self.scores = scores
        self.failed = failed
        self.rounds = rounds
        self.raced = raced
        self.score_name = score_name

    @classmethod
    def from_estimator(cls, search, *, metric=None, ax=None, **kwargs):
        """Plot the convergence of a fitted search.

        Parameters
        ----------
        search : HyperoptSearchCV or another fitted search
            A fitted search with ``cv_results_``.

        metric : str, default=None
            Which score to plot in multi-metric scoring: a key of
            ``scoring``. By default the ``refit`` metric (the one hyperopt
            optimised), or the first one if ``refit`` does not name one.

        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure by default.

        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ConvergenceDisplay
        """
        data = _search_scores(search, metric)
        rounds = search.cv_results_.get("hyperopt_round")
        if getattr(search, "algo", None) not in MODEL_ALGORITHMS:
            rounds = None  # only model-based algorithms have a start-up round
        raced, scores = _raced_out(search, data)
        failed = data.failed & ~raced
        order = search.cv_results_.get("hyperopt_order")
        if order is not None:
            # A completed grid's rows are in the grid's order: back to evaluation order.
            rows = np.argsort(np.asarray(order), kind="stable")
            scores, failed, raced = scores[rows], failed[rows], raced[rows]
            rounds = None if rounds is None else np.asarray(rounds)[rows]
        display = cls(
            scores=scores,
            failed=failed,
            rounds=rounds,
            raced=raced if raced.any() else None,
            score_name=data.name,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, scatter_kwargs=None, line_kwargs=None):
        """Draw the plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure by default.

        scatter_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the candidates'
            markers.

        line_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the best-so-far
            line.

        Returns
        -------
        display : ConvergenceDisplay
            This object, with the drawn artists as attributes.
        """
        plt = _import_pyplot()
        scores, failed = _check_metric_scores(self.scores, self.failed)
        raced = np.zeros(len(scores), dtype=bool)
        if self.raced is not None:
            raced = np.asarray(self.raced, dtype=bool)
            if raced.shape != scores.shape:
                raise ValueError(
                    f"raced has shape {raced.shape}, but scores has shape {scores.shape}."
                )
            raced = raced & ~failed
        if ax is None:
            _, ax = plt.subplots()
        number = np.arange(1, len(scores) + 1)
        ok = ~failed & ~raced
        best = np.fmax.accumulate(np.where(ok, scores, -np.inf)) if len(scores) else scores
        self.best_so_far_ = np.where(np.isfinite(best), best, np.nan)

        if self.rounds is not None:
            rounds = np.asarray(self.rounds)
            if len(rounds) and np.any(rounds != rounds[0]):
                end = np.flatnonzero(rounds == rounds[0]).max() + 1
                ax.axvspan(0.5, end + 0.5, color="0.92", zorder=0, label="start-up (no model)")

        (self.scores_line_,) = ax.plot(
            number[ok],
            scores[ok],
            **{"marker": "o", "linestyle": "none", "alpha": 0.7, "label": "candidate"}
            | (scatter_kwargs or {}),
        )
        (self.best_line_,) = ax.plot(
            number,
            self.best_so_far_,
            **{"drawstyle": "steps-post", "color": "black", "label": "best so far"}
            | (line_kwargs or {}),
        )
        (self.raced_line_,) = ax.plot(
            number[raced],
            scores[raced],
            label="raced out (mean of its folds)" if raced.any() else "_raced out",
            **_RACED_STYLE,
        )
        (self.failed_line_,) = ax.plot(
            number[failed],
            np.full(failed.sum(), _FAILED_Y),
            transform=ax.get_xaxis_transform(),
            label="failed",
            **_FAILED_STYLE,
        )
        ax.set_xlabel("candidate")
        ax.set_ylabel(self.score_name)
        if len(scores):
            ax.set_xlim(0.5, len(scores) + 0.5)
        # Above the Axes: inside, it hid the markers along the bottom.
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncols=3,
            fontsize="small",
            frameon=False,
        )
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


# --------------------------------------------------------------------------
# One parameter at a time
# --------------------------------------------------------------------------


def _grid_axes(plt, ax, n: int, n_cols: int):
    """``n`` Axes in a grid: in a new figure, or inside the area of ``ax``.

    Returns the Axes whose area was split (None for a new figure) and the
    panels, the panels of each row sharing their y axis.
    """
    n_cols = max(1, min(n_cols, n))
    n_rows = math.ceil(n / n_cols)
    if ax is None:
        fig = plt.figure(figsize=(3.2 * n_cols, 2.8 * n_rows), layout="constrained")
        grid = fig.add_gridspec(n_rows, n_cols)
    else:
        spec = ax.get_subplotspec()
        if spec is None:
            raise ValueError("ax must be a subplot (from plt.subplots or fig.add_subplot).")
        ax.set_axis_off()
        fig = ax.figure
        grid = spec.subgridspec(n_rows, n_cols, wspace=0.3, hspace=0.6)
    panels = []
    for i in range(n):
        row_start = panels[i - i % n_cols] if i % n_cols else None
        panels.append(fig.add_subplot(grid[i // n_cols, i % n_cols], sharey=row_start))
    return ax, np.array(panels, dtype=object)


class ParameterSlicesDisplay:
    """Score against each parameter, one panel per parameter.

    Every candidate where the parameter is active is a point (parameter
    value, score). A log-scaled parameter (``loguniform``, and distributions
    spanning several decades) gets a log axis; a categorical one is drawn as
    strips, one per value, the points spread sideways. In a conditional
    space a panel shows only the candidates where its parameter is active;
    parameters with a single value in the whole space are left out. Failed
    candidates are red crosses along the bottom of each panel.

    Build it with :meth:`from_estimator`; the constructor takes the plain
    data and does not draw.

    Parameters
    ----------
    params : list of dict
        Each candidate's parameters (``cv_results_["params"]``); a parameter
        missing from a dict is inactive for that candidate.

    scores : array-like of shape (n_candidates,)
        Mean test score of each candidate.

    failed : array-like of bool of shape (n_candidates,), default=None
        Which candidates failed (non-finite scores always count as failed).

    parameters : list of str, default=None
        The parameters to plot, in order. By default those with more than one
        value in ``params``, with guessed scales.

    scales : dict of str to {"linear", "log", "categorical"}, default=None
        Axis scale of each parameter. By default ``"linear"`` for numbers,
        ``"categorical"`` for other values and parameters in ``categories``.

    categories : dict of str to list, default=None
        Order of the values of categorical parameters.

    score_name : str, default="mean test score"
        Label of the score axis.

    Attributes
    ----------
    parameters_ : list of str
        The parameters plotted, one per panel.

    axes_ : ndarray of matplotlib Axes of shape (n_parameters,)
        One Axes per parameter.

    lines_ : ndarray of matplotlib Line2D of shape (n_parameters,)
        The markers of the (not failed) candidates of each panel.

    failed_lines_ : ndarray of matplotlib Line2D of shape (n_parameters,)
        The failed candidates' markers of each panel.

    ax_ : matplotlib Axes or None
        The Axes given as ``ax`` whose area was split into the panels (it is
        hidden); None when the figure was created here or ``ax`` was a list
        of Axes.

    figure_ : matplotlib Figure
        The Figure of the panels.

    See Also
    --------
    ConvergenceDisplay : Score against the candidate number.
    ParameterPairDisplay : Score over a pair of parameters.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from hyperopt_search import HyperoptSearchCV
    >>> from hyperopt_search.plotting import ParameterSlicesDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> search = HyperoptSearchCV(
    ...     SVC(),
    ...     {"C": loguniform(1e-3, 1e2), "kernel": ["linear", "rbf"]},
    ...     n_iter=10,
    ...     cv=3,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> display = ParameterSlicesDisplay.from_estimator(search)
    >>> display.parameters_
    ['C', 'kernel']
    >>> [ax.get_xscale() for ax in display.axes_]
    ['log', 'linear']
    >>> [label.get_text() for label in display.axes_[1].get_xticklabels()]
    ['linear', 'rbf']
    """

    def __init__(
        self,
        *,
        params,
        scores,
        failed=None,
        parameters=None,
        scales=None,
        categories=None,
        score_name="mean test score",
    ):
        self.params = params
        self.scores = scores
        self.failed = failed
        self.parameters = parameters
        self.scales = scales
        self.categories = categories
        self.score_name = score_name

    @classmethod
    def from_estimator(cls, search, *, params=None, metric=None, ax=None, **kwargs):
        """Plot the score against each parameter of a fitted search.

        Parameters
        ----------
        search : HyperoptSearchCV or another fitted search
            A fitted search with ``cv_results_``.

        params : str or list of str, default=None
            The parameters to plot; by default every parameter that takes
            more than one value in the search space, in the order of the
            space.

        metric : str, default=None
            Which score to plot in multi-metric scoring (default: the
            ``refit`` metric, else the first).

        ax : matplotlib Axes or array-like of Axes, default=None
            A subplot whose area receives one panel per parameter, or one
            Axes per parameter; a new figure by default.

        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ParameterSlicesDisplay
        """
        data = _search_scores(search, metric)
        chosen = _select(_search_parameters(search), params)
        display = cls(
            params=search.cv_results_["params"],
            scores=data.scores,
            failed=data.failed,
            parameters=[p.name for p in chosen],
            scales={p.name: p.scale for p in chosen},
            categories={p.name: p.categories for p in chosen if p.scale == "categorical"},
            score_name=data.name,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, n_cols=3, scatter_kwargs=None, random_state=0):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            A subplot whose area receives the panels (it is hidden), or one
            Axes per parameter; a new figure by default.

        n_cols : int, default=3
            Number of panels per row (when the Axes are created here).

        scatter_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the markers.

        random_state : int, default=0
            Seed of the sideways spread of the categorical strips.

        Returns
        -------
        display : ParameterSlicesDisplay
            This object, with the drawn artists as attributes.
        """
        plt = _import_pyplot()
        scores, failed = _check_metric_scores(self.scores, self.failed)
        parameters = _check_parameters(self.params, self.parameters, self.scales, self.categories)
        if not parameters:
            raise ValueError("No parameter to plot: no parameter takes several values.")
        in_grid = ax is None or not np.iterable(ax)
        if in_grid:
            self.ax_, axes = _grid_axes(plt, ax, len(parameters), n_cols)
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if len(axes) != len(parameters):
                raise ValueError(
                    f"Expected {len(parameters)} Axes, one per parameter, got {len(axes)}."
                )
            self.ax_ = None
        rng = np.random.default_rng(random_state)
        lines, failed_lines = [], []
        for panel, parameter in zip(axes, parameters, strict=True):
            rows = _active_rows(self.params, [parameter.name])
            x = _coordinates(parameter, self.params, rows, rng)
            ok = ~failed[rows]
            (line,) = panel.plot(
                x[ok],
                scores[rows][ok],
                **{"marker": "o", "linestyle": "none", "alpha": 0.7} | (scatter_kwargs or {}),
            )
            (failed_line,) = panel.plot(
                x[~ok],
                np.full((~ok).sum(), _FAILED_Y),
                transform=panel.get_xaxis_transform(),
                **_FAILED_STYLE,
            )
            _set_scale(panel, parameter, "x")
            if parameter.scale == "categorical" and any(
                len(label) > 6 for label in _tick_labels(parameter.categories)
            ):
                panel.tick_params(axis="x", labelrotation=30)
            lines.append(line)
            failed_lines.append(failed_line)
        for index, panel in enumerate(axes):
            if not in_grid or index % n_cols == 0:
                panel.set_ylabel(self.score_name)
            else:
                panel.tick_params(axis="y", labelleft=False)
        self.parameters_ = [p.name for p in parameters]
        self.axes_ = axes
        self.lines_ = np.array(lines, dtype=object)
        self.failed_lines_ = np.array(failed_lines, dtype=object)
        self.figure_ = axes[0].figure
        return self


# --------------------------------------------------------------------------
# Two parameters
# --------------------------------------------------------------------------


class ParameterPairDisplay:
    """Score over a pair of parameters: candidates coloured by their score.

    Each candidate where both parameters are active is a point at (x value,
    y value), coloured by its score (a colour bar gives the scale); the best
    one is circled. Axes follow the parameters' scales as in
    :class:`ParameterSlicesDisplay` (log axes, categorical strips). Failed
    candidates are red crosses at their place.

    Build it with :meth:`from_estimator`; the constructor takes the plain
    data and does not draw.

    Parameters
    ----------
    params : list of dict
        Each candidate's parameters (``cv_results_["params"]``).

    scores : array-like of shape (n_candidates,)
        Mean test score of each candidate.

    x, y : str
        The parameters on the horizontal and vertical axes.

    failed : array-like of bool of shape (n_candidates,), default=None
        Which candidates failed (non-finite scores always count as failed).

    scales : dict of str to {"linear", "log", "categorical"}, default=None
        Axis scale of each parameter. By default ``"linear"`` for numbers,
        ``"categorical"`` for other values and parameters in ``categories``.

    categories : dict of str to list, default=None
        Order of the values of categorical parameters.

    score_name : str, default="mean test score"
        Label of the colour bar.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The (not failed) candidates.

    best_marker_ : matplotlib Line2D
        The circle around the best candidate (empty if every one failed).

    failed_line_ : matplotlib Line2D
        The failed candidates' markers.

    colorbar_ : matplotlib Colorbar
        The score scale.

    ax_ : matplotlib Axes
        The Axes drawn into.

    figure_ : matplotlib Figure
        The Figure of ``ax_``.

    See Also
    --------
    ConvergenceDisplay : Score against the candidate number.
    ParameterSlicesDisplay : Score against each parameter.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from hyperopt_search import HyperoptSearchCV
    >>> from hyperopt_search.plotting import ParameterPairDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> search = HyperoptSearchCV(
    ...     SVC(),
    ...     {"C": loguniform(1e-3, 1e2), "gamma": loguniform(1e-4, 1e1)},
    ...     n_iter=10,
    ...     cv=3,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> display = ParameterPairDisplay.from_estimator(search, x="C", y="gamma")
    >>> len(display.scatter_.get_offsets())
    10
    >>> display.ax_.get_xscale(), display.ax_.get_yscale()
    ('log', 'log')
    """

    def __init__(
        self,
        *,
        params,
        scores,
        x,
        y,
        failed=None,
        scales=None,
        categories=None,
        score_name="mean test score",
    ):
        self.params = params
        self.scores = scores
        self.x = x
        self.y = y
        self.failed = failed
        self.scales = scales
        self.categories = categories
        self.score_name = score_name

    @classmethod
    def from_estimator(cls, search, *, x=None, y=None, metric=None, ax=None, **kwargs):
        """Plot the score over two parameters of a fitted search.

        Parameters
        ----------
        search : HyperoptSearchCV or another fitted search
            A fitted search with ``cv_results_``.

        x, y : str, default=None
            The parameters on the horizontal and vertical axes; by default
            the first two parameters that vary in the search space.

        metric : str, default=None
            Which score to plot in multi-metric scoring (default: the
            ``refit`` metric, else the first).

        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure by default.

        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ParameterPairDisplay
        """
        data = _search_scores(search, metric)
        parameters = _search_parameters(search)
        if x is None or y is None:
            free = [p.name for p in parameters if p.name not in (x, y)]
            if x is None:
                x, free = (free[0], free[1:]) if free else (None, free)
            if y is None:
                y = free[0] if free else None
            if x is None or y is None:
                raise ValueError(
                    "A pair plot needs two parameters that vary; this search has "
                    f"{[p.name for p in parameters]}."
                )
        if x == y:
            raise ValueError(f"x and y must be different parameters, got {x!r} twice.")
        chosen = _select(parameters, [x, y])
        display = cls(
            params=search.cv_results_["params"],
            scores=data.scores,
            x=x,
            y=y,
            failed=data.failed,
            scales={p.name: p.scale for p in chosen},
            categories={p.name: p.categories for p in chosen if p.scale == "categorical"},
            score_name=data.name,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, cmap="viridis", scatter_kwargs=None, random_state=0):
        """Draw the plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw into; a new figure by default.

        cmap : str or matplotlib Colormap, default="viridis"
            Colour map of the scores (high scores get its last colour).

        scatter_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.scatter`.

        random_state : int, default=0
            Seed of the sideways spread of categorical strips.

        Returns
        -------
        display : ParameterPairDisplay
            This object, with the drawn artists as attributes.
        """
        plt = _import_pyplot()
        scores, failed = _check_metric_scores(self.scores, self.failed)
        x_param, y_param = _check_parameters(
            self.params, [self.x, self.y], self.scales, self.categories
        )
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        rng = np.random.default_rng(random_state)
        rows = _active_rows(self.params, [self.x, self.y])
        x = _coordinates(x_param, self.params, rows, rng)
        y = _coordinates(y_param, self.params, rows, rng)
        ok = ~failed[rows]
        self.scatter_ = ax.scatter(
            x[ok],
            y[ok],
            c=scores[rows][ok],
            **{"cmap": cmap, "edgecolors": "none"} | (scatter_kwargs or {}),
        )
        best = np.argmax(scores[rows][ok]) if ok.any() else None
        (self.best_marker_,) = ax.plot(
            x[ok][[best]] if best is not None else [],
            y[ok][[best]] if best is not None else [],
            marker="o",
            markersize=14,
            markerfacecolor="none",
            markeredgecolor="black",
            linestyle="none",
            label="best",
        )
        (self.failed_line_,) = ax.plot(x[~ok], y[~ok], label="failed", **_FAILED_STYLE)
        _set_scale(ax, x_param, "x")
        _set_scale(ax, y_param, "y")
        self.colorbar_ = ax.figure.colorbar(self.scatter_, ax=ax, label=self.score_name)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
