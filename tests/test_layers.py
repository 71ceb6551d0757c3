"""The import contracts count type-checking imports, and there is no type-only circle left."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_count_type_checking_imports():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text[text.index("[tool.importlinter]") :].split("[[tool.importlinter.contracts]]")[0]
    assert re.findall(r"^exclude_type_checking_imports = (\w+)", section, re.M) == ["false"]


def _type_checking_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in ast.walk(node):
                if isinstance(child, ast.ImportFrom) and child.module:
                    found.add(child.module)
    return found


def test_the_batch_api_does_not_import_the_chat_provider():
    batch = ROOT / "bizsum" / "providers" / "openai_batch.py"
    assert "bizsum.providers.openai_chat" not in _type_checking_imports(batch)
    assert "openai_chat" not in "".join(
        ast.unparse(n) for n in ast.walk(ast.parse(batch.read_text(encoding="utf-8"))) if isinstance(n, ast.ImportFrom)
    )
