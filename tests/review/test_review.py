"""The review session (state, navigation, saving) and its widget's handlers, without a browser."""

from __future__ import annotations

import json

import pytest

from bizsum.errors import InputError
from bizsum.nlp.claims import split_claims
from bizsum.records import GenerationRecord, ReviewRecord, ScoreRecord, load_reviews, summary_hash, to_row
from bizsum.review import ReviewSession

SUMMARY_A = "Acme sells widgets to retailers. Revenue comes from widget sales; Acme is funded by bank loans."
SUMMARY_B = "Acme sells through distributors. Its customers are retailers."


def _write(path, records):
    path.write_text("".join(json.dumps(to_row(r)) + "\n" for r in records), encoding="utf-8")


@pytest.fixture
def run(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    gens = [
        GenerationRecord(doc_id="d", prompt_id=p, model_id="m", sample=0, provider="fake", model="m", text=t)
        for p, t in (("p1", SUMMARY_A), ("p2", SUMMARY_B))
    ]
    gens.append(
        GenerationRecord(doc_id="d", prompt_id="p3", model_id="m", sample=0, provider="fake", model="m", error="boom")
    )
    _write(folder / "generations.jsonl", gens)
    claims_a = split_claims(SUMMARY_A)
    details = {
        "source_only": {
            "claims": [
                {"text": claims_a[0], "verdict": "supported", "score": 0.91, "evidence": "Acme sells widgets to retailers.", "reasons": []},
                {"text": claims_a[1], "verdict": "supported", "score": 0.8, "evidence": "Revenue is widget sales.", "reasons": []},
                {"text": claims_a[2], "verdict": "unsupported", "score": 0.2, "evidence": "", "reasons": ["no source passage supports it"]},
            ]
        },
        "judge_claims": {"claims": [{"text": claims_a[2], "verdict": "unsupported", "score": 0.1, "reason": "The filing names a credit line.", "evidence": ["We have a credit line."]}]},
        "focus_coverage": {
            "areas": {
                "financing": {
                    "thin_in_source": False,
                    "summary_sentences": [claims_a[2]],
                    "key_content_carried": [],
                    "key_content_missing": [{"passage": "We have a revolving credit line.", "carry": 0.2}],
                    "source_passages": ["We have a revolving credit line."],
                }
            }
        },
    }  # fmt: skip
    score = ScoreRecord(
        doc_id="d", prompt_id="p1", model_id="m", sample=0, summary_sha=summary_hash(SUMMARY_A),
        values={"coverage_financing": 0.2, "addressed_financing": True}, details=details,
    )  # fmt: skip
    stale = ScoreRecord(
        doc_id="d",
        prompt_id="p2",
        model_id="m",
        sample=0,
        summary_sha=summary_hash("an older summary"),
        details=details,
    )
    _write(folder / "scores.jsonl", [score, stale])
    return folder


def test_items_claims_verdicts_and_areas(run):
    session = ReviewSession(run)
    assert len(session.items) == 2 and session.position == "1 / 2"  # the failed cell is not shown
    item = session.item
    assert [c.text for c in item.claims] == split_claims(SUMMARY_A)
    third = item.claims[2]
    by_source = {v.source: v for v in third.verdicts}
    assert by_source["source_only"].verdict == "unsupported" and by_source["source_only"].reasons == [
        "no source passage supports it"
    ]
    assert by_source["judge_claims"].reasons == ["The filing names a credit line."]
    assert by_source["judge_claims"].evidence == ["We have a credit line."]
    financing = next(a for a in item.areas if a.area == "financing")
    assert financing.coverage == 0.2 and financing.addressed is True
    assert financing.missing[0]["passage"] == "We have a revolving credit line."
    second = session.next()
    assert not second.scored and all(not c.verdicts for c in second.claims)  # its score row is of another summary


def test_labels_are_appended_keyed_by_summary_and_claim_and_replace_earlier_ones(run):
    session = ReviewSession(run, reviewer="ann")
    session.mark_claim(2, "supported")
    session.mark_claim(2, "unsupported", "the filing names a credit line, not bank loans")
    session.mark_area("financing", "covered")
    rows = [json.loads(line) for line in (run / "reviews.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3  # appended, never rewritten
    latest = {r.target: r for r in load_reviews(run / "reviews.jsonl")}
    claim = latest[(summary_hash(SUMMARY_A), "claim", split_claims(SUMMARY_A)[2])]
    assert claim.label == "unsupported" and claim.reviewer == "ann" and claim.prompt_id == "p1"
    assert claim.comment.startswith("the filing")
    # a comment alone updates the label's comment; a label keeps the comment given before
    session.comment_area("financing", "only the credit line")
    session.mark_area("financing", "missed")
    assert session.area_label("financing").comment == "only the credit line"
    with pytest.raises(ValueError, match="labelled"):
        session.mark_claim(0, "covered")


def test_labels_survive_a_new_session_and_never_move_to_a_changed_summary(run):
    session = ReviewSession(run)
    for i in range(len(session.item.claims)):
        session.mark_claim(i, "supported")
    assert ReviewSession(run).claim_label(0).label == "supported"  # read back from reviews.jsonl
    # the summary of p1 is regenerated: its old labels do not show on the new text
    gens = [
        GenerationRecord(
            doc_id="d", prompt_id="p1", model_id="m", sample=0, provider="fake", model="m", text=SUMMARY_A + " New."
        ),
        GenerationRecord(
            doc_id="d", prompt_id="p2", model_id="m", sample=0, provider="fake", model="m", text=SUMMARY_B
        ),
    ]
    _write(run / "generations.jsonl", gens)
    fresh = ReviewSession(run)
    assert fresh.claim_label(0) is None and not fresh.item.scored


def test_navigation_and_progress(run):
    session = ReviewSession(run)
    assert session.previous().key.prompt_id == "p1"  # clamped at the start
    assert session.go(99).key.prompt_id == "p2"
    session.go(0)
    for i in range(len(session.item.claims)):
        session.mark_claim(i, "supported")
    for area in ("sources_of_revenue", "customer_base", "products", "distribution_channels", "financing"):
        session.mark_area(area, "covered")
    assert session.complete()
    assert session.next_unlabelled().key.prompt_id == "p2"
    progress = session.progress()
    assert progress["complete"] == 1 and progress["claims_labelled"] == 3 and progress["areas_labelled"] == 5


def test_not_a_run_folder(tmp_path):
    with pytest.raises(InputError, match=r"no generations\.jsonl"):
        ReviewSession(tmp_path)


def test_widget_handlers_save_labels(run):
    pytest.importorskip("ipywidgets")
    from bizsum.review.widget import ReviewWidget

    view = ReviewWidget(ReviewSession(run))
    assert (
        "Acme sells widgets" in view.summary.value
        and "source_only: unsupported 0.20" in view.claims.children[2].children[0].value
    )
    view.claim_comments[2].value = "bank loans are not in the filing"  # a comment before the label: kept for it
    view.claim_buttons[2].value = "unsupported"  # a click on a toggle button
    view.area_buttons["financing"].value = "missed"
    latest = load_reviews(run / "reviews.jsonl")
    assert {(r.kind, r.label) for r in latest} == {("claim", "unsupported"), ("area", "missed")}
    claim = next(r for r in latest if r.kind == "claim")
    assert claim.comment == "bank loans are not in the filing" and "saved" in view.status.value
    view.next_button.click()
    assert view.session.index == 1 and "distributors" in view.summary.value
    assert all(b.value is None for b in view.claim_buttons)  # nothing labelled on the second summary
    view.previous_button.click()
    assert view.claim_buttons[2].value == "unsupported" and view.area_buttons["financing"].value == "missed"
    assert isinstance(ReviewRecord.model_validate(to_row(claim)), ReviewRecord)


def test_uncertain_claims_come_first_and_count_as_no_violation():
    """source_only v5's third verdict: shown to the reviewer first, not a violation in agreement."""
    from types import SimpleNamespace

    from bizsum.analysis.agreement import claim_verdicts
    from bizsum.review.session import _claim_views

    text = "Acme sells software to banks. Acme is the leading vendor in Europe."
    details = {
        "source_only": {
            "claims": [
                {"text": "Acme sells software to banks.", "verdict": "supported", "score": 0.9},
                {"text": "Acme is the leading vendor in Europe.", "verdict": "uncertain", "score": 0.4},
            ]
        }
    }
    assert claim_verdicts(details)["source_only"]["Acme is the leading vendor in Europe."] == (1, 0.4)
    views = _claim_views(text, SimpleNamespace(details=details))
    assert views[0].text == "Acme is the leading vendor in Europe."
    assert views[0].verdicts[0].verdict == "uncertain"


def test_the_run_folder_is_found_from_a_subfolder_and_a_saved_widget_says_how_to_start_it(run, monkeypatch):
    pytest.importorskip("ipywidgets")
    from bizsum.review.widget import STAND_IN, review

    notebooks = run.parent / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)  # JupyterLab's working directory for notebooks/review.ipynb
    widget = review(run.name)
    # what an executed notebook keeps where the widget was: how to start it, not "VBox(children=...)"
    assert widget._repr_mimebundle_()["text/plain"] == STAND_IN
    assert "Run All Cells" in STAND_IN
