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
from bizsum.errors import InputError
from bizsum.report import cards, page, sections
from bizsum.rundir import RunDir

log = logging.getLogger(__name__)


@dataclass
class ReportData:
    """Everything the sections read: the run's config and rows, an optional baseline run's rows."""

    config: RunConfig
    frame: pd.DataFrame
    metric_versions: dict[str, dict[str, str]]
    baseline: pd.DataFrame | None = None
    baseline_name: str = ""

    @property
    def rundir(self) -> RunDir:
        return self.config.rundir


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
            subtitle=sections.run_line(self.data.config, self.data.frame),
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
    path = config.resolve(config.baseline_run)
    if not RunDir(path).generations.is_file():
        raise InputError(f"baseline run not found: {path} has no generations.jsonl (config field 'baseline_run')")
    return load_run(path), path.name


def build_report(config: RunConfig, frame: pd.DataFrame | None = None) -> Report:
    """Read the run (and its baseline run) and build every section of the report."""
    from bizsum.scoring import judge_setup, metric_versions

    frame = load_run(config.run_dir) if frame is None else frame
    if frame.empty:
        raise InputError(
            f"run folder {config.run_dir}: {config.rundir.generations.name} has no readable row, so there is nothing "
            "to report (run `bizsum run CONFIG` first)"
        )
    used = config.metrics or sorted({m for ms in frame.get("metrics", []) if isinstance(ms, list) for m in ms})
    baseline, baseline_name = load_baseline(config)
    data = ReportData(config, frame, metric_versions(used, judge_setup(config)), baseline, baseline_name)
    gate_html, passed = sections.gate(config, frame, baseline)
    headline = sections.headline_export(frame)
    pairs = sections.pairs_export(frame)
    parts = [
        page.Section("verdict", "Verdict", sections.verdict(frame)),
        page.Section("scores", "Scores per prompt × model", sections.scores(frame, headline)),
        page.Section("charts", "Per-document scores", sections.charts(frame)),
        page.Section("areas", "Focus areas", sections.area_heatmap(frame)),
        page.Section("pairs", "Paired comparisons", sections.paired(frame, pairs)),
        page.Section("groups", "By industry and document length", sections.by_document_group(frame)),
        page.Section("judge", "LLM judge", sections.judge(config, frame)),
        page.Section("agreement", "Agreement with human labels", sections.agreement(config.run_dir)),
        page.Section("gate", "Regression gate", gate_html),
        page.Section("changes", "Changes against the baseline run", sections.changes(data)),
        page.Section("side-by-side", "Side by side", cards.side_by_side(frame), screen_only=True),
        page.Section("summaries", "Every summary", cards.summaries(data), screen_only=True),
        page.Section("appendix", "Appendix: provenance and definitions", sections.appendix(data)),
    ]
    parts = [p for p in parts if p.html]
    exports = {"headline.csv": headline}
    if not pairs.empty:
        exports["pairs.csv"] = pairs
    return Report(data, parts, exports, passed)


def report_for_run(run_dir: str | Path, overrides: dict | None = None) -> Report:
    """Build the report of an existing run folder, with the config it was run with (``config.yaml``)."""
    from bizsum.config import load_config

    rundir = RunDir(Path(run_dir).resolve())
    if not rundir.config.is_file():
        raise InputError(f"{rundir.path} is not a run folder: it has no config.yaml (run `bizsum run` first)")
    config = load_config(rundir.config, overrides)
    if config.run_dir.resolve() != rundir.path:
        # The folder was moved or renamed: it is the run folder, whatever its config says.
        config = load_config(
            rundir.config, {**(overrides or {}), "output_dir": str(rundir.path.parent), "name": rundir.name}
        )
    return build_report(config)
