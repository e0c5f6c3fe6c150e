"""The one place where ``algo``, ``n_initial_points`` and the budget become a proposer.

``algo="auto"`` and ``n_initial_points="auto"`` depend on the budget
(``n_iter``) and on the space; everything that needs them (the search, the
plots, the tests) asks :func:`proposer`. The numbers behind each choice are
on the algorithms page of the documentation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._optimizer import MODEL_ALGORITHMS, AutoAlgorithm, resolve_algo

__all__ = ["Proposer", "initial_points", "proposer", "tpe_gamma"]


def initial_points(algo: str, n_iter: int, n_initial_points="auto") -> int:
    """Model-free candidates before the model of ``algo`` guides the search.

    ``"auto"``: ``min(10, max(5, n_iter // 2))`` for the Gaussian process
    (Optuna's ``GPSampler`` uses 10), ``min(20, max(5, n_iter // 5))`` for
    hyperopt's TPE (its fixed 20 would make a 30-candidate search two-thirds
    random), and the larger of the two for multivariate TPE.

    Examples
    --------
    >>> initial_points("gp", 30), initial_points("tpe", 30), initial_points("mtpe", 30)
    (10, 6, 10)
    >>> initial_points("gp", 30, n_initial_points=3)
    3
    """
    if n_initial_points != "auto":
        return n_initial_points
    gp = min(10, max(5, n_iter // 2))
    tpe = min(20, max(5, n_iter // 5))
    return {"gp": gp, "mtpe": max(gp, tpe)}.get(algo, tpe)


def tpe_gamma(n_iter: int) -> float:
    """TPE's gamma: 0.5 from 40 candidates on, hyperopt's 0.25 below.

    hyperopt models the ceil(gamma * sqrt(n)) best trials as "good": with
    0.25, only 2 of 50. In ``benchmarks/results/defaults.md``, 0.5 lowered
    the regret ratio at 50 candidates from 0.71 to 0.53 (confirmed on 20
    fresh seeds, 0.70 to 0.55), was neutral at 100 and worse at 20.
    """
    return 0.5 if n_iter >= 40 else 0.25


@dataclass(frozen=True)
class Proposer:
    """A search's suggest function and its model-free start.

    ``algo`` has hyperopt's algorithm signature; ``startup(domain)`` is the
    number of model-free candidates a new search proposes first, in one round
    (0 for algorithms without a model).
    """

    algo: Callable
    name: str
    n_iter: int
    n_initial_points: object = "auto"

    def startup(self, domain) -> int:
        if self.name not in MODEL_ALGORITHMS:
            return 0
        name = self.name
        if isinstance(self.algo, AutoAlgorithm):
            name = self.algo.name_of(self.algo.choose(domain, 0))
        return initial_points(name, self.n_iter, self.n_initial_points)


def proposer(algo, n_iter: int, n_initial_points="auto") -> Proposer:
    """The :class:`Proposer` of ``algo`` (a name or a callable) for a budget of ``n_iter``."""
    if callable(algo):
        return Proposer(algo, "callable", n_iter, n_initial_points)
    n_initial = {name: initial_points(name, n_iter, n_initial_points) for name in MODEL_ALGORITHMS}
    gamma = tpe_gamma(n_iter)
    if algo == "auto":
        suggest = AutoAlgorithm(
            *(resolve_algo(name, n_initial[name], gamma) for name in ("gp", "tpe", "mtpe"))
        )
    else:
        suggest = resolve_algo(algo, n_initial.get(algo), gamma)
    return Proposer(suggest, algo, n_iter, n_initial_points)
