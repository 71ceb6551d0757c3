"""What the report shows, computed once: the run's rows and every table the sections render.

:func:`bizsum.report.build.build_report` reads the run, calls :func:`compute` once, and hands the
:class:`ReportData` to each section of :mod:`bizsum.report.sections`; a section renders, it never
recomputes what another section already has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bizsum.analysis.agreement import LabelData, agreement_from, collect
from bizsum.analysis.tables import all_columns, config_history, problems_of
from bizsum.analysis.verdict import (
    compliance_counts,
    configuration_kinds,
    criteria,
    rules_broken,
    verdict_table,
)
from bizsum.config import RunConfig
from bizsum.metrics import Column
from bizsum.run import Run
from bizsum.rundir import RunDir


@dataclass
class ReportTables:
    """Every table of the report, computed once from the rows (empty for an empty run)."""

    kinds: dict[tuple[str, str], str] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    headline: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdict: pd.DataFrame = field(default_factory=pd.DataFrame)
    compliance: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per row of the frame (same index): the problems a card lists, and whether a rule was broken
    problems: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    broke_rule: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the run's human labels (``reviews.jsonl``) and the metrics' agreement with them, when it has any
    labels: LabelData | None = None
    agreement: pd.DataFrame | None = None


#: bootstrap resamples of the agreement table's intervals
AGREEMENT_BOOT = 1000

GATE_COLUMNS = [
    "config",
    "metric",
    "n_docs",
    "baseline_mean",
    "current_mean",
    "diff",
    "ci_low",
    "ci_high",
    "p_holm",
    "threshold",
    "regressed",
    "note",
]


@dataclass(frozen=True)
class GateCheck:
    """The regression gate's outcome: ``passed``; what it was checked against (``what`` "baseline
    run" or "scores file", ``source`` its name; empty when there is no baseline); the result's
    message and table (None when the gate is off)."""

    passed: bool = True
    what: str = ""
    source: str = ""
    message: str = ""
    table: pd.DataFrame | None = None


def check_gate(config: RunConfig, frame: pd.DataFrame, baseline: pd.DataFrame | None = None) -> GateCheck:
    """The gate against the baseline run's rows when there is one, else the scores file named by
    ``baseline``; off (passed) without thresholds or a baseline."""
    from bizsum.analysis.gate import check_regressions, load_scores

    if baseline is not None and config.thresholds:
        what, source, reference = "baseline run", str(config.baseline_run), baseline
    elif config.baseline:
        what, source = "scores file", str(config.baseline)
        if not config.thresholds:
            return GateCheck(True, what, source)
        reference = load_scores(config.resolve(config.baseline))
    else:
        return GateCheck()
    result = check_regressions(ok_rows(frame), ok_rows(reference), dict(config.thresholds))
    return GateCheck(result.passed, what, source, result.message(), result.table[GATE_COLUMNS])


@dataclass
class ReportData:
    """Everything the sections read: the run's config and rows, an optional baseline run's rows,
    and the tables computed from them (:func:`compute`); ``run`` is the :class:`~bizsum.run.Run`
    they were read from (``build_report`` reads it once and hands it on)."""

    config: RunConfig
    frame: pd.DataFrame
    metric_versions: dict[str, dict[str, str]]
    baseline: pd.DataFrame | None = None
    baseline_name: str = ""
    tables: ReportTables = field(default_factory=ReportTables)
    gate: GateCheck = field(default_factory=GateCheck)
    run: Run | None = None

    @property
    def rundir(self) -> RunDir:
        return self.run.rundir if self.run is not None else self.config.rundir

    @property
    def ok(self) -> pd.DataFrame:
        """The rows whose generation succeeded (what every score table is over)."""
        return ok_rows(self.frame)


def ok_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["error"].isna()] if "error" in frame else frame


def number(value: Any) -> Any:
    return float(value) if isinstance(value, bool) else value


def headline_export(frame: pd.DataFrame, kinds: dict[tuple[str, str], str], columns: dict[str, Column]) -> pd.DataFrame:
    """The headline numbers per prompt × model as one flat table (what headline.csv holds)."""
    rows = []
    for (prompt_id, model_id), group in ok_rows(frame).groupby(["prompt_id", "model_id"], sort=True):
        row: dict[str, Any] = {
            "prompt": prompt_id,
            "model": model_id,
            "kind": kinds.get((str(prompt_id), str(model_id)), "llm"),
            "summaries": len(group),
            "documents": group["doc_id"].nunique(),
        }
        for column in (c for c in columns.values() if c.headline):
            if column.name in group:
                values = pd.to_numeric(group[column.name].map(number), errors="coerce")
                row[column.name] = values.mean()
                row[f"{column.name}_sd"] = values.std(ddof=1) if values.count() > 1 else math.nan
                row[f"{column.name}_n"] = int(values.count())
        rows.append(row)
    return pd.DataFrame(rows)


def pairs_export(frame: pd.DataFrame, headline: tuple[Column, ...] | None = None) -> pd.DataFrame:
    """Every pair of configurations on every criterion (what pairs.csv holds), unadjusted: the one
    family of tests is the verdict's, and :func:`compute` writes its Holm p-values in."""
    from bizsum.analysis.stats import compare_all

    ok = ok_rows(frame)
    metrics = [c.name for c in criteria(ok, headline)]
    if ok.empty or not metrics or ok.groupby(["prompt_id", "model_id"]).ngroups < 2:
        return pd.DataFrame()
    return compare_all(ok, metrics, correction="none")


def _verdict_family(pairs: pd.DataFrame, verdict: pd.DataFrame) -> pd.DataFrame:
    """pairs.csv with the verdict's family: ``in_verdict`` marks the pair each criterion's verdict
    tests, whose ``p_adjusted`` is the verdict's Holm p; every other pair is exploratory (no adjusted p)."""
    pairs = pairs.copy()
    pairs["in_verdict"] = False
    pairs["p_adjusted"] = math.nan
    if not verdict.empty and "p_holm" in verdict:
        for row in verdict.itertuples(index=False):
            if row.contender is None or row.reference is None:
                continue
            ends = {row.contender, row.reference}
            hit = (pairs["metric"] == row.column) & pairs["a"].isin(ends) & pairs["b"].isin(ends)
            pairs.loc[hit, "in_verdict"] = True
            pairs.loc[hit, "p_adjusted"] = row.p_holm
    alpha = float(verdict.attrs.get("alpha", 0.05)) if not verdict.empty else 0.05
    pairs["significant"] = pairs["p_adjusted"].lt(alpha)
    return pairs


def compute(config: RunConfig, frame: pd.DataFrame, run: Run | None = None) -> ReportTables:
    """Every table of the report, once: kinds, columns, headline, pairs, verdict (reusing the pairs'
    bootstrap), compliance, per-row problems and rule failures, the config history and the
    agreement with human labels (both from ``run``, the run already read, when given)."""
    columns = all_columns()
    run = run if run is not None else Run.load(config)
    if frame.empty:
        return ReportTables(columns=columns, history=config_history(run))
    headline = tuple(c for c in columns.values() if c.headline)
    kinds = configuration_kinds(frame)
    pairs = pairs_export(frame, headline)
    verdict = verdict_table(frame, headline, pairs=pairs if not pairs.empty else None, kinds=kinds)
    if not pairs.empty:
        pairs = _verdict_family(pairs, verdict)
    labels = collect(run) if run.rundir.reviews.is_file() else None  # from the rows already read
    return ReportTables(
        kinds=kinds,
        columns=columns,
        headline=headline_export(frame, kinds, columns),
        pairs=pairs,
        verdict=verdict,
        compliance=compliance_counts(frame, columns, kinds),
        problems=frame.apply(problems_of, axis=1, result_type="reduce", columns=columns),
        broke_rule=rules_broken(frame, columns),
        history=config_history(run),
        labels=labels,
        agreement=agreement_from(labels, n_boot=AGREEMENT_BOOT) if labels is not None else None,
    )


def baselines_once(
    table: pd.DataFrame, prompt: str = "prompt", model: str = "model", kind: str = "kind"
) -> pd.DataFrame:
    """The rows of a per-configuration table with each baseline model once (a baseline ignores
    the prompt: its rows for the other prompts repeat the same summaries)."""
    if table.empty or kind not in table:
        return table
    baseline = table[kind] == "baseline"
    repeated = baseline & table.sort_values([model, prompt]).duplicated(subset=[model]).reindex(table.index)
    return table[~repeated]
