"""
A conditional space: choosing between models
============================================

A list of dicts searches several models at once: each dict sets the model of
the pipeline's last step and that model's own parameters. TPE learns which
dict (which model) is good as well as the values inside each one, and spends
more of the budget on the better model.
"""

# %%
# The space
# ---------
import numpy as np
from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from hyperopt_search import HyperoptSearchCV, to_hyperopt_space
from hyperopt_search.plotting import ParameterSlicesDisplay

X, y = load_breast_cancer(return_X_y=True)
pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
space = [
    {"clf": [LogisticRegression(max_iter=1000)], "clf__C": loguniform(1e-4, 1e2)},
    {
        "clf": [KNeighborsClassifier()],
        "clf__n_neighbors": randint(1, 50),
        "clf__weights": ["uniform", "distance"],
    },
    {
        "clf": [RandomForestClassifier(n_estimators=25, random_state=0)],
        "clf__max_depth": randint(1, 10),
    },
]

# %%
# :func:`~hyperopt_search.to_hyperopt_space` shows what hyperopt searches: one
# branch per dict, chosen by a top-level choice.
print(to_hyperopt_space(space))

# %%
# The search
# ----------
search = HyperoptSearchCV(
    pipe, space, n_iter=40, cv=3, scoring="roc_auc", n_jobs=2, random_state=0
)
search.fit(X, y)
print(search.best_params_)
print(f"best ROC AUC: {search.best_score_:.4f}")

# %%
# Which model did TPE evaluate, round after round? The first round is random;
# later rounds concentrate on the models that scored well.
models = np.array([type(p["clf"]).__name__ for p in search.cv_results_["params"]])
rounds = search.cv_results_["hyperopt_round"]
for name in np.unique(models):
    first, later = np.sum(models[rounds == 0] == name), np.sum(models[rounds > 0] == name)
    print(f"{name:24} first round: {first}   later rounds: {later}")

# %%
# Score against each parameter
# ----------------------------
# The ``clf`` panel shows one strip per model; each model's parameters have
# their own panel, with only the candidates of that model (a parameter is
# inactive for the others). ``clf__C`` is log-scaled.
ParameterSlicesDisplay.from_estimator(search, n_cols=3)
