"""The state of a human review of a run: which summary is shown, its claims and areas with what the
metrics said about them, and the labels given so far (saved at once to ``reviews.jsonl``).

The review widget (:mod:`bizsum.review.widget`) is a thin view over :class:`ReviewSession`; all
logic is here, so it is tested without a browser.

Claims are :func:`~bizsum.nlp.claims.split_claims` of the summary, the same claims the metrics
check, so a label is keyed exactly as the metrics' verdicts are: (summary hash, claim text). Each
label is appended as a :class:`~bizsum.records.ReviewRecord` the moment it is given; a later label
of the same target replaces an earlier one (:func:`~bizsum.records.load_reviews`), and a label of
a summary that was regenerated since (a new hash) is never shown on the new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bizsum.analysis.agreement import claim_verdicts
from bizsum.errors import InputError
from bizsum.jsonl import AppendWriter
from bizsum.nlp.claims import split_claims
from bizsum.nlp.focus_areas import AREAS, FOCUS_AREAS
from bizsum.records import (
    CellKey,
    ReviewRecord,
    ScoreRecord,
    load_reviews,
    summary_hash,
    to_row,
)
from bizsum.run import Run, open_run

ClaimLabel = Literal["supported", "unsupported"]
AreaLabel = Literal["covered", "missed", "not_in_source"]
CLAIM_LABELS: tuple[ClaimLabel, ...] = ("supported", "unsupported")
AREA_LABELS: tuple[AreaLabel, ...] = ("covered", "missed", "not_in_source")


@dataclass
class Verdict:
    """What one metric said about a claim."""

    source: str  # the metric (or metric.sub-verdict)
    verdict: str | None  # supported / uncertain / unsupported / None (no verdict)
    score: float | None
    evidence: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class ClaimView:
    text: str
    verdicts: list[Verdict]


@dataclass
class AreaView:
    area: str
    label: str
    addressed: bool | None
    coverage: float | None
    thin_in_source: bool | None
    summary_sentences: list[str]
    carried: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    source_passages: list[str]


@dataclass
class ReviewItem:
    """One summary to review, with everything the metrics said about it."""

    key: CellKey
    text: str
    sha: str
    claims: list[ClaimView]
    areas: list[AreaView]
    scored: bool
    values: dict[str, Any]


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return []


def _claim_views(text: str, score: ScoreRecord | None) -> list[ClaimView]:
    claims = split_claims(text)
    details = score.details if score is not None else {}
    tables = claim_verdicts(details)
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for metric, info in details.items():
        for entry in (info.get("claims") if isinstance(info, dict) else None) or []:
            if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                entries.setdefault((metric, entry["text"]), entry)
                for sub, value in entry.items():
                    if isinstance(value, dict):
                        entries.setdefault((f"{metric}.{sub}", entry["text"]), value)
    views = []
    for claim in claims:
        verdicts = []
        for source, table in tables.items():
            if claim not in table:
                continue
            verdict, value = table[claim]
            entry = entries.get((source, claim), {})
            reasons = _as_list(entry.get("reasons")) + _as_list(entry.get("reason"))
            named = str(entry.get("verdict") or "")
            verdicts.append(
                Verdict(
                    source=source,
                    verdict=named
                    if named in ("supported", "uncertain", "unsupported")
                    else {1: "supported", 0: "unsupported"}.get(verdict)
                    if verdict is not None
                    else None,
                    score=value,
                    evidence=_as_list(entry.get("evidence")),
                    reasons=reasons,
                )
            )
        views.append(ClaimView(claim, verdicts))
    # claims whose evidence a metric found unclear come first: they wait for a reviewer's label
    return sorted(views, key=lambda view: not any(v.verdict == "uncertain" for v in view.verdicts))


def _area_views(score: ScoreRecord | None) -> list[AreaView]:
    values = score.values if score is not None else {}
    areas = ((score.details if score is not None else {}).get("focus_coverage") or {}).get("areas") or {}
    views = []
    for area in FOCUS_AREAS:
        info = areas.get(area) or {}
        coverage = values.get(f"coverage_{area}")
        addressed = values.get(f"addressed_{area}")
        views.append(
            AreaView(
                area=area,
                label=AREAS[area].label,
                addressed=None if addressed is None else bool(addressed),
                coverage=float(coverage) if isinstance(coverage, (int, float)) else None,
                thin_in_source=info.get("thin_in_source"),
                summary_sentences=_as_list(info.get("summary_sentences"))
                + _as_list(info.get("summary_says_not_described")),
                carried=list(info.get("key_content_carried") or []),
                missing=list(info.get("key_content_missing") or []),
                source_passages=_as_list(info.get("source_passages")),
            )
        )
    return views


class ReviewSession:
    """A review of one run folder: summaries in order, navigation, labels saved as they are given."""

    def __init__(self, run_dir: str | Path | Run, reviewer: str = "anonymous"):
        run = open_run(run_dir)  # a path that is not a run folder: one line naming it
        self.rundir = run.rundir
        if not self.rundir.generations.is_file():
            raise InputError(f"{self.rundir.path}: no generations.jsonl: not a run folder (or nothing generated yet)")
        self.reviewer = reviewer
        self.items: list[ReviewItem] = []
        for generation, score in run.pairs():  # a score row of another summary of the cell is not shown
            if not generation.ok:
                continue
            key = generation.key
            text = generation.text or ""
            sha = summary_hash(text)
            self.items.append(
                ReviewItem(
                    key=key,
                    text=text,
                    sha=sha,
                    claims=_claim_views(text, score),
                    areas=_area_views(score),
                    scored=score is not None,
                    values=dict(score.values) if score is not None else {},
                )
            )
        if not self.items:
            raise InputError(f"{self.rundir.path}: no successful summary to review")
        self.labels: dict[tuple[str, str, str], ReviewRecord] = {}
        if self.rundir.reviews.is_file():
            self.labels = {record.target: record for record in load_reviews(self.rundir.reviews)}
        self.index = 0

    # -- navigation --------------------------------------------------------------------------------

    @property
    def item(self) -> ReviewItem:
        return self.items[self.index]

    def go(self, index: int) -> ReviewItem:
        self.index = max(0, min(len(self.items) - 1, index))
        return self.item

    def next(self) -> ReviewItem:
        return self.go(self.index + 1)

    def previous(self) -> ReviewItem:
        return self.go(self.index - 1)

    def next_unlabelled(self) -> ReviewItem:
        """The next summary (after the current one, wrapping around) with a claim or area not labelled yet."""
        for step in range(1, len(self.items) + 1):
            candidate = (self.index + step) % len(self.items)
            if not self.complete(candidate):
                return self.go(candidate)
        return self.item

    @property
    def position(self) -> str:
        return f"{self.index + 1} / {len(self.items)}"

    # -- labels ---------------------------------------------------------------------------------------

    def _target(self, kind: str, name: str, item: ReviewItem | None = None) -> tuple[str, str, str]:
        return ((item or self.item).sha, kind, name)

    def claim_label(self, claim_index: int) -> ReviewRecord | None:
        return self.labels.get(self._target("claim", self.item.claims[claim_index].text))

    def area_label(self, area: str) -> ReviewRecord | None:
        return self.labels.get(self._target("area", area))

    def _save(self, record: ReviewRecord) -> ReviewRecord:
        with AppendWriter(self.rundir.reviews) as writer:
            writer.append(to_row(record))
        self.labels[record.target] = record
        return record

    def _record(self, kind: str, label: str, comment: str, **target: str) -> ReviewRecord:
        item = self.item
        return ReviewRecord(
            doc_id=item.key.doc_id,
            prompt_id=item.key.prompt_id,
            model_id=item.key.model_id,
            sample=item.key.sample,
            summary_sha=item.sha,
            kind=kind,
            label=label,
            comment=comment,
            reviewer=self.reviewer,
            **target,
        )

    def mark_claim(self, claim_index: int, label: str, comment: str | None = None) -> ReviewRecord:
        """Label claim ``claim_index`` of the current summary (appended to reviews.jsonl at once)."""
        if label not in CLAIM_LABELS:
            raise ValueError(f"a claim is labelled {CLAIM_LABELS}, not {label!r}")
        claim = self.item.claims[claim_index].text
        previous = self.claim_label(claim_index)
        if comment is None:
            comment = previous.comment if previous is not None else ""
        return self._save(self._record("claim", label, comment, claim=claim))

    def mark_area(self, area: str, label: str, comment: str | None = None) -> ReviewRecord:
        """Label focus area ``area`` of the current summary (appended to reviews.jsonl at once)."""
        if label not in AREA_LABELS:
            raise ValueError(f"an area is labelled {AREA_LABELS}, not {label!r}")
        if area not in FOCUS_AREAS:
            raise ValueError(f"unknown focus area {area!r}; known: {FOCUS_AREAS}")
        previous = self.area_label(area)
        if comment is None:
            comment = previous.comment if previous is not None else ""
        return self._save(self._record("area", label, comment, area=area))

    def comment_claim(self, claim_index: int, comment: str) -> ReviewRecord | None:
        """Attach a comment to a claim's label (saved with the label; kept until it is labelled)."""
        previous = self.claim_label(claim_index)
        if previous is None or previous.comment == comment:
            return None
        return self.mark_claim(claim_index, previous.label, comment)

    def comment_area(self, area: str, comment: str) -> ReviewRecord | None:
        previous = self.area_label(area)
        if previous is None or previous.comment == comment:
            return None
        return self.mark_area(area, previous.label, comment)

    # -- progress ------------------------------------------------------------------------------------

    def counts(self, index: int | None = None) -> dict[str, int]:
        item = self.items[self.index if index is None else index]
        claims = sum(1 for c in item.claims if self._target("claim", c.text, item) in self.labels)
        areas = sum(1 for a in FOCUS_AREAS if self._target("area", a, item) in self.labels)
        return {
            "claims": len(item.claims),
            "claims_labelled": claims,
            "areas": len(FOCUS_AREAS),
            "areas_labelled": areas,
        }

    def complete(self, index: int | None = None) -> bool:
        counts = self.counts(index)
        return counts["claims_labelled"] == counts["claims"] and counts["areas_labelled"] == counts["areas"]

    def progress(self) -> dict[str, int]:
        """Labelled claims and areas over the whole run."""
        totals = {
            "summaries": len(self.items),
            "complete": 0,
            "claims": 0,
            "claims_labelled": 0,
            "areas": 0,
            "areas_labelled": 0,
        }
        for i in range(len(self.items)):
            counts = self.counts(i)
            for key, value in counts.items():
                totals[key] += value
            totals["complete"] += self.complete(i)
        return totals
