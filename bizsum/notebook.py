"""Glue for the notebooks: turn the parameters cell into a RunConfig, set up logging.

Each notebook starts with ``_names_before = set(globals())``, then the ``parameters`` cell, then
``config = notebook.setup(globals(), _names_before)``. Every name defined in between (by the
parameters cell or by papermill's injected cell) must be a RunConfig field or ``config_path``:
anything else is an error naming it, where papermill itself would only warn. The working
directory is never changed: relative paths resolve against the project root of the config.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib import resources
from importlib.resources import as_file
from pathlib import Path
from typing import Any

from bizsum.config import RunConfig, config_from_parameters, parameter_names
from bizsum.lifeline import follow_parent

#: the notebooks ``bizsum run`` executes, in order
RUN_NOTEBOOKS = ("generate", "score", "compare")

_PARAMETERS_HEADER = (
    "# Parameters: each maps 1:1 onto a RunConfig field (None = keep the YAML value).\n"
    "# API keys are never parameters: set the environment variable named in a model's api_key_env.\n"
)


def parameters_source(config_path: str = "configs/demo.yaml") -> str:
    """The parameters cell every run notebook has: ``config_path`` plus every RunConfig field."""
    lines = [f'config_path = "{config_path}"'] + [
        f"{name} = None" for name in parameter_names() if name != "config_path"
    ]
    return _PARAMETERS_HEADER + "\n".join(lines)


def notebook_path(name: str) -> Path:
    """A notebook shipped with the package (``bizsum/notebooks/<name>.ipynb``)."""
    with as_file(resources.files("bizsum").joinpath("notebooks", f"{name}.ipynb")) as path:
        return Path(path).resolve()


def parameters_from_namespace(namespace: Mapping[str, Any], names_before: set[str]) -> dict[str, Any]:
    return {name: value for name, value in namespace.items() if name not in names_before and not name.startswith("_")}


class _LogFormatter(logging.Formatter):
    """Progress and info lines as plain text; only real warnings carry their level."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        return message if record.levelno < logging.WARNING else f"{record.levelname}: {message}"


def setup(namespace: Mapping[str, Any], names_before: set[str]) -> RunConfig:
    """Validate the notebook's parameters into a RunConfig (relative paths from the project root).

    In a kernel started by ``bizsum run``, a watcher kills the kernel as soon as that process ends
    (:mod:`bizsum.lifeline`): no row is written after the run folder's lock is gone."""
    follow_parent()
    handler = logging.StreamHandler()
    handler.setFormatter(_LogFormatter("%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    return config_from_parameters(parameters_from_namespace(namespace, names_before))
