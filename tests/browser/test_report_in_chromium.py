"""The CI report as a reader sees it, in headless Chromium (Debian's `chromium`, driven over the
DevTools protocol): the verdict on the first screen, every headline number on paper, an inert
`<script>` summary, working filters, and no request leaving the machine.

Run with `make test-browser` (`.ci/run` runs it as its own step after `make test`)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import pandas as pd
import pytest

from bizsum.report.html import format_value
from tests.browser.cdp import CHROMIUM, Browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (apt-get install poppler-utils)"),
]

LOCAL = ("file:", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def page(ci_report):
    browser = Browser()
    try:
        browser.open((ci_report / "report.html").as_uri())
        browser.wait_js("document.querySelector('#summaries_table_wrapper .dtsp-searchPane') !== null", 60)
        yield browser
    finally:
        browser.close()


def test_the_verdict_is_on_the_first_screen(page):
    box = page.js(
        "(() => { const s = document.getElementById('verdict'); const lead = s.querySelector('.lead');"
        " const card = s.querySelector('.vcard'); return {top: s.getBoundingClientRect().top,"
        " lead: lead.getBoundingClientRect().bottom, card: card.getBoundingClientRect().bottom,"
        " text: lead.innerText}; })()"
    )
    assert box["top"] < 200 and box["lead"] < 900 and box["card"] < 900, box
    assert box["text"].startswith("No LLM configuration beats the best baseline on any of the 9 criteria")


def test_nothing_is_requested_from_outside_and_no_script_from_a_summary_runs(page):
    remote = [url for url in page.requests() if not url.startswith(LOCAL)]
    assert remote == []
    assert page.js("window.__dialogs") == 0
    # the misbehaving summary's <script> is shown as text, and no script element carries it
    assert page.js("document.body.innerText.includes(\"<script>alert('x')</script>\")") is True
    assert page.js("Array.from(document.scripts).some(s => s.textContent.includes(\"alert('x')\"))") is False


def _rows(page, table):
    """The visible rows of a table, each as its cells' text."""
    return page.js(
        f"Array.from(document.querySelectorAll('table#{table}_table > tbody > tr'))"
        ".map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )


def _click_pane(page, table, label):
    page.js(
        f"Array.from(document.querySelectorAll('#{table}_table_wrapper .dtsp-searchPane span.dtsp-name'))"
        f".find(s => s.getAttribute('title') === {label!r}).closest('td').click()"
    )


def _clear_panes(page, table):
    page.js(f"document.querySelector('#{table}_table_wrapper button.dtsp-clearAll').click()")


def test_the_filters_work(page, ci_report):
    frame = pd.read_csv(ci_report / "headline.csv")
    total = int(frame["summaries"].sum())
    page.js(
        "document.querySelector('#summaries_table_wrapper .dt-length select').value = '100';"
        "document.querySelector('#summaries_table_wrapper .dt-length select').dispatchEvent(new Event('change'))"
    )
    assert len(_rows(page, "summaries")) == total == 16
    # failures only
    _click_pane(page, "summaries", "broke a rule")
    flagged = _rows(page, "summaries")
    assert 0 < len(flagged) < total and all(row[4] == "broke a rule" for row in flagged)
    _clear_panes(page, "summaries")
    # one model, one prompt, one document
    _click_pane(page, "summaries", "fake-misbehaving")
    assert len(_rows(page, "summaries")) == 4
    _click_pane(page, "summaries", "focused")
    assert len(_rows(page, "summaries")) == 2
    _click_pane(page, "summaries", "AMZN_2024")
    rows = _rows(page, "summaries")
    assert len(rows) == 1 and rows[0][:3] == ["AMZN_2024", "focused", "fake-misbehaving"]
    _clear_panes(page, "summaries")
    # text search
    page.js(
        "const i = document.querySelector('#summaries_table_wrapper input[type=search]'); i.value = 'department';"
        "i.dispatchEvent(new Event('input', {bubbles: true})); i.dispatchEvent(new KeyboardEvent('keyup'))"
    )
    page.wait_js("document.querySelectorAll('table#summaries_table > tbody > tr').length < 16")
    rows = _rows(page, "summaries")
    assert rows and all("department" in " ".join(row).lower() for row in rows)
    # side by side: one document at a time
    shown = page.js("Array.from(document.querySelectorAll('#sbs .sbs-doc')).filter(d => !d.hidden).length")
    assert shown == 1 and page.js("document.querySelectorAll('#sbs .sbs-doc').length") == 2


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_headline_number_is_on_paper(page, ci_report, tmp_path, paper):
    from bizsum.analysis.tables import headline_columns

    pdf = page.pdf(tmp_path / "report.pdf", paper=paper)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        ).group(1)
    )
    assert pages <= 12, pages
    frame = pd.read_csv(ci_report / "headline.csv")
    # a baseline is printed once (it ignores the prompt): its row for the first prompt stands for it
    twin = (frame["kind"] == "baseline") & frame.sort_values(["model", "prompt"]).duplicated("model").reindex(
        frame.index
    )
    frame = frame[~twin]
    assert len(frame) == 6  # 2 prompts × 2 fake LLMs + 2 baselines
    words = re.sub(r"\s+", " ", text)
    missing = []
    for column in headline_columns():
        if column.name not in frame:
            continue
        assert column.label.split(" (")[0] in words, column.label
        for value in frame[column.name]:
            if isinstance(value, float) and math.isnan(value):
                continue
            shown = format_value(float(value), kind=column.kind)
            if shown not in words:
                missing.append((column.name, shown))
    assert missing == []
    assert "No LLM configuration beats the best baseline" in words and "Compliance" in words
