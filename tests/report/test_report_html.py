"""The report's HTML pieces: escaping, claim highlighting, token-limit mark, side by side, page."""

import pandas as pd

from bizsum.report import cards, page
from bizsum.report.html import Span, interactive_table, locate, marked_text

EVIL = "ZCMI sells goods. <script>alert('x')</script> <img src=x onerror=alert(1)>"


def _row(text=EVIL, **extra):
    details = {
        "source_only": {
            "claims": [
                {
                    "text": "ZCMI sells goods.",
                    "verdict": "supported",
                    "score": 0.9,
                    "evidence": "ZCMI sells goods in Utah.",
                    "reasons": [],
                },
                {
                    "text": "<script>alert('x')</script>",
                    "verdict": "unsupported",
                    "score": 0.1,
                    "evidence": "<b>e</b>",
                    "reasons": ["not in <source>"],
                },
            ]
        },
        "format": {
            "problems": [{"kind": "html", "line": "<script>", "offset": str(text.find("<script>"))}]
            if "<script>" in text
            else []
        },
        "token_limit": {"limit": 3, "limit_offset": 5},
    }
    row = {
        "doc_id": "D<1>",
        "prompt_id": "seed",
        "model_id": 'm"x',
        "sample": 0,
        "model_kind": "llm",
        "text": text,
        "details": details,
        "has_html": True,
        "unsupported_claims": 1,
        "tokens": 30,
    }
    row.update(extra)
    return pd.Series(row)


def test_a_card_escapes_everything_and_marks_claims_format_and_limit():
    context = cards._Context(
        {"seed": "Summarize {document}"},
        {"D<1>": {"ref": "<i>ref</i>"}},
        cards.SourcePassages({"D<1>": "ZCMI sells goods in Utah."}),
    )
    html = cards.card(_row(), context)
    assert (
        "<script>alert" not in html and "<img src=x" not in html and "<b>e</b>" not in html and "<i>ref</i>" not in html
    )
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert 'class="claim-supported' in html and 'class="claim-unsupported' in html
    assert "fmt-html" in html and "limit-mark" in html and "over-limit" in html
    assert "not continuous text: inline HTML" in html  # the problem list names it
    assert "Claims: 2 checked, 1 not supported" in html
    # the evidence links into the source text appended to the page
    assert 'href="#src-D-1-0"' in html and 'id="src-D-1-0"' in context.sources.render()


def test_marked_text_nests_overlapping_spans_and_inserts_points():
    text = "alpha beta gamma"
    html = marked_text(text, [Span(0, 10, "a", "A"), Span(6, 16, "b", "<B>")], [(11, "<i>|</i>")])
    assert html == (
        '<span class="a" title="A">alpha </span><span class="a b" title="A | &lt;B&gt;">beta</span>'
        '<span class="b" title="&lt;B&gt;"> </span><i>|</i><span class="b" title="&lt;B&gt;">gamma</span>'
    )


def test_locate_finds_claims_with_different_spacing_and_punctuation():
    text = "Revenue comes from  subscriptions,\nand services."
    assert locate(text, "subscriptions") == (20, 33)
    assert (
        text[slice(*locate(text, "comes from subscriptions and services"))]
        == "comes from  subscriptions,\nand services"
    )
    assert locate(text, "not there") is None


def test_side_by_side_and_interactive_tables_keep_script_text_inert():
    frame = pd.DataFrame([_row(), _row(prompt_id="focused", text="Fine.")])
    html = cards.side_by_side(frame)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    table = interactive_table(pd.DataFrame([{"a": "&lt;script&gt;"}]), "t")
    assert "new ITable(" in table and "unpkg" not in table and "https://" not in table.split("<script")[1]


def test_the_page_embeds_the_table_library_once_and_loads_nothing_remote():
    table = interactive_table(pd.DataFrame([{"a": "1"}]), "one") + interactive_table(pd.DataFrame([{"a": "2"}]), "two")
    html = page.render("t", [page.Section("s", "S", table)])
    assert html.count("window._itables") >= 1 and html.count("injectModule(") == 2  # defined once, called once
    assert 'src="http' not in html and '<link href="http' not in html and "@import" not in html
    assert '<meta name="viewport"' in html and "@media print" in html and "@media (max-width:700px)" in html
