"""How much of the best candidate's lead is fold noise, and a ``refit`` rule that respects it.

A cross-validated score is a mean over folds; two candidates scored on the
same folds differ fold by fold around their true difference. Racing
(:mod:`._racing`) already estimates that fold-to-fold noise from the paired
differences of the better half of the complete candidates to the best one.
Here the same estimate says, after a search, which candidates are within one
standard error of a paired difference of cross-validated means from the
best: the search cannot tell them apart, and tuning on to separate them
chases noise (over-tuning). :class:`SimplestWithinNoise` is a callable
``refit`` that picks, among them, the one you prefer (the simplest), in the
spirit of scikit-learn's one-standard-error example.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._racing import reference

__all__ = ["FoldNoise", "SimplestWithinNoise", "fold_noise"]


@dataclass(frozen=True)
class FoldNoise:
    """The best candidate's lead over the others, against the fold noise.

    Attributes
    ----------
    metric : str
        The metric (``"score"`` with single-metric scoring).
    best_index : int
        The row of ``cv_results`` with the best mean score among complete
        candidates (all folds fitted and finite).
    std_error : float
        The standard error of a paired difference of two candidates'
        cross-validated means, ``s / sqrt(n_splits)``, with ``s`` the pooled
        fold-to-fold standard deviation of paired differences (NaN with
        fewer than two complete candidates).
    lead : ndarray of shape (n_candidates,)
        The best's mean score minus each candidate's (NaN for a candidate
        that is not complete).
    within_noise : ndarray of bool of shape (n_candidates,)
        Complete candidates whose ``lead`` is at most ``n_se * std_error``:
        the best among them.
    n_se : float
        The standard errors that count as noise.
    """

    metric: str
    best_index: int
    std_error: float
    lead: np.ndarray
    within_noise: np.ndarray
    n_se: float = 1.0

    @property
    def runner_up_lead(self) -> float:
        """The best's lead over the second-best complete candidate (NaN if none)."""
        others = np.delete(self.lead, self.best_index)
        others = others[np.isfinite(others)]
        return float(others.min()) if len(others) else math.nan

    def __str__(self) -> str:
        n_within = int(self.within_noise.sum())
        lead, se = self.runner_up_lead, self.std_error
        if not math.isfinite(se):
            return (
                f"best candidate: row {self.best_index}; fewer than two complete "
                "candidates, so the fold noise is unknown"
            )
        ratio = lead / se if se > 0 else math.inf
        return (
            f"best candidate: row {self.best_index}; its lead over the next one is "
            f"{lead:.4g}, {ratio:.2g} standard errors of a paired difference of "
            f"CV means ({se:.3g}); {n_within} candidates are within "
            f"{self.n_se:g} standard error of it"
            + (": the search cannot tell them apart." if n_within > 1 else ".")
        )


def _fold_columns(cv_results: Mapping, metric: str) -> list[str]:
    pattern = re.compile(rf"split(\d+)_test_{re.escape(metric)}")
    found = sorted((int(m.group(1)), key) for key in cv_results if (m := pattern.fullmatch(key)))
    return [key for _, key in found]


def _default_metric(cv_results: Mapping) -> str:
    if "mean_test_score" in cv_results:
        return "score"
    for key in cv_results:
        if key.startswith("mean_test_"):
            return key[len("mean_test_") :]
    raise ValueError("cv_results has no mean_test_* key.")


def fold_noise(cv_results: Mapping, metric: str | None = None, n_se: float = 1.0) -> FoldNoise:
    """Which candidates of ``cv_results`` the fold noise cannot tell from the best.

    Parameters
    ----------
    cv_results : dict
        A search's ``cv_results_`` (any scikit-learn search), with the
        per-fold ``split<k>_test_<metric>`` columns.
    metric : str, default=None
        The metric; None for ``"score"``, or the first metric of a
        multi-metric search.
    n_se : float, default=1.0
        How many standard errors of a paired difference count as noise.

    Returns
    -------
    FoldNoise

    Examples
    --------
    >>> results = {
    ...     "split0_test_score": [0.90, 0.91, 0.70], "split1_test_score": [0.80, 0.78, 0.62],
    ...     "split2_test_score": [0.86, 0.85, 0.65], "mean_test_score": [0.853, 0.847, 0.657],
    ... }
    >>> noise = fold_noise(results)
    >>> noise.best_index, noise.within_noise.tolist()
    (0, [True, True, False])
    """
    metric = _default_metric(cv_results) if metric is None else metric
    columns = _fold_columns(cv_results, metric)
    if len(columns) < 2:
        raise ValueError(
            f"cv_results has fewer than two split<k>_test_{metric} columns: the fold "
            "noise needs the fold scores of at least two folds."
        )
    scores = np.column_stack([np.asarray(cv_results[key], dtype=float) for key in columns])
    complete = np.isfinite(scores).all(axis=1)
    if not complete.any():
        raise ValueError(f"No candidate has finite test_{metric} scores on every fold.")
    means = np.where(complete, scores.mean(axis=1), -np.inf)
    best = int(np.argmax(means))  # the first of ties, as rank_test_ does
    ref = reference(scores)
    std_error = math.nan
    if ref is not None and ref.df > 0:
        std_error = math.sqrt(ref.sum_squares / ref.df / scores.shape[1])
    lead = np.where(complete, means[best] - means, np.nan)
    within = complete & (lead <= (n_se * std_error if math.isfinite(std_error) else 0.0))
    within[best] = True
    return FoldNoise(metric, best, std_error, lead, within, n_se)


def fold_noise_of(cv_results: Mapping, metric: str) -> FoldNoise | None:
    """:func:`fold_noise` of a search's results, or None where it cannot be estimated."""
    try:
        return fold_noise(cv_results, metric)
    except ValueError:
        return None


class SimplestWithinNoise:
    """A ``refit`` rule: the preferred candidate among those the fold noise cannot tell apart.

    Pass an instance as ``refit`` to :class:`HyperoptSearchCV` (or to
    scikit-learn's searches): among the candidates within ``n_se`` standard
    errors of a paired difference of CV means from the best (see
    :func:`fold_noise`), it picks the one that ``prefer`` ranks first, the
    better mean score breaking ties. ``best_score_`` is then not set, as
    with any callable ``refit``.

    Parameters
    ----------
    prefer : dict or callable
        What you prefer: a dict mapping parameter names to ``"low"`` or
        ``"high"`` (``{"C": "low"}``: the strongest regularisation; several
        names are compared in order), or a callable taking a candidate's
        parameters and returning a sort key, lowest preferred. A candidate
        without a parameter of the dict (another branch of a conditional
        space) comes last.
    metric : str, default=None
        The metric; None for ``"score"``, or the first metric of a
        multi-metric search.
    n_se : float, default=1.0
        How many standard errors count as noise.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from hyperopt_search import HyperoptSearchCV, SimplestWithinNoise
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> search = HyperoptSearchCV(
    ...     model, {"logisticregression__C": loguniform(1e-3, 1e2)}, n_iter=12,
    ...     refit=SimplestWithinNoise({"logisticregression__C": "low"}), random_state=0,
    ... ).fit(X, y)
    >>> chosen = search.cv_results_["params"][search.best_index_]["logisticregression__C"]
    >>> best = search.cv_results_["params"][search.fold_noise_.best_index]
    >>> bool(chosen <= best["logisticregression__C"])
    True
    """

    def __init__(
        self,
        prefer: Mapping[str, str] | Callable[[dict], Any],
        *,
        metric: str | None = None,
        n_se: float = 1.0,
    ):
        if isinstance(prefer, Mapping):
            bad = {k: v for k, v in prefer.items() if v not in ("low", "high")}
            if bad or not prefer:
                raise ValueError(
                    f"prefer must map parameter names to 'low' or 'high'; got {dict(prefer)!r}."
                )
        elif not callable(prefer):
            raise ValueError(f"prefer must be a dict or a callable; got {prefer!r}.")
        if not isinstance(n_se, numbers.Real) or not n_se >= 0:
            raise ValueError(f"n_se must be a non-negative number; got {n_se!r}.")
        self.prefer = prefer
        self.metric = metric
        self.n_se = n_se

    def _key(self, params: dict) -> Any:
        if callable(self.prefer) and not isinstance(self.prefer, Mapping):
            return self.prefer(params)
        key = []
        for name, direction in self.prefer.items():
            if name not in params:
                key.append((1, 0.0))
                continue
            value = params[name]
            if not isinstance(value, numbers.Real):
                raise ValueError(
                    f"prefer={{{name!r}: {direction!r}}} needs numbers; the candidate "
                    f"{params!r} has {name}={value!r}."
                )
            key.append((0, float(value) if direction == "low" else -float(value)))
        return tuple(key)

    def __call__(self, cv_results: Mapping) -> int:
        noise = fold_noise(cv_results, self.metric, self.n_se)
        means = np.asarray(cv_results[f"mean_test_{noise.metric}"], dtype=float)
        rows = np.flatnonzero(noise.within_noise)
        params = cv_results["params"]
        return int(min(rows, key=lambda i: (self._key(params[i]), -means[i], i)))

    def __repr__(self) -> str:
        options = "" if self.metric is None else f", metric={self.metric!r}"
        options += "" if self.n_se == 1.0 else f", n_se={self.n_se!r}"
        return f"{type(self).__name__}({self.prefer!r}{options})"
