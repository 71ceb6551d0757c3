"""Glue for the notebooks: turn the parameters cell into a RunConfig, set up logging.

Each notebook starts with ``_names_before = set(globals())``, then the ``parameters`` cell, then
``config = notebook.setup(globals(), _names_before)``. Every name defined in between (by the
parameters cell or by papermill's injected cell) must be a RunConfig field or ``config_path``:
anything else is an error naming it, where papermill itself would only warn. The working
directory is never changed: relative paths resolve against the config's folder (its project root).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from importlib import resources
from importlib.resources import as_file
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bizsum.config import RunConfig, config_from_parameters, parameter_names
from bizsum.lifeline import follow_parent

#: the notebooks ``bizsum run`` executes, in order
RUN_NOTEBOOKS = ("generate", "score", "compare")

_PARAMETERS_HEADER = (
    "# Parameters (papermill -p NAME VALUE): each is the RunConfig field of that name; None keeps the config\n"
    "# file's value. A list field also takes a string: -p prompts mine,seed. API keys are never parameters.\n"
)

#: the parameters cell's groups: a comment, then the fields it sets (every field is in one group)
PARAMETER_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "what runs: documents × prompts × models × samples",
        ("name", "documents", "prompts", "models", "samples", "seed", "strategies"),
    ),
    ("how summaries are scored", ("token_limit", "focus_areas", "metrics", "judge")),
    (
        "where files are: data folders (corpus: [builtin] adds the shipped one), results, response cache",
        ("data_dir", "corpus", "output_dir", "cache_dir"),
    ),
    ("spending and failures", ("max_cost", "allow_unpriced", "allow_failures", "max_document_tokens")),
    (
        "regression gate, tracking, where the work runs",
        ("baseline", "baseline_run", "thresholds", "mlflow", "executor"),
    ),
)


def parameters_source(config_path: str = "configs/demo.yaml") -> str:
    """The parameters cell every run notebook has: ``config_path``, then every RunConfig field,
    grouped under a comment (one assignment per line: papermill reads the cell line by line)."""
    names = [name for name in parameter_names() if name != "config_path"]
    grouped = {name for _, group in PARAMETER_GROUPS for name in group}
    groups = [*PARAMETER_GROUPS, ("other fields", tuple(n for n in names if n not in grouped))]
    lines = [f'config_path = "{config_path}"  # the YAML config (bizsum init DIR writes one for a study)']
    for comment, group in groups:
        present = [name for name in group if name in names]
        if present:
            lines += ["", f"# {comment}", *(f"{name} = None" for name in present)]
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


def _handler(stream: Any, warnings: bool) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_LogFormatter("%(message)s"))
    handler.addFilter(lambda record: (record.levelno >= logging.WARNING) == warnings)
    return handler


def setup(namespace: Mapping[str, Any], names_before: set[str]) -> RunConfig:
    """Validate the notebook's parameters into a RunConfig (relative paths from the project root).

    Progress and notes go to stdout (a plain output in JupyterLab); only warnings and errors go to
    stderr, which JupyterLab shows as an error box. In a kernel started by ``bizsum run``, a watcher
    kills the kernel as soon as that process ends (:mod:`bizsum.lifeline`): no row is written after
    the run folder's lock is gone."""
    follow_parent()
    handlers = [_handler(sys.stdout, warnings=False), _handler(sys.stderr, warnings=True)]
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    return config_from_parameters(parameters_from_namespace(namespace, names_before))


def report_link(path: str | Path) -> Any:
    """A link to a report (relative to the working directory: the notebook's folder in JupyterLab,
    the run folder under ``bizsum run``), to open it in a browser tab rather than inline it."""
    from IPython.display import Markdown

    path = Path(path).resolve()
    try:
        href = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive (Windows)
        href = path.as_uri()
    return Markdown(
        f"**Report:** [{path.name}]({quote(Path(href).as_posix())}) (open it in a new browser tab, or in JupyterLab "
        f"right-click ▸ *Open in New Browser Tab*; in JupyterLab's own viewer, *Trust HTML* runs its charts) · `{path}`"
    )
