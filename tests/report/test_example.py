"""The committed example report is regenerated from the current code (`make example`)."""

import pytest

from bizsum.metrics import default_metric_names
from bizsum.report.page import read_metadata
from bizsum.scoring import version_fingerprints
from tests.helpers import ROOT

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "reports" / "example" / "report.html"


def test_the_example_report_was_scored_with_the_current_metric_versions():
    metadata = read_metadata(EXAMPLE.read_text(encoding="utf-8"))
    assert metadata, f"{EXAMPLE} has no metadata block: it predates the current report code; run `make example`"
    scored = metadata["score_versions"]
    default = set(default_metric_names())  # the optional LLM-judge metrics need a judge model: not in the demo
    assert set(scored) == default, f"{EXAMPLE} lacks metrics {default - set(scored)}"
    current = version_fingerprints(list(scored))
    lagging = {name: (seen, current[name]) for name, seen in scored.items() if seen != [current[name]]}
    assert not lagging, f"{EXAMPLE} was scored with older metric versions {lagging}; run `make example`"


def test_the_example_folder_has_the_csvs_its_report_points_to():
    html = EXAMPLE.read_text(encoding="utf-8")
    for name in ("headline.csv", "pairs.csv"):
        assert name in html and (EXAMPLE.parent / name).is_file(), (
            f"{name} is missing beside {EXAMPLE}: run `make example`"
        )
