"""``bizsum run``: execute the generate → score → compare notebooks with papermill, then export
the executed compare notebook to ``<run_dir>/report.html`` (code hidden).

The notebooks receive ``config_path`` plus any overrides as parameters, exactly as CI would pass
them on the papermill command line, so the CLI and CI run the same code.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Mapping

from bizsum.config import RunConfig, load_config
from bizsum.errors import BizsumError
from bizsum.notebook import find_project_root
from bizsum.report import export_html

log = logging.getLogger(__name__)

NOTEBOOKS = ("generate", "score", "compare")
REPORT_FILE = "report.html"


class NotebookFailed(BizsumError):
    """A notebook raised; the message is the error from inside it, without the cell traceback."""


def _execute(notebook: Path, output: Path, parameters: Mapping[str, Any], cwd: Path) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(notebook), str(output), parameters=dict(parameters), cwd=str(cwd),
            progress_bar=False, log_output=True, kernel_name="python3",
        )
    except PapermillExecutionError as error:
        raise NotebookFailed(f"{notebook.name} stopped: {error.ename}: {error.evalue} (executed copy: {output})") from None


def notebooks_dir(root: Path) -> Path:
    """The project's notebooks/, or the ones beside the installed package."""
    local = root / "notebooks"
    return local if local.is_dir() else Path(__file__).resolve().parents[1] / "notebooks"


def run_pipeline(config_path: str | Path, overrides: Mapping[str, Any] | None = None,
                 steps: tuple[str, ...] = NOTEBOOKS) -> Path | None:
    """Run the notebooks for a config; returns the HTML report path (None when compare did not run)."""
    root = find_project_root()
    config: RunConfig = load_config(config_path, overrides)  # validate before starting any kernel
    run_dir = root / config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    parameters = {"config_path": str(Path(config_path).resolve()), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    for step in [s for s in NOTEBOOKS if s in steps]:
        started = time.perf_counter()
        _execute(notebooks_dir(root) / f"{step}.ipynb", run_dir / f"{step}.executed.ipynb", parameters, root)
        log.info("%s finished in %.1f s", step, time.perf_counter() - started)
    unknown = [step for step in steps if step not in NOTEBOOKS]
    if unknown:
        raise BizsumError(f"unknown step(s) {unknown}; steps are {list(NOTEBOOKS)}")
    if "compare" not in steps:
        return None
    report = export_html(run_dir / "compare.executed.ipynb", run_dir / REPORT_FILE, title=f"bizsum report: {config.name}")
    log.info("report written to %s", report)
    return report
