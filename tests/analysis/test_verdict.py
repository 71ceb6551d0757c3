"""The verdict: best configuration per criterion, difference to the best baseline, and why a test
can or cannot be significant. Numbers checked against scipy's exact Wilcoxon test."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

from bizsum.analysis.verdict import (
    compliance_counts,
    configuration_kinds,
    documents_needed,
    lead_sentence,
    min_wilcoxon_p,
    one_per_baseline,
    rules_broken,
    verdict_table,
)
from bizsum.metrics import Column

COVERAGE = Column("coverage", "Coverage", "m", direction="higher", kind="score", headline=True)
COMPLIANT = Column("token_compliant", "Token ok", "m", direction="higher", kind="rate", headline=True)
LATENCY = Column("latency_s", "Latency", "m", direction="lower", kind="measure", headline=True)


@pytest.mark.parametrize("n", [1, 3, 5, 6, 8])
def test_smallest_wilcoxon_p_is_what_scipy_gives_when_every_difference_has_one_sign(n):
    exact = wilcoxon(np.arange(1, n + 1, dtype=float), method="exact").pvalue
    assert min_wilcoxon_p(n) == pytest.approx(exact)


def test_documents_needed_for_one_and_for_holm_adjusted_tests():
    assert documents_needed(0.05, 1) == 6  # 2/2**6 = 0.031
    assert documents_needed(0.05, 8) == 9  # 8 * 2/2**9 = 0.031 (8 * 2/2**8 = 0.0625)


def _frame(n_docs, llm_shift, kinds=("llm", "baseline")):
    rng = np.random.default_rng(1)
    rows = []
    for d in range(n_docs):
        base = rng.uniform(0.3, 0.6)
        for prompt, model, kind, shift in (
            ("seed", "qwen", kinds[0], llm_shift),
            ("focused", "qwen", kinds[0], llm_shift / 2),
            ("seed", "lead", kinds[1], 0.0),
        ):
            rows.append(
                {
                    "doc_id": f"d{d}",
                    "prompt_id": prompt,
                    "model_id": model,
                    "sample": 0,
                    "model_kind": kind,
                    "error": None,
                    "coverage": base + shift + rng.normal(0, 0.01),
                    "token_compliant": d != 0 or model != "qwen",
                    "latency_s": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_with_five_documents_the_verdict_says_no_test_can_be_significant():
    table = verdict_table(_frame(5, 0.2), (COVERAGE, LATENCY), n_boot=500)
    assert list(table["column"]) == ["coverage"]  # a measure is shown, not judged
    row = table.iloc[0]
    assert (row.best, row.best_kind, row.contender, row.reference) == (
        "seed / qwen",
        "llm",
        "seed / qwen",
        "seed / lead",
    )
    assert row.versus == "best baseline" and row.n_docs == 5 and row["diff"] > 0.15
    assert row.p_value == pytest.approx(0.0625) and not row.significant
    assert "5 documents: no paired test can reach p < 0.05" in row.why and "≥ 6" in row.why
    assert "CI excludes 0" in row.why
    assert "Best LLM seed / qwen is ahead of the best baseline seed / lead" in row.sentence


def test_with_eight_documents_a_clear_difference_is_significant_after_holm():
    table = verdict_table(_frame(8, 0.2), (COVERAGE, COMPLIANT), n_boot=500)
    row = table.set_index("column").loc["coverage"]
    assert row.p_value == pytest.approx(wilcoxon(np.arange(1.0, 9.0), method="exact").pvalue)
    assert row.p_holm == pytest.approx(min(1.0, 2 * row.p_value)) and row.significant
    assert row.why.startswith("Wilcoxon p = ")
    compliant = table.set_index("column").loc["token_compliant"]
    # the LLM fails the rule on one document of eight: the baseline is best, the LLM trails by 1/8
    assert compliant.best_kind == "baseline" and compliant["diff"] == pytest.approx(-1 / 8)


def test_without_baselines_the_best_is_compared_with_the_runner_up():
    table = verdict_table(_frame(5, 0.2, kinds=("llm", "llm")), (COVERAGE,), n_boot=200)
    row = table.iloc[0]
    assert row.versus == "runner-up" and row.contender == "seed / qwen" and row.reference == "focused / qwen"
    assert math.isclose(row["diff"], row.contender_value - row.reference_value, rel_tol=1e-9)


def test_compliance_counts_every_failed_rule_and_error():
    frame = _frame(4, 0.1)
    frame.loc[len(frame)] = {
        "doc_id": "d9",
        "prompt_id": "seed",
        "model_id": "qwen",
        "sample": 0,
        "model_kind": "llm",
        "error": "boom",
    }
    counts = compliance_counts(frame, (COVERAGE, COMPLIANT)).set_index(["prompt", "model"])
    assert counts.loc[("seed", "qwen"), "✗ Token ok"] == 1 and counts.loc[("seed", "qwen"), "errors"] == 1
    assert counts.loc[("seed", "qwen"), "failed"] == 2 and counts.loc[("seed", "lead"), "failed"] == 0
    assert counts.loc[("seed", "lead"), "kind"] == "baseline"


# -- the lead sentence, one family of tests, one count of rule failures (issue 19) -------------------


def test_the_lead_says_first_when_no_llm_configuration_beats_the_baseline():
    frame = _frame(5, -0.2)
    table = verdict_table(frame, (COVERAGE, COMPLIANT), n_boot=200)
    lead = lead_sentence(table, compliance_counts(frame, (COVERAGE, COMPLIANT)), 5)
    assert lead.startswith("No LLM configuration beats the best baseline on any of the 2 criteria")
    assert "the baseline lead is best on 2 of 2" in lead  # a baseline by its model: it ignores the prompt
    assert "(5 documents; differences not testable: add ≥ 7 documents)" in lead  # Holm over 2: 2 * 2/2**7 < 0.05


def test_a_leader_that_broke_a_rule_is_never_called_best_without_saying_so():
    frame = _frame(8, 0.2)  # seed / qwen is ahead on coverage but fails the token rule on one document
    table = verdict_table(frame, (COVERAGE,), n_boot=200)
    lead = lead_sentence(table, compliance_counts(frame, (COVERAGE, COMPLIANT)), 8)
    assert lead.startswith(
        "seed / qwen is ahead of the best baseline on 1 of 1 criteria but breaks a rule of the prompt on 1 of 8 summaries"
    )
    assert "1 of 1 differences significant, Holm over 1 criteria" in lead


def test_a_baseline_counts_once_whatever_the_prompt():
    frame = _frame(5, 0.2)
    twin = frame[frame.model_id == "lead"].assign(prompt_id="a-first-prompt")
    frame = pd.concat([frame, twin], ignore_index=True)
    assert one_per_baseline(configuration_kinds(frame)) == {
        ("a-first-prompt", "lead"): "baseline",
        ("focused", "qwen"): "llm",
        ("seed", "qwen"): "llm",
    }
    row = verdict_table(frame, (COVERAGE,), n_boot=200).iloc[0]
    assert row.reference == "a-first-prompt / lead" and row.reference_label == "lead"


def test_the_verdict_reuses_the_pairs_bootstrap_and_pairs_csv_carries_its_holm_family():
    from bizsum.report.data import _verdict_family, pairs_export

    frame = _frame(8, 0.2)
    alone = verdict_table(frame, (COVERAGE, COMPLIANT))
    pairs = pairs_export(frame)
    reused = verdict_table(frame, (COVERAGE, COMPLIANT), pairs=pairs)
    for column in ("diff", "ci_low", "ci_high", "p_value", "p_holm", "n_docs", "n_nonzero"):
        assert np.allclose(alone[column], reused[column], equal_nan=True), column
    family = _verdict_family(pairs, reused)
    chosen = family[family["in_verdict"]]
    assert len(chosen) == 2  # one pair per criterion of the verdict, with the verdict's Holm p
    assert sorted(chosen["p_adjusted"]) == pytest.approx(sorted(reused["p_holm"]))
    assert family.loc[~family["in_verdict"], "p_adjusted"].isna().all()  # the other pairs are exploratory
    assert family["p_value"].notna().any() and not (family["p_adjusted"] == 1.0).all()


def test_the_compliance_count_and_the_per_summary_rule_status_are_one_count():
    frame = _frame(4, 0.1)
    frame.loc[len(frame)] = {"doc_id": "d9", "prompt_id": "seed", "model_id": "qwen", "sample": 0, "error": "boom"}
    broken = rules_broken(frame, (COVERAGE, COMPLIANT))
    counts = compliance_counts(frame, (COVERAGE, COMPLIANT))
    assert int(broken.sum()) == int(counts["failed"].sum()) == 3  # qwen's two prompts on d0, and the error
