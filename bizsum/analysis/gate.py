"""CI regression gate: fail a build when a configuration's scores drop against a baseline run.

For every configuration ``(prompt_id, model_id)`` present in both the baseline and the current
scores and every gated metric (a key of ``thresholds``):

1. Each run's samples are averaged per document; only documents both runs scored are used
   (``n_docs``). ``diff = mean(current) - mean(baseline)`` over those documents.
2. ``drop_amount`` is ``-diff`` for metrics where higher is better (the default) and ``+diff``
   for metrics listed in ``lower_is_better``. ``exceeds_threshold`` is ``drop_amount > threshold``
   (strict; the threshold is absolute, in the metric's own units: 0.05 on a 0-1 rate or score is
   five percentage points).
3. Two significance tests, both on the per-document differences:

   * ``ci``: the two-sided ``1 - alpha`` percentile bootstrap CI of ``diff`` (``n_boot``
     resamples of documents, seeded) lies entirely on the worse side of zero
     (``ci_high < 0``, or ``ci_low > 0`` for lower-is-better metrics);
   * ``wilcoxon``: the two-sided Wilcoxon signed-rank p-value (``zero_method="wilcox"``),
     Holm-adjusted over every check of the run (all configurations × metrics with a p-value), is
     ``< alpha`` and the rank-biserial correlation points the worse way.

   ``rule`` says which test(s) must hold: ``"either"`` (default), ``"both"``, ``"ci"`` or
   ``"wilcoxon"``. ``"either"`` exists because CI runs use few documents: with 5 documents the
   smallest possible two-sided Wilcoxon p is 0.0625, so the rank test alone could never fire.
4. ``regressed = exceeds_threshold and significant``. The gate passes when nothing regressed.

A check with fewer than two shared documents cannot be significant and never regresses (its
``note`` says why). Configurations present in only one run are listed in ``GateResult.notes`` and
not checked; if no configuration and document is shared at all the gate raises
:class:`~bizsum.errors.InputError` instead of passing vacuously.

Command line (exit 0: passed, 1: regression, 2: unusable input)::

    bizsum gate --baseline bench/baseline/scores.jsonl --current reports/ci/scores.jsonl \
        --threshold source_only=0.05 --threshold coverage=0.05 [--report reports/gate.json]
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizsum.analysis.stats import (
    KEY_COLUMNS,
    _aligned,
    _paired_stats,
    adjust_pvalues,
    check_scores,
    config_label,
    configurations,
    document_means,
)
from bizsum.errors import BizsumError, ConfigError, InputError, SetupError
from bizsum.records import ScoreRecord, read_records

log = logging.getLogger(__name__)

RULES: tuple[str, ...] = ("either", "both", "ci", "wilcoxon")
SCORE_SUFFIXES: tuple[str, ...] = (".jsonl", ".parquet", ".csv")

CHECK_COLUMNS: tuple[str, ...] = (
    "config",
    "prompt_id",
    "model_id",
    "metric",
    "direction",
    "n_docs",
    "baseline_mean",
    "current_mean",
    "diff",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "threshold",
    "drop_amount",
    "exceeds_threshold",
    "significant_ci",
    "significant_wilcoxon",
    "significant",
    "regressed",
    "note",
)


@dataclass(frozen=True, eq=False)
class GateResult:
    """Outcome of :func:`check_regressions`.

    ``checks`` has one row per (configuration, metric) with the columns in :data:`CHECK_COLUMNS`;
    ``notes`` lists configurations that could not be checked.
    """

    passed: bool
    checks: pd.DataFrame
    alpha: float
    rule: str
    ci_level: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def regressions(self) -> pd.DataFrame:
        """The rows of ``checks`` that regressed."""
        return self.checks[self.checks["regressed"]]

    @property
    def table(self) -> pd.DataFrame:
        """Alias of ``checks`` (used by the report)."""
        return self.checks

    def message(self) -> str:
        """Plain-text summary naming each regressed metric, configuration and drop."""
        n_checks = len(self.checks)
        n_configs = self.checks["config"].nunique()
        header = f"{n_checks} check(s) over {n_configs} configuration(s), alpha={self.alpha:g}, rule={self.rule}"
        lines: list[str] = []
        regressed = self.regressions
        if self.passed:
            lines.append(f"bizsum gate PASSED: no regression ({header}).")
        else:
            lines.append(f"bizsum gate FAILED: {len(regressed)} regression(s) ({header}).")
            for row in regressed.itertuples(index=False):
                lines.append("  - " + _describe(row, self.ci_level))
        unproven = self.checks[self.checks["exceeds_threshold"] & ~self.checks["regressed"]]
        if len(unproven):
            lines.append("Drops above threshold that are not significant (not failing):")
            for row in unproven.itertuples(index=False):
                lines.append("  - " + _describe(row, self.ci_level))
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        checks = self.checks.astype(object).where(self.checks.notna(), None)
        return {
            "passed": self.passed,
            "alpha": self.alpha,
            "rule": self.rule,
            "ci_level": self.ci_level,
            "notes": list(self.notes),
            "message": self.message(),
            "checks": checks.to_dict(orient="records"),
        }


def _fmt(value: float, digits: int = 4) -> str:
    return "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _fmt_p(value: float) -> str:
    if value is None or math.isnan(value):
        return "=nan"
    return "<0.0001" if value < 1e-4 else f"={value:.4f}"


def _describe(row: Any, ci_level: float) -> str:
    word = "rose" if row.direction == "lower_is_better" else "dropped"
    return (
        f"{row.metric} {word} by {_fmt(row.drop_amount)} for prompt {row.prompt_id!r}, model {row.model_id!r}: "
        f"{_fmt(row.baseline_mean)} -> {_fmt(row.current_mean)} (threshold {_fmt(row.threshold)}; "
        f"{ci_level:.0%} CI of change [{_fmt(row.ci_low)}, {_fmt(row.ci_high)}], "
        f"Holm-adjusted Wilcoxon p{_fmt_p(row.p_holm)}, {row.n_docs} shared document(s))"
    )


# --------------------------------------------------------------------------------------------
# Loading


def _read_jsonl(path: Path) -> pd.DataFrame:
    # Score records (any schema version): names file and line, skips a torn last line with a warning.
    return pd.DataFrame.from_records([record.flat() for _, record in read_records(path, ScoreRecord)])


def _resolve_scores_path(path: Path) -> Path:
    if path.is_dir():
        found = [path / f"scores{suffix}" for suffix in SCORE_SUFFIXES if (path / f"scores{suffix}").is_file()]
        if len(found) != 1:
            what = "no" if not found else "more than one"
            raise InputError(
                f"{path}: directory has {what} scores file (looked for "
                f"{', '.join('scores' + s for s in SCORE_SUFFIXES)}); pass the file itself"
            )
        return found[0]
    if not path.is_file():
        raise InputError(f"scores file not found: {path}")
    return path


def load_scores(path: str | Path) -> pd.DataFrame:
    """Read a scores table from ``.jsonl`` (one JSON object per line), ``.parquet`` or ``.csv``.

    A directory is accepted when it holds exactly one ``scores.jsonl``/``.parquet``/``.csv``.
    Key columns are normalised (``doc_id``, ``prompt_id``, ``model_id`` as text, ``sample`` as
    int) so tables from different formats join; when a key repeats, the last row wins (as in the
    results files) and a warning is logged. Raises :class:`InputError` naming the file when it
    is missing, unreadable, empty or lacks key columns.
    """
    path = _resolve_scores_path(Path(path))
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            table = _read_jsonl(path)
        elif suffix == ".parquet":
            table = pd.read_parquet(path)
        elif suffix == ".csv":
            table = pd.read_csv(path, dtype=dict.fromkeys(("doc_id", "prompt_id", "model_id"), str))
        else:
            raise InputError(f"{path}: unsupported scores format {suffix!r}; use .jsonl, .parquet or .csv")
    except BizsumError:
        raise
    except ImportError as error:
        raise SetupError(f"{path}: reading {suffix} needs an extra package ({error})") from None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read scores ({type(error).__name__}: {error})") from None
    except Exception as error:  # parquet/csv engines raise their own exception types
        raise InputError(f"{path}: cannot read scores ({type(error).__name__}: {error})") from None
    if table.empty:
        raise InputError(f"{path}: the scores file has no rows")
    missing = [c for c in KEY_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{path}: missing key column(s) {missing}; found columns {list(table.columns)}")
    return _normalise_keys(table, str(path))


def _normalise_keys(table: pd.DataFrame, where: str) -> pd.DataFrame:
    keys = table[list(KEY_COLUMNS)]
    null_rows = keys.isna().any(axis=1)
    if null_rows.any():
        first = int(np.flatnonzero(null_rows.to_numpy())[0])
        raise InputError(
            f"{where}: {int(null_rows.sum())} row(s) have an empty key column "
            f"(first at row {first + 1}); every row needs {list(KEY_COLUMNS)}"
        )
    table = table.copy()
    for column in ("doc_id", "prompt_id", "model_id"):
        table[column] = table[column].astype(str)
    try:
        sample = pd.to_numeric(table["sample"], errors="raise")
    except (TypeError, ValueError):
        raise InputError(f"{where}: column 'sample' must hold integers") from None
    if not np.all(np.mod(sample.to_numpy(dtype="float64"), 1) == 0):
        raise InputError(f"{where}: column 'sample' must hold integers")
    table["sample"] = sample.astype("int64")
    duplicated = int(table.duplicated(list(KEY_COLUMNS), keep="last").sum())
    if duplicated:
        # Same rule as the results files: the last row for a key wins.
        log.warning(
            "%s: %d earlier row(s) repeat a (doc_id, prompt_id, model_id, sample) key; the last row "
            "for each key is used",
            where,
            duplicated,
        )
        table = table.drop_duplicates(list(KEY_COLUMNS), keep="last").reset_index(drop=True)
    return table


# --------------------------------------------------------------------------------------------
# The gate


def _check_thresholds(thresholds: Mapping[str, float]) -> dict[str, float]:
    if not thresholds:
        raise ConfigError("the gate needs at least one threshold, e.g. {'coverage': 0.05}")
    clean = {}
    for metric, value in thresholds.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"threshold for {metric!r} must be a number, got {value!r}") from None
        if not math.isfinite(number) or number < 0:
            raise ConfigError(f"threshold for {metric!r} must be a finite number >= 0, got {value!r}")
        clean[str(metric)] = number
    return clean


def check_regressions(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    thresholds: Mapping[str, float],
    *,
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
    rule: str = "either",
    lower_is_better: Collection[str] | None = None,
) -> GateResult:
    """Compare ``current`` scores with ``baseline`` scores per configuration; see the module docstring.

    ``thresholds`` maps each gated metric to the largest tolerated drop of its mean (absolute,
    metric units). Bool metrics are 0/1 rates. ``lower_is_better`` names metrics where an increase
    is the regression; by default the gated columns the metrics declare with ``direction="lower"``
    (unsupported claims, over-limit flags, latency, cost ...).
    """
    limits, lower = _gate_settings(thresholds, alpha, rule, lower_is_better)
    check_scores(current, limits, where="current scores")
    check_scores(baseline, limits, where="baseline scores")
    current = _normalise_keys(current, "current scores")
    baseline = _normalise_keys(baseline, "baseline scores")
    shared, notes = _shared_configurations(current, baseline)
    ci_level = 1.0 - float(alpha)
    checks = _measure(current, baseline, limits, lower, shared, n_boot=int(n_boot), seed=seed, ci_level=ci_level)
    if int(checks["n_docs"].sum()) == 0:
        raise InputError(
            "the current and baseline scores share no document for any common configuration "
            "and gated metric; nothing to compare"
        )
    checks = _decide(checks, float(alpha), rule)
    result = GateResult(
        passed=not bool(checks["regressed"].any()),
        checks=checks,
        alpha=float(alpha),
        rule=rule,
        ci_level=ci_level,
        notes=tuple(notes),
    )
    log.info(
        "gate %s: %d of %d checks regressed",
        "passed" if result.passed else "failed",
        int(checks["regressed"].sum()),
        len(checks),
    )
    return result


def _gate_settings(
    thresholds: Mapping[str, float], alpha: float, rule: str, lower_is_better: Collection[str] | None
) -> tuple[dict[str, float], set[str]]:
    """The validated thresholds and the metrics where an increase is the regression."""
    if lower_is_better is None:
        from bizsum.analysis.tables import all_columns

        declared = all_columns()
        lower_is_better = [m for m in thresholds if m in declared and declared[m].direction == "lower"]
    limits = _check_thresholds(thresholds)
    if not 0.0 < float(alpha) < 1.0:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha!r}")
    if rule not in RULES:
        raise ConfigError(f"unknown gate rule {rule!r}; choose one of {list(RULES)}")
    lower = {str(m) for m in lower_is_better}
    unknown_lower = sorted(lower - set(limits))
    if unknown_lower:
        raise ConfigError(f"lower_is_better names metric(s) without a threshold: {unknown_lower}")
    return limits, lower


def _shared_configurations(current: pd.DataFrame, baseline: pd.DataFrame) -> tuple[list[tuple[str, str]], list[str]]:
    """The configurations both sides have, and a note for each one only one side has."""
    current_configs, baseline_configs = set(configurations(current)), set(configurations(baseline))
    shared = sorted(current_configs & baseline_configs)
    notes = [
        f"configuration {config_label(c)!r} is in the baseline only; not checked"
        for c in sorted(baseline_configs - current_configs)
    ]
    notes += [
        f"configuration {config_label(c)!r} is new in the current scores; not checked"
        for c in sorted(current_configs - baseline_configs)
    ]
    for note in notes:
        log.warning("gate: %s", note)
    if not shared:
        raise InputError(
            "the current and baseline scores have no configuration in common; current: "
            f"{[config_label(c) for c in sorted(current_configs)]}, baseline: "
            f"{[config_label(c) for c in sorted(baseline_configs)]}"
        )
    return shared, notes


def _measure(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    limits: Mapping[str, float],
    lower: set[str],
    shared: list[tuple[str, str]],
    *,
    n_boot: int,
    seed: int,
    ci_level: float,
) -> pd.DataFrame:
    """One row per gated metric × shared configuration: the paired statistics and the drop."""
    rows = []
    for metric, threshold in limits.items():
        base_table = document_means(baseline, metric, where="baseline scores")
        cur_table = document_means(current, metric, where="current scores")
        for config in shared:
            both = pd.concat(
                {
                    "baseline": base_table.get(config, pd.Series(dtype="float64")),
                    "current": cur_table.get(config, pd.Series(dtype="float64")),
                },
                axis=1,
            )
            values_base, values_cur = _aligned(both, "baseline", "current")
            stats = _paired_stats(values_base, values_cur, n_boot=n_boot, seed=seed, ci=ci_level, tie_tol=0.0)
            sign = 1.0 if metric in lower else -1.0  # drop_amount = sign * diff
            rows.append(
                {
                    "config": config_label(config),
                    "prompt_id": config[0],
                    "model_id": config[1],
                    "metric": metric,
                    "direction": "lower_is_better" if metric in lower else "higher_is_better",
                    "n_docs": stats["n"],
                    "baseline_mean": stats["mean_a"],
                    "current_mean": stats["mean_b"],
                    "diff": stats["mean_diff"],
                    "ci_low": stats["ci_low"],
                    "ci_high": stats["ci_high"],
                    "p_value": stats["p_value"],
                    "rank_biserial": stats["rank_biserial"],
                    "threshold": threshold,
                    "drop_amount": sign * stats["mean_diff"] + 0.0,
                    "note": stats["note"],
                }
            )
    return pd.DataFrame(rows)


def _decide(checks: pd.DataFrame, alpha: float, rule: str) -> pd.DataFrame:
    """Add Holm-adjusted p-values, the significance tests ``rule`` combines, and ``regressed``."""
    checks["p_holm"] = adjust_pvalues(checks["p_value"].to_numpy(), "holm")
    higher = checks["direction"].eq("higher_is_better")
    checks["exceeds_threshold"] = checks["drop_amount"].gt(checks["threshold"]).fillna(False).astype(bool)
    checks["significant_ci"] = np.where(higher, checks["ci_high"].lt(0), checks["ci_low"].gt(0)).astype(bool)
    worse_ranks = np.where(higher, checks["rank_biserial"].lt(0), checks["rank_biserial"].gt(0)).astype(bool)
    checks["significant_wilcoxon"] = (checks["p_holm"].lt(alpha) & worse_ranks).astype(bool)
    if rule == "either":
        checks["significant"] = checks["significant_ci"] | checks["significant_wilcoxon"]
    elif rule == "both":
        checks["significant"] = checks["significant_ci"] & checks["significant_wilcoxon"]
    elif rule == "ci":
        checks["significant"] = checks["significant_ci"]
    else:
        checks["significant"] = checks["significant_wilcoxon"]
    checks["regressed"] = checks["exceeds_threshold"] & checks["significant"]
    return checks[list(CHECK_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Command line


def write_report(result: GateResult, path: str | Path) -> Path:
    """Write the gate result as ``.json`` (verdict, message and checks) or ``.csv`` (checks only)."""
    path = Path(path)
    if path.suffix.lower() not in (".json", ".csv"):
        raise ConfigError(f"{path}: report must end in .json or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    else:
        result.checks.to_csv(path, index=False)
    return path
