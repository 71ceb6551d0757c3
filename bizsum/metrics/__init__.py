"""Metric registry: one module per metric, imported lazily (BERTScore pulls in torch when created).

A new metric is a :class:`~bizsum.metrics.base.Metric` subclass in its own module, registered
one of three ways: a line in :data:`METRICS` (a built-in), :func:`register_metric` (from code
that runs before scoring), or an entry point in the group ``bizsum.metrics`` of an installed
distribution (``name = "package.module:Class"``), without a change to this repository
(:mod:`bizsum.registry`).

Every metric declares the values it writes (:class:`~bizsum.metrics.base.Column`): name, label,
meaning, direction and kind. :func:`metric_columns` collects them for the report, the gate, the
glossary and the README, so no reader keeps its own list.
"""

from __future__ import annotations

from typing import Any

from bizsum.errors import ConfigError
from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem
from bizsum.registry import Registry

#: the built-in metrics: name -> "module:Class"
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
#: every metric by name: the built-ins, :func:`register_metric`, entry points ``bizsum.metrics``
REGISTRY: Registry[type[Metric]] = Registry("metric", "bizsum.metrics", METRICS)
#: metrics that run only when asked for (they need a judge model): not part of "all metrics"
OPTIONAL_METRICS = frozenset({"judge_claims", "judge_rubric"})


def metric_names() -> list[str]:
    """Every registered metric, the optional ones included."""
    return REGISTRY.names()


def default_metric_names() -> list[str]:
    """The metrics a run computes when its config names none: every offline metric (a plugin's too)."""
    return [name for name in metric_names() if name not in OPTIONAL_METRICS]


def metric_class(name: str) -> type[Metric]:
    """The class of a registered metric (importing it loads no model)."""
    cls = REGISTRY.get(name)
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise ConfigError(f"metric {name!r}: {REGISTRY.target(name)!r} is not a bizsum Metric subclass")
    return cls


def metric_target(name: str) -> str:
    """The ``"module:Class"`` of a metric (what a Ray actor imports to get the same class)."""
    target = REGISTRY.target(name)
    return target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"


def create_metric(name: str, **options: Any) -> Metric:
    return metric_class(name)(**options)


def metric_columns(names: list[str] | None = None) -> dict[str, Column]:
    """Every declared value of the named metrics (default: all), in registry order, by column name."""
    columns: dict[str, Column] = {}
    for name in names or metric_names():
        for column in metric_class(name).columns:
            columns[column.name] = column
    return columns


def register_metric(name: str, target: str | type[Metric]) -> None:
    """Add a metric (a class or its ``"package.module:Class"``) to the registry."""
    REGISTRY.register(name, target)


__all__ = [
    "METRICS",
    "OPTIONAL_METRICS",
    "REGISTRY",
    "Column",
    "Metric",
    "MetricResult",
    "ScoringItem",
    "create_metric",
    "default_metric_names",
    "metric_class",
    "metric_columns",
    "metric_names",
    "metric_target",
    "register_metric",
]
