"""
Quick start: HyperoptSearchCV next to GridSearchCV and RandomizedSearchCV
=========================================================================

The same SVM pipeline on the bundled digits dataset is tuned three ways at
the same budget of candidates, on the same cross-validation folds, and each
refitted model is scored on the same held-out test set.

Run it with ``python examples/quickstart.py`` (``--n-iter`` changes the budget).
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


def main(n_iter: int = 30, seed: int = 0) -> list[dict]:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    pipe = make_pipeline(StandardScaler(), PCA(random_state=seed), SVC())
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)

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
        "GridSearchCV": GridSearchCV(pipe, grid, cv=cv, n_jobs=-1),
        "RandomizedSearchCV": RandomizedSearchCV(
            pipe, distributions, n_iter=n_iter, cv=cv, n_jobs=-1, random_state=seed
        ),
        "HyperoptSearchCV": HyperoptSearchCV(
            pipe, distributions, n_iter=n_iter, cv=cv, n_jobs=-1, random_state=seed
        ),
    }
    rows = []
    for name, search in searches.items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "method": name,
                "candidates": len(search.cv_results_["params"]),
                "best CV accuracy": search.best_score_,
                "test accuracy": search.score(X_test, y_test),
                "seconds": seconds,
                "best params": ", ".join(
                    f"{k.split('__')[-1]}={v:.3g}" for k, v in search.best_params_.items()
                ),
            }
        )
    return rows


def _print_table(rows: list[dict]) -> None:
    header = (
        f"{'method':<20} {'candidates':>10} {'best CV acc':>12} {'test acc':>9} {'seconds':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['method']:<20} {row['candidates']:>10} {row['best CV accuracy']:>12.4f} "
            f"{row['test accuracy']:>9.4f} {row['seconds']:>8.1f}   {row['best params']}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=30, help="candidates per search")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"Digits, scaler + PCA + SVC pipeline, {args.n_iter} candidates per search, 3-fold CV\n")
    _print_table(main(args.n_iter, args.seed))
