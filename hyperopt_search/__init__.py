"""scikit-learn's hyperparameter search API, with candidates chosen by hyperopt."""

from ._search import HyperoptSearchCV
from ._space import SearchSpace, to_hyperopt_space

__version__ = "0.1.0"

__all__ = ["HyperoptSearchCV", "SearchSpace", "__version__", "to_hyperopt_space"]
