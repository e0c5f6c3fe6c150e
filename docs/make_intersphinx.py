"""Write the intersphinx inventories in ``docs/_intersphinx/``.

The documentation is built offline: instead of downloading each project's
``objects.inv``, we write small inventories ourselves, mapping the public names
of the *installed* scikit-learn, numpy, scipy, matplotlib and joblib to their
pages on the projects' stable documentation sites (the URL patterns those
sites use). Every name is imported first, so a name that does not exist in the
installed version is never written.

Run it again after upgrading those packages::

    python docs/make_intersphinx.py
"""

from __future__ import annotations

import importlib
import inspect
import zlib
from pathlib import Path

HERE = Path(__file__).parent / "_intersphinx"

# scikit-learn: every public name of these modules, on the API pages.
SKLEARN_MODULES = [
    "sklearn.base",
    "sklearn.compose",
    "sklearn.datasets",
    "sklearn.decomposition",
    "sklearn.ensemble",
    "sklearn.exceptions",
    "sklearn.impute",
    "sklearn.inspection",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.neighbors",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
    "sklearn.tree",
    "sklearn.utils",
]
# scikit-learn's glossary terms (Sphinx keeps underscores in term anchors).
SKLEARN_TERMS = [
    "classes_",
    "decision_function",
    "n_features_in_",
    "feature_names_in_",
    "sample_weight",
    "groups",
    "metadata routing",
    "cross-validation estimator",
    "cross-validation generator",
    "cv_results_",
    "estimator",
    "fit",
    "fit_transform",
    "get_params",
    "hyperparameter",
    "joblib",
    "meta-estimator",
    "n_jobs",
    "parameter",
    "predict",
    "predict_proba",
    "random_state",
    "scorer",
    "score",
    "set_params",
    "transform",
]
# scikit-learn's user guide sections: label -> (page, title).
SKLEARN_LABELS = {
    "grid_search": ("modules/grid_search.html#grid-search", "Tuning the hyper-parameters"),
    "multimetric_grid_search": (
        "modules/grid_search.html#multimetric-grid-search",
        "Specifying multiple metrics for evaluation",
    ),
    "randomized_parameter_search": (
        "modules/grid_search.html#randomized-parameter-search",
        "Randomized Parameter Optimization",
    ),
    "successive_halving_user_guide": (
        "modules/grid_search.html#successive-halving-user-guide",
        "Searching for optimal parameters with successive halving",
    ),
    "scoring_parameter": (
        "modules/model_evaluation.html#scoring-parameter",
        "The scoring parameter: defining model evaluation rules",
    ),
    "multimetric_scoring": (
        "modules/model_evaluation.html#multimetric-scoring",
        "Using multiple metric evaluation",
    ),
    "cross_validation": (
        "modules/cross_validation.html#cross-validation",
        "Cross-validation: evaluating estimator performance",
    ),
    "metadata_routing": ("metadata_routing.html#metadata-routing", "Metadata Routing"),
    "visualizations": ("visualizations.html#visualizations", "Visualizations"),
    "pipeline": ("modules/compose.html#pipeline", "Pipeline: chaining estimators"),
}

NUMPY = {
    # name: (role, uri)
    "numpy.ndarray": ("class", "reference/generated/numpy.ndarray.html#$"),
    "numpy.random.Generator": ("class", "reference/random/generator.html#$"),
    "numpy.random.RandomState": ("class", "reference/random/legacy.html#$"),
    "numpy.random.default_rng": ("function", "reference/random/generator.html#$"),
    "numpy.nan": ("data", "reference/constants.html#$"),
    "numpy.inf": ("data", "reference/constants.html#$"),
    "numpy.ma.MaskedArray": ("class", "reference/maskedarray.baseclass.html#$"),
}
NUMPY_FUNCTIONS = [
    "argmax",
    "array",
    "asarray",
    "isfinite",
    "linspace",
    "logspace",
    "mean",
    "nanargmax",
    "unique",
]

MATPLOTLIB = {
    "matplotlib.axes.Axes": ("class", "api/_as_gen/matplotlib.axes.Axes.html#$"),
    "matplotlib.figure.Figure": ("class", "api/_as_gen/matplotlib.figure.Figure.html#$"),
    "matplotlib.lines.Line2D": ("class", "api/_as_gen/matplotlib.lines.Line2D.html#$"),
    "matplotlib.collections.PathCollection": (
        "class",
        "api/collections_api.html#$",
    ),
    "matplotlib.colorbar.Colorbar": ("class", "api/colorbar_api.html#$"),
    "matplotlib.pyplot.subplots": ("function", "api/_as_gen/matplotlib.pyplot.subplots.html#$"),
}
MATPLOTLIB_METHODS = ["plot", "scatter", "set_xscale", "axvspan"]

JOBLIB = {
    "joblib.parallel_backend": ("function", "generated/joblib.parallel_backend.html#$"),
    "joblib.parallel_config": ("function", "generated/joblib.parallel_config.html#$"),
    "joblib.Parallel": ("class", "generated/joblib.Parallel.html#$"),
}


def _resolve(name: str) -> object:
    """Import ``name`` (a module attribute path); raise if it does not exist."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(name)


def _role(obj: object) -> str:
    if inspect.isclass(obj):
        return "class" if not issubclass(obj, BaseException) else "exception"
    if callable(obj):
        return "function"
    return "data"


def sklearn_entries() -> list[tuple[str, str, str, str]]:
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401

    entries = []
    for module_name in SKLEARN_MODULES:
        module = importlib.import_module(module_name)
        entries.append((module_name, "py:module", f"api/{module_name}.html#module-$", "-"))
        for name in getattr(module, "__all__", []):
            full = f"{module_name}.{name}"
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            page = f"modules/generated/{full}.html"
            entries.append((full, f"py:{_role(obj)}", page + "#$", "-"))
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_") or not callable(value):
                        continue
                    entries.append((f"{full}.{attr}", "py:method", page + "#$", "-"))
                for attr in _inherited_public_methods(obj):
                    entries.append((f"{full}.{attr}", "py:method", page + "#$", "-"))
    for term in SKLEARN_TERMS:
        anchor = "term-" + term.replace(" ", "-")
        entries.append((term, "std:term", f"glossary.html#{anchor}", "-"))
    for label, (uri, title) in SKLEARN_LABELS.items():
        entries.append((label, "std:label", uri, title))
    return entries


def _inherited_public_methods(cls: type) -> list[str]:
    own = set(vars(cls))
    names = []
    for attr in dir(cls):
        if attr.startswith("_") or attr in own:
            continue
        if callable(getattr(cls, attr, None)):
            names.append(attr)
    return names


def table_entries(table: dict) -> list[tuple[str, str, str, str]]:
    entries = []
    for name, (role, uri) in table.items():
        _resolve(name)
        entries.append((name, f"py:{role}", uri, "-"))
    return entries


def numpy_entries() -> list[tuple[str, str, str, str]]:
    entries = table_entries(NUMPY)
    for name in NUMPY_FUNCTIONS:
        full = f"numpy.{name}"
        _resolve(full)
        entries.append((full, "py:function", f"reference/generated/{full}.html#$", "-"))
    return entries


def scipy_entries() -> list[tuple[str, str, str, str]]:
    from scipy import stats

    entries = [("scipy.stats", "py:module", "reference/stats.html#module-$", "-")]
    for name in stats.__all__:
        obj = getattr(stats, name)
        if inspect.ismodule(obj):
            continue
        full = f"scipy.stats.{name}"
        # Distributions are instances (py:data), as in scipy's own inventory.
        role = "data" if isinstance(obj, stats.rv_continuous | stats.rv_discrete) else _role(obj)
        entries.append((full, f"py:{role}", f"reference/generated/{full}.html#$", "-"))
    return entries


def matplotlib_entries() -> list[tuple[str, str, str, str]]:
    entries = table_entries(MATPLOTLIB)
    for method in MATPLOTLIB_METHODS:
        full = f"matplotlib.axes.Axes.{method}"
        _resolve(full)
        entries.append((full, "py:method", f"api/_as_gen/{full}.html#$", "-"))
    return entries


def write_inventory(path: Path, project: str, version: str, entries) -> None:
    """Write a Sphinx version-2 inventory (zlib-compressed body)."""
    seen = set()
    lines = []
    for name, role, uri, dispname in sorted(entries):
        if (name, role) in seen:
            continue
        seen.add((name, role))
        if uri.endswith("#" + name):
            uri = uri[: -len(name)] + "$"
        lines.append(f"{name} {role} 1 {uri} {dispname}\n")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = zlib.compress("".join(lines).encode("utf-8"), 9)
    path.write_bytes(header.encode("utf-8") + body)
    print(f"{path.relative_to(HERE.parent.parent)}: {len(lines)} objects ({project} {version})")


def main() -> None:
    import joblib
    import matplotlib
    import numpy
    import scipy
    import sklearn

    HERE.mkdir(exist_ok=True)
    write_inventory(
        HERE / "sklearn-objects.inv", "scikit-learn", sklearn.__version__, sklearn_entries()
    )
    write_inventory(HERE / "numpy-objects.inv", "NumPy", numpy.__version__, numpy_entries())
    write_inventory(HERE / "scipy-objects.inv", "SciPy", scipy.__version__, scipy_entries())
    write_inventory(
        HERE / "matplotlib-objects.inv",
        "Matplotlib",
        matplotlib.__version__,
        matplotlib_entries(),
    )
    write_inventory(
        HERE / "joblib-objects.inv", "joblib", joblib.__version__, table_entries(JOBLIB)
    )


if __name__ == "__main__":
    main()
