"""compare_runs, computed a column at a time, against a row-by-row reference."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from bizsum.analysis.diff import compare_runs
from bizsum.analysis.tables import all_columns
from bizsum.records import KEY_FIELDS


def synthetic_run(
    n: int, seed: int, columns: tuple[str, ...] = ("coverage", "source_only", "token_compliant")
) -> pd.DataFrame:
    """``n`` summaries with float and yes/no metric columns, some values missing."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "doc_id": [f"D{i // 6}" for i in range(n)],
            "prompt_id": [("seed", "focused")[i % 2] for i in range(n)],
            "model_id": [("m1", "m2", "m3")[(i // 2) % 3] for i in range(n)],
            "sample": 0,
            "text": [f"summary {i} {rng.integers(0, 2)}" for i in range(n)],
        }
    )
    for column in columns:
        if column == "token_compliant":
            values: list = list(rng.integers(0, 2, n).astype(bool))
        else:
            values = list(np.round(rng.random(n), 1))
        for i in rng.choice(n, size=max(1, n // 20), replace=False):
            values[i] = None
        frame[column] = values
    return frame


def reference(fa: pd.DataFrame, fb: pd.DataFrame) -> pd.DataFrame:
    """The definition, one summary and one column at a time."""
    ia, ib = fa.set_index(list(KEY_FIELDS)), fb.set_index(list(KEY_FIELDS))
    columns = [c for c in all_columns().values() if c.numeric and (c.name in ia or c.name in ib)]
    rows = []
    for key in ia.index.union(ib.index):
        in_a, in_b = key in ia.index, key in ib.index
        for column in columns:
            value_a = float(ia.at[key, column.name]) if in_a and pd.notna(ia.at[key, column.name]) else math.nan
            value_b = float(ib.at[key, column.name]) if in_b and pd.notna(ib.at[key, column.name]) else math.nan
            diff = value_b - value_a
            if not in_a:
                change = "new"
            elif not in_b:
                change = "gone"
            elif math.isnan(diff):
                change = "missing"
            elif abs(diff) < 1e-12:
                change = "same"
            elif column.direction == "none":
                change = "changed"
            else:
                change = "better" if (diff > 0) == (column.direction == "higher") else "worse"
            text_changed = in_a and in_b and ia.at[key, "text"] != ib.at[key, "text"]
            rows.append([*key, column.name, value_a, value_b, diff, change, text_changed])
    return pd.DataFrame(rows, columns=[*KEY_FIELDS, "metric", "a", "b", "diff", "change", "text_changed"])


def test_compare_runs_matches_the_row_by_row_definition():
    a, b = synthetic_run(60, 1), synthetic_run(60, 2)
    a = a.drop(index=[3, 4])  # new in b
    b = b.drop(index=[10])  # gone from b
    b.loc[b.index[:5], "coverage"] = a.loc[a.index[:5], "coverage"].to_numpy()  # unchanged values
    got = compare_runs(a, b)
    want = reference(a, b)
    assert len(got) == len(want) == 60 * 3
    pd.testing.assert_frame_equal(
        got[want.columns].reset_index(drop=True), want, check_dtype=False, check_exact=False, atol=1e-12
    )
    assert set(got["change"]) == {"new", "gone", "missing", "same", "better", "worse"}
    assert got.loc[got["metric"] == "token_compliant", "a"].dropna().isin([0.0, 1.0]).all()


def test_compare_runs_takes_well_under_a_second_for_a_thousand_summaries():
    a, b = synthetic_run(1000, 1), synthetic_run(1000, 2)
    compare_runs(a.head(10), b.head(10))  # imports and first-call costs
    started = time.process_time()  # CPU time: the machine may be shared
    changes = compare_runs(a, b)
    seconds = time.process_time() - started
    assert len(changes) == 3000
    assert seconds < 1.0, seconds  # bench/speed/compare_runs_speed.py; the row-by-row loop took ~16 s
