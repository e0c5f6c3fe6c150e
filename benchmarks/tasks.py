"""The benchmark tasks: data, estimator, search space and scoring.

Every task uses bundled or generated data, a fixed held-out test split (25%)
and fixed 3-fold CV splits, so that every method and seed sees exactly the same
folds. Fits are kept cheap (small data, small models) so that the whole
benchmark runs on one core.

The tasks form two suites. The *tuning* suite (``TUNING``: the first six
tasks, two more conditional ones added to decide ``algo="auto"``'s rule
for conditional spaces, and three ``param_grid`` tasks added to decide how
lists of numbers are searched) is the one HyperoptSearchCV's defaults were
chosen on (``--study defaults`` / ``schedules`` in ``quality.py``). The *report* suite (``REPORT``)
is held out: no default is ever tuned on it, so its numbers are the honest
estimate of how a default does on problems it was not chosen for.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    make_classification,
    make_friedman1,
)
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from spaces import Choice, Float, Int, Levels, Space

SEED = 0

#: The two suites (see the module docstring).
TUNING_SUITE = "tuning"
REPORT_SUITE = "report"
SUITES = (TUNING_SUITE, REPORT_SUITE)


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
    suite: str = TUNING_SUITE  # "tuning" (defaults chosen on it) or "report" (held out)

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


def _diabetes_standardized():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def _friedman1(n_samples, n_features, noise, seed):
    def load():
        X, y = make_friedman1(
            n_samples=n_samples, n_features=n_features, noise=noise, random_state=seed
        )
        return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()

    return load


def _digits_subsample(n_samples, seed):
    def load():
        X, y = load_digits(return_X_y=True)
        keep, _ = train_test_split(
            np.arange(len(y)), train_size=n_samples, random_state=seed, stratify=y
        )
        return StandardScaler().fit_transform(X[keep]), y[keep]

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


def _linear_svc_failing() -> Task:
    # Added to the tuning suite for failures that come from a combination of
    # options, not a numeric region (the held-out logreg_solver_failing is of
    # this kind): 4 of the 8 penalty x loss x dual triples raise.
    return Task(
        name="linear_svc_failing",
        description="LinearSVC penalty x loss x dual; unsupported triples raise (4 of 8)",
        make_estimator=lambda: LinearSVC(max_iter=2000),
        space={
            "penalty": Choice(("l1", "l2")),
            "loss": Choice(("hinge", "squared_hinge")),
            "dual": Choice((True, False)),
            "C": Float(1e-4, 1e2, log=True),
            "class_weight": Choice((None, "balanced")),
        },
        load=_classification(500, 40, 6, 0.05, 2, 0.8, 31),
        scoring="accuracy",
        classification=True,
    )


def _model_choice() -> Task:
    return Task(
        name="model_choice",
        description="Pipeline choosing LogisticRegression / RandomForest / KNN (list of 3 dicts)",
        make_estimator=lambda: Pipeline([("clf", LogisticRegression())]),
        space=[
            {
                "clf": Choice((LogisticRegression(max_iter=300),)),
                "clf__C": Float(1e-4, 1e2, log=True),
            },
            {
                "clf": Choice((RandomForestClassifier(n_estimators=15, random_state=0),)),
                "clf__max_depth": Int(1, 16),
                "clf__max_features": Float(0.05, 1.0),
            },
            {
                "clf": Choice((KNeighborsClassifier(),)),
                "clf__n_neighbors": Int(1, 50),
                "clf__p": Choice((1, 2)),
            },
        ],
        load=_classification(400, 12, 6, 0.05, 3, 0.9, 41),
        scoring="accuracy",
        classification=True,
    )


def _tree_or_ridge() -> Task:
    return Task(
        name="tree_or_ridge",
        description="Pipeline choosing Ridge / DecisionTreeRegressor on diabetes (list of 2 dicts)",
        make_estimator=lambda: Pipeline([("reg", Ridge())]),
        space=[
            {"reg": Choice((Ridge(),)), "reg__alpha": Float(1e-3, 1e3, log=True)},
            {
                "reg": Choice((DecisionTreeRegressor(random_state=0),)),
                "reg__max_depth": Int(1, 12),
                "reg__min_samples_leaf": Int(1, 60),
                "reg__max_features": Float(0.1, 1.0),
            },
        ],
        load=_diabetes_standardized,
        scoring="r2",
        classification=False,
    )


# -- the report suite (held out: defaults are never tuned on these) ----------------


def _grid_levels(values) -> Levels:
    """A grid of numbers as a GridSearchCV user writes it (plain floats/ints)."""
    return Levels(tuple(v.item() if hasattr(v, "item") else v for v in values))


def _svm_grid() -> Task:
    return Task(
        name="svm_grid",
        description="RBF SVC with a GridSearchCV param_grid: 13 C x 13 gamma log-spaced levels",
        make_estimator=lambda: SVC(),
        space={
            "C": _grid_levels(np.logspace(-2, 4, 13)),
            "gamma": _grid_levels(np.logspace(-5, 1, 13)),
        },
        load=_classification(500, 20, 8, 0.05, 2, 1.0, 31),
        scoring="accuracy",
        classification=True,
    )


def _elasticnet_grid() -> Task:
    return Task(
        name="elasticnet_grid",
        description="ElasticNet with a param_grid: 16 alpha levels x 10 l1_ratio levels",
        make_estimator=lambda: ElasticNet(max_iter=1000, tol=1e-3),
        space={
            "alpha": _grid_levels(np.logspace(-4, 1, 16)),
            "l1_ratio": _grid_levels([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 1.0]),
        },
        load=_diabetes_expanded,
        scoring="r2",
        classification=False,
    )


def _knn_grid() -> Task:
    return Task(
        name="knn_grid",
        description="KNeighborsRegressor with a param_grid: n_neighbors x weights x p levels",
        make_estimator=lambda: KNeighborsRegressor(),
        space={
            "n_neighbors": _grid_levels([1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 80]),
            "weights": Choice(("uniform", "distance")),
            "p": _grid_levels([1.0, 1.5, 2.0, 3.0, 4.0]),
        },
        load=_friedman1(300, 10, 1.0, 33),
        scoring="r2",
        classification=False,
    )


def _knn_noisy() -> Task:
    return Task(
        name="knn_1param_noisy",
        description="KNeighborsClassifier n_neighbors only (1 integer) on 240 noisy samples",
        make_estimator=lambda: KNeighborsClassifier(),
        space={"n_neighbors": Int(1, 100)},
        load=_classification(240, 10, 4, 0.2, 2, 0.8, 21),
        scoring="accuracy",
        classification=True,
        suite=REPORT_SUITE,
    )


def _kernel_ridge() -> Task:
    return Task(
        name="kernel_ridge",
        description="RBF KernelRidge on Friedman #1: alpha x gamma, 2 interacting log floats",
        make_estimator=lambda: KernelRidge(kernel="rbf"),
        space={"alpha": Float(1e-5, 10.0, log=True), "gamma": Float(1e-4, 10.0, log=True)},
        load=_friedman1(400, 10, 1.0, 22),
        scoring="r2",
        classification=False,
        suite=REPORT_SUITE,
    )


def _svr() -> Task:
    return Task(
        name="svr_3params",
        description="RBF SVR on diabetes (noisy): C x epsilon x gamma, 3 log floats",
        make_estimator=lambda: SVR(),
        space={
            "C": Float(1e-2, 1e3, log=True),
            "epsilon": Float(1e-3, 1.0, log=True),
            "gamma": Float(1e-4, 1.0, log=True),
        },
        load=_diabetes_standardized,
        scoring="r2",
        classification=False,
        suite=REPORT_SUITE,
    )


def _logreg_solver() -> Task:
    # l1_ratio 0 (l2) works with every solver; 1 (l1) with liblinear and saga
    # only; 0.15 / 0.5 (elastic net) with saga only: half the pairs raise.
    return Task(
        name="logreg_solver_failing",
        description="LogisticRegression solver x l1_ratio; incompatible pairs raise (~1/2)",
        make_estimator=lambda: LogisticRegression(max_iter=100),
        space={
            "solver": Choice(("lbfgs", "liblinear", "saga", "newton-cholesky")),
            "l1_ratio": Choice((0.0, 0.15, 0.5, 1.0)),
            "C": Float(1e-4, 1e2, log=True),
            "class_weight": Choice((None, "balanced")),
        },
        load=_classification(500, 40, 8, 0.05, 2, 0.7, 23),
        scoring="accuracy",
        classification=True,
        suite=REPORT_SUITE,
    )


def _tree_categorical() -> Task:
    return Task(
        name="tree_categorical",
        description="DecisionTree on 600 digits: 4 categorical, 2 integer parameters",
        make_estimator=lambda: DecisionTreeClassifier(random_state=0),
        space={
            "criterion": Choice(("gini", "entropy", "log_loss")),
            "splitter": Choice(("best", "random")),
            "max_features": Choice(("sqrt", "log2", None)),
            "class_weight": Choice((None, "balanced")),
            "max_depth": Int(1, 30),
            "min_samples_leaf": Int(1, 30),
        },
        load=_digits_subsample(600, 24),
        scoring="accuracy",
        classification=True,
        suite=REPORT_SUITE,
    )


def _regressor_choice() -> Task:
    return Task(
        name="regressor_choice",
        description="Pipeline choosing Ridge / KNN / SVR regressor (list of 3 dicts)",
        make_estimator=lambda: Pipeline([("reg", Ridge())]),
        space=[
            {"reg": Choice((Ridge(),)), "reg__alpha": Float(1e-4, 1e3, log=True)},
            {
                "reg": Choice((KNeighborsRegressor(),)),
                "reg__n_neighbors": Int(1, 50),
                "reg__weights": Choice(("uniform", "distance")),
            },
            {
                "reg": Choice((SVR(),)),
                "reg__C": Float(1e-2, 1e3, log=True),
                "reg__gamma": Float(1e-4, 1.0, log=True),
            },
        ],
        load=_friedman1(300, 15, 1.0, 25),
        scoring="r2",
        classification=False,
        suite=REPORT_SUITE,
    )


def _hgb() -> Task:
    return Task(
        name="hgb_6params",
        description="HistGradientBoosting, 6 mixed parameters (3 integers, 3 floats)",
        make_estimator=lambda: HistGradientBoostingClassifier(
            early_stopping=False, random_state=0
        ),
        space={
            "learning_rate": Float(1e-2, 1.0, log=True),
            "max_iter": Int(5, 60),
            "max_leaf_nodes": Int(2, 48),
            "min_samples_leaf": Int(1, 60),
            "l2_regularization": Float(1e-4, 10.0, log=True),
            "max_features": Float(0.1, 1.0),
        },
        load=_classification(500, 20, 8, 0.05, 3, 0.8, 26),
        scoring="accuracy",
        classification=True,
        suite=REPORT_SUITE,
    )


def _mlp() -> Task:
    return Task(
        name="mlp_10params",
        description="Small MLPClassifier on 500 digits, 10 parameters (4 categorical)",
        make_estimator=lambda: MLPClassifier(random_state=0),
        space={
            "hidden_layer_sizes": Choice(((16,), (32,), (64,), (16, 16), (32, 32))),
            "activation": Choice(("relu", "tanh", "logistic")),
            "solver": Choice(("adam", "sgd")),
            "learning_rate": Choice(("constant", "invscaling", "adaptive")),
            "alpha": Float(1e-6, 1.0, log=True),
            "learning_rate_init": Float(1e-4, 0.3, log=True),
            "batch_size": Int(16, 128),
            "max_iter": Int(5, 40),
            "momentum": Float(0.5, 0.99),
            "beta_1": Float(0.5, 0.99),
        },
        load=_digits_subsample(500, 27),
        scoring="accuracy",
        classification=True,
        suite=REPORT_SUITE,
    )


def _kernel_ridge_grid() -> Task:
    return Task(
        name="kernel_ridge_grid",
        description="RBF KernelRidge with a param_grid: 13 alpha x 11 gamma log-spaced levels",
        make_estimator=lambda: KernelRidge(kernel="rbf"),
        space={
            "alpha": _grid_levels(np.logspace(-5, 1, 13)),
            "gamma": _grid_levels(np.logspace(-4, 1, 11)),
        },
        load=_friedman1(400, 10, 1.0, 41),
        scoring="r2",
        classification=False,
        suite=REPORT_SUITE,
    )


def _tree_grid() -> Task:
    return Task(
        name="tree_grid",
        description="DecisionTreeClassifier with a param_grid: depth x leaf x features levels, criterion",
        make_estimator=lambda: DecisionTreeClassifier(random_state=0),
        space={
            "max_depth": _grid_levels([1, 2, 3, 4, 6, 8, 12, 16, 24]),
            "min_samples_leaf": _grid_levels([1, 2, 3, 5, 8, 13, 21, 34]),
            "max_features": _grid_levels([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
            "criterion": Choice(("gini", "entropy")),
        },
        load=_classification(500, 15, 6, 0.05, 2, 0.8, 42),
        scoring="accuracy",
        classification=True,
        suite=REPORT_SUITE,
    )


def _logreg_pca_grid() -> Task:
    return Task(
        name="logreg_pca_grid",
        description="PCA + LogisticRegression pipeline with a param_grid: components x C levels",
        make_estimator=lambda: Pipeline(
            [("pca", PCA(random_state=0)), ("clf", LogisticRegression(max_iter=200))]
        ),
        space={
            "pca__n_components": _grid_levels([2, 3, 4, 6, 8, 12, 16, 24, 32, 48]),
            "clf__C": _grid_levels(np.logspace(-4, 3, 15)),
        },
        load=_digits_subsample(600, 43),
        scoring="accuracy",
        classification=True,
        suite=REPORT_SUITE,
    )


_ALL = (
    # the tuning suite
    _elasticnet(),
    _svm(),
    _forest(),
    _pipeline_choice(),
    _sgd_many(),
    _failing(),
    _model_choice(),
    _tree_or_ridge(),
    _svm_grid(),
    _elasticnet_grid(),
    _knn_grid(),
    _linear_svc_failing(),
    # the report suite
    _knn_noisy(),
    _kernel_ridge(),
    _svr(),
    _logreg_solver(),
    _tree_categorical(),
    _regressor_choice(),
    _hgb(),
    _mlp(),
    _kernel_ridge_grid(),
    _tree_grid(),
    _logreg_pca_grid(),
)

TASKS: dict[str, Task] = {t.name: t for t in _ALL}

#: Task names of each suite, in order.
TUNING: list[str] = [t.name for t in _ALL if t.suite == TUNING_SUITE]
REPORT: list[str] = [t.name for t in _ALL if t.suite == REPORT_SUITE]


def suite_tasks(suite: str) -> list[str]:
    """Task names of ``suite``: ``"tuning"``, ``"report"`` or ``"all"``."""
    if suite == "all":
        return TUNING + REPORT
    return {TUNING_SUITE: TUNING, REPORT_SUITE: REPORT}[suite]
