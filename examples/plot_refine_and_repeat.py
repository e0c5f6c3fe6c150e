"""
Refine and repeat: start from what you know, and know when to stop
==================================================================

The tuning workflow rarely starts from nothing and rarely ends after one
search: you start from defaults you trust, look at the results, narrow the
ranges, search again, and stop when the differences left are fold noise.
This example runs that loop with

- ``initial_candidates``: known candidates evaluated first, or an earlier
  search to start from;
- :func:`~hyperopt_search.narrow_space`: a narrower space around the good
  candidates, printed in the forms you wrote;
- ``fold_noise_`` and :class:`~hyperopt_search.SimplestWithinNoise`: how much
  of the best candidate's lead is fold noise, and a ``refit`` rule that picks
  the simplest candidate the noise cannot tell from the best.
"""

# %%
# A first search, starting from the defaults
# ------------------------------------------
# An SVM on the breast cancer data. The estimator's defaults (``C=1``,
# ``gamma="scale"``, which is about ``1 / n_features`` on standardised data)
# are a configuration we trust: it is evaluated first.
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hyperopt_search import HyperoptSearchCV, SimplestWithinNoise, narrow_space
from hyperopt_search.plotting import ParameterSlicesDisplay

X, y = load_breast_cancer(return_X_y=True)
X_old, X_new, y_old, y_new = train_test_split(X, y, test_size=0.5, random_state=0)
model = make_pipeline(StandardScaler(), SVC())
space = {
    "svc__C": loguniform(1e-3, 1e3),
    "svc__gamma": loguniform(1e-5, 1e1),
    "svc__kernel": ["rbf", "sigmoid"],
}
defaults = {"svc__C": 1.0, "svc__gamma": 1 / X.shape[1], "svc__kernel": "rbf"}
first = HyperoptSearchCV(
    model, space, n_iter=25, cv=5, initial_candidates=[defaults], random_state=0
).fit(X_old, y_old)
print(f"defaults: {first.cv_results_['mean_test_score'][0]:.4f}")
print(f"best:     {first.best_score_:.4f} with {first.best_params_}")

# %%
# Where were the good candidates?
# -------------------------------
# The slices show each parameter against the score: the good ``gamma``
# values sit in a band, small ``C`` values fail to fit, and ``sigmoid`` is
# never the best, though not by much where ``C`` and ``gamma`` are good.
ParameterSlicesDisplay.from_estimator(first)
plt.show()

# %%
# Narrow the space
# ----------------
# :func:`~hyperopt_search.narrow_space` proposes the refined space, with a
# note per parameter saying what changed and why. Print it, read it, edit it
# if you disagree: it is plain scipy.stats distributions and lists.
narrowed = narrow_space(first)
print(narrowed)
print("\n".join(narrowed.notes))

# %%
# Search the narrowed space, starting from the first search
# ---------------------------------------------------------
# Same data, estimator, ``cv`` and scoring: the first search's candidates that
# lie in the narrowed space are reused without refitting (``reused`` in
# ``cv_results_``), and told to the model, which proposes 10 new ones.
second = HyperoptSearchCV(
    model, narrowed, n_iter=10, cv=5, initial_candidates=first, random_state=0
).fit(X_old, y_old)
reused = second.cv_results_["reused"]
print(f"{reused.sum()} reused, {(~reused).sum()} new; best {second.best_score_:.4f}")

# %%
# When to stop: how much of the lead is fold noise?
# -------------------------------------------------
# ``fold_noise_`` compares the best candidate with the others fold by fold.
# When several candidates are within one standard error of a paired
# difference, the search cannot tell them apart: more candidates would chase
# noise (over-tuning), and a simpler one of them is as good a choice.
print(second.fold_noise_)
lead = second.fold_noise_.lead
within = second.fold_noise_.within_noise
closest = np.argsort(lead)[:12]  # NaN (incomplete candidates) sort last
fig, ax = plt.subplots()
ax.bar(
    [str(i) for i in closest],
    lead[closest],
    color=np.where(within[closest], "tab:green", "tab:gray"),
)
ax.axhline(second.fold_noise_.std_error, color="k", ls="--", label="one standard error")
ax.set(
    xlabel="the 12 candidates closest to the best (row of cv_results_)",
    ylabel="lead of the best (mean CV accuracy)",
    title="green: within the fold noise of the best",
)
ax.legend()
plt.show()

# %%
# A refit that prefers the simplest candidate within the noise
# ------------------------------------------------------------
# The smallest ``C`` (the strongest regularisation) among the candidates the
# noise cannot tell from the best, in the spirit of scikit-learn's
# one-standard-error rule. Pass it as ``refit`` to the search itself, or
# call it on any ``cv_results_``.
rule = SimplestWithinNoise({"svc__C": "low"})
chosen = rule(second.cv_results_)
print("best:  ", second.best_params_)
print("chosen:", second.cv_results_["params"][chosen])

# %%
# Retune on new data, starting from the old search
# ------------------------------------------------
# Other data: nothing is reused as a score (the scores would not be
# comparable), but the earlier ranking chooses the first candidates in place
# of the model-free start.
retuned = HyperoptSearchCV(
    model, space, n_iter=10, cv=5, initial_candidates=second, random_state=0
).fit(X_new, y_new)
print(f"{retuned.cv_results_['reused'].sum()} reused; best {retuned.best_score_:.4f}")
print("first candidates:", retuned.cv_results_["params"][:2])
