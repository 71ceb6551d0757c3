"""Agreement with human labels: the statistics against hand-worked examples and independent
implementations, label matching (orphans never attached), and ``bizsum agreement``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import kendalltau
from typer.testing import CliRunner

from bizsum.analysis.agreement import agreement_table, collect
from bizsum.analysis.stats import (
    balanced_accuracy,
    balanced_accuracy_w,
    bootstrap_ci,
    cohen_kappa,
    cohen_kappa_w,
    kendall_tau,
    kendall_tau_w,
    resample_weights,
)
from bizsum.cli import app
from bizsum.nlp.claims import split_claims
from bizsum.records import GenerationRecord, ReviewRecord, ScoreRecord, summary_hash, to_row

# -- statistics by hand ----------------------------------------------------------------------------

# six claims: label 1 = supported; the metric's verdicts and scores
LABELS = [1, 0, 1, 1, 1, 0]
VERDICTS = [1, 0, 0, 1, 1, 1]
SCORES = [0.9, 0.2, 0.4, 0.8, 0.7, 0.6]


def test_balanced_accuracy_and_kappa_by_hand():
    # recall(supported) = 3/4 (a3 missed), recall(unsupported) = 1/2 (b3 missed) -> 0.625
    assert balanced_accuracy(LABELS, VERDICTS) == pytest.approx(0.625)
    # p_o = 4/6; p_e = (4/6)(4/6) + (2/6)(2/6) = 5/9; κ = (2/3 - 5/9) / (4/9) = 1/4
    assert cohen_kappa(LABELS, VERDICTS) == pytest.approx(0.25)
    assert math.isnan(balanced_accuracy([1, 1, 1], [1, 0, 1]))  # one class only: undefined
    assert math.isnan(cohen_kappa([1, 1], [1, 1]))  # chance agreement 1: undefined
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == 1.0


def test_kendall_tau_b_by_hand_and_against_scipy():
    # pairs with different labels: 8, of which 7 concordant, 1 discordant (0.4 < 0.6); no ties in
    # the scores, 6 + 1 = 7 pairs tied in the labels: τ-b = (7 - 1) / sqrt(15 · (15 - 7))
    assert kendall_tau(SCORES, LABELS) == pytest.approx(6 / math.sqrt(120))
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 4, 40).astype(float), rng.integers(0, 3, 40).astype(float)  # many ties
    assert kendall_tau(x, y) == pytest.approx(kendalltau(x, y).statistic)
    assert math.isnan(kendall_tau([1, 1, 1], [0, 1, 0]))


def test_against_sklearn_when_installed():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    y, p = rng.integers(0, 2, 80), rng.integers(0, 2, 80)
    assert balanced_accuracy(y, p) == pytest.approx(metrics.balanced_accuracy_score(y, p))
    assert cohen_kappa(y, p) == pytest.approx(metrics.cohen_kappa_score(y, p))


def test_weights_count_as_repeated_observations():
    """The bootstrap's weighted statistics equal the plain ones on the data with rows repeated."""
    rng = np.random.default_rng(7)
    x = rng.random(30).round(1)
    y, p = rng.integers(0, 2, 30), rng.integers(0, 2, 30)
    w = rng.integers(0, 4, 30)
    rx, ry, rp = np.repeat(x, w), np.repeat(y, w), np.repeat(p, w)
    assert kendall_tau_w(x, y, w[None, :])[0] == pytest.approx(kendalltau(rx, ry).statistic)
    assert balanced_accuracy_w(y, p, w[None, :])[0] == pytest.approx(balanced_accuracy(ry, rp))
    assert cohen_kappa_w(y, p, w[None, :])[0] == pytest.approx(cohen_kappa(ry, rp))


def test_resampling_draws_whole_summaries_and_is_seeded():
    units = ["a", "a", "b", "c", "c", "c"]
    weights = resample_weights(units, 200, seed=1)
    assert weights.shape == (200, 6)
    assert (weights[:, 0] == weights[:, 1]).all() and (weights[:, 3] == weights[:, 5]).all()
    assert (weights[:, [0, 2, 3]].sum(axis=1) == 3).all()  # three summaries drawn each time
    assert np.array_equal(weights, resample_weights(units, 200, seed=1))
    low, high = bootstrap_ci(units, lambda w: balanced_accuracy_w(LABELS, VERDICTS, w), n_boot=500, seed=0)
    assert low <= 0.625 <= high
    again = bootstrap_ci(units, lambda w: balanced_accuracy_w(LABELS, VERDICTS, w), n_boot=500, seed=0)
    assert (low, high) == again


# -- a labelled run folder, written by hand --------------------------------------------------------

SUMMARY_A = "Acme sells widgets to retailers. Revenue comes from widget sales. Acme has 500 stores."
SUMMARY_B = "Acme sells through distributors. Acme is funded by bank loans. Its customers are retailers."
OLD_B = "Acme sells through distributors only."


def _claims(text, verdicts, scores):
    return [
        {"text": c, "verdict": "supported" if v else "unsupported", "score": s, "verifier": {"score": 1 - s}}
        for c, v, s in zip(split_claims(text), verdicts, scores)
    ]


@pytest.fixture
def labelled_run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    rows = []
    for prompt, text in (("p1", SUMMARY_A), ("p2", SUMMARY_B)):
        rows.append(
            GenerationRecord(
                doc_id="d", prompt_id=prompt, model_id="m", sample=0, provider="fake", model="m", text=text
            )
        )
    (run / "generations.jsonl").write_text("".join(json.dumps(to_row(r)) + "\n" for r in rows), encoding="utf-8")
    scores = []
    for prompt, text, verdicts, scores_ in (
        ("p1", SUMMARY_A, VERDICTS[:3], SCORES[:3]),
        ("p2", SUMMARY_B, VERDICTS[3:], SCORES[3:]),
    ):
        values = {
            "source_only": sum(verdicts) / 3,
            "coverage": 0.5,
            "coverage_financing": None,
            "addressed_financing": False,
        }
        values |= {"coverage_customer_base": 0.8 if prompt == "p1" else 0.1, "addressed_customer_base": prompt == "p1"}
        scores.append(
            ScoreRecord(
                doc_id="d", prompt_id=prompt, model_id="m", sample=0, summary_sha=summary_hash(text),
                values=values, details={"source_only": {"claims": _claims(text, verdicts, scores_)}},
            )
        )  # fmt: skip
    (run / "scores.jsonl").write_text("".join(json.dumps(to_row(r)) + "\n" for r in scores), encoding="utf-8")
    labels = []

    def label(text, kind, target, value, prompt="p1"):
        key = {"claim": target} if kind == "claim" else {"area": target}
        labels.append(
            ReviewRecord(
                doc_id="d",
                prompt_id=prompt,
                model_id="m",
                sample=0,
                summary_sha=summary_hash(text),
                kind=kind,
                label=value,
                **key,
            )
        )

    a, b = split_claims(SUMMARY_A), split_claims(SUMMARY_B)
    label(SUMMARY_A, "claim", a[0], "unsupported")  # replaced by the later label below
    for claim, value in zip(a + b, LABELS):
        label(SUMMARY_A if claim in a else SUMMARY_B, "claim", claim, "supported" if value else "unsupported")
    label(SUMMARY_A, "area", "customer_base", "covered")
    label(SUMMARY_B, "area", "customer_base", "missed", prompt="p2")
    label(SUMMARY_A, "area", "financing", "not_in_source")
    label(SUMMARY_B, "area", "financing", "not_in_source", prompt="p2")
    label(OLD_B, "claim", "Acme sells through distributors only.", "unsupported", prompt="p2")  # summary regenerated
    label(SUMMARY_A, "claim", "Acme sells widgets", "supported")  # not a claim of the summary
    (run / "reviews.jsonl").write_text("".join(json.dumps(to_row(r)) + "\n" for r in labels), encoding="utf-8")
    return run


def test_labels_match_claims_and_orphans_are_reported(labelled_run):
    data = collect(labelled_run)
    assert len(data.orphans) == 2 and data.unscored == 0
    why = dict(zip(data.orphans["target"], data.orphans["why"]))
    assert "regenerated" in why["Acme sells through distributors only."]
    assert "not a claim" in why["Acme sells widgets"]
    source_only = data.claims[data.claims.source == "source_only"]
    assert source_only["label"].tolist() == LABELS  # the later label of a1 replaced the earlier one
    assert set(data.claims.source) == {"source_only", "source_only.verifier"}


def test_agreement_table_numbers(labelled_run):
    table = agreement_table(labelled_run, n_boot=300).set_index(["level", "metric"])
    row = table.loc[("claim", "source_only")]
    assert row["n"] == 6 and row["summaries"] == 2 and row["negatives"] == 2
    assert row["balanced_accuracy"] == pytest.approx(0.625)
    assert row["kappa"] == pytest.approx(0.25)
    assert row["tau"] == pytest.approx(6 / math.sqrt(120))
    assert row["balanced_accuracy_lo"] <= 0.625 <= row["balanced_accuracy_hi"]
    verifier = table.loc[("claim", "source_only.verifier")]
    assert verifier["tau"] == pytest.approx(-6 / math.sqrt(120))  # 1 - score: the order reversed
    assert math.isnan(verifier["balanced_accuracy"])  # it gave scores, no verdicts
    thin = table.loc[("area", "thin in source (coverage None)")]
    assert thin["n"] == 4 and thin["balanced_accuracy"] == pytest.approx(1.0)


def test_cli_agreement(labelled_run, tmp_path):
    result = CliRunner().invoke(
        app, ["agreement", str(labelled_run), "--n-boot", "200", "--csv", str(tmp_path / "t.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "source_only" in result.output and "0.625 [" in result.output
    assert "2 orphaned label(s)" in result.output
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").startswith("level,metric")
    missing = CliRunner().invoke(app, ["agreement", str(tmp_path)])
    assert missing.exit_code == 2 and "not a run folder" in missing.output  # one line naming the path
