"""Comparison tables over a run: one row per prompt × model, plus flagged summaries."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bizsum.corpus.documents import DocumentStore
from bizsum.errors import BizsumError
from bizsum.metrics import Column, metric_columns
from bizsum.nlp.focus_areas import FOCUS_AREAS
from bizsum.providers import provider_kind
from bizsum.records import KEY_FIELDS, to_row
from bizsum.run import Run, check_run_folder, open_run

CONFIG_FIELDS = ["prompt_id", "model_id"]


#: values that come from the generation records rather than from a metric
RUN_COLUMNS: tuple[Column, ...] = (
    Column(
        "latency_s",
        "Latency s",
        "Seconds per generation as first measured (cached rows keep the original latency).",
        direction="lower",
        kind="measure",
        headline=True,
    ),
    Column(
        "cost_usd",
        "Cost $",
        "Cost per summary from token usage × prices.yaml (0 for local and baseline models).",
        direction="lower",
        kind="measure",
        headline=True,
    ),
)


def all_columns(metrics: list[str] | None = None) -> dict[str, Column]:
    """Every declared column: the metrics' values and the run's own (latency, cost)."""
    return {**metric_columns(metrics), **{c.name: c for c in RUN_COLUMNS}}


def headline_columns(metrics: list[str] | None = None) -> tuple[Column, ...]:
    """The report's headline numbers, in declaration order."""
    return tuple(c for c in all_columns(metrics).values() if c.headline)


LENGTH_BUCKETS = (
    (3000, "< 3k tokens"),
    (10000, "3k–10k tokens"),
    (20000, "10k–20k tokens"),
    (float("inf"), "> 20k tokens"),
)


def length_bucket(tokens: float | None) -> str | None:
    if tokens is None or pd.isna(tokens):
        return None
    return next(label for limit, label in LENGTH_BUCKETS if tokens < limit)


def _document_metadata(data_dir: str | Path | Sequence[str | Path]) -> pd.DataFrame:
    try:
        manifest = DocumentStore(data_dir).manifest
    except BizsumError:
        return pd.DataFrame(columns=["doc_id"])
    rows = [
        {
            "doc_id": doc_id,
            "company": row.get("company"),
            "industry": row.get("industry") or "unknown",
            "fiscal_year": pd.to_numeric(row.get("fiscal_year"), errors="coerce"),
            "doc_tokens": pd.to_numeric(row.get("tokens_o200k"), errors="coerce"),
        }
        for doc_id, row in manifest.items()
    ]
    meta = pd.DataFrame(rows)
    # ordered, so tables sort short → long rather than alphabetically
    meta["length"] = pd.Categorical(
        meta["doc_tokens"].map(length_bucket), categories=[label for _, label in LENGTH_BUCKETS], ordered=True
    )
    return meta


def run_data_dir(run_dir: str | Path | Run) -> Path:
    """The (first) data folder of the config that last wrote into ``run_dir``."""
    return open_run(run_dir).data_paths[0]


def run_data_dirs(run_dir: str | Path | Run) -> list[Path]:
    """The data folders of the config that last wrote into ``run_dir``, through its recorded
    provenance (a moved run folder still finds them)."""
    return open_run(run_dir).data_paths


__all__ = ["check_run_folder", "load_run", "run_data_dir", "run_data_dirs"]


def load_run(run: Run | str | Path, data_dir: str | Path | Sequence[str | Path] | None = None) -> pd.DataFrame:
    """Generations joined with scores and document metadata: one row per document × prompt × model × sample.

    ``run`` is a :class:`~bizsum.run.Run` (read once, shared with the other readers) or a run
    folder, read here. Columns: the key (``doc_id``, ``prompt_id``, ``model_id``, ``sample``), the
    generation record's fields (``text``, ``provider``, ``finish_reason``, ``latency_s``,
    ``cost_usd``, ``meta`` ...), ``model_kind`` (``llm`` or ``baseline``), every metric value as a
    column, ``details`` (each metric's explanation), ``metric_versions`` and the document's manifest
    data (``company``, ``industry``, ``fiscal_year``, ``doc_tokens``, ``length``).

    The document data comes from the run's own config (its paths as recorded in
    ``provenance.json``), so this works from any working directory and on a moved or copied run
    folder; ``data_dir`` (one folder or a list) overrides it. A path that is not a run folder is an
    error naming it. A score row is attached only to the generation it scored
    (:func:`bizsum.records.score_belongs`); a summary regenerated since the last scoring shows no scores.
    """
    run = open_run(run)
    if not run.generations:
        return pd.DataFrame()
    frame = pd.DataFrame([{**to_row(record), "request_id": record.request_id} for record in run.generations.values()])
    meta = frame["meta"].map(lambda m: m if isinstance(m, dict) else {})
    frame["strategy"] = meta.map(lambda m: m.get("strategy", "whole"))
    frame["document_truncated"] = meta.map(lambda m: bool(m.get("document_truncated")))
    # "llm" or "baseline", from the provider's own declaration (never from its name)
    frame["model_kind"] = frame["provider"].map(provider_kind)
    scores = [record.flat() | {"metric_versions": record.metric_versions} for record in run.scored.values()]
    if scores:
        table = pd.DataFrame(scores).drop(columns=["error"])
        frame = frame.merge(table, on=list(KEY_FIELDS), how="left", suffixes=("", "_score"))
    metadata = _document_metadata(run.data_paths if data_dir is None else data_dir)
    return frame.merge(metadata, on="doc_id", how="left")


def group_table(
    frame: pd.DataFrame,
    by: str,
    columns: tuple[str, ...] = ("coverage", "source_only", "rouge1_f_ref", "bertscore_p_src", "token_compliant"),
) -> pd.DataFrame:
    """Mean scores per document group (e.g. industry or length) × model."""
    if by not in frame or frame[by].isna().all():
        return pd.DataFrame()
    present = [c for c in columns if c in frame]
    if not present:  # no scores (e.g. every cell failed)
        return pd.DataFrame()
    numeric = frame[[by, "model_id"]].copy()
    for column in present:
        numeric[column] = _numeric(frame, column)
    table = numeric.groupby([by, "model_id"], observed=True).agg(["mean"])
    table.columns = [c for c, _ in table.columns]
    table.insert(0, "documents", frame.groupby([by, "model_id"], observed=True)["doc_id"].nunique())
    return table


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(
        frame[column].astype("float64") if frame[column].dtype == bool else frame[column], errors="coerce"
    )


def headline_table(frame: pd.DataFrame, columns: tuple[Column, ...] | None = None) -> pd.DataFrame:
    """Mean and standard deviation of every score per prompt × model (rates for yes/no scores)."""
    columns = headline_columns() if columns is None else columns
    ok = frame[frame["error"].isna()] if "error" in frame else frame
    rows = []
    for (prompt_id, model_id), group in ok.groupby(CONFIG_FIELDS, sort=True):
        row = {"prompt": prompt_id, "model": model_id, "n": len(group)}
        for spec in columns:
            if spec.name not in group:
                continue
            values = _numeric(group, spec.name)
            row[f"{spec.name}_mean"] = values.mean()
            row[f"{spec.name}_sd"] = values.std(ddof=1) if values.count() > 1 else float("nan")
        if "error" in frame:
            errors = frame[(frame.prompt_id == prompt_id) & (frame.model_id == model_id) & frame["error"].notna()]
            row["errors"] = len(errors)
        rows.append(row)
    return pd.DataFrame(rows)


def area_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean coverage per focus area (columns) per prompt × model (rows)."""
    columns = [f"coverage_{area}" for area in FOCUS_AREAS if f"coverage_{area}" in frame]
    if not columns:
        return pd.DataFrame()
    numeric = frame[CONFIG_FIELDS].copy()
    for column in columns:
        numeric[column.removeprefix("coverage_")] = _numeric(frame, column)
    return numeric.groupby(CONFIG_FIELDS).mean()


def problems_of(row: pd.Series, columns: Mapping[str, Column] | None = None) -> list[str]:
    """The worst problems of one summary, most serious first, as short sentences (``columns``:
    :func:`all_columns`, passed in when called for every row)."""
    problems: list[str] = []
    if isinstance(row.get("error"), str):
        return [f"generation failed: {row['error']}"]
    if row.get("prompt_truncated") is True:
        problems.append("prompt truncated by the server")
    meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
    if meta.get("trimmed_to_limit"):
        problems.append("map-reduce answer was over the limit: trimmed to its leading full sentences")
    if row.get("document_truncated") is True:
        problems.append("document truncated to fit the context window (strategy 'truncate')")
    if row.get("cut_off") is True:
        problems.append("cut off (finish_reason 'length')")
    if row.get("over_limit") is True:
        problems.append(f"over the token limit: {row.get('tokens')} tokens ({row.get('token_counter')})")
    for kind, words in (
        ("bullets", "bullets"),
        ("headings", "headings"),
        ("tables", "tables"),
        ("html", "inline HTML"),
    ):
        if row.get(f"has_{kind}") is True:
            problems.append(f"not continuous text: {words}")
    known = {"over_limit", "cut_off", "has_bullets", "has_headings", "has_tables", "has_html"}
    for column in (all_columns() if columns is None else columns).values():  # a flag a newer metric declares
        if column.kind == "flag" and column.name not in known and row.get(column.name) is True:
            problems.append(f"{column.label}: {column.meaning}")
    unsupported = row.get("unsupported_claims")
    if isinstance(unsupported, (int, float)) and unsupported and unsupported > 0:
        problems.append(f"{int(unsupported)} claim(s) not supported by the source")
    if isinstance(row.get("text"), str) and not row["text"].strip():
        problems.append("empty summary")
    return problems


def flagged(frame: pd.DataFrame) -> pd.DataFrame:
    """Summaries with at least one problem, with the problems listed."""
    frame = frame.copy()
    frame["problems"] = frame.apply(problems_of, axis=1)
    return frame[frame["problems"].map(bool)]


def sample_spread(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """How much the samples of a cell differ, per model (0 = every sample identical).

    ``distinct``: mean share of distinct texts among a cell's samples (1/n … 1);
    ``jaccard_distance``: mean pairwise word-set Jaccard distance between samples of a cell.
    Only cells with at least two successful samples count. Metric spread comes from the scores.
    """
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for row in rows:
        if not row.get("error") and row.get("text") is not None:
            groups[(row["model_id"], row["doc_id"], row["prompt_id"])].append(row["text"])
    per_model: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (model_id, _doc, _prompt), texts in groups.items():
        if len(texts) < 2:
            continue
        sets = [set(t.lower().split()) for t in texts]
        pairs = [(a, b) for i, a in enumerate(sets) for b in sets[i + 1 :]]
        distance = sum(1 - len(a & b) / len(a | b) if a | b else 0.0 for a, b in pairs) / len(pairs)
        per_model[model_id].append((len(set(texts)) / len(texts), distance))
    return {
        model_id: {
            "cells": len(values),
            "distinct": sum(v[0] for v in values) / len(values),
            "jaccard_distance": sum(v[1] for v in values) / len(values),
        }
        for model_id, values in per_model.items()
    }


def columns_markdown(metrics: list[str] | None = None) -> str:
    """The README's table of score keys, from the metrics' declarations."""
    from bizsum.metrics import metric_class, metric_names

    lines = ["| metric | key | meaning | better | kind |", "|---|---|---|---|---|"]
    for name in metrics or metric_names():
        for column in metric_class(name).columns:
            better = {"higher": "higher", "lower": "lower", "none": "–"}[column.direction]
            lines.append(f"| `{name}` | `{column.name}` | {column.meaning} | {better} | {column.kind} |")
    return "\n".join(lines)


def config_history(run: Run | str | Path) -> pd.DataFrame:
    """Every config that wrote into a run folder (``configs/<hash>.yaml``), oldest first, with how
    many of the current rows (the latest per cell) it wrote; ``latest`` marks the one in ``config.yaml``."""
    run = open_run(run)
    current = Counter(record.run_config for record in run.generations.values())
    snapshots = sorted(run.rundir.configs_dir.glob("*.yaml"), key=lambda path: (path.stat().st_mtime_ns, path.name))
    rows = [
        {
            "config": path.stem,
            "snapshot": str(path.relative_to(run.path)),
            "current rows": current.pop(path.stem, 0),
            "latest": path.read_text(encoding="utf-8") == run.config_text,
        }
        for path in snapshots
    ]
    for config_hash, count in current.items():  # rows whose config was not kept (written before snapshots)
        rows.append({"config": config_hash or "(not recorded)", "snapshot": "", "current rows": count, "latest": False})
    return pd.DataFrame(rows, columns=["config", "snapshot", "current rows", "latest"])


def _model_key(name: str) -> str:
    """A model name compared loosely: lower case, no provider prefix (``fake/``), no ``.gguf``."""
    key = name.strip().lower().rsplit("/", 1)[-1]
    return key[: -len(".gguf")] if key.endswith(".gguf") else key


def model_mismatches(config: Any, frame: pd.DataFrame) -> list[tuple[str, str, list[str]]]:
    """(model id, requested model, returned models) for every language model whose generations'
    ``model_returned`` is not the requested model (a dated snapshot such as ``gpt-4o-mini-2024-07-18``
    of ``gpt-4o-mini`` counts as the same). Baselines are not models: they are left out."""
    if frame.empty or "model_returned" not in frame:
        return []
    found = []
    for spec in config.models:
        if provider_kind(spec.provider) == "baseline":
            continue
        returned = sorted({str(v) for v in frame.loc[frame["model_id"] == spec.id, "model_returned"].dropna()})
        wanted = _model_key(str(spec.model_name))
        odd = [r for r in returned if not _model_key(r).startswith(wanted)]
        if odd:
            found.append((str(spec.id), str(spec.model_name), odd))
    return found
