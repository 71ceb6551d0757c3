"""The committed notebooks: thin, stripped, and their parameters are exactly the config fields."""

import ast

import nbformat
import pytest

from bizsum.config import parameter_names
from tests.helpers import ROOT

VALIDATION_NOTEBOOK = "validate_metrics.ipynb"  # parameters: bench.validate_metrics.ValidationOptions
REVIEW_NOTEBOOK = "review.ipynb"  # parameters: the run folder and the reviewer

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stripped_and_parameterized(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "strip outputs (make strip)"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = [t.id for node in ast.parse(tagged[0].source).body for t in node.targets]
    assert set(names) == set(_expected_parameters(path.name))
    # Literals only, so papermill and readers see the whole signature.
    assert all(isinstance(node.value, ast.Constant) for node in ast.parse(tagged[0].source).body)
    # Thin: no function or class definitions, no loops.
    for cell in code:
        tree = ast.parse(cell.source)
        assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While)) for n in ast.walk(tree)), (
            cell.source
        )


def _expected_parameters(name: str) -> list[str]:
    if name == VALIDATION_NOTEBOOK:
        import dataclasses

        from bench.validate_metrics import ValidationOptions

        return [f.name for f in dataclasses.fields(ValidationOptions)]
    if name == REVIEW_NOTEBOOK:
        return ["run_dir", "reviewer"]
    return parameter_names()
