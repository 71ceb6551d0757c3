"""Tests for the CI regression gate (bizsum.analysis.gate)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bizsum.analysis import gate
from bizsum.analysis.stats import adjust_pvalues
from bizsum.cli import app
from bizsum.errors import ConfigError, InputError
from tests.helpers import ROOT

CONFIGS = (("seed", "gpt-4o-mini"), ("focused", "llama-3.1-8b"))


def make_scores(n_docs=25, samples=2, seed=0, shift=None, noise=0.02):
    """Synthetic scores; ``shift`` maps (config, metric) to a constant added to every value."""
    fixed = np.random.default_rng(12345)  # the documents' "true" scores are the same in every run
    base = {m: fixed.uniform(0.4, 0.8, size=n_docs) for m in ("coverage", "source_only")}
    rng = np.random.default_rng(seed)  # run-to-run noise
    rows = []
    for config in CONFIGS:
        for i in range(n_docs):
            for s in range(samples):
                row = {
                    "doc_id": f"DOC_{i:02d}",
                    "prompt_id": config[0],
                    "model_id": config[1],
                    "sample": s,
                    "token_compliant": True,
                }
                for metric, values in base.items():
                    delta = (shift or {}).get((config, metric), 0.0)
                    row[metric] = values[i] + delta + rng.normal(0.0, noise)
                rows.append(row)
    return pd.DataFrame(rows)


THRESHOLDS = {"coverage": 0.05, "source_only": 0.05}


def test_gate_fails_on_clear_regression_and_message_names_metric_and_drop():
    baseline = make_scores(seed=1)
    current = make_scores(seed=2, shift={(CONFIGS[0], "coverage"): -0.12})
    result = gate.check_regressions(current, baseline, THRESHOLDS, n_boot=1000)
    assert not result.passed
    regressed = result.regressions
    assert len(regressed) == 1
    row = regressed.iloc[0]
    assert (row.prompt_id, row.model_id, row.metric) == (*CONFIGS[0], "coverage")
    assert row.drop_amount == pytest.approx(0.12, abs=0.02)
    assert row.ci_high < 0 and row.p_holm < 0.05
    message = result.message()
    assert "FAILED" in message
    assert "coverage dropped by" in message and f"{row.drop_amount:.4f}" in message
    assert "'seed'" in message and "'gpt-4o-mini'" in message
    assert "threshold 0.0500" in message
    assert "source_only dropped" not in message


def test_gate_passes_on_noise_below_threshold():
    baseline = make_scores(seed=1)
    current = make_scores(seed=3, shift={(CONFIGS[0], "coverage"): -0.01, (CONFIGS[1], "source_only"): -0.02})
    result = gate.check_regressions(current, baseline, THRESHOLDS, n_boot=1000)
    assert result.passed, result.message()
    assert not result.checks["exceeds_threshold"].any()
    assert "PASSED" in result.message()
    # the -0.02 shift is real and detectable, just below the tolerated drop
    shifted = result.checks.set_index(["config", "metric"]).loc[("focused / llama-3.1-8b", "source_only")]
    assert shifted["significant"]


def test_drop_above_threshold_but_not_significant_passes_and_is_mentioned():
    baseline = make_scores(n_docs=8, seed=1, noise=0.0)
    current = make_scores(n_docs=8, seed=1, noise=0.0)
    # Four documents drop a lot, four rise almost as much: mean drop 0.06 > 0.05, but no evidence.
    sel = (current.prompt_id == "seed") & current.doc_id.isin([f"DOC_{i:02d}" for i in range(4)])
    current.loc[sel, "coverage"] -= 0.30
    current.loc[(current.prompt_id == "seed") & ~sel, "coverage"] += 0.18
    result = gate.check_regressions(current, baseline, {"coverage": 0.05}, n_boot=1000)
    row = result.checks.set_index("config").loc["seed / gpt-4o-mini"]
    assert row["drop_amount"] == pytest.approx(0.06)
    assert row["exceeds_threshold"] and not row["significant"]
    assert result.passed
    assert "not significant" in result.message()


def test_rules_on_few_documents():
    # Five documents, all dropping: the smallest two-sided Wilcoxon p is 2/32 = 0.0625 > alpha,
    # so only the bootstrap CI can show the drop.
    baseline = make_scores(n_docs=5, samples=1, seed=1, noise=0.0)
    current = baseline.copy()
    current.loc[current.prompt_id == "seed", "coverage"] -= [0.08, 0.10, 0.12, 0.09, 0.11]
    either = gate.check_regressions(current, baseline, {"coverage": 0.05}, n_boot=1000)
    wilcoxon_only = gate.check_regressions(current, baseline, {"coverage": 0.05}, n_boot=1000, rule="wilcoxon")
    row = either.checks.set_index("config").loc["seed / gpt-4o-mini"]
    assert row["p_value"] == pytest.approx(0.0625)
    assert row["significant_ci"] and not row["significant_wilcoxon"]
    assert not either.passed
    assert wilcoxon_only.passed
    assert not gate.check_regressions(current, baseline, {"coverage": 0.05}, n_boot=1000, rule="ci").passed
    assert gate.check_regressions(current, baseline, {"coverage": 0.05}, n_boot=1000, rule="both").passed


def test_holm_over_all_checks_and_lower_is_better():
    baseline = make_scores(seed=1)
    current = make_scores(seed=4, shift={(CONFIGS[1], "source_only"): +0.1})
    result = gate.check_regressions(current, baseline, THRESHOLDS, n_boot=500, lower_is_better=["source_only"])
    np.testing.assert_allclose(result.checks["p_holm"], adjust_pvalues(result.checks["p_value"], "holm"))
    assert not result.passed
    row = result.regressions.iloc[0]
    assert (row.config, row.metric, row.direction) == ("focused / llama-3.1-8b", "source_only", "lower_is_better")
    assert "source_only rose by" in result.message()


def test_gate_is_deterministic_with_seed():
    baseline = make_scores(seed=1)
    current = make_scores(seed=5)
    first = gate.check_regressions(current, baseline, THRESHOLDS, n_boot=300, seed=11)
    second = gate.check_regressions(current, baseline, THRESHOLDS, n_boot=300, seed=11)
    pd.testing.assert_frame_equal(first.checks, second.checks)


def test_unmatched_configurations_are_noted_and_nothing_shared_is_an_error():
    baseline = make_scores(seed=1)
    current = make_scores(seed=2)
    current = current[current.prompt_id == "seed"]
    result = gate.check_regressions(current, baseline, THRESHOLDS, n_boot=200)
    assert set(result.checks["config"]) == {"seed / gpt-4o-mini"}
    assert any("focused / llama-3.1-8b" in note and "baseline only" in note for note in result.notes)
    with pytest.raises(InputError, match="no configuration in common"):
        gate.check_regressions(current.assign(model_id="other"), baseline, THRESHOLDS)


def test_bad_thresholds_and_metrics():
    baseline = make_scores(seed=1)
    with pytest.raises(ConfigError, match="rouge1_f_ref"):
        gate.check_regressions(baseline, baseline, {"rouge1_f_ref": 0.05})
    with pytest.raises(ConfigError, match=">= 0"):
        gate.check_regressions(baseline, baseline, {"coverage": -0.1})
    with pytest.raises(ConfigError, match="at least one threshold"):
        gate.check_regressions(baseline, baseline, {})


# ------------------------------------------------------------------ loading


def test_load_scores_formats_and_key_normalisation(tmp_path):
    table = make_scores(n_docs=4, seed=1).assign(doc_id=lambda t: t["doc_id"].str[-2:].astype(int))
    jsonl = tmp_path / "scores.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in table.to_dict(orient="records")) + "\n")
    csv = tmp_path / "b.csv"
    table.to_csv(csv, index=False)
    parquet = tmp_path / "c.parquet"
    table.to_parquet(parquet)
    loaded = [gate.load_scores(p) for p in (jsonl, csv, parquet)]
    for frame in loaded:
        assert len(frame) == len(table)
        assert frame["doc_id"].tolist()[:2] == ["0", "0"]
        assert frame["sample"].dtype == "int64"
    assert gate.load_scores(tmp_path)["coverage"].tolist() == pytest.approx(table["coverage"].tolist())
    # a repeated key: the last row wins, as in the results files
    repeated = tmp_path / "repeated.jsonl"
    first = {"doc_id": "a", "prompt_id": "p", "model_id": "m", "sample": 0, "coverage": 0.1}
    repeated.write_text(json.dumps(first) + "\n" + json.dumps({**first, "coverage": 0.7}) + "\n")
    assert gate.load_scores(repeated)["coverage"].tolist() == [0.7]
    # tables from different formats pair up
    assert gate.check_regressions(loaded[1], loaded[0], THRESHOLDS, n_boot=100).checks["n_docs"].eq(4).all()


def test_load_scores_errors_name_the_file(tmp_path):
    missing = tmp_path / "nowhere" / "scores.jsonl"
    with pytest.raises(InputError, match=str(missing).replace("\\", "\\\\")):
        gate.load_scores(missing)

    no_keys = tmp_path / "nokeys.csv"
    pd.DataFrame({"doc_id": ["a"], "prompt_id": ["p"], "coverage": [0.5]}).to_csv(no_keys, index=False)
    with pytest.raises(InputError) as info:
        gate.load_scores(no_keys)
    assert str(no_keys) in str(info.value) and "model_id" in str(info.value) and "sample" in str(info.value)

    broken = tmp_path / "broken.jsonl"
    good = '{"doc_id": "a", "prompt_id": "p", "model_id": "m", "sample": 0}\n'
    broken.write_text(good + "{not json\n" + good)
    with pytest.raises(InputError, match=r"broken\.jsonl, line 2"):
        gate.load_scores(broken)

    other = tmp_path / "scores.xlsx"
    other.write_text("x")
    with pytest.raises(InputError, match=r"scores\.xlsx.*unsupported"):
        gate.load_scores(other)

    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(InputError, match=r"empty\.jsonl.*no rows"):
        gate.load_scores(empty)


# ------------------------------------------------------------------ command line


def _write(table: pd.DataFrame, path: Path) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in table.to_dict(orient="records")))
    return path


def _gate(*args: str):
    return CliRunner().invoke(app, ["gate", *args])


def test_gate_command_exit_codes_and_report(tmp_path):
    base = _write(make_scores(seed=1), tmp_path / "base.jsonl")
    same = _write(make_scores(seed=2), tmp_path / "same.jsonl")
    worse = _write(make_scores(seed=2, shift={(CONFIGS[1], "source_only"): -0.2}), tmp_path / "worse.jsonl")
    args = [
        "--baseline",
        str(base),
        "--threshold",
        "source_only=0.05",
        "--threshold",
        "coverage=0.05",
        "--n-boot",
        "300",
    ]

    result = _gate(*args, "--current", str(same))
    assert result.exit_code == 0 and "PASSED" in result.stdout

    report = tmp_path / "out" / "gate.json"
    result = _gate(*args, "--current", str(worse), "--report", str(report))
    assert result.exit_code == 1
    assert "source_only dropped by" in result.stdout and "'llama-3.1-8b'" in result.stdout
    saved = json.loads(report.read_text())
    assert saved["passed"] is False and len(saved["checks"]) == 4
    assert sum(c["regressed"] for c in saved["checks"]) == 1

    result = _gate(*args, "--current", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2 and "missing.jsonl" in result.stderr

    result = _gate("--baseline", str(base), "--current", str(same), "--threshold", "nope=0.1")
    assert result.exit_code == 2 and "nope" in result.stderr


def test_bizsum_gate_console_script(tmp_path):
    base = _write(make_scores(n_docs=6, seed=1), tmp_path / "base.jsonl")
    worse = _write(make_scores(n_docs=6, seed=1, shift={(CONFIGS[0], "coverage"): -0.3}), tmp_path / "cur.jsonl")
    proc = subprocess.run(  # noqa: PLW1510  (the exit code is what the test checks)
        [
            sys.executable,
            "-m",
            "bizsum.cli",
            "gate",
            "--baseline",
            str(base),
            "--current",
            str(worse),
            "--threshold",
            "coverage=0.05",
            "--n-boot",
            "200",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "coverage dropped by" in proc.stdout
