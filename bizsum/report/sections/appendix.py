"""Provenance (models, versions, config) and definitions (glossary), after the results."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import yaml

from bizsum.config import RunConfig
from bizsum.report.data import ReportData
from bizsum.report.html import config_cell, esc, static_table

ID, TITLE, SCREEN_ONLY = "appendix", "Appendix: provenance and definitions", False

PACKAGES = (
    "bizsum",
    "openai",
    "rouge-score",
    "bert-score",
    "tiktoken",
    "torch",
    "transformers",
    "llama-cpp-python",
    "itables",
)

SPREAD_NOTE = (
    "sd = standard deviation over documents × samples; a difference between two configurations is only "
    "meaningful with the paired statistics."
)


def render(data: ReportData) -> str:
    from bizsum.report.sections.verdict import model_warning

    return (
        "<h3>Models</h3>"
        + model_warning(data)
        + models_table(data.config, data.frame)
        + "<h3>Versions</h3>"
        + versions_table(data.metric_versions)
        + "<h3>Run configuration</h3>"
        + provenance(data.tables.history)
        + f'<details><summary>config.yaml</summary><pre class="yaml">{esc(yaml.safe_dump(data.config.snapshot(), sort_keys=False))}</pre></details>'
        + "<h3>What the scores mean</h3>"
        + glossary(data)
    )


def provenance(history: pd.DataFrame) -> str:
    """Which config wrote which rows (:func:`bizsum.analysis.tables.config_history`)."""
    if history.empty:
        return "<p>No config snapshot in this run folder.</p>"
    if len(history) == 1:
        return f"<p>Every row was written by config <code>{esc(history['config'].iloc[0])}</code>.</p>"
    return (
        "<p>Configs that wrote into this run folder; the report shows the current row of each cell, "
        "written by the config named in the row.</p>" + static_table(history, caption="Config snapshots")
    )


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def models_table(config: RunConfig, frame: pd.DataFrame) -> str:
    from bizsum.providers import provider_kind

    rows = []
    for spec in config.models:
        got = frame[frame.model_id == spec.id] if not frame.empty else frame
        returned = sorted({str(v) for v in got.get("model_returned", pd.Series(dtype=str)).dropna()})
        counters = sorted({str(v) for v in got.get("token_counter", pd.Series(dtype=str)).dropna()})
        rows.append(
            {
                "model id": config_cell("", spec.id, provider_kind(spec.provider)).replace(" · ", ""),
                "provider": esc(spec.provider),
                "model": esc(spec.model_name),
                "model returned": esc(", ".join(returned)),
                "token counter": esc(", ".join(counters)),
                "params": esc(yaml.safe_dump(spec.params, default_flow_style=True).strip()),
                "options": esc(yaml.safe_dump(spec.options, default_flow_style=True).strip()),
            }
        )
    errors = int(frame["error"].notna().sum()) if "error" in frame else 0
    cached = int(frame["cached"].fillna(False).astype(bool).sum()) if "cached" in frame else 0
    return f"<p>{len(frame)} summaries ({errors} failed, {cached} served from the response cache).</p>" + static_table(
        pd.DataFrame(rows),
        html_columns=["model id", "provider", "model", "model returned", "token counter", "params", "options"],
    )


def versions_table(metric_versions: dict[str, dict[str, str]]) -> str:
    rows = [{"component": name, "version": _pkg(name)} for name in PACKAGES]
    for metric, info in metric_versions.items():
        for key, value in info.items():
            rows.append({"component": f"{metric}: {key}", "version": value})
    return static_table(pd.DataFrame(rows), caption="Versions of packages, metrics and encoders", css="versions")


def glossary(data: ReportData) -> str:
    """What each metric and each of its values means, from the metrics' own declarations."""
    from bizsum.metrics import metric_class, metric_names

    rows = []
    for name in metric_names():
        metric = metric_class(name)
        rows.append({"score": metric.label, "what it means": metric.description})
    rows.append({"score": "Spread", "what it means": SPREAD_NOTE})
    columns = [
        {"column": c.name, "label": c.label, "meaning": c.meaning, "better": c.direction, "kind": c.kind}
        for c in data.tables.columns.values()
    ]
    return static_table(pd.DataFrame(rows), caption="What each score means") + (
        "<details><summary>Every column of scores.jsonl</summary>"
        + static_table(pd.DataFrame(columns), caption="Every column of scores.jsonl and the report")
        + "</details>"
    )
