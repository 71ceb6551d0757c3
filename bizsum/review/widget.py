"""The review widget for JupyterLab (ipywidgets): a thin view over :class:`ReviewSession`.

    from bizsum.review import review
    review("reports/demo")          # in a notebook cell

For the summary shown: the text, each claim with every metric's verdict, score, evidence passages
and reasons, buttons to mark it supported / unsupported and a comment box; each focus area with
the coverage values, the source passages and the key content carried or missed, buttons for
covered / missed / not_in_source and a comment box. Every click is saved at once to the run's
``reviews.jsonl``. Handlers only call the session; the tests drive them directly.
"""

from __future__ import annotations

import html
from typing import Any

from bizsum.review.session import AREA_LABELS, CLAIM_LABELS, ReviewSession

_STYLE = """<style>
.bzr{font:13px/1.45 system-ui,sans-serif}
.bzr .summary{white-space:pre-wrap;background:#fafafa;padding:6px 8px;border-left:3px solid #bbb;margin:4px 0}
.bzr .badge{display:inline-block;border-radius:3px;padding:0 5px;margin-right:4px;font-size:12px}
.bzr .supported{background:#e3f6e8}.bzr .unsupported{background:#fde2e2}.bzr .none{background:#eee}
.bzr details{margin:2px 0 4px 0}.bzr summary{cursor:pointer;color:#555}
.bzr .passage{color:#333;margin:2px 0 2px 10px;border-left:2px solid #ccc;padding-left:6px}
.bzr .muted{color:#777}
</style>"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _verdict_badges(claim: Any) -> str:
    if not claim.verdicts:
        return '<span class="badge none">not scored</span>'
    parts = []
    for v in claim.verdicts:
        css = v.verdict or "none"
        score = "" if v.score is None else f" {v.score:.2f}"
        parts.append(f'<span class="badge {css}">{esc(v.source)}: {esc(v.verdict or "no verdict")}{score}</span>')
    return "".join(parts)


def _claim_details(claim: Any) -> str:
    blocks = []
    for v in claim.verdicts:
        if not v.evidence and not v.reasons:
            continue
        reasons = "".join(f"<li>{esc(r)}</li>" for r in v.reasons)
        evidence = "".join(f'<div class="passage">{esc(p)}</div>' for p in v.evidence[:3])
        blocks.append(f"<b>{esc(v.source)}</b>{f'<ul>{reasons}</ul>' if reasons else ''}{evidence}")
    if not blocks:
        return ""
    return "<details><summary>evidence and reasons</summary>" + "".join(blocks) + "</details>"


def _area_html(area: Any) -> str:
    values = []
    if area.addressed is not None:
        values.append("addressed" if area.addressed else "not addressed")
    if area.coverage is not None:
        values.append(f"coverage {area.coverage:.2f}")
    if area.thin_in_source:
        values.append("thin in the source (not counted)")
    carried = "".join(f'<div class="passage">✓ {esc(e.get("passage"))}</div>' for e in area.carried[:4])
    missing = "".join(f'<div class="passage">✗ {esc(e.get("passage"))}</div>' for e in area.missing[:4])
    sentences = "".join(f'<div class="passage">{esc(s)}</div>' for s in area.summary_sentences[:4])
    passages = "".join(f'<div class="passage">{esc(p)}</div>' for p in area.source_passages[:6])
    return (
        f'<b>{esc(area.label)}</b> <span class="muted">{esc(", ".join(values) or "not scored")}</span>'
        + (
            f"<details><summary>key content carried / missed</summary>{carried}{missing}</details>"
            if carried or missing
            else ""
        )
        + (f"<details><summary>summary sentences on it</summary>{sentences}</details>" if sentences else "")
        + (f"<details><summary>source passages</summary>{passages}</details>" if passages else "")
    )


class ReviewWidget:
    """ipywidgets view of a :class:`ReviewSession`; ``.widget`` is what a notebook displays."""

    def __init__(self, session: ReviewSession):
        import ipywidgets as w

        self.w = w
        self.session = session
        self.header = w.HTML()
        self.summary = w.HTML()
        self.claims = w.VBox()
        self.areas = w.VBox()
        self.status = w.HTML()
        self.previous_button = w.Button(description="◀ Previous")
        self.next_button = w.Button(description="Next ▶")
        self.unlabelled_button = w.Button(description="Next unlabelled ▶▶")
        self.previous_button.on_click(lambda _: self._move(session.previous))
        self.next_button.on_click(lambda _: self._move(session.next))
        self.unlabelled_button.on_click(lambda _: self._move(session.next_unlabelled))
        self.claim_buttons: list[Any] = []
        self.claim_comments: list[Any] = []
        self.area_buttons: dict[str, Any] = {}
        self.area_comments: dict[str, Any] = {}
        self.widget = _panel(w)(
            [
                w.HTML(_STYLE),
                w.HBox([self.previous_button, self.next_button, self.unlabelled_button]),
                self.header,
                self.summary,
                w.HTML("<h4 class='bzr'>Claims</h4>"),
                self.claims,
                w.HTML("<h4 class='bzr'>Focus areas</h4>"),
                self.areas,
                self.status,
            ]
        )
        self.widget.add_class("bzr")
        self.render()

    # -- handlers (the tests call these) --------------------------------------------------------------

    def _move(self, step: Any) -> None:
        step()
        self.render()

    def on_claim(self, index: int, label: str | None) -> None:
        if label is None:
            return
        record = self.session.mark_claim(index, label, self.claim_comments[index].value)
        self._saved(f"claim {index + 1}: {record.label}")

    def on_claim_comment(self, index: int, comment: str) -> None:
        if self.session.comment_claim(index, comment) is not None:
            self._saved(f"comment on claim {index + 1}")

    def on_area(self, area: str, label: str | None) -> None:
        if label is None:
            return
        record = self.session.mark_area(area, label, self.area_comments[area].value)
        self._saved(f"{area}: {record.label}")

    def on_area_comment(self, area: str, comment: str) -> None:
        if self.session.comment_area(area, comment) is not None:
            self._saved(f"comment on {area}")

    def _saved(self, what: str) -> None:
        self._header()
        self.status.value = f"<span class='bzr muted'>saved {esc(what)} to {esc(self.session.rundir.reviews)}</span>"

    # -- drawing -------------------------------------------------------------------------------------

    def _header(self) -> None:
        item, counts, total = self.session.item, self.session.counts(), self.session.progress()
        doc, prompt, model, sample = item.key
        self.header.value = (
            f"<div class='bzr'><b>{esc(self.session.position)}</b> · {esc(doc)} · prompt {esc(prompt)} · "
            f"model {esc(model)} · sample {sample} · <span class='muted'>summary {esc(item.sha)}</span><br>"
            f"this summary: {counts['claims_labelled']}/{counts['claims']} claims, "
            f"{counts['areas_labelled']}/{counts['areas']} areas labelled · run: {total['complete']}/{total['summaries']} "
            f"summaries complete, {total['claims_labelled']} claims and {total['areas_labelled']} areas labelled"
            + ("" if item.scored else " · <b>not scored yet: no metric verdicts to show</b>")
            + "</div>"
        )

    def render(self) -> None:
        w, session = self.w, self.session
        item = session.item
        self._header()
        self.summary.value = f"<div class='bzr summary'>{esc(item.text)}</div>"
        self.claim_buttons, self.claim_comments, rows = [], [], []
        for i, claim in enumerate(item.claims):
            existing = session.claim_label(i)
            buttons = w.ToggleButtons(options=list(CLAIM_LABELS), value=existing.label if existing else None)
            comment = w.Text(
                value=existing.comment if existing else "",
                placeholder="comment",
                continuous_update=False,
                layout=w.Layout(width="260px"),
            )
            buttons.observe(lambda change, i=i: self.on_claim(i, change["new"]), names="value")
            comment.observe(lambda change, i=i: self.on_claim_comment(i, change["new"]), names="value")
            self.claim_buttons.append(buttons)
            self.claim_comments.append(comment)
            text = w.HTML(
                f"<div class='bzr'>{i + 1}. {esc(claim.text)}<br>{_verdict_badges(claim)}{_claim_details(claim)}</div>"
            )
            rows.append(w.VBox([text, w.HBox([buttons, comment])]))
        self.claims.children = rows
        self.area_buttons, self.area_comments, rows = {}, {}, []
        for area in item.areas:
            existing = session.area_label(area.area)
            buttons = w.ToggleButtons(options=list(AREA_LABELS), value=existing.label if existing else None)
            comment = w.Text(
                value=existing.comment if existing else "",
                placeholder="comment",
                continuous_update=False,
                layout=w.Layout(width="260px"),
            )
            buttons.observe(lambda change, a=area.area: self.on_area(a, change["new"]), names="value")
            comment.observe(lambda change, a=area.area: self.on_area_comment(a, change["new"]), names="value")
            self.area_buttons[area.area] = buttons
            self.area_comments[area.area] = comment
            rows.append(w.VBox([w.HTML(f"<div class='bzr'>{_area_html(area)}</div>"), w.HBox([buttons, comment])]))
        self.areas.children = rows
        self.status.value = ""


#: what a saved or headless-executed notebook shows where the widget would be (it needs a live kernel)
STAND_IN = (
    "The review widget appears here when this notebook runs in JupyterLab with a live kernel: "
    "open the notebook, then Run ▸ Run All Cells (ipywidgets needed: pip install 'bizsum[lab]')."
)


def _panel(w: Any) -> Any:
    """A VBox whose saved stand-in says how to start the widget (instead of ``VBox(children=...)``)."""

    class ReviewPanel(w.VBox):
        def _repr_mimebundle_(self, **kwargs: Any) -> Any:
            data = super()._repr_mimebundle_(**kwargs)
            data["text/plain"] = STAND_IN
            return data

    return ReviewPanel


def review(run_dir: Any, reviewer: str = "anonymous") -> Any:
    """Open the review widget over a run folder (display it in a notebook cell)."""
    return ReviewWidget(ReviewSession(run_dir, reviewer=reviewer)).widget
