"""The benchmark tasks: data, estimator, search space and scoring.

Every task uses bundled or generated data, a fixed held-out test split (25%)
and fixed 3-fold CV splits, so that every method and seed sees exactly the same
folds. Fits are kept cheap (small data, small models) so that the whole
benchmark runs on one core.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.datasets import load_diabetes, make_classification
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, LogisticRegression, SGDClassifier
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from spaces import Choice, Float, Int, Space

SEED = 0


@dataclass(frozen=True)
class Data:
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    cv: list  # fixed (train, test) index pairs on the training part


@dataclass(frozen=True)
class Task:
    """One benchmark problem."""

    name: str
    description: str
    make_estimator: Callable[[], BaseEstimator]
    space: Space
    load: Callable[[], tuple[np.ndarray, np.ndarray]]
    scoring: str
    classification: bool

    def data(self) -> Data:
        return _split(self.name)


def quiet_warnings() -> None:
    """Silence the expected noise (non-converged fits, failed-fit reports)."""
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    warnings.filterwarnings("ignore", message=".*fits failed.*")
    warnings.filterwarnings("ignore", message=".*experimental.*")


# -- data -------------------------------------------------------------------


def _diabetes_expanded():
    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(degree=2, include_bias=False).fit_transform(X)
    return StandardScaler().fit_transform(X), y


def _classification(n_samples, n_features, n_informative, flip_y, clusters, sep, seed):
    def load():
        X, y = make_classification(
            n_samples=n_samples,
            n_features=n_features,
            n_informative=n_informative,
            n_redundant=min(4, n_features - n_informative),
            n_clusters_per_class=clusters,
            flip_y=flip_y,
            class_sep=sep,
            random_state=seed,
        )
        return StandardScaler().fit_transform(X), y

    return load


@cache
def _split(name: str) -> Data:
    task = TASKS[name]
    X, y = task.load()
    stratify = y if task.classification else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=SEED, stratify=stratify
    )
    splitter = (StratifiedKFold if task.classification else KFold)(
        n_splits=3, shuffle=True, random_state=SEED
    )
    cv = list(splitter.split(X_train, y_train))
    return Data(X_train, X_test, y_train, y_test, cv)


# -- tasks ------------------------------------------------------------------


def _elasticnet() -> Task:
    return Task(
        name="elasticnet",
        description="ElasticNet on degree-2 diabetes features (2 floats, smooth)",
        make_estimator=lambda: ElasticNet(max_iter=1000, tol=1e-3),
        space={"alpha": Float(1e-3, 10.0, log=True), "l1_ratio": Float(0.0, 1.0)},
        load=_diabetes_expanded,
        scoring="r2",
        classification=False,
    )


def _svm() -> Task:
    return Task(
        name="svm",
        description="RBF SVC, C and gamma log-uniform over 6 decades each",
        make_estimator=lambda: SVC(),
        space={"C": Float(1e-3, 1e3, log=True), "gamma": Float(1e-5, 1e1, log=True)},
        load=_classification(400, 20, 6, 0.08, 3, 0.8, 1),
        scoring="accuracy",
        classification=True,
    )


def _forest() -> Task:
    return Task(
        name="forest",
        description="RandomForest: 3 integers and 1 float",
        make_estimator=lambda: RandomForestClassifier(random_state=0, n_jobs=1),
        space={
            "n_estimators": Int(3, 30),
            "max_depth": Int(1, 20),
            "min_samples_leaf": Int(1, 40),
            "max_features": Float(0.05, 1.0),
        },
        load=_classification(400, 20, 8, 0.05, 2, 0.6, 2),
        scoring="accuracy",
        classification=True,
    )


def _pipeline_choice() -> Task:
    return Task(
        name="pipeline_choice",
        description="Pipeline choosing between 4 classifiers (list of 4 dicts)",
        make_estimator=lambda: Pipeline([("clf", LogisticRegression())]),
        space=[
            {
                "clf": Choice((LogisticRegression(max_iter=500),)),
                "clf__C": Float(1e-4, 1e3, log=True),
            },
            {
                "clf": Choice((SVC(),)),
                "clf__C": Float(1e-2, 1e3, log=True),
                "clf__gamma": Float(1e-4, 1.0, log=True),
            },
            {
                "clf": Choice((KNeighborsClassifier(),)),
                "clf__n_neighbors": Int(1, 60),
                "clf__weights": Choice(("uniform", "distance")),
            },
            {
                "clf": Choice((DecisionTreeClassifier(random_state=0),)),
                "clf__max_depth": Int(1, 20),
                "clf__min_samples_leaf": Int(1, 40),
            },
        ],
        load=_classification(400, 10, 5, 0.05, 4, 1.0, 3),
        scoring="accuracy",
        classification=True,
    )


def _sgd_many() -> Task:
    return Task(
        name="sgd_8params",
        description="SGDClassifier, 8 parameters (4 categorical, 4 floats)",
        make_estimator=lambda: SGDClassifier(random_state=0, max_iter=50, tol=1e-3),
        space={
            "loss": Choice(("hinge", "log_loss", "modified_huber", "squared_hinge")),
            "penalty": Choice(("l2", "l1", "elasticnet")),
            "alpha": Float(1e-7, 1.0, log=True),
            "l1_ratio": Float(0.0, 1.0),
            "learning_rate": Choice(("optimal", "invscaling", "adaptive", "constant")),
            "eta0": Float(1e-5, 1.0, log=True),
            "power_t": Float(0.05, 1.0),
            "average": Choice((False, True)),
        },
        load=_classification(600, 30, 10, 0.05, 2, 0.7, 4),
        scoring="accuracy",
        classification=True,
    )


def _failing() -> Task:
    return Task(
        name="failing_region",
        description="PCA + LogisticRegression; n_components > 30 features fails (~1/3)",
        make_estimator=lambda: Pipeline(
            [("pca", PCA(random_state=0)), ("clf", LogisticRegression(max_iter=300))]
        ),
        space={
            "pca__n_components": Int(1, 45),
            "pca__whiten": Choice((False, True)),
            "clf__C": Float(1e-4, 1e2, log=True),
        },
        load=_classification(400, 30, 12, 0.08, 2, 0.6, 5),
        scoring="accuracy",
        classification=True,
    )


TASKS: dict[str, Task] = {
    t.name: t
    for t in (_elasticnet(), _svm(), _forest(), _pipeline_choice(), _sgd_many(), _failing())
}
