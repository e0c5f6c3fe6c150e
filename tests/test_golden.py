"""The candidates of the golden searches are those recorded in ``tests/golden``.

See ``tests/golden_searches.py``: a change of the search loop must keep every
seed's candidates, unless it knowingly fixes a fault (and regenerates the
record, saying so). Continued searches must also give the uninterrupted
search's candidates.
"""

import json
import warnings

import golden_searches
import pytest

GOLDEN = json.loads(golden_searches.GOLDEN.read_text())
SAME_VERSIONS = GOLDEN["versions"] == golden_searches.versions()


@pytest.mark.skipif(
    not SAME_VERSIONS,
    reason=f"the golden candidates were recorded with {GOLDEN['versions']}",
)
@pytest.mark.parametrize("name", sorted(golden_searches.SEARCHES))
def test_a_golden_search_proposes_its_recorded_candidates(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = golden_searches.run(name, tmp_path)
    assert got == GOLDEN["searches"][name]


@pytest.mark.parametrize(
    "kind, schedule",
    [
        ("checkpoint", "ordered"),
        ("checkpoint", "rounds"),
        ("checkpoint", "racing"),
        # Regression (issue 22, fault 2): continuing in memory after an
        # interrupt or an error gave 8 of 16 uninterrupted candidates.
        ("warm_start", "ordered"),
        ("warm_start", "rounds"),
        ("warm_start", "racing"),
        ("monitor_error", "ordered"),
        ("monitor_error", "rounds"),
    ],
)
def test_a_continued_search_proposes_the_uninterrupted_candidates(kind, schedule):
    name = f"resume_{kind}_{schedule}"
    resumed = GOLDEN["searches"][name]
    uninterrupted = GOLDEN["searches"][f"peak_{schedule}"]
    assert resumed["params"] == uninterrupted["params"]
    assert resumed["tid"] == uninterrupted["tid"]
