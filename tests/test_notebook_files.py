"""The committed notebooks: thin, stripped, and their parameters are exactly the config fields."""

import ast

import nbformat
import pytest

from bizsum.config import parameter_names
from tests.helpers import ROOT

VALIDATION_NOTEBOOK = "validate_metrics.ipynb"  # parameters: bench.validation.validate_metrics.ValidationOptions
REVIEW_NOTEBOOK = "review.ipynb"  # parameters: the run folder and the reviewer

#: the packaged notebooks (bizsum/notebooks, linked as notebooks/) and the validation notebook, which
#: lives with the bench code it runs (a wheel does not ship bench/)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + [ROOT / "bench" / "validation" / VALIDATION_NOTEBOOK]


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

        from bench.validation.validate_metrics import ValidationOptions

        return [f.name for f in dataclasses.fields(ValidationOptions)]
    if name == REVIEW_NOTEBOOK:
        return ["run_dir", "reviewer"]
    return parameter_names()


def _imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_nothing_the_wheel_ships_imports_bench():
    """bench/ is not in the wheel: no module or packaged notebook of bizsum may import it."""
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in (ROOT / "bizsum").rglob("*.py")}
    for path in (ROOT / "bizsum" / "notebooks").glob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        sources[str(path.relative_to(ROOT))] = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert len(sources) > 90
    offenders = sorted(
        where
        for where, source in sources.items()
        if any(m == "bench" or m.startswith("bench.") for m in _imported_modules(source))
    )
    assert offenders == []
