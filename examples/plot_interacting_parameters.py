"""
Interacting parameters: where each search spends its candidates
===============================================================

An RBF SVM's ``C`` and ``gamma`` interact: the good models lie along a
diagonal ridge (a larger ``gamma`` needs a smaller ``C`` and the other way
round). A search that models each parameter on its own, like hyperopt's TPE,
cannot represent a ridge; the Gaussian process of the default
``algo="auto"`` models both parameters jointly, with one length scale per
parameter.

This example shows the CV accuracy surface on a grid, and where random
search, TPE and the default put their 25 candidates on it.
"""

# %%
# The task and the true surface
# -----------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hyperopt_search import HyperoptSearchCV

X, y = make_classification(
    n_samples=300, n_features=10, n_informative=5, flip_y=0.05, random_state=1
)
cv = list(StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(X, y))
pipe = make_pipeline(StandardScaler(), SVC())
space = {"svc__C": loguniform(1e-2, 1e4), "svc__gamma": loguniform(1e-5, 1e1)}
n_iter = 25

C_grid, gamma_grid = np.logspace(-2, 4, 13), np.logspace(-5, 1, 13)
surface = GridSearchCV(pipe, {"svc__C": C_grid, "svc__gamma": gamma_grid}, cv=cv).fit(X, y)
accuracy = surface.cv_results_["mean_test_score"].reshape(len(C_grid), len(gamma_grid))

# %%
# Three searches at the same budget
# ---------------------------------
searches = {
    "RandomizedSearchCV": RandomizedSearchCV(pipe, space, n_iter=n_iter, cv=cv, random_state=0),
    'HyperoptSearchCV(algo="tpe")': HyperoptSearchCV(
        pipe, space, n_iter=n_iter, algo="tpe", cv=cv, random_state=0
    ),
    "HyperoptSearchCV() (default: GP)": HyperoptSearchCV(
        pipe, space, n_iter=n_iter, cv=cv, random_state=0
    ),
}
for name, search in searches.items():
    search.fit(X, y)
    print(f"{name:34} best CV accuracy {search.best_score_:.4f}")
print(f"{'(best point of the 13 x 13 grid)':34} {surface.best_score_:.4f}")

# %%
# Where the candidates went
# -------------------------
# Random search spreads its candidates over the whole square; TPE gathers
# them near the best values of each parameter taken separately; the
# Gaussian process, after its first 10 quasi-random candidates, lines them
# up along the ridge (and tries a few far corners, where its uncertainty is
# largest). With one seed and a broad plateau the best scores differ by
# less than the seed-to-seed spread: the benchmarks page compares the
# methods over many tasks and seeds.
fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharey=True, layout="constrained")
for ax, (name, search) in zip(axes, searches.items(), strict=True):
    mesh = ax.pcolormesh(
        np.log10(gamma_grid), np.log10(C_grid), accuracy, shading="nearest", cmap="viridis"
    )
    params = search.cv_results_["params"]
    ax.scatter(
        [np.log10(p["svc__gamma"]) for p in params],
        [np.log10(p["svc__C"]) for p in params],
        c="white",
        edgecolors="black",
        s=25,
    )
    ax.set_title(f"{name}\nbest {search.best_score_:.3f}", fontsize=10)
    ax.set_xlabel("log10(gamma)")
axes[0].set_ylabel("log10(C)")
fig.colorbar(mesh, ax=axes, label="CV accuracy")
