"""The report's HTML pieces: escaping, claim highlighting, token-limit mark, side by side, page."""

import re

import pandas as pd

from bizsum.analysis.tables import all_columns, problems_of
from bizsum.report import cards, page
from bizsum.report.data import ReportData, ReportTables
from bizsum.report.html import Span, interactive_table, locate, marked_text
from bizsum.report.sections import side_by_side

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
    return pd.Series(row, name=0)


def test_a_card_escapes_everything_and_marks_claims_format_and_limit():
    context = cards.Context(
        {"seed": "Summarize {document}"},
        {"D<1>": {"ref": "<i>ref</i>"}},
        cards.SourcePassages({"D<1>": "ZCMI sells goods in Utah."}),
        problems={0: problems_of(_row())},
        columns=all_columns(),
    )
    html = cards.card(_row(), context)
    assert (
        "<script>alert" not in html and "<img src=x" not in html and "<b>e</b>" not in html and "<i>ref</i>" not in html
    )
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert 'class="claim-supported' in html and 'class="claim-unsupported' in html
    assert "fmt-html" in html and "limit-mark" in html and "over-limit" in html
    assert "not continuous text: inline HTML" in html  # the problem list names it
    assert 'Claims: 2 checked, <span class="n-unsupported">1</span> not supported' in html
    assert "(support 0.10)" in html and "p = " not in html  # a support probability is not a p-value
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


def _data(frame):
    frame = frame.reset_index(drop=True)
    kinds = {(str(p), str(m)): str(k) for p, m, k in zip(frame.prompt_id, frame.model_id, frame.model_kind)}
    tables = ReportTables(kinds=kinds, columns=all_columns(), problems=frame.apply(problems_of, axis=1))
    return ReportData(None, frame, {}, tables=tables)


def test_side_by_side_and_interactive_tables_keep_script_text_inert():
    frame = pd.DataFrame([_row(), _row(prompt_id="focused", text="Fine.")])
    html = side_by_side.render(_data(frame))
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    table = interactive_table(pd.DataFrame([{"a": "&lt;script&gt;"}]), "t")
    assert "new ITable(" in table and "unpkg" not in table and "https://" not in table.split("<script")[1]


def test_the_page_embeds_the_table_library_once_and_loads_nothing_remote():
    table = interactive_table(pd.DataFrame([{"a": "1"}]), "one") + interactive_table(pd.DataFrame([{"a": "2"}]), "two")
    html = page.render("t", [page.Section("s", "S", table)])
    assert html.count("window._itables") >= 1 and html.count("injectModule(") == 2  # defined once, called once
    assert 'src="http' not in html and '<link href="http' not in html and "@import" not in html
    assert '<meta name="viewport"' in html and "@media print" in html and "@media (max-width:700px)" in html


def _ids_and_links(html):
    return set(re.findall(r'\bid="([^"]+)"', html)), set(re.findall(r'href="#([^"]+)"', html))


def test_a_card_header_counts_the_problems_its_body_lists_and_every_link_has_a_target():
    # three unsupported claims, one of them not in the text: one problem line, three flagged claims
    row = _row(text="A. B. C.", unsupported_claims=3)
    claims = [
        {"text": "A.", "verdict": "unsupported", "score": 0.1, "evidence": "ZCMI sells goods"},
        {"text": "B.", "verdict": "unsupported", "score": 0.2, "evidence": "not in the source at all"},
        {"text": "Z.", "verdict": "unsupported", "score": 0.3},
        {"text": "C.", "verdict": "supported", "score": 0.9},
    ]
    row["details"] = {"source_only": {"claims": claims}}
    row["has_html"] = False
    context = cards.Context(
        {},
        {},
        cards.SourcePassages({"D<1>": "ZCMI sells goods in Utah."}),
        problems={0: problems_of(row)},
        columns=all_columns(),
    )
    html = cards.card(row, context)
    header = re.search(r'<span class="flag count">⚠ (\d+) problems?</span>', html)
    body = re.findall(r'<div class="flag">', html)
    assert header and int(header.group(1)) == len(body) == 1
    assert re.search(r'class="n-unsupported">(\d+)<', html).group(1) == "3"
    # the flag links to the first flagged claim in the text, every claim link and source link has a target
    ids, links = _ids_and_links(html + context.sources.render())
    assert links and links <= ids, links - ids
    assert any(link.endswith("-c0") for link in links) and not any(link.endswith("-c2") for link in links)


def test_marked_text_gives_every_anchor_a_target_when_spans_share_a_start():
    html = marked_text(
        "same claim", [Span(0, 10, "c", "", "x-c0"), Span(0, 10, "c", "", "x-c1"), Span(4, 4, "c", "", "x-c2")]
    )
    assert {"x-c0", "x-c1", "x-c2"} <= set(re.findall(r'id="([^"]+)"', html))


def test_side_by_side_cells_carry_scores_badges_and_links_to_their_cards_and_back():
    frame = pd.DataFrame(
        [
            _row(coverage=0.5),
            _row(prompt_id="focused", text="Fine.", coverage=0.9, has_html=False, unsupported_claims=0),
            _row(model_id="lead", model_kind="baseline", text="Lead.", coverage=0.7),
            _row(prompt_id="focused", model_id="lead", model_kind="baseline", text="Lead.", coverage=0.7),
        ]
    )
    data = _data(frame)
    frame = data.frame
    html = side_by_side.render(data)
    cells = re.findall(r'<div class="sbs-cell" id="([^"]+)"[^>]*data-coverage="([^"]*)"', html)
    assert len(cells) == 3  # the baseline once, not per prompt
    assert sorted(float(v) for _, v in cells) == [0.5, 0.7, 0.9]
    assert "⚠ not continuous text" in html and "Focus coverage" in html
    _, links = _ids_and_links(html)
    card_ids = {cards.card_id(r.doc_id, r.prompt_id, r.model_id, r.sample) for r in frame.itertuples()}
    assert links <= card_ids  # cell -> card
    context = cards.Context(
        {}, {}, cards.SourcePassages(), columns=all_columns(), sbs_target=cards.side_by_side_targets(data)
    )
    backs = {re.search(r'href="#(sbs-[^"]+)"', cards.card(row, context)).group(1) for _, row in frame.iterrows()}
    assert backs == {ident for ident, _ in cells}  # card -> back to its cell (the baseline's twin to the one shown)


def test_each_section_is_a_module_with_an_id_a_title_and_a_render_of_report_data(tmp_path):
    from bizsum.config import ModelSpec, RunConfig
    from bizsum.report.data import compute
    from bizsum.report.sections import SECTIONS

    ids = [section.ID for section in SECTIONS]
    assert len(ids) == len(set(ids)) and ids[0] == "verdict" and ids[-1] == "appendix"
    config = RunConfig(
        name="empty",
        documents=["d"],
        prompts=["p"],
        models=[ModelSpec(id="m", provider="fake")],
        output_dir=str(tmp_path),
    )
    data = ReportData(config, pd.DataFrame(), {}, tables=compute(config, pd.DataFrame()))
    for section in SECTIONS:
        assert isinstance(section.TITLE, str) and isinstance(section.SCREEN_ONLY, bool)
        assert isinstance(section.render(data), str), section.ID


def test_uncertain_claims_are_marked_and_counted_apart_on_a_card():
    from types import SimpleNamespace

    from bizsum.report.cards import _claims_list

    claims = [
        {"text": "Acme sells software.", "verdict": "supported", "score": 0.9},
        {
            "text": "Acme leads its market.",
            "verdict": "uncertain",
            "score": 0.4,
            "reasons": ["the evidence is unclear"],
        },
        {"text": "Acme has no debt.", "verdict": "unsupported", "score": 0.1},
    ]
    context = SimpleNamespace(sources=SimpleNamespace(link=lambda doc_id, evidence: None))
    html = _claims_list({"doc_id": "acme"}, claims, "card-x", context, located={0, 1, 2})
    assert 'class="claim-uncertain"' in html
    assert '<span class="n-unsupported">1</span> not supported' in html
    assert '<span class="n-uncertain">1</span> uncertain' in html
