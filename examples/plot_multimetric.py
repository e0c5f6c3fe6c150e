"""
Multi-metric scoring with refit
===============================

As with :class:`~sklearn.model_selection.GridSearchCV`, ``scoring`` can name
several metrics; ``refit`` names the one that chooses the best candidate. It is
also the metric hyperopt optimises. Every metric is in ``cv_results_``, and
every plot can show any of them.
"""

# %%
# The search
# ----------
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hyperopt_search import HyperoptSearchCV
from hyperopt_search.plotting import ConvergenceDisplay, ParameterPairDisplay

X, y = load_wine(return_X_y=True)
scoring = {"balanced_accuracy": "balanced_accuracy", "f1": "f1_macro", "accuracy": "accuracy"}
search = HyperoptSearchCV(
    make_pipeline(StandardScaler(), SVC()),
    {"svc__C": loguniform(1e-3, 1e3), "svc__gamma": loguniform(1e-4, 1e1)},
    scoring=scoring,
    refit="f1",
    n_iter=24,
    cv=3,
    n_jobs=2,
    random_state=0,
)
search.fit(X, y)

# %%
# ``best_*`` follow the ``refit`` metric; every metric has its own columns.
print(search.best_params_)
print(f"best macro F1: {search.best_score_:.4f}")
for name in scoring:
    print(name, round(search.cv_results_[f"mean_test_{name}"][search.best_index_], 4))

# %%
# Convergence of two metrics
# --------------------------
# The optimised metric (``f1``) next to one it was not optimising for.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
ConvergenceDisplay.from_estimator(search, ax=left)
ConvergenceDisplay.from_estimator(search, metric="balanced_accuracy", ax=right)

# %%
# Where the good candidates are
# -----------------------------
# C and gamma, both on log axes, coloured by the refit metric; the best
# candidate is circled.
ParameterPairDisplay.from_estimator(search, x="svc__C", y="svc__gamma")

# %%
# Refit with a callable
# ---------------------
# ``refit`` can also be a function of ``cv_results_`` returning the index of
# the candidate to refit, as in scikit-learn; hyperopt then optimises the
# first metric. Here: the smallest C among the candidates within 0.01 of the
# best balanced accuracy (a simpler, more regularised model).


def smallest_c_close_to_best(cv_results):
    scores = np.nan_to_num(cv_results["mean_test_balanced_accuracy"], nan=-np.inf)
    close = np.flatnonzero(scores >= scores.max() - 0.01)
    C = np.asarray(cv_results["param_svc__C"], dtype=float)
    return int(close[np.argmin(C[close])])


simple = HyperoptSearchCV(
    make_pipeline(StandardScaler(), SVC()),
    {"svc__C": loguniform(1e-3, 1e3), "svc__gamma": loguniform(1e-4, 1e1)},
    scoring={"balanced_accuracy": "balanced_accuracy", "f1": "f1_macro"},
    refit=smallest_c_close_to_best,
    n_iter=24,
    cv=3,
    n_jobs=2,
    random_state=0,
).fit(X, y)
print(simple.best_params_)
