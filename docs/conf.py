"""Sphinx configuration of the hyperopt-search documentation.

Build (warnings are errors, the gallery is executed)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build is offline: intersphinx reads the inventories shipped in
``docs/_intersphinx/`` (regenerate them with ``python docs/make_intersphinx.py``).
"""

from __future__ import annotations

import ast
import os
import re
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import hyperopt_search

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The benchmarks page shows what is in this directory (nothing when it is empty).
BENCHMARK_RESULTS = Path(
    os.environ.get("HYPEROPT_SEARCH_BENCHMARK_RESULTS", ROOT / "benchmarks" / "results")
)
sys.path.insert(0, str(DOCS))

# -- Project -----------------------------------------------------------------

project = "hyperopt-search"
author = "hyperopt-search developers"
copyright = "hyperopt-search developers"
version = release = hyperopt_search.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "_templates", "_intersphinx", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
default_role = "literal"
pygments_style = "sphinx"
suppress_warnings = []

# -- API reference ------------------------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Intersphinx (offline: local inventories) ----------------------------------------

intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", "_intersphinx/sklearn-objects.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_intersphinx/numpy-objects.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_intersphinx/scipy-objects.inv"),
    "matplotlib": ("https://matplotlib.org/stable/", "_intersphinx/matplotlib-objects.inv"),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", "_intersphinx/joblib-objects.inv"),
}
intersphinx_disabled_reftypes = ["std:doc"]

# -- Gallery ---------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # Only plot_*.py are executed; other scripts (quickstart.py) are shown as
    # they are.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("hyperopt_search",),
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
}

# An example's own warnings (convergence warnings of small models, ...) are
# not documentation errors; sphinx-gallery captures and shows its output.
warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently using agg"
)

# -- Figures of the pages (matplotlib's plot directive) ---------------------------

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.figsize": (6.4, 4.0)}

# -- HTML -------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"hyperopt-search {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"**": ["sidebar-nav-bs"], "index": []}
html_static_path: list[str] = []
html_show_sourcelink = False

# -- The benchmarks page: generated from the files that exist ----------------------

# Cleaned copies of the reports (git-ignored); their own heading levels start
# at ## or ###, which MyST would otherwise report inside this page.
GENERATED = DOCS / "_generated"
suppress_warnings = ["myst.header"]


def _benchmark_results_rst() -> str:
    """reST showing every report and figure in ``benchmarks/results/``."""
    if not BENCHMARK_RESULTS.is_dir():
        reports, images = [], []
    else:
        reports = sorted(BENCHMARK_RESULTS.glob("*.md"))
        images = sorted(BENCHMARK_RESULTS.glob("*.png"))
    if not reports and not images:
        return (
            ".. note::\n\n"
            "   No benchmark results were found in ``benchmarks/results/`` when\n"
            "   this page was built. Run the commands below, then rebuild.\n"
        )
    lines = []
    GENERATED.mkdir(exist_ok=True)
    for report in reports:
        # An included report's image links would resolve against docs/: drop
        # them (every figure of the folder is shown below anyway).
        text = report.read_text(encoding="utf-8")
        copy = GENERATED / report.name
        copy.write_text(re.sub(r"(?m)^!\[[^\]]*\]\([^)]*\)\s*$", "", text), encoding="utf-8")
        lines += [
            f".. rubric:: {report.name}",
            "",
            f".. include:: {os.path.relpath(copy, DOCS)}",
            "   :parser: myst_parser.sphinx_",
            "",
        ]
    for image in images:
        caption = image.stem.replace("_", " ")
        lines += [
            f".. figure:: {os.path.relpath(image, DOCS)}",
            f"   :alt: {caption}",
            "   :width: 100%",
            "",
            f"   ``{image.name}``",
            "",
        ]
    return "\n".join(lines)


def _benchmark_scripts_rst() -> str:
    """reST list of the runnable scripts in ``benchmarks/``, with their summary."""
    scripts = (
        sorted(BENCHMARK_RESULTS.parent.glob("*.py")) if BENCHMARK_RESULTS.parent.is_dir() else []
    )
    items = []
    for script in scripts:
        if script.name.startswith("_"):
            continue
        try:
            doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
        except (SyntaxError, UnicodeDecodeError):
            doc = ""
        summary = " ".join(doc.strip().split("\n\n")[0].split())
        items.append(
            f"- ``python benchmarks/{script.name}``" + (f": {summary}" if summary else "")
        )
    return "\n".join(items) if items else "- (no script found in ``benchmarks/``)"


def _insert_benchmark_results(app, docname, source):
    if docname == "benchmarks":
        text = source[0].replace(".. benchmark-scripts::", _benchmark_scripts_rst())
        source[0] = text.replace(".. benchmark-results::", _benchmark_results_rst())


def _always_reread_benchmarks(app, env, added, changed, removed):
    return ["benchmarks"] if "benchmarks" in env.found_docs else []


def setup(app):
    app.connect("source-read", _insert_benchmark_results)
    app.connect("env-get-outdated", _always_reread_benchmarks)
