"""Proposal algorithms with hyperopt's algorithm interface.

Each module's ``suggest(new_ids, domain, trials, seed)`` works like
``hyperopt.tpe.suggest``: :class:`~hyperopt_search.HyperoptSearchCV` uses them
(``algo="gp"``, ``"mtpe"``, ``"sobol"``, ``"auto"``), and a plain ``hyperopt.fmin`` user
can pass them as ``algo`` on any space built from ``hp`` expressions
(``hp.uniform``, ``hp.loguniform``, ``hp.quniform``, ``hp.normal``,
``hp.randint``, ``hp.uniformint``, ``hp.choice``, nested choices included).

- :mod:`hyperopt_search.algorithms.gp`: Bayesian optimisation with a
  Gaussian process and log expected improvement (numpy and scipy only).
- :mod:`hyperopt_search.algorithms.mtpe`: multivariate TPE, one joint
  Parzen estimator over all parameters (conditional spaces included).
- :mod:`hyperopt_search.algorithms.sobol`: a scrambled Sobol design.

They read the space once per ``Domain`` from hyperopt's own description of
it and work on features in the unit cube; no pyll graph is evaluated per
proposal.
"""

from . import gp, mtpe, sobol

__all__ = ["gp", "mtpe", "sobol"]
