"""Metric registry: one module per metric, imported lazily (BERTScore pulls in torch)."""

from __future__ import annotations

import importlib
from typing import Any

from bizsum.errors import ConfigError
from bizsum.metrics.base import Metric, MetricResult, ScoringItem

# name -> "module:Class"
METRICS: dict[str, str] = {
    "rouge": "bizsum.metrics.rouge:RougeMetric",
    "bertscore": "bizsum.metrics.bertscore:BertScoreMetric",
    "token_limit": "bizsum.metrics.token_limit:TokenLimitMetric",
    "format": "bizsum.metrics.format_check:FormatMetric",
    "focus_coverage": "bizsum.metrics.focus_coverage:FocusCoverageMetric",
    "source_only": "bizsum.metrics.source_only:SourceOnlyMetric",
}


def metric_names() -> list[str]:
    return list(METRICS)


def create_metric(name: str, **options: Any) -> Metric:
    if name not in METRICS:
        raise ConfigError(f"unknown metric {name!r}; available: {metric_names()}")
    module_name, class_name = METRICS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**options)


__all__ = ["METRICS", "Metric", "MetricResult", "ScoringItem", "create_metric", "metric_names"]
