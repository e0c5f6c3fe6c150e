"""Golden searches: the candidates of a fixed set of searches, recorded once.

A redesign of the search loop must not change which candidates a seed gives.
This module defines searches that cover every schedule, racing, conditional
spaces, failures, stopping rules, warm starts and resumes, and records what
each one proposed (parameters, trial ids, rounds, folds fitted, scores, the
best candidate and why it stopped). ``tests/test_golden.py`` compares a fresh
run with ``tests/golden/candidates.json``.

Regenerate (only when a change is *meant* to change candidates, and say so in
the commit message)::

    python tests/golden_searches.py

The recorded floats depend on the numerical libraries: the comparison runs
only with the numpy, scipy, scikit-learn and hyperopt versions of the record.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import hyperopt
import numpy as np
import scipy
import sklearn
from scipy.stats import loguniform, randint, uniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from hyperopt_search import HyperoptSearchCV

GOLDEN = Path(__file__).parent / "golden" / "candidates.json"


def versions() -> dict[str, str]:
    return {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "hyperopt": hyperopt.__version__,
    }


class Peak(ClassifierMixin, BaseEstimator):
    """Scores ``1 - |x - 0.3| - 0.1 * |z - 0.6|`` (plus a fold term); fails for ``x > fail_above``.

    Deterministic and near-free, with a fold-dependent offset so that racing
    has fold noise to read. ``stop_after`` raises KeyboardInterrupt in the
    fit of the ``stop_after``-th distinct fitted ``x`` (counted per process),
    for the interrupt-and-resume searches.
    """

    fits: list = []
    stop_after: int | None = None

    def __init__(self, x=0.5, z=0.5, fail_above=None):
        self.x = x
        self.z = z
        self.fail_above = fail_above

    def fit(self, X, y):
        if self.fail_above is not None and self.x > self.fail_above:
            raise ValueError("fit fails in this region")
        if self.x not in Peak.fits:
            Peak.fits.append(self.x)
            if Peak.stop_after is not None and len(Peak.fits) > Peak.stop_after:
                raise KeyboardInterrupt
        self.classes_ = np.unique(y)
        self.offset_ = 0.01 * (float(np.sum(X[:, 0])) % 1.0)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return 1.0 - abs(self.x - 0.3) - 0.1 * abs(self.z - 0.6) + self.offset_


def _iris():
    return load_iris(return_X_y=True)


def _blobs():
    return make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=2, random_state=0
    )


SVC_SPACE = {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-4, 1e0), "kernel": ["rbf"]}
TREE_SPACE = {
    "max_depth": randint(1, 8),
    "min_samples_leaf": randint(1, 10),
    "ccp_alpha": loguniform(1e-4, 1e-1),
    "criterion": ["gini", "entropy"],
}
PEAK_SPACE = {"x": uniform(0, 1), "z": uniform(0, 1)}
CONDITIONAL_SPACE = [
    {"x": uniform(0, 1), "z": [0.1, 0.5, 0.9]},
    {"x": uniform(0, 0.5), "z": uniform(0.4, 0.4)},
]


def _plain(estimator, space, data, **params) -> Callable[[], HyperoptSearchCV]:
    def run():
        search = HyperoptSearchCV(estimator, space, random_state=0, **params)
        search.fit(*data())
        return search

    return run


def _interrupted(resume: str, **params) -> Callable[[], HyperoptSearchCV]:
    """A Peak search interrupted at its 10th distinct fit, then continued.

    ``resume="warm_start"`` continues the interrupted object in memory;
    ``"checkpoint"`` a new object from the checkpoint file.
    """

    def run(tmp: Path):
        options = {"n_iter": 16, "random_state": 0, "cv": 3, **params}
        if resume == "checkpoint":
            options["checkpoint"] = tmp / "search.ckpt"
        X, y = _iris()
        Peak.fits.clear()
        Peak.stop_after = 9
        first = HyperoptSearchCV(Peak(), PEAK_SPACE, **options)
        try:
            first.fit(X, y)
        except KeyboardInterrupt:
            pass
        Peak.stop_after = None
        if resume == "warm_start":
            first.set_params(warm_start=True).fit(X, y)
            return first
        return HyperoptSearchCV(Peak(), PEAK_SPACE, **options).fit(X, y)

    return run


def _monitor_error(**params) -> Callable[[], HyperoptSearchCV]:
    """A Peak search whose monitor raises after 10 candidates, continued in memory."""

    def monitor(search, results):
        if len(results["params"]) >= 10:
            raise RuntimeError("the monitor failed")

    def run():
        X, y = _iris()
        search = HyperoptSearchCV(
            Peak(), PEAK_SPACE, n_iter=16, random_state=0, cv=3, monitor=monitor, **params
        )
        try:
            search.fit(X, y)
        except RuntimeError:
            pass
        return search.set_params(warm_start=True, monitor=None).fit(X, y)

    return run


def _grown(**params) -> Callable[[], HyperoptSearchCV]:
    """A search of 8 candidates continued to 14 with ``warm_start``."""

    def run():
        search = HyperoptSearchCV(
            Peak(), PEAK_SPACE, n_iter=8, random_state=0, cv=3, warm_start=True, **params
        )
        X, y = _iris()
        search.fit(X, y)
        return search.set_params(n_iter=14).fit(X, y)

    return run


SEARCHES: dict[str, Callable] = {
    # every schedule, default algorithm (the GP)
    "svc_rounds": _plain(SVC(), SVC_SPACE, _iris, n_iter=14, schedule="rounds"),
    "svc_ordered": _plain(SVC(), SVC_SPACE, _iris, n_iter=14, schedule="ordered"),
    "svc_async_1job": _plain(SVC(), SVC_SPACE, _iris, n_iter=14, schedule="async"),
    "svc_auto_2jobs": _plain(SVC(), SVC_SPACE, _iris, n_iter=14, n_jobs=2),
    "tree_ordered_batch3": _plain(
        DecisionTreeClassifier(random_state=0), TREE_SPACE, _blobs, n_iter=14, batch_size=3
    ),
    # other algorithms
    "tree_tpe_rounds": _plain(
        DecisionTreeClassifier(random_state=0),
        TREE_SPACE,
        _blobs,
        n_iter=14,
        algo="tpe",
        schedule="rounds",
    ),
    "tree_mtpe": _plain(
        DecisionTreeClassifier(random_state=0), TREE_SPACE, _blobs, n_iter=14, algo="mtpe"
    ),
    "tree_sobol": _plain(
        DecisionTreeClassifier(random_state=0), TREE_SPACE, _blobs, n_iter=10, algo="sobol"
    ),
    "tree_rand_rounds": _plain(
        DecisionTreeClassifier(random_state=0),
        TREE_SPACE,
        _blobs,
        n_iter=10,
        algo="rand",
        schedule="rounds",
    ),
    # racing
    "logreg_racing": _plain(
        LogisticRegression(max_iter=300),
        {"C": loguniform(1e-4, 1e2)},
        _iris,
        n_iter=14,
        cv=5,
        racing=True,
    ),
    "peak_racing_batch4": _plain(
        Peak(), PEAK_SPACE, _iris, n_iter=14, cv=5, racing=True, batch_size=4
    ),
    # conditional spaces (multivariate TPE for the first 50)
    "conditional_ordered": _plain(Peak(), CONDITIONAL_SPACE, _iris, n_iter=16, cv=3),
    "conditional_rounds": _plain(
        Peak(), CONDITIONAL_SPACE, _iris, n_iter=16, cv=3, schedule="rounds"
    ),
    # failures
    "failing_ordered": _plain(Peak(fail_above=0.5), PEAK_SPACE, _iris, n_iter=16, cv=3),
    "failing_rounds": _plain(
        Peak(fail_above=0.5), PEAK_SPACE, _iris, n_iter=16, cv=3, schedule="rounds"
    ),
    "failing_racing": _plain(
        Peak(fail_above=0.5), PEAK_SPACE, _iris, n_iter=14, cv=4, racing=True
    ),
    # stopping rules
    "no_change_ordered": _plain(Peak(), PEAK_SPACE, _iris, n_iter=40, cv=3, n_iter_no_change=5),
    "threshold_rounds": _plain(
        Peak(), PEAK_SPACE, _iris, n_iter=40, cv=3, score_threshold=0.97, schedule="rounds"
    ),
    # multi-metric, refit on a named metric
    "svc_multimetric": _plain(
        SVC(),
        SVC_SPACE,
        _iris,
        n_iter=10,
        scoring={"acc": "accuracy", "bacc": "balanced_accuracy"},
        refit="bacc",
    ),
    # a grid of numbers (ordered levels), exhausted
    "grid_exhausted": _plain(
        SVC(), {"C": [0.1, 1.0, 10.0, 100.0], "kernel": ["linear", "rbf"]}, _iris, n_iter=12
    ),
    # the uninterrupted searches the resumed ones below must give
    "peak_ordered": _plain(Peak(), PEAK_SPACE, _iris, n_iter=16, cv=3),
    "peak_rounds": _plain(Peak(), PEAK_SPACE, _iris, n_iter=16, cv=3, schedule="rounds"),
    "peak_racing": _plain(Peak(), PEAK_SPACE, _iris, n_iter=16, cv=4, racing=True),
    # continuations
    "grown_ordered": _grown(),
    "grown_rounds": _grown(schedule="rounds"),
    "grown_racing": _grown(racing=True),
    "resume_checkpoint_ordered": _interrupted("checkpoint"),
    "resume_checkpoint_rounds": _interrupted("checkpoint", schedule="rounds"),
    "resume_checkpoint_racing": _interrupted("checkpoint", racing=True, cv=4),
    "resume_warm_start_ordered": _interrupted("warm_start"),
    "resume_warm_start_rounds": _interrupted("warm_start", schedule="rounds"),
    "resume_warm_start_racing": _interrupted("warm_start", racing=True, cv=4),
    "resume_monitor_error_ordered": _monitor_error(),
    "resume_monitor_error_rounds": _monitor_error(schedule="rounds"),
}

#: Searches whose arguments are a temporary folder.
NEEDS_FOLDER = {name for name in SEARCHES if name.startswith(("resume_checkpoint", "resume_warm"))}


def _value(value):
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, int | np.integer):
        return int(value)
    return repr(value)


def record(search: HyperoptSearchCV) -> dict:
    """What a golden search is compared on."""
    results = search.cv_results_
    metric = next(key for key in results if key.startswith("mean_test_"))
    return {
        "params": [{k: _value(v) for k, v in p.items()} for p in results["params"]],
        "tid": [int(t) for t in results["hyperopt_tid"]],
        "round": [int(r) for r in results["hyperopt_round"]],
        "n_splits_fitted": [int(n) for n in results["n_splits_fitted"]],
        "score": [_value(s) for s in results[metric]],
        "best_index": int(getattr(search, "best_index_", -1)),
        "stop_reason": search.stop_reason_,
    }


def run(name: str, folder: Path | None = None) -> dict:
    if name in NEEDS_FOLDER:
        return record(SEARCHES[name](folder))
    return record(SEARCHES[name]())


def main() -> None:
    import tempfile
    import warnings

    warnings.simplefilter("ignore")
    out = {"versions": versions(), "searches": {}}
    for name in SEARCHES:
        with tempfile.TemporaryDirectory() as folder:
            out["searches"][name] = run(name, Path(folder))
        print(name, len(out["searches"][name]["params"]), file=sys.stderr)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
