"""The explanations behind the scores as flat tables: one row per claim, one row per focus area.

Both take a run folder (read with :func:`~bizsum.analysis.tables.load_run`, so the data folder
comes from the run's own config and any working directory works) or a frame ``load_run`` returned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from bizsum.analysis.tables import load_run
from bizsum.records import KEY_FIELDS

RunLike: TypeAlias = "str | Path | pd.DataFrame"

CLAIM_COLUMNS = (
    *KEY_FIELDS,
    "model_kind",
    "claim_index",
    "claim",
    "verdict",
    "score",
    "evidence",
    "reasons",
    "numbers_not_in_source",
    "names_not_in_source",
)
AREA_COLUMNS = (
    *KEY_FIELDS,
    "model_kind",
    "area",
    "label",
    "coverage",
    "addressed",
    "thin_in_source",
    "key_carried",
    "key_missing",
    "carried",
    "missing",
    "summary_sentences",
)


def as_frame(run: RunLike) -> pd.DataFrame:
    """A run folder read with ``load_run``, or the frame itself."""
    return run if isinstance(run, pd.DataFrame) else load_run(run)


def _details(row: Any, metric: str) -> dict[str, Any]:
    details = row.get("details") if isinstance(row.get("details"), dict) else {}
    value = details.get(metric)
    return value if isinstance(value, dict) else {}


def _key(row: Any) -> dict[str, Any]:
    return {**{k: row[k] for k in KEY_FIELDS}, "model_kind": row.get("model_kind", "llm")}


def _not_ok(items: Any) -> str:
    """Numbers or names a claim uses that the source does not back, with why (``not_in_source``, ``wrong_context``)."""
    return "; ".join(
        f"{i.get('number') or i.get('name')} ({i.get('status')})" for i in items or [] if i.get("status") != "ok"
    )


def claims_table(run: RunLike) -> pd.DataFrame:
    """One row per claim the source-only metric checked: verdict (``supported``, ``unsupported``,
    ``not_checkable``), probability of support, the best evidence passage from the source, the
    reasons, and numbers / names that were not found in the source."""
    frame = as_frame(run)
    rows = []
    for _, row in frame.iterrows():
        for index, claim in enumerate(_details(row, "source_only").get("claims") or []):
            rows.append(
                {
                    **_key(row),
                    "claim_index": index,
                    "claim": claim.get("text"),
                    "verdict": claim.get("verdict"),
                    "score": claim.get("score"),
                    "evidence": claim.get("evidence"),
                    "reasons": "; ".join(claim.get("reasons") or []),
                    "numbers_not_in_source": _not_ok(claim.get("numbers")),
                    "names_not_in_source": _not_ok(claim.get("names")),
                }
            )
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def areas_table(run: RunLike) -> pd.DataFrame:
    """One row per summary × focus area: coverage (None when the source is thin on the area),
    whether the summary addresses it, and the area's key source passages carried and missed."""
    frame = as_frame(run)
    rows = []
    for _, row in frame.iterrows():
        areas = _details(row, "focus_coverage").get("areas") or {}
        for area, info in areas.items():
            carried = [p.get("passage") for p in info.get("key_content_carried") or []]
            missing = [p.get("passage") for p in info.get("key_content_missing") or []]
            rows.append(
                {
                    **_key(row),
                    "area": area,
                    "label": info.get("label", area),
                    "coverage": row.get(f"coverage_{area}"),
                    "addressed": row.get(f"addressed_{area}"),
                    "thin_in_source": bool(info.get("thin_in_source")),
                    "key_carried": len(carried),
                    "key_missing": len(missing),
                    "carried": carried,
                    "missing": missing,
                    "summary_sentences": list(info.get("summary_sentences") or [])
                    + list(info.get("summary_says_not_described") or []),
                }
            )
    return pd.DataFrame(rows, columns=list(AREA_COLUMNS))
