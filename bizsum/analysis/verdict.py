"""The report's verdict: per criterion, which prompt × model is best, by how much against the best
baseline, and whether that difference can be told from chance with this many documents.

A *criterion* is a headline column that a metric declares with a direction (``higher`` or
``lower``) and a kind other than ``measure`` (latency and cost are shown, not judged). A new
metric's headline columns become criteria without any change here.

Per criterion:

* every configuration's mean over documents (samples averaged per document first);
* the **contender**: the best LLM configuration; the **reference**: the best baseline
  configuration (provider kind ``baseline``, e.g. the extractive methods). A run without baselines
  compares its best configuration with the runner-up, a run of baselines only likewise;
* the paired difference contender − reference over shared documents (:func:`paired_difference`):
  95 % bootstrap CI and two-sided Wilcoxon signed-rank p, Holm-adjusted over the criteria;
* ``significant`` is ``p_holm < alpha``. When no p-value *could* fall below ``alpha`` with this
  many documents (the exact two-sided Wilcoxon test cannot go below ``2 / 2**n``), ``why`` says so
  and how many documents would be needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bizsum.analysis.stats import adjust_pvalues, config_label, document_means, paired_difference
from bizsum.analysis.tables import headline_columns
from bizsum.metrics import Column

KIND_COLUMN = "model_kind"
ALPHA = 0.05


def min_wilcoxon_p(n: int) -> float:
    """The smallest two-sided p the exact Wilcoxon signed-rank test can give with ``n`` non-zero
    differences: every difference on one side, ``2 * (1/2)**n`` (1.0 for ``n == 0``)."""
    if n <= 0:
        return 1.0
    return min(1.0, 2.0 / 2.0**n)


def documents_needed(alpha: float = ALPHA, tests: int = 1) -> int:
    """The fewest documents with which ``tests`` Holm-adjusted Wilcoxon tests could reach ``alpha``."""
    n = 1
    while tests * min_wilcoxon_p(n) >= alpha:
        n += 1
    return n


def criteria(frame: pd.DataFrame, columns: tuple[Column, ...] | None = None) -> list[Column]:
    """The headline columns the verdict judges (declared direction, not a measure), present in ``frame``."""
    columns = headline_columns() if columns is None else columns
    return [
        c
        for c in columns
        if c.direction in ("higher", "lower")
        and c.kind != "measure"
        and c.name in frame
        and frame[c.name].notna().any()
    ]


def configuration_kinds(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """``(prompt_id, model_id) -> "llm" | "baseline"`` from the frame's ``model_kind`` column."""
    if frame.empty:
        return {}
    kinds = frame[KIND_COLUMN] if KIND_COLUMN in frame else pd.Series("llm", index=frame.index)
    pairs = zip(frame["prompt_id"].astype(str), frame["model_id"].astype(str), kinds.fillna("llm"))
    return {(p, m): str(k) for p, m, k in pairs}


@dataclass(frozen=True)
class Pick:
    config: tuple[str, str]
    mean: float


def _best(means: pd.Series, configs: list[tuple[str, str]], direction: str) -> Pick | None:
    values = [(c, float(means[c])) for c in configs if c in means.index and not math.isnan(float(means[c]))]
    if not values:
        return None
    sign = -1.0 if direction == "higher" else 1.0
    config, mean = min(values, key=lambda cv: (sign * cv[1], config_label(cv[0])))
    return Pick(config, mean)


def one_per_baseline(kinds: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """The configurations with each baseline model once: a baseline ignores the prompt, so its
    prompts are one configuration (the first prompt in sorted order stands for them)."""
    kept: dict[tuple[str, str], str] = {}
    seen: set[str] = set()
    for config in sorted(kinds):
        if kinds[config] == "baseline":
            if config[1] in seen:
                continue
            seen.add(config[1])
        kept[config] = kinds[config]
    return kept


def display_label(config: tuple[str, str], kind: str | None) -> str:
    """How the report names a configuration: ``prompt / model``, a baseline by its model alone."""
    return str(config[1]) if kind == "baseline" else config_label(config)


def _lookup(pairs: pd.DataFrame | None, metric: str, a: tuple[str, str], b: tuple[str, str]) -> dict | None:
    """The statistics of b − a from :func:`~bizsum.analysis.stats.compare_all`'s table (sign flipped
    when the table holds a − b), so the verdict reuses its bootstrap instead of running it again."""
    if pairs is None or pairs.empty:
        return None
    la, lb = config_label(a), config_label(b)
    for first, second, sign in ((la, lb, 1.0), (lb, la, -1.0)):
        hit = pairs[(pairs["metric"] == metric) & (pairs["a"] == first) & (pairs["b"] == second)]
        if len(hit):
            row = hit.iloc[0]
            low, high = (row.ci_low, row.ci_high) if sign > 0 else (-row.ci_high, -row.ci_low)
            return {  # + 0.0: a flipped zero prints as +0.000, not -0.000
                "n": int(row.n),
                "n_nonzero": int(row.wins + row.losses),
                "diff": sign * float(row.mean_diff) + 0.0,
                "ci_low": float(low) + 0.0,
                "ci_high": float(high) + 0.0,
                "p_value": float(row.p_value),
            }
    return None


def verdict_table(
    frame: pd.DataFrame,
    columns: tuple[Column, ...] | None = None,
    *,
    alpha: float = ALPHA,
    n_boot: int = 2000,
    pairs: pd.DataFrame | None = None,
    kinds: dict[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """One row per criterion: best configuration, contender vs reference, difference, CI, p, why.

    Each baseline model counts once (:func:`one_per_baseline`). ``pairs`` (the table of
    :func:`~bizsum.analysis.stats.compare_all` with the default ``n_boot`` and seed) is reused for
    the paired statistics instead of bootstrapping the same pair again."""
    ok = frame[frame["error"].isna()] if "error" in frame else frame
    judged = criteria(ok, columns)
    if kinds is None:
        kinds = configuration_kinds(ok)
    else:  # the configurations with a successful row (``kinds`` of the whole frame, computed once)
        present = set(zip(ok["prompt_id"].astype(str), ok["model_id"].astype(str)))
        kinds = {c: k for c, k in kinds.items() if c in present}
    kinds = one_per_baseline(kinds)
    llms = sorted(c for c, k in kinds.items() if k != "baseline")
    baselines = sorted(c for c, k in kinds.items() if k == "baseline")
    rows = []
    for column in judged:
        table = document_means(ok, column.name)
        means = table.mean(axis=0, skipna=True)
        everyone = sorted(kinds)
        best = _best(means, everyone, column.direction)
        if best is None:
            continue
        if llms and baselines:
            contender, reference = _best(means, llms, column.direction), _best(means, baselines, column.direction)
            versus = "best baseline"
        else:
            contender = best
            reference = _best(means, [c for c in everyone if c != best.config], column.direction)
            versus = "runner-up"
        row: dict = {
            "column": column.name,
            "criterion": column.label,
            "direction": column.direction,
            "kind": column.kind,
            "best": config_label(best.config),
            "best_label": display_label(best.config, kinds[best.config]),
            "contender_label": display_label(contender.config, kinds[contender.config]) if contender else None,
            "reference_label": display_label(reference.config, kinds[reference.config]) if reference else None,
            "best_kind": kinds[best.config],
            "best_value": best.mean,
            "contender": config_label(contender.config) if contender else None,
            "contender_kind": kinds[contender.config] if contender else None,
            "contender_value": contender.mean if contender else math.nan,
            "versus": versus,
            "reference": config_label(reference.config) if reference else None,
            "reference_kind": kinds[reference.config] if reference else None,
            "reference_value": reference.mean if reference else math.nan,
            "n_docs": 0,
            "n_nonzero": 0,
            "diff": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value": math.nan,
        }
        if contender and reference:
            found = _lookup(pairs, column.name, reference.config, contender.config) if n_boot == 2000 else None
            if found is None:
                comparison = paired_difference(
                    ok, column.name, reference.config, contender.config, n_boot=n_boot, seed=0
                )
                pair = table[[reference.config, contender.config]].dropna()
                d = np.round(pair[contender.config].to_numpy() - pair[reference.config].to_numpy(), 12)
                found = {
                    "n": comparison.n,
                    "n_nonzero": int(np.count_nonzero(d)),
                    "diff": comparison.mean_diff,
                    "ci_low": comparison.ci_low,
                    "ci_high": comparison.ci_high,
                    "p_value": comparison.p_value,
                }
            row.update(n_docs=found.pop("n"), **found)
        rows.append(row)
    result = pd.DataFrame(rows)
    if result.empty:
        return result
    result["p_holm"] = adjust_pvalues(result["p_value"].to_numpy(), "holm")
    result["significant"] = result["p_holm"].lt(alpha)
    tests = int(result["p_value"].notna().sum()) or 1
    result["why"] = [_why(row, alpha, tests) for row in result.itertuples(index=False)]
    result["sentence"] = [_sentence(row) for row in result.itertuples(index=False)]
    result.attrs.update(alpha=alpha, tests=tests, n_boot=n_boot)
    return result


def _fmt(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "rate":
        return f"{100 * value:.0f} %"
    if kind == "count":
        return f"{value:.1f}"
    return f"{value:.3f}"


def _fmt_diff(value: float, kind: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    if kind == "rate":
        return f"{100 * value:+.0f} pts"
    return f"{value:+.1f}" if kind == "count" else f"{value:+.3f}"


def _why(row: object, alpha: float, tests: int) -> str:
    """Why a difference is or is not significant, in words."""
    get = row.__getattribute__
    if get("reference") is None:
        return "only one configuration: nothing to compare"
    n, nonzero = int(get("n_docs")), int(get("n_nonzero"))
    if n < 2:
        return f"{n} shared document(s): no test possible"
    if nonzero == 0:
        return f"identical on all {n} documents"
    p_min = min_wilcoxon_p(nonzero)
    ci_note = ""
    low, high = get("ci_low"), get("ci_high")
    if not math.isnan(low) and (low > 0 or high < 0):
        ci_note = "; the 95 % bootstrap CI excludes 0, which with so few documents is only indicative"
    if tests * p_min >= alpha:
        needed = documents_needed(alpha, tests)
        counted = f"{n} documents" if nonzero == n else f"{n} documents ({nonzero} that differ)"
        return (
            f"{counted}: no paired test can reach p < {alpha:g} (the smallest possible two-sided Wilcoxon p is "
            f"{p_min:.3g}{f', × {tests} criteria (Holm)' if tests > 1 else ''}); add documents (≥ {needed} "
            f"that differ; more samples per document do not add pairs){ci_note}"
        )
    if bool(get("significant")):
        return f"Wilcoxon p = {get('p_holm'):.3g} (Holm over {tests} criteria) < {alpha:g}"
    return f"Wilcoxon p = {get('p_holm'):.3g} (Holm over {tests} criteria) ≥ {alpha:g}{ci_note}"


def _sentence(row: object) -> str:
    get = row.__getattribute__
    kind = get("kind")
    head = f"{get('criterion')}: best is {get('best')} ({get('best_kind')}, {_fmt(get('best_value'), kind)})."
    if get("reference") is None or get("contender") is None:
        return head
    better = get("diff") * (1 if get("direction") == "higher" else -1)
    word = "ahead of" if better > 0 else "behind" if better < 0 else "level with"
    ci = f"95 % CI [{_fmt_diff(get('ci_low'), kind)}, {_fmt_diff(get('ci_high'), kind)}]"
    verdict = "significant" if bool(get("significant")) else "not significant"
    who = "Best LLM" if get("versus") == "best baseline" else "It"
    return (
        f"{head} {who} {get('contender')} is {word} the {get('versus')} {get('reference')} "
        f"by {_fmt_diff(get('diff'), kind)} ({ci}); {verdict}."
    )


def fmt_value(value: float, kind: str) -> str:
    """A criterion's value as the verdict shows it (rates in %)."""
    return _fmt(value, kind)


def fmt_diff(value: float, kind: str) -> str:
    """A difference as the verdict shows it (rates in percentage points)."""
    return _fmt_diff(value, kind)


Columns = dict[str, Column] | tuple[Column, ...]


def _rules(frame: pd.DataFrame, columns: Columns | None) -> tuple[list[Column], list[Column]]:
    """The yes/no rules and the flags in ``frame``. ``columns``: every declared column
    (:func:`all_columns`, computed once by the caller), or a tuple of headline columns whose
    ``rate`` columns are the rules (the flags then come from :func:`all_columns`)."""
    from bizsum.analysis.tables import all_columns

    if isinstance(columns, dict):
        declared = columns
        headline: tuple[Column, ...] = tuple(c for c in declared.values() if c.headline)
    else:
        declared = all_columns()
        headline = tuple(c for c in declared.values() if c.headline) if columns is None else columns
    rules = [c for c in headline if c.kind == "rate" and c.name in frame]
    flags = [c for c in declared.values() if c.kind == "flag" and c.name in frame]
    return rules, flags


def _broke(values: pd.Series) -> pd.Series:
    return values.map(lambda v: v is False or v == 0)


def _hit(values: pd.Series) -> pd.Series:
    return values.map(lambda v: v is True or v == 1)


def rules_broken(frame: pd.DataFrame, columns: Columns | None = None) -> pd.Series:
    """Per row: did this summary break a rule of the prompt (a headline yes/no rule is no, a declared
    flag is set) or fail to generate? The one source of the compliance counts and the report's
    "broke a rule" status."""
    if frame.empty:
        return pd.Series(dtype=bool)
    rules, flags = _rules(frame, columns)
    failed = frame["error"].notna() if "error" in frame else pd.Series(False, index=frame.index)
    ok = ~failed
    for column in rules:
        failed |= ok & _broke(frame[column.name])
    for column in flags:
        failed |= ok & _hit(frame[column.name])
    return failed.astype(bool)


def compliance_counts(
    frame: pd.DataFrame,
    columns: Columns | None = None,
    kinds: dict[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Per configuration: summaries, generation errors, and how many failed each headline yes/no rule.

    The rules are the declared headline ``rate`` columns (a summary fails when the value is no) and
    every declared ``flag`` column that is true; new metrics' columns are counted without changes here.
    """
    rules, flags = _rules(frame, columns)
    broken = rules_broken(frame, columns)
    kinds = configuration_kinds(frame) if kinds is None else kinds
    rows = []
    for (prompt_id, model_id), group in frame.groupby(["prompt_id", "model_id"], sort=True):
        errors = int(group["error"].notna().sum()) if "error" in group else 0
        ok = group[group["error"].isna()] if "error" in group else group
        row: dict = {
            "prompt": prompt_id,
            "model": model_id,
            "kind": kinds.get((str(prompt_id), str(model_id)), "llm"),
            "summaries": len(group),
            "errors": errors,
        }
        for column in rules:
            row[f"✗ {column.label}"] = int(_broke(ok[column.name]).sum())
        for column in flags:
            row[column.label] = int(_hit(ok[column.name]).sum())
        row["failed"] = int(broken.loc[group.index].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _rule_failures(compliance: pd.DataFrame, label: str) -> tuple[int, int]:
    """(summaries that broke a rule, summaries) of the configuration named ``label``."""
    if compliance.empty:
        return 0, 0
    for row in compliance.itertuples(index=False):
        if config_label((str(row.prompt), str(row.model))) == label:
            return int(row.failed), int(row.summaries)
    return 0, 0


def lead_sentence(table: pd.DataFrame, compliance: pd.DataFrame, documents: int) -> str:
    """The verdict's first sentence, plain text: who wins on how many criteria, said truthfully.

    Against baselines an LLM configuration *wins* a criterion only when it is strictly ahead of the
    best baseline (a tie is not a win); when none is ahead anywhere, that is said first. An LLM
    configuration named as the leader says whether it kept the prompt's rules. The parenthesis says
    whether the differences can be tested with this many documents."""
    n = len(table)
    if n == 0:
        return "No criterion has scores yet."
    sign = table["direction"].map({"higher": 1.0, "lower": -1.0}).fillna(0.0)
    ahead = table["diff"].fillna(0.0) * sign
    against_baseline = table["versus"] == "best baseline"
    if against_baseline.any():
        llm_ahead = table[against_baseline & (ahead > 0)]
        behind = int((against_baseline & (ahead < 0)).sum())
        if llm_ahead.empty:
            text = f"No LLM configuration beats the best baseline on any of the {n} criteria"
            wins = table.loc[table["best_kind"] == "baseline", "best_label"].value_counts()
            if len(wins):
                text += f": the baseline {wins.index[0]} is best on {int(wins.iloc[0])} of {n}"
            elif behind == 0:
                text += " (tied on every one)"
        else:
            text = _leader(llm_ahead, compliance, n, "ahead of the best baseline on")
            if behind:
                text += f"; the best baseline is ahead on {behind}"
    else:
        text = _leader(table, compliance, n, "best on")
    tests = int(table.attrs.get("tests", 1))
    if tests * min_wilcoxon_p(documents) >= ALPHA:
        needed = documents_needed(ALPHA, tests)
        text += f" ({documents} documents; differences not testable: add ≥ {needed} documents)"
    else:
        significant = int(table["significant"].sum()) if "significant" in table else 0
        text += (
            f" ({documents} documents; {significant} of {tests} differences significant, Holm over {tests} criteria)"
        )
    return text + "."


def _leader(rows: pd.DataFrame, compliance: pd.DataFrame, n: int, verb: str) -> str:
    """ "<configuration> is <verb> k of n criteria", with whether it kept the rules."""
    wins = rows["contender"].value_counts()
    leader, count = str(wins.index[0]), int(wins.iloc[0])
    shown = str(rows.loc[rows["contender"] == leader, "contender_label"].iloc[0])
    failed, summaries = _rule_failures(compliance, leader)
    text = f"{shown} is {verb} {count} of {n} criteria"
    if failed:
        return text + f" but breaks a rule of the prompt on {failed} of {summaries} summaries"
    return text + " and within the rules on every summary"
