"""
Replacing GridSearchCV around a pipeline
========================================

A preprocessing + model pipeline (scaling, PCA, SVC) on the digits dataset is
tuned first with :class:`~sklearn.model_selection.GridSearchCV`, then with
:class:`~hyperopt_search.HyperoptSearchCV` over **the same grid** (a rename),
then over continuous distributions on the same ranges, all on the same folds.
"""

# %%
# Data, pipeline and folds
# ------------------------
import time

import numpy as np
from scipy.stats import loguniform, randint
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hyperopt_search import HyperoptSearchCV
from hyperopt_search.plotting import ConvergenceDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
pipe = make_pipeline(StandardScaler(), PCA(random_state=0), SVC())
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

# %%
# The grid search
# ---------------
# 2 x 3 x 4 = 24 candidates.
grid = {
    "pca__n_components": [15, 40],
    "svc__C": [0.1, 1.0, 10.0],
    "svc__gamma": [1e-4, 1e-3, 1e-2, 1e-1],
}
start = time.perf_counter()
grid_search = GridSearchCV(pipe, grid, cv=cv, n_jobs=2).fit(X_train, y_train)
grid_time = time.perf_counter() - start

# %%
# The same grid, searched by HyperoptSearchCV
# -------------------------------------------
# Only the class name changes, plus a budget: ``n_iter=12`` of the 24 points.
# The default algorithm picks which grid points to evaluate from the scores
# of the earlier ones. A list of three or more numbers is searched as ordered
# levels (``repr(search.search_space_)`` shows it): the model learns that the
# levels next to a good one are promising, and only the grid's values are
# ever tried.
start = time.perf_counter()
tpe_grid = HyperoptSearchCV(pipe, grid, n_iter=12, cv=cv, n_jobs=2, random_state=0)
tpe_grid.fit(X_train, y_train)
tpe_grid_time = time.perf_counter() - start

# %%
# Continuous distributions on the same ranges
# -------------------------------------------
# A grid only offers the values written down. Distributions on the same
# ranges let the model choose any value; ``randint`` is modelled as ordered
# integers and ``loguniform`` on a log scale.
distributions = {
    "pca__n_components": randint(15, 41),
    "svc__C": loguniform(0.1, 10.0),
    "svc__gamma": loguniform(1e-4, 1e-1),
}
start = time.perf_counter()
tpe = HyperoptSearchCV(pipe, distributions, n_iter=12, cv=cv, n_jobs=2, random_state=0)
tpe.fit(X_train, y_train)
tpe_time = time.perf_counter() - start

# %%
# Results
# -------
# The three searches score on the same folds; each refitted model is then
# scored on the same held-out test set.
rows = [
    ("GridSearchCV, 24-point grid", grid_search, grid_time),
    ("HyperoptSearchCV, same grid", tpe_grid, tpe_grid_time),
    ("HyperoptSearchCV, distributions", tpe, tpe_time),
]
print(f"{'search':34} {'candidates':>10} {'best CV':>8} {'test':>6} {'time':>6}")
for name, search, seconds in rows:
    n_candidates = len(search.cv_results_["params"])
    test = search.score(X_test, y_test)
    print(f"{name:34} {n_candidates:>10} {search.best_score_:>8.4f} {test:>6.4f} {seconds:>5.1f}s")

# %%
# Everything that reads a scikit-learn search works unchanged: the same
# ``cv_results_`` keys (in evaluation order, plus the round of each candidate),
# ``best_params_``, ``best_estimator_``.
print(tpe.best_params_)
print(sorted(set(tpe.cv_results_) - set(grid_search.cv_results_)))
print(tpe_grid.search_space_)
print(np.unique(tpe.cv_results_["hyperopt_round"], return_counts=True))

# %%
# How the search converged: the shaded first round is the model-free start
# (a quasi-random design), the later candidates are proposed by the model (a
# Gaussian process on this space).
ConvergenceDisplay.from_estimator(tpe)
