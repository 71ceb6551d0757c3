"""Tests for bizsum.analysis.stats, each checked against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bizsum.analysis import stats
from bizsum.errors import ConfigError, InputError

A = ("seed", "model-a")
B = ("focused", "model-b")


def paired_table(values_a, values_b, metric="coverage", samples=None):
    """Scores table with one row per (document, sample) for configurations A and B."""
    rows = []
    for config, values in ((A, values_a), (B, values_b)):
        for i, value in enumerate(values):
            per_doc = value if isinstance(value, (list, tuple)) else [value]
            for s, v in enumerate(per_doc):
                rows.append(
                    {"doc_id": f"doc{i:03d}", "prompt_id": config[0], "model_id": config[1], "sample": s, metric: v}
                )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ Wilcoxon


def test_wilcoxon_p_equals_scipy_on_hand_made_pairs():
    a = [0.40, 0.55, 0.61, 0.30, 0.72, 0.45, 0.50, 0.66, 0.38, 0.59]
    b = [0.47, 0.52, 0.70, 0.41, 0.80, 0.45, 0.58, 0.69, 0.36, 0.71]  # one exact zero difference
    result = stats.paired_difference(paired_table(a, b), "coverage", A, B)
    # bizsum rounds differences to 12 decimals (documented) so float noise cannot break the ties
    # |0.03| = |-0.03| and 0.08 = 0.08 here; scipy gets the same rounded differences.
    d = np.round(np.array(b) - np.array(a), stats.ROUND_DECIMALS)
    expected = sps.wilcoxon(d, zero_method="wilcox").pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-12)
    assert result.n == 10
    assert result.mean_diff == pytest.approx(np.mean(np.array(b) - np.array(a)))


def test_wilcoxon_exact_textbook_value():
    # Six positive differences with distinct magnitudes: exact two-sided p = 2 / 2**6.
    a = [0.0] * 6
    b = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    result = stats.paired_difference(paired_table(a, b), "coverage", A, B)
    assert result.p_value == pytest.approx(2 / 2**6)
    assert result.wins == 6 and result.losses == 0 and result.ties == 0
    assert result.rank_biserial == pytest.approx(1.0)


def test_samples_are_averaged_per_document_before_pairing():
    a = [[0.1, 0.3], [0.5, 0.7, 0.9], [0.2], [0.4, 0.4], [0.6, 0.8]]
    b = [[0.4], [0.6, 0.8], [0.1, 0.5], [0.9, 0.7], [0.5]]
    result = stats.paired_difference(paired_table(a, b), "coverage", A, B)
    doc_a = np.array([np.mean(v) for v in a])
    doc_b = np.array([np.mean(v) for v in b])
    assert result.n == 5  # documents, not summaries
    assert result.mean_a == pytest.approx(doc_a.mean())
    assert result.mean_diff == pytest.approx((doc_b - doc_a).mean())
    # doc001 averages to 0.7 in both (0.7000000000000001 vs 0.7 in floating point): that rounding
    # noise is a zero difference, so it is a tie and Wilcoxon drops it.
    assert result.ties == 1
    d = np.round(doc_b - doc_a, stats.ROUND_DECIMALS)
    assert result.p_value == pytest.approx(sps.wilcoxon(d, zero_method="wilcox").pvalue)


def test_only_shared_documents_are_paired():
    table = paired_table([0.1, 0.2, 0.3, 0.4], [0.2, 0.3, 0.5])  # doc003 only in A
    extra = table[(table.prompt_id == "focused")].iloc[:1].assign(doc_id="only_b", coverage=0.9)
    result = stats.paired_difference(pd.concat([table, extra]), "coverage", A, B)
    assert result.n == 3
    assert result.mean_a == pytest.approx(0.2)
    assert result.mean_b == pytest.approx(1.0 / 3)


def test_all_zero_differences_give_p_one_with_note():
    a = [0.2, 0.4, 0.6, 0.8]
    result = stats.paired_difference(paired_table(a, list(a)), "coverage", A, B)
    assert result.p_value == 1.0
    assert result.mean_diff == 0.0
    assert result.ties == 4
    assert result.rank_biserial == 0.0 and result.cohens_dz == 0.0
    assert "zero" in result.note


def test_fewer_than_two_documents_is_nan_not_an_error():
    one = stats.paired_difference(paired_table([0.2], [0.5]), "coverage", A, B)
    assert one.n == 1 and one.mean_diff == pytest.approx(0.3)
    assert math.isnan(one.p_value) and math.isnan(one.ci_low) and math.isnan(one.cohens_dz)
    assert "1 shared document" in one.note

    table = paired_table([0.2, 0.3], [0.5, 0.6])
    table.loc[table.prompt_id == "focused", "doc_id"] = ["x", "y"]
    none = stats.paired_difference(table, "coverage", A, B)
    assert none.n == 0 and math.isnan(none.mean_diff) and "no shared documents" in none.note


# ------------------------------------------------------------------ bootstrap


def _synthetic(n_docs, shift, noise, rng):
    a = rng.uniform(0.3, 0.7, size=n_docs)
    b = a + shift + rng.normal(0.0, noise, size=n_docs)
    return a, b


def test_bootstrap_ci_contains_true_difference_and_is_seeded():
    rng = np.random.default_rng(42)
    a, b = _synthetic(200, 0.1, 0.05, rng)
    table = paired_table(a, b)
    first = stats.paired_difference(table, "coverage", A, B, n_boot=2000, seed=7)
    again = stats.paired_difference(table, "coverage", A, B, n_boot=2000, seed=7)
    other = stats.paired_difference(table, "coverage", A, B, n_boot=2000, seed=8)
    assert first.ci_low < 0.1 < first.ci_high
    assert first.ci_low < first.mean_diff < first.ci_high
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    # Width close to the normal-theory interval 2 * 1.96 * sd / sqrt(n).
    d = b - a
    normal_width = 2 * 1.96 * d.std(ddof=1) / math.sqrt(d.size)
    assert (first.ci_high - first.ci_low) == pytest.approx(normal_width, rel=0.15)


def test_bootstrap_ci_coverage_is_near_nominal():
    rng = np.random.default_rng(2024)
    hits = 0
    replicates = 200
    for i in range(replicates):
        d = rng.normal(0.05, 0.1, size=40)
        low, high = stats.bootstrap_ci(d, n_boot=1000, seed=i, ci=0.95)
        hits += low <= 0.05 <= high
    assert 0.88 <= hits / replicates <= 0.99


def test_bootstrap_ci_is_the_percentile_interval_of_the_seeded_resample_means():
    # a hand-computed percentile interval: the same generator, resamples drawn by hand
    values = np.array([0.1, 0.4, 0.35, 0.8, 0.55, 0.2, 0.9])
    picked = np.random.default_rng(3).integers(0, values.size, size=(500, values.size))
    means = np.array([values[row].mean() for row in picked])
    expected = np.quantile(means, [0.05, 0.95])
    assert stats.bootstrap_ci(values, n_boot=500, seed=3, ci=0.9) == pytest.approx(tuple(expected), abs=1e-15)


def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap():
    from scipy.stats import bootstrap

    values = np.random.default_rng(11).gamma(2.0, 0.1, size=60)
    reference = bootstrap(
        (values,), np.mean, n_resamples=20000, method="percentile", random_state=5
    ).confidence_interval
    low, high = stats.bootstrap_ci(values, n_boot=20000, seed=5)
    # different random draws: the endpoints agree to Monte-Carlo error (the interval is ~0.05 wide)
    assert low == pytest.approx(reference.low, abs=0.002)
    assert high == pytest.approx(reference.high, abs=0.002)


def test_bootstrap_ci_of_a_weighted_statistic_draws_whole_units():
    # units a, b, c own 2, 1 and 3 observations; the statistic is the weighted mean of the values
    units = ["a", "a", "b", "c", "c", "c"]
    values = np.array([1.0, 3.0, 10.0, 0.0, 2.0, 4.0])
    low, high = stats.bootstrap_ci(units, lambda w: (w @ values) / w.sum(axis=1), n_boot=400, seed=2)
    # by hand: the same draws of three units, each unit's observations repeated as drawn
    members = {0: [0, 1], 1: [2], 2: [3, 4, 5]}
    picked = np.random.default_rng(2).integers(0, 3, size=(400, 3))
    by_hand = [values[[i for u in row for i in members[u]]].mean() for row in picked]
    assert (low, high) == pytest.approx(tuple(np.quantile(by_hand, [0.025, 0.975])), abs=1e-12)


def test_bootstrap_ci_of_the_weighted_mean_matches_the_mean_of_values():
    values = np.random.default_rng(4).normal(size=30)
    weighted = stats.bootstrap_ci(list(range(30)), lambda w: (w @ values) / w.sum(axis=1), n_boot=300, seed=9)
    assert weighted == pytest.approx(stats.bootstrap_ci(values, n_boot=300, seed=9), abs=1e-12)


def test_bootstrap_ci_is_nan_for_fewer_than_two_units_or_undefined_resamples():
    assert all(math.isnan(x) for x in stats.bootstrap_ci([0.3]))
    assert all(math.isnan(x) for x in stats.bootstrap_ci(["a", "a"], lambda w: w.sum(axis=1)))
    assert all(math.isnan(x) for x in stats.bootstrap_ci(["a", "b"], lambda w: np.full(len(w), np.nan)))


def test_one_bootstrap_function():
    assert not hasattr(stats, "cluster_bootstrap_ci") and not hasattr(stats, "_bootstrap_means")


# ------------------------------------------------------------------ counts and effect sizes


def test_win_tie_loss_on_tiny_example():
    a = [0.5, 0.5, 0.5, 0.5]
    b = [0.6, 0.5, 0.45, 0.52]
    exact = stats.paired_difference(paired_table(a, b), "coverage", A, B)
    assert (exact.wins, exact.ties, exact.losses) == (2, 1, 1)
    tolerant = stats.paired_difference(paired_table(a, b), "coverage", A, B, tie_tol=0.03)
    assert (tolerant.wins, tolerant.ties, tolerant.losses) == (1, 2, 1)


def test_rank_biserial_hand_examples():
    # non-zero d = [1, -2, 3, 4]: ranks 1..4, R+ = 8, R- = 2 -> (8 - 2) / 10
    assert stats.rank_biserial([1, -2, 3, 0, 4]) == pytest.approx(0.6)
    # tied magnitudes: |d| = [1, 1, 2] -> ranks 1.5, 1.5, 3; R+ = 4.5, R- = 1.5 -> 0.5
    assert stats.rank_biserial([1, -1, 2]) == pytest.approx(0.5)
    result = stats.paired_difference(paired_table([0, 0, 0, 0, 0], [1, -2, 3, 0, 4]), "coverage", A, B)
    assert result.rank_biserial == pytest.approx(0.6)


def test_cohens_dz_hand_example():
    result = stats.paired_difference(paired_table([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]), "coverage", A, B)
    assert result.cohens_dz == pytest.approx(2.0)  # mean 2, sd 1


def test_bool_metrics_are_rates():
    table = paired_table([True, True, False, False], [True, True, True, False], metric="token_compliant")
    result = stats.paired_difference(table, "token_compliant", A, B)
    assert result.mean_a == pytest.approx(0.5) and result.mean_b == pytest.approx(0.75)
    # object column with None (as read from JSONL) works too
    table["token_compliant"] = table["token_compliant"].astype(object)
    table.loc[0, "token_compliant"] = None
    assert stats.paired_difference(table, "token_compliant", A, B).n == 3


def test_errors_name_the_problem():
    table = paired_table([0.1, 0.2], [0.3, 0.4])
    with pytest.raises(ConfigError, match="nope"):
        stats.paired_difference(table, "nope", A, B)
    with pytest.raises(ConfigError, match="other / x"):
        stats.paired_difference(table, "coverage", A, ("other", "x"))
    with pytest.raises(InputError, match="sample"):
        stats.paired_difference(table.drop(columns="sample"), "coverage", A, B)
    with pytest.raises(InputError, match="not numeric"):
        stats.paired_difference(table.assign(coverage="high"), "coverage", A, B)


# ------------------------------------------------------------------ multiple comparisons

P = [0.02, 0.021, 0.5, 0.001]
# Holm: sorted 0.001, 0.02, 0.021, 0.5 times 4, 3, 2, 1 = 0.004, 0.06, 0.042, 0.5; running max.
HOLM = [0.06, 0.06, 0.5, 0.004]
# BH: sorted p * 4 / rank = 0.004, 0.04, 0.028, 0.5; running min from the largest.
BH = [0.028, 0.028, 0.5, 0.004]


def test_holm_and_bh_equal_hand_computation():
    np.testing.assert_allclose(stats.adjust_pvalues(P, "holm"), HOLM)
    np.testing.assert_allclose(stats.adjust_pvalues(P, "bh"), BH)
    np.testing.assert_allclose(stats.adjust_pvalues(P, "bonferroni"), [0.08, 0.084, 1.0, 0.004])
    # NaN stays NaN and does not count in the family: m = 2
    np.testing.assert_allclose(stats.adjust_pvalues([0.01, np.nan, 0.04], "holm"), [0.02, np.nan, 0.04])
    with pytest.raises(ConfigError, match="unknown correction"):
        stats.adjust_pvalues(P, "sidak-ish")


def _three_configs(rng, n_docs=25):
    rows = []
    base = rng.uniform(0.3, 0.7, size=n_docs)
    for prompt, model, shift in (("seed", "m1", 0.0), ("seed", "m2", 0.02), ("focused", "m1", 0.1)):
        for i in range(n_docs):
            for s in range(2):
                rows.append(
                    {
                        "doc_id": f"d{i}",
                        "prompt_id": prompt,
                        "model_id": model,
                        "sample": s,
                        "coverage": base[i] + shift + rng.normal(0, 0.03),
                        "token_compliant": bool(rng.random() < 0.9),
                    }
                )
    return pd.DataFrame(rows)


def test_compare_all_pairs_and_adjustment():
    table = _three_configs(np.random.default_rng(3))
    result = stats.compare_all(table, ["coverage", "token_compliant"], correction="holm", n_boot=500)
    assert len(result) == 3 * 2  # 3 pairs x 2 metrics
    np.testing.assert_allclose(result["p_adjusted"], stats.adjust_pvalues(result["p_value"], "holm"))
    row = result[(result.metric == "coverage") & (result.a == "focused / m1") & (result.b == "seed / m1")].iloc[0]
    single = stats.paired_difference(table, "coverage", ("focused", "m1"), ("seed", "m1"), n_boot=500)
    assert row.p_value == pytest.approx(single.p_value) and row.ci_low == pytest.approx(single.ci_low)
    assert row.mean_diff < 0 and row.significant

    per_metric = stats.compare_all(table, ["coverage", "token_compliant"], correction="bh", family="metric", n_boot=200)
    for _, group in per_metric.groupby("metric"):
        np.testing.assert_allclose(group["p_adjusted"], stats.adjust_pvalues(group["p_value"], "bh"))


def test_compare_all_against_baseline():
    table = _three_configs(np.random.default_rng(4))
    result = stats.compare_all(table, "coverage", baseline=("seed", "m1"), n_boot=200)
    assert list(result["a"].unique()) == ["seed / m1"]
    assert sorted(result["b"]) == ["focused / m1", "seed / m2"]
    with pytest.raises(ConfigError, match="baseline configuration"):
        stats.compare_all(table, "coverage", baseline=("nope", "m1"))


# ------------------------------------------------------------------ ranking


def test_rank_configurations():
    table = _three_configs(np.random.default_rng(5))
    ranking = stats.rank_configurations(table, "coverage", n_boot=500, seed=1)
    assert list(ranking["config"]) == ["focused / m1", "seed / m2", "seed / m1"]
    assert list(ranking["rank"]) == [1, 2, 3]
    hand = table[(table.prompt_id == "seed") & (table.model_id == "m1")].groupby("doc_id")["coverage"].mean().mean()
    seed_m1 = ranking.set_index("config").loc["seed / m1"]
    assert seed_m1["mean"] == pytest.approx(hand)
    assert seed_m1["ci_low"] < seed_m1["mean"] < seed_m1["ci_high"]
    assert seed_m1["n_docs"] == 25 and seed_m1["n_summaries"] == 50
    again = stats.rank_configurations(table, "coverage", n_boot=500, seed=1)
    pd.testing.assert_frame_equal(ranking, again)
