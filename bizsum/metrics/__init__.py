"""Metric registry: one module per metric, imported lazily (BERTScore pulls in torch when created).

Every metric declares the values it writes (:class:`~bizsum.metrics.base.Column`): name, label,
meaning, direction and kind. :func:`metric_columns` collects them for the report, the gate, the
glossary and the README, so no reader keeps its own list.
"""

from __future__ import annotations

import importlib
from typing import Any

from bizsum.errors import ConfigError
from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem

# name -> "module:Class"
METRICS: dict[str, str] = {
    "rouge": "bizsum.metrics.rouge:RougeMetric",
    "bertscore": "bizsum.metrics.bertscore:BertScoreMetric",
    "token_limit": "bizsum.metrics.token_limit:TokenLimitMetric",
    "format": "bizsum.metrics.format_check:FormatMetric",
    "focus_coverage": "bizsum.metrics.focus_coverage:FocusCoverageMetric",
    "source_only": "bizsum.metrics.source_only:SourceOnlyMetric",
    "judge_claims": "bizsum.metrics.judge.claims:JudgeClaimsMetric",
    "judge_rubric": "bizsum.metrics.judge.rubric:JudgeRubricMetric",
}
#: metrics that run only when asked for (they need a judge model): not part of "all metrics"
OPTIONAL_METRICS = frozenset({"judge_claims", "judge_rubric"})


def metric_names() -> list[str]:
    """Every registered metric, the optional ones included."""
    return list(METRICS)


def default_metric_names() -> list[str]:
    """The metrics a run computes when its config names none: every offline metric."""
    return [name for name in METRICS if name not in OPTIONAL_METRICS]


def metric_class(name: str) -> type[Metric]:
    """The class of a registered metric (importing it loads no model)."""
    if name not in METRICS:
        raise ConfigError(f"unknown metric {name!r}; available: {metric_names()}")
    module_name, class_name = METRICS[name].split(":")
    cls: type[Metric] = getattr(importlib.import_module(module_name), class_name)
    return cls


def create_metric(name: str, **options: Any) -> Metric:
    return metric_class(name)(**options)


def metric_columns(names: list[str] | None = None) -> dict[str, Column]:
    """Every declared value of the named metrics (default: all), in registry order, by column name."""
    columns: dict[str, Column] = {}
    for name in names or metric_names():
        for column in metric_class(name).columns:
            columns[column.name] = column
    return columns


def register_metric(name: str, target: str) -> None:
    """Add a metric (``"package.module:Class"``) to the registry, e.g. from a plugin."""
    METRICS[name] = target


__all__ = [
    "METRICS",
    "OPTIONAL_METRICS",
    "Column",
    "Metric",
    "MetricResult",
    "ScoringItem",
    "create_metric",
    "default_metric_names",
    "metric_class",
    "metric_columns",
    "metric_names",
    "register_metric",
]
