"""Tests for ``bizsum ingest`` (whole 10-K → Item 1 text + metadata).

Fixtures in tests/fixtures/ingest/ are small cuts of real filings; see the comment at the top of each
file for where it was cut from and what was changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.errors import InputError
from bizsum.ingest import default_doc_id, ingest_filing, write_ingested
from bizsum.ingest.html_text import html_to_lines
from bizsum.ingest.item1 import furniture_flags, locate_item1
from bizsum.ingest.lines import PAGE_BREAK
from bizsum.ingest.metadata import company_slug, parse_date
from bizsum.ingest.plaintext import text_to_lines
from bizsum.nlp.text import normalize_text

FIXTURES = Path(__file__).parent / "fixtures"
AAPL = FIXTURES / "aapl_2024_toc_ixbrl.htm"
MA = FIXTURES / "ma_2024_running_headers_table.htm"
WMT = FIXTURES / "wmt_2025_heading_in_table.htm"
MEDICIS_HTML = FIXTURES / "medicis_1999_split_bold.html"
MEDICIS_TXT = FIXTURES / "medicis_1999_plaintext_submission.txt"
IBM = FIXTURES / "ibm_2024_incorporated_by_reference.htm"
ITEMS_1_2 = FIXTURES / "items_1_and_2_combined.html"

FILLER = (
    "The Company designs, manufactures and markets smartphones, personal computers, tablets, wearables "
    "and accessories, and sells a variety of related services to consumers and businesses worldwide. "
)


def lines_of(text: str) -> list[str]:
    return text.split("\n")


# --- whole fixtures -------------------------------------------------------------------------------


def test_aapl_skips_toc_and_hidden_ixbrl_header():
    result = ingest_filing(AAPL)
    assert result.start_heading == "Item 1. Business"
    assert result.end_heading == "Item 1A. Risk Factors"
    assert result.start_line == 19  # the real heading, not the TOC row "Item 1. | Business | 1" (line 10)
    text = result.text
    assert lines_of(text)[:3] == ["Item 1. Business", "", "Company Background"]
    assert text.endswith(
        "The information contained on the websites referenced in this Form 10-K is not incorporated by "
        "reference into this filing."
    )
    # hidden iXBRL facts, page footers, TOC and the next item are gone
    for absent in (
        "P1Y",
        "0000320193",
        "2023-10-01",
        "Apple Inc. | 2024 Form 10-K",
        "TABLE OF CONTENTS",
        "Item 1A",
        "Risk Factors",
    ):
        assert absent not in text
    # entities and non-breaking spaces are plain characters after normalization
    assert "iPhone® is the Company’s line of smartphones" in text
    assert "iPhone 16 Pro, iPhone 16" in text and "\u00a0" not in text
    # the paragraph cut by the page break is one paragraph again
    assert "compete primarily through aggressive pricing and very low cost structures" in text
    assert result.warnings == []  # "is not incorporated by reference" is not a cross-reference


def test_aapl_metadata_from_ixbrl():
    result = ingest_filing(AAPL)
    assert result.company == "Apple Inc."
    assert result.cik == "0000320193"
    assert result.form == "10-K"
    assert result.period_end == "2024-09-28"
    assert result.fiscal_year == 2024
    assert result.fiscal_year_focus == 2024
    assert result.ticker == "AAPL"
    assert result.accession == ""
    assert result.metadata_sources["company"] == "ixbrl:dei:EntityRegistrantName"
    assert default_doc_id(result) == "AAPL_2024"


def test_ma_running_headers_section_index_and_table():
    result = ingest_filing(MA)
    assert result.start_heading == "Item 1. Business"
    assert result.end_heading.casefold() == "item 1a. risk factors"
    text = result.text
    lines = lines_of(text)
    assert lines[0] == "Item 1. Business"
    assert text.count("Item 1. Business") == 1
    for absent in ("ITEM 1. BUSINESS", "PART I", "MASTERCARD 2024 FORM 10-K", "Item 1C", "RISK HIGHLIGHTS"):
        assert absent not in text
    # table rows: "$" glued to the value, "%" and ")" to the number, empty spacer cells dropped
    assert "Mastercard-branded Programs | (in billions) | % of Total GDV" in lines
    assert "Consumer Credit | $3,634 | 37%" in lines
    assert "Consumer Debit and Prepaid | 4,865 | 50%" in lines
    assert "Net loss | $(12) | —" in lines
    # a page-layout row (text beside a sidebar box) keeps its paragraphs
    assert "Key 2024 Developments" in lines
    assert "•In 2024, we began processing domestic transactions in China through our joint venture." in lines
    assert result.company == "Mastercard Incorporated" and result.fiscal_year == 2024


def test_wmt_heading_split_over_table_cells():
    result = ingest_filing(WMT)
    assert result.start_heading == "ITEM 1. BUSINESS"
    assert result.end_heading == "ITEM 1A. RISK FACTORS"
    lines = lines_of(result.text)
    assert lines[:3] == ["ITEM 1. BUSINESS", "", "General"]
    assert "Name | Business Experience | Current Position Held Since | Age" in lines
    assert (
        "John David Rainey | Executive Vice President and Chief Financial Officer, effective June 2022. | 2022 | 54"
        in lines
    )
    for page_number in ("6", "7", "13"):
        assert page_number not in lines
    assert "risks described below" not in result.text
    assert (result.company, result.ticker, result.fiscal_year, result.fiscal_year_focus) == (
        "WALMART INC.",
        "WMT",
        2025,
        2025,
    )
    assert result.period_end == "2025-01-31"


MEDICIS_EXPECTED = """Item 1: Business

The Company

Medicis is the leading independent pharmaceutical company in the United States focusing primarily on the treatment of dermatological conditions. The Company offers prescription products and an over-the-counter (“OTC”) product, emphasizing the clinical effectiveness, quality, affordability and cosmetic elegance of its products.

Prescription Pharmaceuticals

DYNACIN® is an oral, systemic antibiotic, available in 50-mg., 75-mg. and 100-mg. dosage forms, prescribed as an adjunctive therapy in the treatment of severe acne. Studies suggest that bacterial resistance to erythromycin exceeds 50% and resistance to doxycycline and tetracycline exceeds 50%, while the bacteria showed virtually no resistance to minocycline. The Company believes the retail price of DYNACIN® products is approximately 30% lower than the average reported retail price of another branded minocycline product, Minocin®, while selling at approximately 25% to 30% higher than the average reported retail price of generic minocycline.

Employees

As of June 30, 1999, the Company had 144 full-time employees."""


def test_medicis_1999_html_split_bold_heading_exact_text():
    result = ingest_filing(MEDICIS_HTML)
    assert result.start_heading == "Item 1: Business"
    assert result.end_heading == "Item 2: Properties"
    assert result.text == MEDICIS_EXPECTED  # cp1252 entities fixed, page number dropped, paragraph re-joined
    assert result.company == "MEDICIS PHARMACEUTICAL CORPORATION"  # cover page: line above "(Exact name ...)"
    assert result.form == "10-K"
    assert (result.period_end, result.fiscal_year) == ("1999-06-30", 1999)
    assert result.cik == "" and result.ticker == ""
    assert default_doc_id(result) == "MEDICIS_PHARMACEUTICAL_1999"


def test_medicis_1999_plain_text_sgml_submission():
    result = ingest_filing(MEDICIS_TXT)
    assert result.source_kind == "text"
    assert result.start_heading == "ITEM 1: BUSINESS"
    assert result.end_heading == "ITEM 2: PROPERTIES"
    lines = lines_of(result.text)
    assert lines[:3] == ["ITEM 1: BUSINESS", "", "THE COMPANY"]
    # hard-wrapped paragraphs are unwrapped; a hyphen at a line end is kept without a space
    assert (
        "The Company's research and development costs for Company-sponsored and unreimbursed co-sponsored "
        "pharmaceutical projects were as follows:"
    ) in lines
    # the paragraph continues across <PAGE>; the page number "2" is dropped
    assert "resistance to minocycline. The Company believes the retail price of DYNACIN(R) products" in result.text
    assert "2" not in lines and "<PAGE>" not in result.text
    # SGML table: tags and rules dropped, columns → cells
    assert "1999 | 1998 | 1997" in lines
    assert "Research and development costs | $3,396,000 | $2,885,000 | $1,450,000" in lines
    assert "ARTICLE" not in result.text  # the EX-27 document is not read
    assert result.accession == "0000950153-99-001234"
    assert result.cik == "0000859368"
    assert result.company == "MEDICIS PHARMACEUTICAL CORP"
    assert result.form == "10-K"
    assert (result.period_end, result.fiscal_year) == ("1999-06-30", 1999)
    assert result.metadata_sources["accession"] == "sgml:ACCESSION NUMBER"


def test_sgml_submission_wrapping_inline_xbrl(tmp_path):
    html = AAPL.read_text(encoding="utf-8")
    submission = (
        "<SEC-DOCUMENT>0000320193-24-000123.txt : 20241101\n"
        "<SEC-HEADER>0000320193-24-000123.hdr.sgml : 20241101\n"
        "ACCESSION NUMBER:\t\t0000320193-24-000123\n"
        "CONFORMED SUBMISSION TYPE:\t10-K\n"
        "CONFORMED PERIOD OF REPORT:\t20240928\n"
        "FILER:\n\tCOMPANY DATA:\t\n\t\tCOMPANY CONFORMED NAME:\t\t\tApple Inc.\n"
        "\t\tCENTRAL INDEX KEY:\t\t\t0000320193\n"
        "</SEC-HEADER>\n"
        "<DOCUMENT>\n<TYPE>10-K\n<SEQUENCE>1\n<FILENAME>aapl-20240928.htm\n<DESCRIPTION>10-K\n<TEXT>\n<XBRL>\n"
        f"{html}\n</XBRL>\n</TEXT>\n</DOCUMENT>\n"
        "<DOCUMENT>\n<TYPE>EX-21.1\n<SEQUENCE>2\n<TEXT>\n<html><body><p>Subsidiaries: Item 1. Business Apple Operations International</p></body></html>\n</TEXT>\n</DOCUMENT>\n"
        "</SEC-DOCUMENT>\n"
    )
    path = tmp_path / "0000320193-24-000123.txt"
    path.write_text(submission, encoding="utf-8")
    result = ingest_filing(path)
    assert result.text == ingest_filing(AAPL).text
    assert result.accession == "0000320193-24-000123"
    assert result.company == "Apple Inc."  # iXBRL wins over the SGML header
    assert result.cik == "0000320193"


def test_submission_without_10k_document(tmp_path):
    path = tmp_path / "8k.txt"
    path.write_text(
        "<SEC-HEADER>\nACCESSION NUMBER: 0001011438-98-000429\n</SEC-HEADER>\n<DOCUMENT>\n<TYPE>8-K\n<TEXT>\nhello\n</TEXT>\n</DOCUMENT>\n"
    )
    with pytest.raises(InputError, match=r"8k\.txt: no 10-K document in this submission \(document types: 8-K\)"):
        ingest_filing(path)


def test_items_1_and_2_combined_heading():
    result = ingest_filing(ITEMS_1_2)
    assert result.start_heading == "ITEMS 1 AND 2: BUSINESS AND PROPERTIES"
    assert result.end_heading == "ITEM 3: LEGAL PROCEEDINGS"
    lines = lines_of(result.text)
    assert lines[0] == "ITEMS 1 AND 2: BUSINESS AND PROPERTIES"
    assert (
        "(a) acquire, lease and sell equipment to generate revenues from operations sufficient to provide annual cash distributions to Limited Partners;"
        in lines
    )
    assert lines[-1].startswith("The Partnership had no employees during 2015")
    assert "FINRA" not in result.text and "Legal Proceedings" not in result.text
    assert result.company == "COMMONWEALTH INCOME & GROWTH FUND V"
    assert default_doc_id(result) == "COMMONWEALTH_INCOME_GROWTH_FUND_V_2015"


def test_item1_incorporated_by_reference_is_an_error():
    with pytest.raises(InputError) as info:
        ingest_filing(IBM)
    message = str(info.value)
    assert message.startswith(
        f"{IBM}: Item 1 (Business) at line 12 ('Item 1. Business:') only refers to another document"
    )
    assert "IBM’s 2024 Annual Report to Stockholders and is incorporated by reference" in message
    assert "use the document it is incorporated from" in message


def test_partly_incorporated_item1_is_kept_with_a_warning(tmp_path):
    paragraph = (
        "<div><span>International Business Machines Corporation (IBM or the company) was incorporated in the State of "
        "New York on June 16, 1911. " + FILLER * 6 + "</span></div>"
    )
    html = IBM.read_text(encoding="utf-8").replace(
        '<div id="i_16"><span>Item 1. Business:</span></div>',
        '<div id="i_16"><span>Item 1. Business:</span></div>' + paragraph,
    )
    path = tmp_path / "ibm.htm"
    path.write_text(html, encoding="utf-8")
    result = ingest_filing(path)
    assert result.end_heading == "Item 1A. Risk Factors:"
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("part of Item 1 is incorporated by reference from another document")
    assert "IBM Strategy—pages 11 to 12." in lines_of(result.text)


# --- errors ---------------------------------------------------------------------------------------


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match=r"filing file not found: .*nope\.htm"):
        ingest_filing(tmp_path / "nope.htm")
    empty = tmp_path / "empty.htm"
    empty.write_text("  \n")
    with pytest.raises(InputError, match=r"filing file .*empty\.htm is empty"):
        ingest_filing(empty)


def test_not_a_10k(tmp_path):
    path = tmp_path / "q.htm"
    path.write_text(
        "<html><body><p>FORM 10-Q</p><p>PART I</p><p>Item 1. Financial Statements</p><p>"
        + FILLER * 3
        + "</p><p>Item 2. Management's Discussion and Analysis</p></body></html>"
    )
    with pytest.raises(InputError) as info:
        ingest_filing(path)
    message = str(info.value)
    assert message.startswith(f"{path} (form 10-Q): no 'Item 1. Business' heading found; is this a 10-K?")
    assert "Item 1. Financial Statements" in message


def test_too_short_item1(tmp_path):
    path = tmp_path / "short.htm"
    path.write_text(
        "<html><body><p>Item 1. Business</p><p>We make widgets in Ohio.</p>"
        "<p>Item 1A. Risk Factors</p><p>" + FILLER * 3 + "</p></body></html>"
    )
    with pytest.raises(
        InputError, match=r"short\.htm: Item 1 \(Business\) at line 1 \('Item 1\. Business'\) has only 5 words"
    ):
        ingest_filing(path)
    assert ingest_filing(path, min_words=5).text == "Item 1. Business\n\nWe make widgets in Ohio."


def test_item1_only_in_cross_reference_index(tmp_path):
    path = tmp_path / "index.htm"
    path.write_text(
        "<html><body><p>FORM 10-K CROSS REFERENCE INDEX</p><table>"
        "<tr><td>Item 1.</td><td>Business</td><td>4-11, 62</td></tr>"
        "<tr><td>Item 1A.</td><td>Risk Factors</td><td>12-20</td></tr></table>"
        "<p>Our business</p><p>" + FILLER * 3 + "</p></body></html>"
    )
    with pytest.raises(
        InputError,
        match=r"index\.htm: 'Item 1\. Business' only appears as a table-of-contents or cross-reference index entry",
    ):
        ingest_filing(path)


# --- heading variants (on extracted lines) -------------------------------------------------------


@pytest.mark.parametrize(
    "heading_lines, expected",
    [
        (["Item 1. Business"], "Item 1. Business"),
        (["ITEM 1 — BUSINESS"], "ITEM 1 — BUSINESS"),
        (["Item 1 Business"], "Item 1 Business"),
        (["ITEM 1.BUSINESS"], "ITEM 1.BUSINESS"),
        (["Item\u00a01.\u00a0\u00a0Business."], "Item 1. Business."),
        (["Item 1. | Business"], "Item 1. Business"),
        (["Item 1: Description of Business"], "Item 1: Description of Business"),
        (["Items 1 and 2. Business and Properties"], "Items 1 and 2. Business and Properties"),
        (["PART I, ITEM 1. BUSINESS"], "PART I, ITEM 1. BUSINESS"),
        (["ITEM 1.", "BUSINESS"], "ITEM 1. BUSINESS"),
    ],
)
def test_start_heading_variants(heading_lines, expected):
    lines = ["TABLE OF CONTENTS", "Item 1. | Business | 3", "Item 1A. | Risk Factors | 9", PAGE_BREAK, "PART I"]
    lines += heading_lines + ["Overview", FILLER * 2, "Item 7 of this report discusses results.", FILLER * 2]
    lines += ["Item 1A. Risk Factors", "Risks."]
    span = locate_item1(lines, min_words=20)
    assert span.start_heading == expected
    assert span.start_line == 5
    assert span.end_heading == "Item 1A. Risk Factors"
    assert span.text.split("\n\n")[1] == "Overview"
    assert "Item 7 of this report discusses results." in span.text  # a cross-reference is not an end


@pytest.mark.parametrize(
    "end",
    [
        "ITEM 1B — UNRESOLVED STAFF COMMENTS",
        "Item 1C. Cybersecurity",
        "Item 2. Properties",
        "ITEM 2",
        "PART II",
        "Item 3. Legal Proceedings",
    ],
)
def test_end_heading_variants(end):
    lines = ["Item 1. Business", FILLER * 2, "• Item 7. this is lowercase so not a heading", FILLER, end, "after"]
    span = locate_item1(lines, min_words=20)
    assert span.end_heading == end
    assert "after" not in span.text


def test_no_end_heading_keeps_text_and_warns():
    span = locate_item1(["Item 1. Business", FILLER * 3], min_words=20)
    assert span.end_heading is None
    assert span.warnings == [
        "no heading after Item 1 (Item 1A/1B/1C/2/3 or PART II) found; kept text to the end of the document"
    ]


# --- building blocks -----------------------------------------------------------------------------


def test_html_to_lines_hidden_parts_tables_and_entities():
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        '<div style="display:none"><ix:header><ix:hidden>P1Y</ix:hidden></ix:header></div>'
        '<p>Visible<span style="DISPLAY: none">secret</span> text&#160;&amp; more</p>'
        "<p><b>Item</b><b>&nbsp;1.</b> <i>Busi</i><i>ness</i></p>"
        "<table><tr><td></td><td>&#160;</td></tr>"
        "<tr><td>Revenue</td><td></td><td>$</td><td>1,234</td><td></td><td>12</td><td>%</td></tr>"
        "<tr><td>Loss</td><td>$</td><td>(5</td><td>)</td></tr>"
        "<tr><td>&#8226;</td><td>bullet text</td></tr></table>"
        '<hr style="page-break-after:always"/><p>next page</p></body></html>'
    )
    assert html_to_lines(html) == [
        "Visible text & more",  # entities decoded, non-breaking spaces are spaces
        "Item 1. Business",  # a heading split over <b>/<i> tags is one line
        "Revenue | $1,234 | 12%",
        "Loss | $(5)",
        "• bullet text",
        PAGE_BREAK,
        "next page",
    ]


def test_html_pre_block_is_read_as_plain_text():
    html = (
        "<html><body><pre>\n                FORM 10-K\n\nITEM 1.  BUSINESS\n\n"
        "     The Company makes widgets and gadgets for customers in the United\n"
        "States and Canada through a network of distributors and retail\nstores.\n</pre><p>after</p></body></html>"
    )
    assert html_to_lines(html) == [
        "FORM 10-K",
        "ITEM 1. BUSINESS",
        "The Company makes widgets and gadgets for customers in the United States and Canada through a network of distributors and retail stores.",
        "after",
    ]


def test_text_to_lines_unwraps_prose_and_keeps_tables():
    text = (
        "ITEM 1.  BUSINESS\n\n"
        "     The Company makes widgets and gadgets for customers in the United\n"
        "States and Canada through a network of distributors and retail\n"
        "stores.\n"
        "                                       7\n"
        "<PAGE>\n"
        "Product                 1999        1998\n"
        "Widgets..............    $10         $9\n"
    )
    assert text_to_lines(text) == [
        "ITEM 1. BUSINESS",
        "The Company makes widgets and gadgets for customers in the United States and Canada through a network of distributors and retail stores.",
        "7",
        PAGE_BREAK,
        "Product | 1999 | 1998",
        "Widgets | $10 | $9",
    ]


def test_furniture_running_header_vs_repeated_subheading():
    lines: list[str] = []
    for page in range(1, 6):
        # a subheading that starts every page but also occurs mid-page is not a running header
        lines += ["PART I", "ITEM 1. BUSINESS", "Energy Generation and Storage", *[FILLER] * 4]
        lines += ["Energy Generation and Storage", *[FILLER] * 4, f"{page} ACME 2024 FORM 10-K", PAGE_BREAK]
    flags = furniture_flags(lines)
    flagged = {line for line, flag in zip(lines, flags) if flag and line != PAGE_BREAK}
    assert flagged == {"PART I", "ITEM 1. BUSINESS"} | {f"{p} ACME 2024 FORM 10-K" for p in range(1, 6)}


def test_parse_date_and_company_slug():
    assert str(parse_date("September\u00a028, 2024")) == "2024-09-28"
    assert str(parse_date("JUNE 30, 1999.")) == "1999-06-30"
    assert str(parse_date("Sept. 27, 2003")) == "2003-09-27"
    assert str(parse_date("19990630")) == "1999-06-30"
    assert parse_date("no date here") is None
    assert company_slug("The Walt Disney Co") == "WALT_DISNEY"
    assert company_slug("WAL-MART STORES INC") == "WAL_MART_STORES"
    assert company_slug("Commonwealth Income & Growth Fund V") == "COMMONWEALTH_INCOME_GROWTH_FUND_V"


# --- writing ------------------------------------------------------------------------------------


def test_write_ingested_txt_and_json(tmp_path):
    result = ingest_filing(AAPL)
    path = write_ingested(result, tmp_path / "docs")
    assert path == tmp_path / "docs" / "AAPL_2024.txt"
    assert path.read_text(encoding="utf-8") == normalize_text(result.text) + "\n"
    meta = json.loads((tmp_path / "docs" / "AAPL_2024.json").read_text(encoding="utf-8"))
    assert meta["id"] == "AAPL_2024"
    assert meta["company"] == "Apple Inc."
    assert meta["fiscal_year"] == 2024
    assert meta["form"] == "10-K"
    assert meta["cik"] == "0000320193"
    assert meta["start_heading"] == "Item 1. Business"
    assert meta["end_heading"] == "Item 1A. Risk Factors"
    assert meta["words"] == len(result.text.split())
    assert meta["warnings"] == []
    assert "text" not in meta
    assert len(meta["source_sha256"]) == 64

    other = write_ingested(result, tmp_path / "docs", doc_id="apple-fy24")
    assert other.name == "apple-fy24.txt" and (tmp_path / "docs" / "apple-fy24.json").is_file()
    with pytest.raises(InputError, match=r"invalid document id '\.\./evil'"):
        write_ingested(result, tmp_path, doc_id="../evil")


def test_ingest_command(tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(MEDICIS_TXT), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "MEDICIS_PHARMACEUTICAL_1999.txt"
    assert f"wrote {path}" in result.stdout
    assert path.read_text(encoding="utf-8").startswith("ITEM 1: BUSINESS\n\nTHE COMPANY\n\n")
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["accession"] == "0000950153-99-001234"
    result = CliRunner().invoke(app, ["ingest", str(MEDICIS_TXT), "--out", str(tmp_path), "--id", "medicis"])
    assert result.exit_code == 0 and (tmp_path / "medicis.txt").is_file()
