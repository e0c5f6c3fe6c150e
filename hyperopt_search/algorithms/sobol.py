"""A quasi-random design: hyperopt's ``rand.suggest``, spread evenly.

``suggest`` gives the next points of one scrambled Sobol sequence over the
unit cube of the space's features (see :mod:`hyperopt_search.algorithms`),
mapped through the prior: ``n`` candidates cover the space more evenly than
``n`` independent random draws. The sequence's seed is kept in
``trials.attachments``, so a search continued from its ``Trials`` continues
the same sequence.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.stats import qmc

from ._encoding import EncodedSpace, encoded_space
from ._trials import design_seed, new_trial_docs

__all__ = ["design_points", "suggest"]


def design_points(space: EncodedSpace, seed: int, start: int, count: int) -> np.ndarray:
    """Features of points ``start .. start + count - 1`` of the scrambled sequence."""
    stop = start + count
    # A power of two keeps Sobol balanced; at least 64, so that a design asked
    # one point at a time scrambles its sequence once (the first points of a
    # sequence do not depend on how many are drawn).
    n = max(2 ** math.ceil(math.log2(max(stop, 1))), _MIN_POINTS)
    return space.from_design(_unit_points(space.n_dims, seed, n)[start:stop])


#: Points of a scrambled sequence drawn (and kept) at once, at least.
_MIN_POINTS = 64


@functools.lru_cache(maxsize=16)
def _unit_points(n_dims: int, seed: int, n: int) -> np.ndarray:
    """The first ``n`` points of the scrambled Sobol sequence of ``seed`` (read-only)."""
    points = qmc.Sobol(n_dims, scramble=True, seed=np.random.default_rng(seed)).random(n)
    points.flags.writeable = False
    return points


def suggest(new_ids, domain, trials, seed):
    """hyperopt algorithm: the next points of a scrambled Sobol sequence.

    Parameters
    ----------
    new_ids : list of int
        Trial ids to propose for (one proposal each).
    domain : hyperopt.base.Domain
        The search space.
    trials : hyperopt.Trials
        The trials so far; their number is the position in the sequence.
    seed : int
        Seeds the scrambling on the first call of a search.

    Returns
    -------
    docs : list of dict
        New trial documents, one per id.

    Examples
    --------
    >>> from hyperopt import Trials, fmin, hp
    >>> from hyperopt_search.algorithms import sobol
    >>> trials = Trials()
    >>> best = fmin(lambda x: (x - 1) ** 2, hp.uniform("x", -5, 5),
    ...             algo=sobol.suggest, max_evals=8, trials=trials,
    ...             rstate=np.random.default_rng(0), show_progressbar=False)
    >>> xs = sorted(t["misc"]["vals"]["x"][0] for t in trials.trials)
    >>> [sum(1 for x in xs if -5 + 1.25 * i <= x < -5 + 1.25 * (i + 1)) for i in range(8)]
    [1, 1, 1, 1, 1, 1, 1, 1]
    """
    space = encoded_space(domain)
    start = len(trials.trials)
    X = design_points(space, design_seed(trials, seed), start, len(new_ids))
    return new_trial_docs(domain, trials, new_ids, [space.decode(x) for x in X])
