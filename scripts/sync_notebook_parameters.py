"""Rewrite the ``parameters`` cell of every bizsum notebook from the RunConfig fields.

Run after adding a RunConfig field: ``python scripts/sync_notebook_parameters.py``. The test
suite fails when a notebook's parameters and the config disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bizsum.notebook import RUN_NOTEBOOKS, parameters_source

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    changed = 0
    for name in RUN_NOTEBOOKS:
        path = ROOT / "bizsum" / "notebooks" / f"{name}.ipynb"
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                source = parameters_source()
                if "".join(cell["source"]) != source:
                    cell["source"] = source.splitlines(keepends=True)
                    changed += 1
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{changed} parameters cell(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
