"""What a reader sees, checked in headless Chromium on the screen rather than in the DOM: every
table shows its rows, every in-page link lands on something, each count is the same wherever it
appears, the charts' text is big enough to read, and the verdict fits a phone screen.

Each of these caught a bug of an earlier report (issue 19): run them against any report with
``BIZSUM_BROWSER_REPORT=path/to/report.html pytest -m browser tests/browser/test_report_reading.py``."""

from __future__ import annotations

import re

import pytest

from tests.browser.cdp import CHROMIUM, Browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]

#: the tables of the page that a reader should see (not those inside a collapsed <details>)
VISIBLE_ROWS = """(() => {
  const out = [];
  for (const table of document.querySelectorAll('main table.bz, main table.display')) {
    if (table.closest('details:not([open])') || table.closest('.dtsp-panesContainer')) continue;
    const row = table.querySelector('tbody tr');
    const name = table.id || (table.caption ? table.caption.innerText.slice(0, 40) : '?');
    if (!row) { out.push({name, ok: false, why: 'no row'}); continue; }
    row.scrollIntoView({block: 'center'});
    const box = row.getBoundingClientRect();
    const style = getComputedStyle(row);
    const hidden = !!row.closest('[hidden]') || style.visibility === 'hidden' || row.offsetParent === null;
    const inView = box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
    out.push({name, ok: box.width > 0 && box.height > 0 && !hidden && inView,
              why: JSON.stringify({w: box.width, h: box.height, hidden, inView})});
  }
  return out;
})()"""


@pytest.fixture(scope="module")
def page(report_html):
    browser = Browser()
    try:
        browser.open(report_html.as_uri())
        browser.wait_js("document.readyState === 'complete'")
        # the interactive tables draw after load
        browser.wait_js(
            "document.querySelectorAll('.dt-container').length > 0 || !document.querySelector('table.display')"
        )
        yield browser
    finally:
        browser.close()


def test_every_table_shows_its_rows_on_screen(page):
    tables = page.js(VISIBLE_ROWS)
    assert len(tables) >= 5
    unseen = [(t["name"], t["why"]) for t in tables if not t["ok"]]
    assert unseen == []


def test_every_element_id_is_unique(page):
    duplicates = page.js(
        "(() => { const seen = {}; for (const e of document.querySelectorAll('[id]')) seen[e.id] = (seen[e.id]||0)+1;"
        " return Object.keys(seen).filter(k => seen[k] > 1); })()"
    )
    assert duplicates == []


def test_every_in_page_link_has_a_target(page):
    missing = page.js(
        "Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => a.getAttribute('href').slice(1))"
        ".filter(h => h && !document.getElementById(decodeURIComponent(h)))"
    )
    assert missing == [], f"{len(missing)} links without a target, e.g. {missing[:5]}"


def test_card_headers_count_what_their_bodies_list(page):
    cards = page.js(
        "Array.from(document.querySelectorAll('details.card[id^=card-]')).map(c => ({"
        " id: c.id, header: c.querySelector(':scope > summary').innerText,"
        " flags: c.querySelectorAll(':scope > .flag').length,"
        " unsupported: c.querySelectorAll('ul.claims li > .claim-unsupported').length,"
        " body: Array.from(c.querySelectorAll(':scope > .flag')).map(f => f.innerText).join(' | ')}))"
    )
    assert cards
    wrong = []
    for card in cards:
        shown = re.search(r"⚠ (\d+)( problems?)?", card["header"])
        if card["flags"] and not (shown and shown.group(2) and int(shown.group(1)) == card["flags"]):
            wrong.append((card["id"], card["header"][-30:], card["flags"]))
        claimed = re.search(r"(\d+) claim\(s\) not supported", card["body"])
        if claimed and int(claimed.group(1)) != card["unsupported"]:
            wrong.append((card["id"], claimed.group(0), card["unsupported"]))
    assert wrong == []


def test_the_compliance_box_and_the_status_filter_count_the_same_summaries(page):
    text = page.js("document.querySelector('#verdict').innerText")
    broke = int(re.search(r"(\d+) of \d+ summaries broke a rule", text).group(1))
    statuses = page.js(
        "(() => { const t = Array.from(document.querySelectorAll('#summaries table.display'))"
        ".find(t => t.tHead && t.tBodies.length && t.closest('.dt-container'));"
        " const select = t.closest('.dt-container').querySelector('.dt-length select');"
        " select.value = '100'; select.dispatchEvent(new Event('change'));"
        " const head = Array.from(t.tHead.rows[0].cells).map(th => th.innerText.trim());"
        " const col = head.indexOf('status');"
        " return Array.from(t.tBodies[0].rows).map(r => r.cells[col].innerText.trim()); })()"
    )
    assert statuses.count("broke a rule") == broke


@pytest.mark.parametrize("width", [1400, 390])
def test_chart_text_is_big_enough_to_read(report_html, width):
    browser = Browser()
    try:
        browser.open(report_html.as_uri(), width=width, height=900, mobile=width < 500)
        sizes = browser.js(
            "Array.from(document.querySelectorAll('#charts figure img')).map(i => ({"
            " pt: parseFloat(i.dataset.fontPt || '7'), dpi: parseFloat(i.dataset.dpi || '110'),"
            " scale: i.getBoundingClientRect().width / i.naturalWidth}))"
        )
    finally:
        browser.close()
    assert sizes
    smallest = min(s["pt"] * s["dpi"] / 72 * s["scale"] for s in sizes)
    assert smallest >= 8.5, f"the smallest chart text is {smallest:.1f} px on a {width} px screen"


def test_the_verdict_fits_one_phone_screen(report_html):
    browser = Browser()
    try:
        browser.open(report_html.as_uri(), width=390, height=844, mobile=True)
        box = browser.js(
            "(() => { const s = document.getElementById('verdict'); const r = s.getBoundingClientRect();"
            " return {top: r.top + scrollY, bottom: r.bottom + scrollY,"
            " width: document.documentElement.scrollWidth}; })()"
        )
    finally:
        browser.close()
    assert box["bottom"] <= 844, box
    assert box["width"] <= 390, box  # nothing wider than the phone


def test_print_fits_a4_and_letter_without_a_forced_size(report_html, tmp_path):
    """No @page size: the printer's paper wins; every printed table fits the narrower A4 width."""
    html = report_html.read_text(encoding="utf-8")
    assert not re.search(r"@page\s*\{[^}]*size\s*:", html)
    browser = Browser()
    try:
        # A4 content width with 12 mm margins: 186 mm at 96 px per inch
        browser.open(report_html.as_uri(), width=int(186 / 25.4 * 96), height=1000)
        browser.send("Emulation.setEmulatedMedia", {"media": "print"})
        wide = browser.js(
            "(() => { const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('table'))"
            ".filter(t => t.offsetParent !== null && t.getBoundingClientRect().right > w + 1)"
            ".map(t => (t.id || (t.caption && t.caption.innerText) || '?').slice(0, 50)); })()"
        )
        headings = browser.js(
            "Array.from(document.querySelectorAll('h2, h3')).filter(h => h.offsetParent !== null)"
            ".map(h => getComputedStyle(h).breakAfter)"
        )
    finally:
        browser.close()
    assert wide == []
    assert headings and set(headings) == {"avoid"}


def test_side_by_side_sorts_by_a_criterion_hides_what_is_the_same_and_links_to_cards_and_back(report_html):
    browser = Browser()
    try:
        browser.open(report_html.as_uri())
        first = "document.querySelector('#sbs .sbs-doc:not([hidden])')"
        # sort by a criterion: the cells of the shown document in its order, best first
        option = browser.js(
            "(() => { const s = document.getElementById('sbs-sort'); const o = Array.from(s.options)"
            ".find(o => o.dataset.dir === 'higher'); s.value = o.value; s.dispatchEvent(new Event('change'));"
            " return o.value; })()"
        )
        values = browser.js(
            f"Array.from({first}.querySelectorAll('.sbs-cell')).map(c => parseFloat(c.dataset.{option}))"
            ".filter(v => !isNaN(v))"
        )
        assert len(values) >= 2 and values == sorted(values, reverse=True)
        # different only: a summary identical to one shown and scores equal in every cell are hidden
        before = browser.js(f"{first}.querySelectorAll('.sbs-cell:not(.sbs-same)').length")
        browser.js(
            "const d = document.getElementById('sbs-diff'); d.checked = true; d.dispatchEvent(new Event('change'))"
        )
        texts = browser.js(f"Array.from({first}.querySelectorAll('.sbs-cell:not(.sbs-same)')).map(c => c.dataset.text)")
        assert len(texts) == len(set(texts)) and len(texts) <= before
        # cell -> card (opened, on screen) -> back to the cell (on screen)
        card = browser.js(f"{first}.querySelector('.sbs-cell a[href^=\"#card-\"]').getAttribute('href').slice(1)")
        browser.js(f"location.hash = '#{card}'")
        browser.wait_js(f"document.getElementById('{card}').open === true")
        back = browser.js(f"document.getElementById('{card}').querySelector('a[href^=\"#sbs-\"]').getAttribute('href')")
        browser.js(f"location.hash = '{back}'")
        box = browser.wait_js(
            f"(() => {{ const r = document.getElementById('{back[1:]}').getBoundingClientRect();"
            " return r.height > 0 && r.top >= 0 && r.top < innerHeight ? r.top + 1 : 0; })()"
        )
        assert box
    finally:
        browser.close()
