"""Glue for the notebooks: turn the parameters cell into a RunConfig, set up logging.

Each notebook starts with ``_names_before = set(globals())``, then the ``parameters`` cell, then
``config = notebook.setup(globals(), _names_before)``. Every name defined in between (by the
parameters cell or by papermill's injected cell) must be a RunConfig field or ``config_path``:
anything else is an error naming it, where papermill itself would only warn.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Mapping

from bizsum.config import RunConfig, config_from_parameters


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``data/prompts`` (where configs resolve)."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "data" / "prompts").is_dir():
            return folder
    return start


def parameters_from_namespace(namespace: Mapping[str, Any], names_before: set[str]) -> dict[str, Any]:
    return {
        name: value
        for name, value in namespace.items()
        if name not in names_before and not name.startswith("_")
    }


def setup(namespace: Mapping[str, Any], names_before: set[str], chdir: bool = True) -> RunConfig:
    """Validate the notebook's parameters into a RunConfig (relative paths from the project root)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)
    if chdir:
        os.chdir(find_project_root())
    return config_from_parameters(parameters_from_namespace(namespace, names_before))
