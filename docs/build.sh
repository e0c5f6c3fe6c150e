#!/usr/bin/env sh
# Build the documentation site as CI does, from the repository root or anywhere:
#   sh docs/build.sh
# 1. the pages' and the package's >>> examples run as doctests;
# 2. the HTML site, warnings as errors, gallery examples executed
#    (entry point: docs/_build/html/index.html).
set -eu
cd "$(dirname "$0")/.."
python -m pytest -q -p no:cacheprovider --doctest-glob="*.rst" docs/*.rst hyperopt_search
python -m sphinx -W --keep-going -b html docs docs/_build/html
