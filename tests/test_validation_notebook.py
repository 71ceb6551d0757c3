"""The validation notebook and its typed options (bench/validation/validate_metrics.py)."""

import json

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from bench.validation.validate_metrics import ValidationOptions, options_from_parameters
from tests.helpers import ROOT

NOTEBOOK = ROOT / "bench" / "validation" / "validate_metrics.ipynb"


def test_unknown_parameter_or_set_is_an_error():
    assert options_from_parameters({"sets": "areas", "quick": True}) == ValidationOptions(sets="areas", quick=True)
    with pytest.raises(ValueError, match=r"unknown notebook parameter\(s\) \['quik'\]"):
        options_from_parameters({"quik": True})
    with pytest.raises(ValueError, match=r"unknown validation set\(s\) \['sumeval'\]"):
        ValidationOptions(sets="areas,sumeval")


@pytest.mark.slow
def test_notebook_recomputes_the_area_tagging_table(tmp_path):
    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(output),
        parameters={"sets": "areas", "out": str(tmp_path)},
        cwd=str(ROOT),
        progress_bar=False,
        kernel_name="python3",
    )
    results = json.loads((tmp_path / "validation.json").read_text())
    labels = [json.loads(line) for line in (ROOT / "bench" / "data" / "area_labels.jsonl").open()]
    assert results["areas"]["all"]["n"] == len(labels)
    per_area = results["areas"]["all"]["per_area"]
    assert sum(v["n_gold"] for v in per_area.values()) == sum(len(r["areas"]) for r in labels)
    outputs = json.loads(output.read_text())["cells"][-1]["outputs"]
    (shown,) = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
    assert "Focus-area tagging vs hand labels" in "".join(shown)


@pytest.mark.slow
def test_notebook_rejects_an_unknown_parameter(tmp_path):
    with pytest.raises(PapermillExecutionError, match="unknown notebook parameter"):
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(tmp_path / "out.ipynb"),
            parameters={"set": "areas"},
            cwd=str(ROOT),
            progress_bar=False,
            kernel_name="python3",
        )
