"""scikit-learn is used, never changed: its functions stay the originals."""

import subprocess
import sys
import textwrap


def test_sklearn_functions_are_the_originals_after_searches_of_every_schedule():
    # Regression (issue 22): importing the package replaced two functions of
    # sklearn.model_selection._search for the whole process. A fresh process
    # records every attribute of scikit-learn's search modules before the
    # package is imported, runs a search of every schedule, and compares.
    script = textwrap.dedent(
        """
        import sklearn.base
        import sklearn.model_selection._search as search_module
        import sklearn.model_selection._validation as validation_module

        modules = (search_module, validation_module, sklearn.base)
        before = {(m.__name__, name): value for m in modules for name, value in vars(m).items()}
        methods = dict(vars(search_module.BaseSearchCV))

        from scipy.stats import loguniform
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        from hyperopt_search import HyperoptSearchCV

        X, y = load_iris(return_X_y=True)
        for options in (
            {"schedule": "rounds"},
            {"schedule": "ordered"},
            {"schedule": "async"},
            {"racing": True, "cv": 4},
            {"n_jobs": 2},
        ):
            HyperoptSearchCV(
                LogisticRegression(max_iter=200),
                {"C": loguniform(1e-3, 1e2)},
                n_iter=6,
                random_state=0,
                **options,
            ).fit(X, y)
        after = {(m.__name__, name): value for m in modules for name, value in vars(m).items()}
        after.pop(("sklearn.model_selection._search", "__warningregistry__"), None)
        changed = [key for key in before if after.get(key) is not before[key]]
        assert not changed, changed
        assert set(after) == set(before), set(after) ^ set(before)
        assert dict(vars(search_module.BaseSearchCV)) == methods
        print("ok")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("ok")


def test_the_package_reads_no_closure_and_no_source():
    import pathlib

    import hyperopt_search

    root = pathlib.Path(hyperopt_search.__file__).parent
    text = "\n".join(path.read_text() for path in root.rglob("*.py"))
    for forbidden in ("__closure__", "getsource", "cell_contents"):
        assert forbidden not in text, forbidden
