"""One report, every route: the stakeholder HTML built from a run folder.

``bizsum run`` (through the compare notebook), the papermill/CI route (the same notebook) and
``bizsum report RUN`` all call :func:`build_report` and :meth:`Report.write`, so they write the same
``report.html`` (plus ``headline.csv`` and ``pairs.csv`` beside it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bizsum.analysis.tables import load_run
from bizsum.config import RunConfig
from bizsum.errors import GateFailed, InputError
from bizsum.report import page
from bizsum.report.data import ReportData, check_gate, compute
from bizsum.report.sections import SECTIONS
from bizsum.run import Run

__all__ = ["Report", "ReportData", "build_report", "raise_if_gate_failed", "report_for_run", "run_line"]

log = logging.getLogger(__name__)


def run_line(data: ReportData) -> str:
    """One line under the title: what was compared."""
    config, frame, kinds = data.config, data.frame, data.tables.kinds
    models = {m: k for (_, m), k in kinds.items()}
    llms = sum(1 for k in models.values() if k != "baseline")
    documents = frame["doc_id"].nunique() if not frame.empty else 0
    return (
        f"{documents} documents × {len(config.prompts)} prompts × {len(config.models)} models "
        f"({llms} LLM, {len(models) - llms} baseline) × {config.samples} sample(s) · token limit {config.token_limit}"
    )


def raise_if_gate_failed(passed: bool) -> None:
    """Last cell of the report: a failed gate makes papermill (and CI) exit non-zero."""
    if not passed:
        raise GateFailed("regression gate failed: see the 'Regression gate' section of the report")


@dataclass
class Report:
    """The built report: its sections (shown one by one in the notebook) and the tables it exports."""

    data: ReportData
    sections: list[page.Section]
    exports: dict[str, pd.DataFrame] = field(default_factory=dict)
    gate_passed: bool = True

    @property
    def title(self) -> str:
        return f"bizsum report: {self.data.config.name}"

    def html(self) -> str:
        return page.render(
            self.title,
            self.sections,
            subtitle=run_line(self.data),
            metadata=self.metadata(),
        )

    def fragment(self) -> str:
        """The sections without the page around them (what the compare notebook displays; its
        interactive tables show their static preview until the notebook is trusted)."""
        return page.CSS_TAG + "".join(f'<h2 id="{s.id}">{s.title}</h2>{s.html}' for s in self.sections)

    def metadata(self) -> dict[str, object]:
        """What made the numbers: the metric version fingerprints the score rows carry, per metric."""
        seen: dict[str, set[str]] = {}
        for versions in self.data.frame.get("metric_versions", pd.Series(dtype=object)):
            for metric, fingerprint in (versions if isinstance(versions, dict) else {}).items():
                seen.setdefault(metric, set()).add(str(fingerprint))
        return {
            "run": self.data.config.name,
            "summaries": len(self.data.frame),
            "score_versions": {metric: sorted(values) for metric, values in sorted(seen.items())},
            "metric_versions": self.data.metric_versions,
        }

    def write(self, path: str | Path | None = None) -> Path:
        """Write report.html (and the CSV exports beside it) into the run folder; returns the HTML path."""
        rundir = self.data.rundir.ensure()
        target = Path(path) if path else rundir.report
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html(), encoding="utf-8")
        for name, table in self.exports.items():
            table.to_csv(rundir.export(name), index=False)
        log.info("report written to %s", target)
        return target


def load_baseline(config: RunConfig) -> tuple[pd.DataFrame | None, str]:
    """The baseline run named by ``config.baseline_run`` (a run folder), read with ``load_run``."""
    if not config.baseline_run:
        return None, ""
    run = Run.load(config.resolve(config.baseline_run))
    if not run.rundir.generations.is_file():
        raise InputError(f"baseline run not found: {run.path} has no generations.jsonl (config field 'baseline_run')")
    return load_run(run), run.name


def build_report(config: RunConfig, frame: pd.DataFrame | None = None) -> Report:
    """Read the run (and its baseline run), compute every table once, then render each section."""
    from bizsum.scoring import judge_setup, metric_versions

    run = Run.load(config)  # read once: the rows here, the config history in compute()
    frame = load_run(run) if frame is None else frame
    if frame.empty:
        raise InputError(
            f"run folder {config.run_dir}: {config.rundir.generations.name} has no readable row, so there is nothing "
            "to report (run `bizsum run CONFIG` first)"
        )
    used = config.metrics or sorted({m for ms in frame.get("metrics", []) if isinstance(ms, list) for m in ms})
    baseline, baseline_name = load_baseline(config)
    data = ReportData(
        config,
        frame,
        metric_versions(used, judge_setup(config)),
        baseline,
        baseline_name,
        tables=compute(config, frame, run),
        gate=check_gate(config, frame, baseline),
        run=run,
    )
    parts = [page.Section(s.ID, s.TITLE, s.render(data), screen_only=s.SCREEN_ONLY) for s in SECTIONS]
    parts = [p for p in parts if p.html]
    exports = {"headline.csv": data.tables.headline}
    if not data.tables.pairs.empty:
        exports["pairs.csv"] = data.tables.pairs
    return Report(data, parts, exports, data.gate.passed)


def report_for_run(run_dir: str | Path, overrides: dict | None = None) -> Report:
    """Build the report of an existing run folder, with the config it was run with (``config.yaml``)."""
    from bizsum.config import load_run_config

    return build_report(load_run_config(run_dir, overrides))
