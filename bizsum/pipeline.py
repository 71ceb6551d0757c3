"""``bizsum run``: execute the generate → score → compare notebooks with papermill; the compare
notebook writes ``<run_dir>/report.html`` (:func:`bizsum.report.build.build_report`, the same code
``bizsum report RUN`` and the papermill/CI route run).

Before any kernel starts, everything the config names is checked (steps, documents and their size,
prompt templates, providers and their keys, the baseline file): a mistake anywhere stops the run
with one message. The run folder is locked for the whole pipeline; the notebook kernels it starts
inherit the lock. The notebooks receive ``config_path`` plus any overrides as parameters, exactly as
CI would pass them on the papermill command line, so the CLI and CI run the same code.

When generation leaves cells without a result (beyond ``allow_failures``), scoring and the report
still run for what was generated, and the pipeline then fails with the per-model summary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bizsum.config import RunConfig, find_config, load_config
from bizsum.errors import BizsumError, ConfigError, InputError
from bizsum.generation.plan import RunPlan
from bizsum.lifeline import name_parent
from bizsum.notebook import RUN_NOTEBOOKS, notebook_path
from bizsum.providers.cache import ResponseCache

log = logging.getLogger(__name__)

#: a notebook that raised one of these still lets the later steps run (their results are kept)
CONTINUE_AFTER = ("GenerationIncomplete",)


class NotebookFailed(BizsumError):
    """A notebook raised; the message is the error from inside it, without the cell traceback."""

    def __init__(self, message: str, ename: str = ""):
        super().__init__(message)
        self.ename = ename


def check_steps(steps: Sequence[str]) -> tuple[str, ...]:
    unknown = [step for step in steps if step not in RUN_NOTEBOOKS]
    if unknown:
        raise ConfigError(f"unknown step(s) {unknown}; steps are {list(RUN_NOTEBOOKS)}")
    return tuple(step for step in RUN_NOTEBOOKS if step in steps)


def preflight(config: RunConfig, steps: Sequence[str]) -> RunPlan:
    """Check everything a run needs before it starts; raises a BizsumError naming the culprit."""
    plan = RunPlan.from_config(config)  # documents, sizes, templates, providers, keys, prices under max_cost
    ResponseCache(config.cache_path).check_writable()  # an answer that cannot be cached would be paid twice
    if config.baseline and "compare" in steps and not config.resolve(config.baseline).exists():
        raise InputError(f"baseline scores not found: {config.resolve(config.baseline)} (config field 'baseline')")
    if config.baseline_run and "compare" in steps and not config.resolve(config.baseline_run).is_dir():
        raise InputError(f"baseline run not found: {config.resolve(config.baseline_run)} (config field 'baseline_run')")
    if config.mlflow and "compare" in steps:
        from bizsum.tracking import require_mlflow

        require_mlflow()
    if config.executor.kind == "ray":
        from bizsum.execution.ray_session import import_ray

        import_ray()  # not installed: say so before any step starts
    if config.metrics:
        from bizsum.metrics import metric_names

        unknown = sorted(set(config.metrics) - set(metric_names()))
        if unknown:
            raise ConfigError(f"unknown metric(s) {unknown} in 'metrics'; available: {metric_names()}")
    return plan


def _execute(notebook: Path, output: Path, parameters: Mapping[str, Any], cwd: Path) -> None:
    import sys

    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        # The kernel's output goes straight to our stdout/stderr: with log_output=True papermill would
        # re-log every progress line of the kernel's stderr as "WARNING papermill: ...".
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=dict(parameters),
            cwd=str(cwd),
            progress_bar=False,
            log_output=False,
            stdout_file=sys.stdout,
            stderr_file=sys.stderr,
            kernel_name="python3",
        )
    except PapermillExecutionError as error:
        raise NotebookFailed(
            f"{notebook.name} stopped: {error.ename}: {error.evalue} (executed copy: {output})", error.ename
        ) from None


def run_pipeline(
    config_path: str | Path, overrides: Mapping[str, Any] | None = None, steps: Sequence[str] = RUN_NOTEBOOKS
) -> Path | None:
    """Run the notebooks for a config; returns the HTML report path (None when compare did not run)."""
    steps = check_steps(steps)
    config_file = find_config(config_path)
    config = load_config(config_file, overrides)
    preflight(config, steps)
    rundir = config.rundir.ensure()
    parameters = {
        "config_path": str(config_file.resolve()),
        **{k: v for k, v in (overrides or {}).items() if v is not None},
    }
    deferred: NotebookFailed | None = None
    name_parent()  # the kernels die with this process (bizsum.lifeline)
    with rundir.lock("bizsum run " + str(config_path)):
        for step in steps:
            started = time.perf_counter()
            try:
                # the kernel works in the run folder, beside the executed copy: its links resolve there
                _execute(notebook_path(step), rundir.executed(step), parameters, rundir.path)
            except NotebookFailed as error:
                if error.ename in CONTINUE_AFTER:
                    log.error("%s", error)
                    deferred = error
                    continue
                if deferred is not None:  # the run had already failed: that stays its result
                    log.error("%s", error)
                    raise deferred from None
                raise  # a failed gate still has its report: the notebook writes it before raising
            log.info("%s finished in %.1f s", step, time.perf_counter() - started)
        report = rundir.report if "compare" in steps else None
    if deferred is not None:
        raise deferred
    return report
