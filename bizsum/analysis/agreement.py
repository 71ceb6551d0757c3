"""How well the metrics agree with human labels (``reviews.jsonl`` of a run folder).

Labels are :class:`~bizsum.records.ReviewRecord` rows: a claim of a summary marked supported or
unsupported, a focus area marked covered, missed or not_in_source, keyed by the summary's hash
(``summary_sha``) and the claim text (or the area). They are matched to the run's *current*
summaries: a label whose summary no longer exists (regenerated: a new hash) or whose claim text is
not among :func:`~bizsum.nlp.claims.split_claims` of the summary is **orphaned**: reported, never
attached to another claim.

Three levels, every one with bootstrap confidence intervals that resample *summaries* (seeded;
the statistics and :func:`~bizsum.analysis.stats.bootstrap_ci` are in :mod:`bizsum.analysis.stats`):

* **claim**: every claim-level verdict in the score details (a metric whose details hold
  ``claims: [{text, verdict, score}]``: source_only, judge_claims, and any sub-verdict such as
  ``claims[i].verifier = {verdict, score}``) against the supported/unsupported labels:
  balanced accuracy and Cohen's κ of the verdict, Kendall τ-b of the claim's score;
* **area**: focus coverage against the covered/missed labels: the ``addressed_<area>`` flag
  (balanced accuracy, κ, τ), the ``coverage_<area>`` score (τ; balanced accuracy and κ of
  ``coverage ≥ 0.5``), pooled and per area; and the "thin in source" call (coverage None)
  against not_in_source;
* **summary**: Kendall τ-b of every score column against the summary's share of claims labelled
  supported (and coverage columns against its share of labelled areas covered).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizsum.analysis.stats import (
    WeightedStatistic,
    balanced_accuracy_w,
    bootstrap_ci,
    cohen_kappa_w,
    kendall_tau_w,
)
from bizsum.errors import InputError
from bizsum.metrics import metric_columns
from bizsum.nlp.claims import split_claims
from bizsum.nlp.focus_areas import FOCUS_AREAS
from bizsum.records import ReviewRecord, ScoreRecord, load_reviews, summary_hash
from bizsum.run import Run, as_run

#: coverage_<area> at or above this counts as "covered" for balanced accuracy and κ
COVERED_AT = 0.5
#: fewer paired observations than this give no statistic (NaN)
MIN_PAIRS = 4

Unit = tuple[str, str]  # (doc_id, summary_sha)


# -- matching labels to the run's summaries --------------------------------------------------------


@dataclass
class _Summary:
    doc_id: str
    sha: str
    claims: list[str]
    score: ScoreRecord | None = None
    cells: list[str] = field(default_factory=list)


@dataclass
class LabelData:
    """The labels of a run matched to its current summaries, as long tables."""

    claims: pd.DataFrame  # unit, claim, label (1 supported / 0 unsupported), source, verdict, score
    areas: pd.DataFrame  # unit, area, label (covered/missed/not_in_source), addressed, coverage, thin
    summaries: pd.DataFrame  # unit, human_supported, human_covered, + every numeric score value
    orphans: pd.DataFrame  # the labels that match no current summary or claim, and why
    unscored: int  # labelled summaries without a current score row


def _current_summaries(run: Run) -> dict[Unit, _Summary]:
    out: dict[Unit, _Summary] = {}
    for generation, score in run.pairs():
        if not generation.ok:
            continue
        sha = summary_hash(generation.text)
        unit = (generation.doc_id, sha)
        summary = out.get(unit) or _Summary(generation.doc_id, sha, split_claims(generation.text or ""))
        summary.cells.append("/".join(map(str, generation.key)))
        if summary.score is None:
            summary.score = score
        out[unit] = summary
    return out


def claim_verdicts(details: dict[str, Any]) -> dict[str, dict[str, tuple[int | None, float | None]]]:
    """Per verdict source (``metric`` or ``metric.sub``): claim text -> (1 supported / 0 / None, score)."""
    out: dict[str, dict[str, tuple[int | None, float | None]]] = {}

    def as_pair(entry: dict[str, Any]) -> tuple[int | None, float | None]:
        # an uncertain claim is not a violation until a reviewer labels it (source_only v5)
        verdict = {"supported": 1, "uncertain": 1, "unsupported": 0}.get(str(entry.get("verdict")))
        if verdict is None and isinstance(entry.get("supported"), bool):
            verdict = int(entry["supported"])
        score = entry.get("score")
        return verdict, float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None

    for metric, info in (details or {}).items():
        claims = info.get("claims") if isinstance(info, dict) else None
        if not isinstance(claims, list):
            continue
        for entry in claims:
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                continue
            out.setdefault(metric, {}).setdefault(entry["text"], as_pair(entry))
            for sub, value in entry.items():
                if isinstance(value, dict) and ("verdict" in value or "score" in value or "supported" in value):
                    out.setdefault(f"{metric}.{sub}", {}).setdefault(entry["text"], as_pair(value))
    return out


def collect(run: Run | str | Path) -> LabelData:
    """Match a run's labels to its current summaries, claims, verdicts and coverage values.

    ``run`` is a :class:`~bizsum.run.Run` (read once, shared with the report) or a run folder."""
    run = as_run(run)
    if not run.rundir.reviews.is_file():
        raise InputError(f"{run.path}: no labels (reviews.jsonl); label summaries with the review notebook first")
    reviews = load_reviews(run.rundir.reviews)
    current = _current_summaries(run)
    claim_rows: list[dict[str, Any]] = []
    area_rows: list[dict[str, Any]] = []
    orphans: list[dict[str, Any]] = []
    labelled: dict[Unit, dict[str, list[ReviewRecord]]] = {}
    unscored: set[Unit] = set()
    for review in reviews:
        unit = (review.doc_id, review.summary_sha)
        summary = current.get(unit)
        target = review.claim if review.kind == "claim" else review.area
        base = {"doc_id": review.doc_id, "summary_sha": review.summary_sha, "kind": review.kind, "target": target}
        if summary is None:
            orphans.append(
                {**base, "why": "no current summary of this document has this hash (regenerated or removed)"}
            )
            continue
        if review.kind == "claim" and review.claim not in summary.claims:
            orphans.append({**base, "why": "not a claim of the summary (split_claims gives other claims)"})
            continue
        if review.kind == "area" and review.area not in FOCUS_AREAS:
            orphans.append({**base, "why": f"unknown focus area {review.area!r}"})
            continue
        labelled.setdefault(unit, {}).setdefault(review.kind, []).append(review)
        if summary.score is None:
            unscored.add(unit)
    summary_rows: list[dict[str, Any]] = []
    for unit, kinds in labelled.items():
        summary = current[unit]
        if summary.score is None:
            continue
        unit_id = f"{unit[0]}:{unit[1]}"
        verdicts = claim_verdicts(summary.score.details)
        claim_labels = [r for r in kinds.get("claim", []) if r.label in ("supported", "unsupported")]
        for review in claim_labels:
            label = int(review.label == "supported")
            for source, table in verdicts.items():
                verdict, score = table.get(review.claim or "", (None, None))
                claim_rows.append(
                    {
                        "unit": unit_id,
                        "claim": review.claim,
                        "label": label,
                        "source": source,
                        "verdict": verdict,
                        "score": score,
                    }
                )
        values = summary.score.values
        area_labels = kinds.get("area", [])
        for review in area_labels:
            coverage = values.get(f"coverage_{review.area}")
            addressed = values.get(f"addressed_{review.area}")
            area_rows.append(
                {
                    "unit": unit_id,
                    "area": review.area,
                    "label": review.label,
                    "addressed": None if addressed is None else int(bool(addressed)),
                    "coverage": coverage if isinstance(coverage, (int, float)) else None,
                    "thin": f"coverage_{review.area}" in values and coverage is None,
                }
            )
        decided_areas = [r for r in area_labels if r.label in ("covered", "missed")]
        summary_rows.append(
            {
                "unit": unit_id,
                "human_supported": (sum(r.label == "supported" for r in claim_labels) / len(claim_labels))
                if claim_labels
                else None,
                "human_covered": (sum(r.label == "covered" for r in decided_areas) / len(decided_areas))
                if decided_areas
                else None,
                **{k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)},
            }
        )
    return LabelData(
        claims=pd.DataFrame(claim_rows, columns=["unit", "claim", "label", "source", "verdict", "score"]),
        areas=pd.DataFrame(area_rows, columns=["unit", "area", "label", "addressed", "coverage", "thin"]),
        summaries=pd.DataFrame(summary_rows),
        orphans=pd.DataFrame(orphans, columns=["doc_id", "summary_sha", "kind", "target", "why"]),
        unscored=len(unscored),
    )


# -- the table -------------------------------------------------------------------------------------


def _row(
    frame: pd.DataFrame,
    level: str,
    what: str,
    against: str,
    label: str,
    predicted: str | None,
    score: str | None,
    n_boot: int,
    seed: int,
    negative: int | str = 0,
) -> dict[str, Any]:
    """One line of the table: balanced accuracy and κ of ``predicted``, τ of ``score``, each with its CI."""
    row: dict[str, Any] = {
        "level": level,
        "metric": what,
        "against": against,
        "n": len(frame),
        "summaries": frame["unit"].nunique() if len(frame) else 0,
        "negatives": int((frame[label] == negative).sum()) if len(frame) else 0,
    }
    truth = frame[label].to_numpy(dtype=float)
    stats: dict[str, WeightedStatistic] = {}
    if predicted is not None:
        calls = frame[predicted].to_numpy(dtype=float)
        stats["balanced_accuracy"] = lambda w: balanced_accuracy_w(truth, calls, w)
        stats["kappa"] = lambda w: cohen_kappa_w(truth, calls, w)
    if score is not None:
        scores = frame[score].to_numpy(dtype=float)
        stats["tau"] = lambda w: kendall_tau_w(scores, truth, w)
    for name in ("balanced_accuracy", "kappa", "tau"):
        if name not in stats or len(frame) < MIN_PAIRS:
            row[name], row[f"{name}_lo"], row[f"{name}_hi"] = math.nan, math.nan, math.nan
            continue
        row[name] = float(stats[name](np.ones((1, len(frame))))[0])
        row[f"{name}_lo"], row[f"{name}_hi"] = bootstrap_ci(
            frame["unit"].tolist(), stats[name], n_boot=n_boot, seed=seed
        )
    return row


def _claim_rows(claims: pd.DataFrame, n_boot: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    for source, frame in claims.groupby("source", sort=False):
        with_verdict = frame[frame["verdict"].notna()].astype({"verdict": int})
        row = _row(
            with_verdict, "claim", str(source), "supported / unsupported", "label", "verdict", None, n_boot, seed
        )
        tau = _row(frame[frame["score"].notna()], "claim", str(source), "", "label", None, "score", n_boot, seed)
        row.update({k: tau[k] for k in ("tau", "tau_lo", "tau_hi")})
        row["no_verdict"] = int(frame["verdict"].isna().sum())
        rows.append(row)
    return rows


def _area_rows(areas: pd.DataFrame, n_boot: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    decided = areas[areas["label"].isin(["covered", "missed"])].copy()
    decided["covered"] = (decided["label"] == "covered").astype(int)
    for area in (None, *FOCUS_AREAS):
        part = decided if area is None else decided[decided["area"] == area]
        if part.empty:
            continue
        suffix = "" if area is None else f" ({area})"
        flagged = part[part["addressed"].notna()].astype({"addressed": int})
        rows.append(
            _row(
                flagged,
                "area",
                f"addressed{suffix}",
                "covered / missed",
                "covered",
                "addressed",
                "addressed",
                n_boot,
                seed,
            )
        )
        scored = part[part["coverage"].notna()].copy()
        scored["coverage_at"] = (scored["coverage"].astype(float) >= COVERED_AT).astype(int)
        rows.append(
            _row(
                scored,
                "area",
                f"coverage score{suffix}",
                f"covered / missed (≥ {COVERED_AT} = covered)",
                "covered",
                "coverage_at",
                "coverage",
                n_boot,
                seed,
            )
        )
    if (areas["label"] == "not_in_source").any():
        thin = areas.copy()
        thin["absent"] = (thin["label"] == "not_in_source").astype(int)
        thin["thin_call"] = thin["thin"].astype(int)
        rows.append(
            _row(
                thin,
                "area",
                "thin in source (coverage None)",
                "not_in_source / in source",
                "absent",
                "thin_call",
                None,
                n_boot,
                seed,
                negative=1,
            )
        )
    return rows


def _summary_rows(summaries: pd.DataFrame, n_boot: int, seed: int) -> list[dict[str, Any]]:
    if summaries.empty:
        return []
    declared = metric_columns()
    rows = []
    targets = (
        ("human_supported", "share of claims labelled supported"),
        ("human_covered", "share of areas labelled covered"),
    )
    for target, against in targets:
        for column in summaries.columns:
            spec = declared.get(column)
            if spec is None or spec.kind != "score":
                continue
            coverage_like = column.startswith("coverage") or column == "judge_focus"
            if (target == "human_covered") != coverage_like:
                continue
            frame = summaries[["unit", target, column]].dropna()
            row = _row(frame, "summary", spec.label, against, target, None, column, n_boot, seed)
            row["negatives"] = math.nan
            rows.append(row)
    return rows


TABLE_COLUMNS = [
    "level", "metric", "against", "n", "summaries", "negatives", "no_verdict",
    "balanced_accuracy", "balanced_accuracy_lo", "balanced_accuracy_hi",
    "kappa", "kappa_lo", "kappa_hi", "tau", "tau_lo", "tau_hi",
]  # fmt: skip


def agreement_from(data: LabelData, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    rows = _claim_rows(data.claims, n_boot, seed) + _area_rows(data.areas, n_boot, seed)
    rows += _summary_rows(data.summaries, n_boot, seed)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def agreement_table(run: Run | str | Path, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Agreement of every claim verdict, the coverage calls and every score column with the run's labels.

    One row per metric and level; ``negatives`` counts the labels of the rarer kind (unsupported
    claims, missed areas); ``no_verdict`` counts labelled claims the metric gave no verdict on.
    CIs are 95% percentile intervals over ``n_boot`` resamples of the summaries (``seed``).
    """
    return agreement_from(collect(run), n_boot, seed)


def _fmt(value: float, low: float, high: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if low is None or math.isnan(low):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table for reading: each statistic as 'value [low, high]'."""
    out = table[["level", "metric", "against", "n", "summaries", "negatives"]].copy()
    for name, label in (("balanced_accuracy", "balanced accuracy"), ("kappa", "Cohen's κ"), ("tau", "Kendall τ")):
        out[label] = [_fmt(v, lo, hi) for v, lo, hi in zip(table[name], table[f"{name}_lo"], table[f"{name}_hi"])]
    out["negatives"] = out["negatives"].map(lambda v: "–" if pd.isna(v) else int(v))
    return out
