"""What changed between two runs: per summary and per metric, and the summaries' text.

``compare_runs(a, b)`` pairs the summaries of run ``a`` (the baseline) and run ``b`` (the current
run) by their key (document × prompt × model × sample). Each declared numeric column gives one row
per summary: the two values, ``b - a``, and whether that is better, worse or the same by the
column's declared direction. ``summary_diffs(a, b)`` gives one row per summary with a unified diff
of the two texts. ``changes_by_configuration`` averages the metric changes per prompt × model.
"""

from __future__ import annotations

import difflib
import math

import pandas as pd

from bizsum.analysis.details import RunLike, as_frame
from bizsum.analysis.tables import _numeric, all_columns
from bizsum.records import KEY_FIELDS

DIFF_COLUMNS = (*KEY_FIELDS, "metric", "label", "direction", "a", "b", "diff", "change", "text_changed")


def _indexed(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*KEY_FIELDS, "text"]).set_index(list(KEY_FIELDS))
    frame = frame.copy()
    frame["sample"] = frame["sample"].astype(int)
    return frame.set_index(list(KEY_FIELDS))


def _change(diff: float, direction: str, in_a: bool, in_b: bool) -> str:
    if not in_a:
        return "new"
    if not in_b:
        return "gone"
    if diff is None or math.isnan(diff):
        return "missing"
    if abs(diff) < 1e-12:
        return "same"
    if direction == "none":
        return "changed"
    return "better" if (diff > 0) == (direction == "higher") else "worse"


def compare_runs(a: RunLike, b: RunLike, metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per summary × metric column: value in ``a`` (baseline), in ``b`` (current), ``b - a``,
    ``change`` (better / worse / same / changed / new / gone / missing) and whether the text changed."""
    fa, fb = _indexed(as_frame(a)), _indexed(as_frame(b))
    columns = [c for c in all_columns(metrics).values() if c.numeric and (c.name in fa or c.name in fb)]
    keys = fa.index.union(fb.index)
    rows = []
    for key in keys:
        in_a, in_b = key in fa.index, key in fb.index
        text_a = fa.at[key, "text"] if in_a and "text" in fa else None
        text_b = fb.at[key, "text"] if in_b and "text" in fb else None
        for column in columns:
            value_a = _value(fa, key, column.name) if in_a else math.nan
            value_b = _value(fb, key, column.name) if in_b else math.nan
            diff = value_b - value_a
            rows.append(
                {
                    **dict(zip(KEY_FIELDS, key)),
                    "metric": column.name,
                    "label": column.label,
                    "direction": column.direction,
                    "a": value_a,
                    "b": value_b,
                    "diff": diff,
                    "change": _change(diff, column.direction, in_a, in_b),
                    "text_changed": in_a and in_b and text_a != text_b,
                }
            )
    return pd.DataFrame(rows, columns=list(DIFF_COLUMNS))


def _value(frame: pd.DataFrame, key: tuple, column: str) -> float:
    if column not in frame:
        return math.nan
    value = _numeric(frame.loc[[key], [column]], column).iloc[0]
    return float(value) if pd.notna(value) else math.nan


def _sentences(text: str | None) -> list[str]:
    from bizsum.nlp.text import split_sentences

    return [s.strip() for line in (text or "").splitlines() for s in split_sentences(line) if s.strip()]


def text_diff(a: str | None, b: str | None, context: int = 1) -> str:
    """A unified diff of two summaries, sentence by sentence ('' when they are equal)."""
    if (a or "") == (b or ""):
        return ""
    lines = difflib.unified_diff(_sentences(a), _sentences(b), "baseline", "current", n=context, lineterm="")
    return "\n".join(list(lines)[2:])


def summary_diffs(a: RunLike, b: RunLike) -> pd.DataFrame:
    """One row per summary present in either run: both texts, whether they differ, and a unified diff."""
    fa, fb = _indexed(as_frame(a)), _indexed(as_frame(b))
    rows = []
    for key in fa.index.union(fb.index):
        text_a = fa.at[key, "text"] if key in fa.index else None
        text_b = fb.at[key, "text"] if key in fb.index else None
        rows.append(
            {
                **dict(zip(KEY_FIELDS, key)),
                "in_a": key in fa.index,
                "in_b": key in fb.index,
                "text_a": text_a,
                "text_b": text_b,
                "text_changed": key in fa.index and key in fb.index and text_a != text_b,
                "diff": text_diff(text_a, text_b),
            }
        )
    return pd.DataFrame(rows)


def changes_by_configuration(changes: pd.DataFrame) -> pd.DataFrame:
    """Mean change per prompt × model × metric over the summaries both runs have, with counts."""
    both = changes[changes["change"].isin(("better", "worse", "same", "changed"))]
    if both.empty:
        return pd.DataFrame(columns=["prompt_id", "model_id", "metric", "label", "a", "b", "diff", "better", "worse"])
    grouped = both.groupby(["prompt_id", "model_id", "metric", "label"], sort=True)
    table = grouped[["a", "b", "diff"]].mean()
    table["better"] = grouped["change"].apply(lambda s: int((s == "better").sum()))
    table["worse"] = grouped["change"].apply(lambda s: int((s == "worse").sum()))
    return table.reset_index()
