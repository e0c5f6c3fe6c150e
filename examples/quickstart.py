"""
Quick start: HyperoptSearchCV next to GridSearchCV and RandomizedSearchCV
=========================================================================

The same SVM pipeline on the bundled digits dataset is tuned three ways at
the same budget of candidates, on the same cross-validation folds, and each
refitted model is scored on the same held-out test set. The two randomised
searches run with several seeds (one result is luck; the median and the
range over seeds are not); the grid is deterministic and runs once.

Run it with ``python examples/quickstart.py`` (``--n-iter`` changes the
budget, ``--seeds`` the number of seeds).
"""

import argparse
import time

import numpy as np
from scipy.stats import loguniform, randint
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hyperopt_search import HyperoptSearchCV


def main(n_iter: int = 30, n_seeds: int = 5) -> list[dict]:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), PCA(random_state=0), SVC())
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

    # A grid of about the same size as the budget (k**3 <= n_iter), on the
    # same ranges as the distributions.
    k = max(1, int(np.floor(n_iter ** (1 / 3) + 1e-9)))
    grid = {
        "pca__n_components": np.linspace(5, 40, k).round().astype(int).tolist(),
        "svc__C": np.logspace(-2, 3, k).tolist(),
        "svc__gamma": np.logspace(-5, 0, k).tolist(),
    }
    distributions = {
        "pca__n_components": randint(5, 41),
        "svc__C": loguniform(1e-2, 1e3),
        "svc__gamma": loguniform(1e-5, 1e0),
    }
    searches = {
        "GridSearchCV": [GridSearchCV(pipe, grid, cv=cv, n_jobs=-1)],
        "RandomizedSearchCV": [
            RandomizedSearchCV(
                pipe, distributions, n_iter=n_iter, cv=cv, n_jobs=-1, random_state=seed
            )
            for seed in range(n_seeds)
        ],
        "HyperoptSearchCV": [
            HyperoptSearchCV(
                pipe, distributions, n_iter=n_iter, cv=cv, n_jobs=-1, random_state=seed
            )
            for seed in range(n_seeds)
        ],
    }
    rows = []
    for name, runs in searches.items():
        cv_scores, test_scores, seconds = [], [], []
        for search in runs:
            start = time.perf_counter()
            search.fit(X_train, y_train)
            seconds.append(time.perf_counter() - start)
            cv_scores.append(search.best_score_)
            test_scores.append(search.score(X_test, y_test))
        rows.append(
            {
                "method": name,
                "runs": len(runs),
                "candidates": len(runs[0].cv_results_["params"]),
                "best CV accuracy": np.array(cv_scores),
                "test accuracy": np.array(test_scores),
                "seconds": float(np.median(seconds)),
            }
        )
    return rows


def _spread(values: np.ndarray) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{np.median(values):.4f} [{values.min():.4f}, {values.max():.4f}]"


def _print_table(rows: list[dict]) -> None:
    header = (
        f"{'method':<20} {'runs':>4} {'candidates':>10}  {'best CV accuracy':<26}"
        f"{'test accuracy':<26}{'seconds':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['method']:<20} {row['runs']:>4} {row['candidates']:>10}  "
            f"{_spread(row['best CV accuracy']):<26}{_spread(row['test accuracy']):<26}"
            f"{row['seconds']:>7.1f}"
        )
    print("\nmedian [min, max] over the runs (seeds 0, 1, ...); seconds: median per run")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=30, help="candidates per search")
    parser.add_argument("--seeds", type=int, default=5, help="runs per randomised search")
    args = parser.parse_args()
    print(f"Digits, scaler + PCA + SVC pipeline, {args.n_iter} candidates per search, 3-fold CV\n")
    _print_table(main(args.n_iter, args.seeds))
