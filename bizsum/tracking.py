"""Optional MLflow tracking: each run (or report) as an MLflow run, where many users already compare runs.

``mlflow: true`` in a config (or ``bizsum run/report --mlflow``) logs, after the report is written:

* the config as params (flattened: ``models.0.id``, ``token_limit`` ...; no API keys exist in a config);
* the headline means per prompt × model as metrics (``<metric>.<prompt>.<model>``);
* ``report.html``, ``config.yaml``, ``generations.jsonl``, ``scores.jsonl`` and the CSV exports as artifacts.

The store defaults to a local ``./mlruns`` folder beside the project (a file store: no server; MLflow 3
keeps that backend in maintenance mode and asks for ``MLFLOW_ALLOW_FILE_STORE=true``, which bizsum
sets for its own default store only); ``mlflow: "<uri>"`` names another tracking URI, e.g.
``sqlite:///mlflow.db`` (needs the full ``mlflow`` package) or a server. ``mlflow ui --backend-store-uri
./mlruns`` shows the runs. MLflow is an optional extra (``pip install 'bizsum[tracking]'``).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizsum.config import RunConfig
from bizsum.errors import SetupError

if TYPE_CHECKING:
    from bizsum.report.build import Report

log = logging.getLogger(__name__)

EXPERIMENT = "bizsum"
_MLFLOW_KEY = re.compile(r"[^A-Za-z0-9_\-. /]")


def require_mlflow() -> Any:
    try:
        import mlflow
    except ImportError:
        raise SetupError(
            "MLflow tracking needs the optional 'tracking' extra: pip install 'bizsum[tracking]' (or pip install mlflow)"
        ) from None
    return mlflow


def tracking_uri(config: RunConfig) -> str:
    """``mlflow: true`` → a file store in ``<project root>/mlruns``; a string → that URI."""
    if isinstance(config.mlflow, str) and config.mlflow not in ("true", "True", "1"):
        return config.mlflow
    return (config.root / "mlruns").resolve().as_uri()


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested config data as flat ``a.b.0.c`` → text params."""
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            return {prefix: ", ".join(str(v) for v in value)}
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{index}"))
        return out
    return {prefix: "" if value is None else str(value)}


def _key(text: str) -> str:
    return _MLFLOW_KEY.sub("_", text)[:250]


def headline_metrics(headline: Any) -> dict[str, float]:
    """``<metric>.<prompt>.<model>`` → mean, from the report's headline table (finite values only)."""
    from bizsum.analysis.tables import headline_columns

    metrics: dict[str, float] = {}
    names = [c.name for c in headline_columns()]
    for row in headline.to_dict(orient="records"):
        for name in names:
            value = row.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                metrics[_key(f"{name}.{row['prompt']}.{row['model']}")] = float(value)
    return metrics


def log_run(config: RunConfig, report: Report, uri: str | None = None) -> str:
    """Log one bizsum run to MLflow; returns the MLflow run id."""
    mlflow = require_mlflow()
    uri = uri or tracking_uri(config)
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # a local folder, no server: what we want here
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(EXPERIMENT)
    rundir = config.rundir
    params = {_key(k): v[:6000] for k, v in flatten(config.snapshot()).items()}
    with mlflow.start_run(run_name=config.name) as run:
        mlflow.set_tags({"bizsum.run_dir": str(rundir.path), "bizsum.gate_passed": str(report.gate_passed)})
        items = sorted(params.items())
        for start in range(0, len(items), 100):  # the API takes at most 100 params per call
            mlflow.log_params(dict(items[start : start + 100]))
        metrics = headline_metrics(report.exports.get("headline.csv"))
        if metrics:
            mlflow.log_metrics(metrics)
        for path in (rundir.report, rundir.config, rundir.generations, rundir.scores):
            if Path(path).is_file():
                mlflow.log_artifact(str(path))
        for name in report.exports:
            if rundir.export(name).is_file():
                mlflow.log_artifact(str(rundir.export(name)))
        log.info("logged to MLflow %s: experiment %r, run %s", mlflow.get_tracking_uri(), EXPERIMENT, run.info.run_id)
        return str(run.info.run_id)
