"""scikit-learn's estimator checks over HyperoptSearchCV."""

from scipy.stats import loguniform
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from hyperopt_search import HyperoptSearchCV


def _searches():
    return [
        HyperoptSearchCV(
            LogisticRegression(),
            {"C": loguniform(1e-2, 1e2)},
            n_iter=3,
            cv=2,
            random_state=0,
        ),
        HyperoptSearchCV(
            Ridge(),
            {"alpha": loguniform(1e-2, 1e2), "fit_intercept": [True, False]},
            n_iter=3,
            cv=2,
            random_state=0,
        ),
        # The pipelined schedule fits outside evaluate_candidates.
        HyperoptSearchCV(
            LogisticRegression(),
            {"C": loguniform(1e-2, 1e2)},
            n_iter=3,
            batch_size=2,
            cv=2,
            schedule="ordered",
            random_state=0,
        ),
    ]


@parametrize_with_checks(_searches())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
