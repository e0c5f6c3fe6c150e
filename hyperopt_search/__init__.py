"""scikit-learn's hyperparameter search API, with candidates chosen by hyperopt."""

from ._narrow import NarrowedSpace, narrow_space
from ._noise import FoldNoise, SimplestWithinNoise, fold_noise
from ._search import HyperoptSearchCV
from ._space import SearchSpace, to_hyperopt_space

__version__ = "0.1.0"

__all__ = [
    "FoldNoise",
    "HyperoptSearchCV",
    "NarrowedSpace",
    "SearchSpace",
    "SimplestWithinNoise",
    "__version__",
    "fold_noise",
    "narrow_space",
    "to_hyperopt_space",
]
