"""Numbers and names a faithful summary restates (source_only 12).

Each case is a false accusation version 11 made on the realistic test half (faithful claims of
capable-model style summaries); each test also holds the rule to the error it must still catch.
"""

from __future__ import annotations

import hashlib

import pytest

from bizsum.metrics.source_only.checks import check_names, check_numbers, scope_negations
from bizsum.metrics.source_only.verdict import check_claim
from bizsum.nlp.claims import split_claims
from bizsum.nlp.focus_areas import absence_areas
from bizsum.nlp.lexicon import content_stems
from bizsum.nlp.names import extract_names
from bizsum.nlp.numbers import extract_numbers
from bizsum.nlp.source_index import source_index, source_sentences, thousands_rows


def _index(text: str):
    return source_index(text, hashlib.sha256(text.encode()).hexdigest())


def _numbers(text: str, claim: str, aligned: list[int]) -> dict[str, str]:
    return {r["number"]: r["status"] for r in check_numbers(claim, _index(text), aligned)[0]}


def _names(text: str, claim: str, aligned: list[int]) -> dict[str, str]:
    return {r["name"]: r["status"] for r in check_names(claim, _index(text), aligned)[0]}


def _checks(text: str, claims: list[str]):
    """The rules' verdicts (no verifier) of claims against a source."""
    from bizsum.nlp.source_index import embed_claims

    index = _index(text)
    return [check_claim(claim, row, index) for claim, row in zip(claims, embed_claims(claims))]


def _values(text: str) -> list[tuple[float, str]]:
    return [(n.value, n.kind) for n in extract_numbers(text)]


def test_both_ends_of_a_hyphenated_range_are_numbers():
    assert _values("for women who wear sizes 14-26") == [(14, "count"), (26, "count")]
    assert _values("10-15% of sales") == [(10, "pct"), (15, "pct")]
    assert _values("the 1994-1995 season") == [(1994, "year"), (1995, "year")]
    assert _values("fiscal 2023-24") == [(2023, "year"), (2024, "year")]
    # not a range: a form name, a phone number, a date
    assert _values("Form 10-K") == [] and _values("call 1-800-555-0100") == [] and _values("on 12-31-2020") == []
    text = "AUGUST MAX WOMAN offers casual fashion apparel for women who wear sizes 14-26 at moderate prices."
    assert _numbers(text, "August Max Woman dresses women in sizes 14 to 26.", [0]) == {"14": "ok", "26": "ok"}
    assert _numbers(text, "August Max Woman dresses women in sizes 14 to 28.", [0])["28"] == "not_in_source"


def test_a_number_in_words_with_hundreds_is_one_number():
    assert _values("over six hundred and fifty fintech deals") == [(650, "count")]
    assert _values("two hundred million users") == [(200e6, "count")]
    assert _values("one hundred and twenty-five stores") == [(125, "count")]
    assert _values("more than a hundred and fifty clients") == [(150, "count")]
    assert _values("a hundred stores") == [(100, "count")]
    text = "In fiscal 2024, we signed over 650 commercial partnerships with fintechs globally."
    assert _numbers(text, "It signed over six hundred and fifty fintech deals in fiscal 2024.", [0]) == {
        "six hundred and fifty": "ok",
        "2024": "ok",
    }
    assert _numbers(text, "It signed over six hundred and ninety fintech deals.", [0]) == {
        "six hundred and ninety": "not_in_source"
    }


def test_the_thousands_marker_of_a_table_covers_the_rows_below_it():
    text = (
        "The backlog of unshipped orders was as follows: March 31 1994 1993 (Thousands)\n"
        "Power Systems $159,000 $422,000 Water Control 69,000 137,000\n"
        "Approximately 9% of the Power Systems backlog is expected to be completed after 1995.\n"
        "Other Businesses 11,000 12,000\n"
    )
    sentences = source_sentences(text)
    assert thousands_rows(sentences) == [0, 1]  # prose ends the table; a later row is not covered
    found = _numbers(text, "Power Systems held about $159 million of backlog.", [1])
    assert found["$159 million"] == "ok"
    assert _numbers(text, "Other businesses held $11 million of backlog.", [3])["$11 million"] == "not_in_source"


def test_a_figure_on_a_line_of_its_own_belongs_to_the_label_above_it():
    text = "The portfolio by equipment type:\n\nServers/Other\n\n33%\n\nWorkstations\n\n8%\n"
    assert source_sentences(text) == ["The portfolio by equipment type:", "Servers/Other 33%", "Workstations 8%"]
    assert _numbers(text, "Servers and other equipment made up 33% of the portfolio.", [1]) == {"33%": "ok"}
    # a list or footnote marker is not a figure
    assert source_sentences("We invest in research.\n\n4.\n\nWe sell ads.\n\n(1)\n") == [
        "We invest in research.",
        "We sell ads.",
    ]


def test_capitalised_common_words_and_compound_adjectives_are_not_names():
    assert extract_names("Shoppers choose from hundreds of millions of items.") == []
    assert extract_names("Unfilled orders shrank by more than half.") == []
    assert extract_names("Widening U.S. export rules have hurt sales in China.") == ["U.S", "China"]
    assert extract_names("Its push centres on the AI-enabled Ray-Ban glasses.") == ["AI", "Ray-Ban"]
    assert extract_names("It offers Maestro PIN-based debit.") == ["Maestro PIN"]
    # names stay names
    assert extract_names("Rogers Communications is a customer.") == ["Rogers Communications"]
    assert extract_names("It sells to Third-party Logistics Inc.") == ["Third-party Logistics Inc"]


def test_names_a_faithful_restatement_carries():
    text = (
        "Asta Funding, Inc. acquires, manages and services portfolios of consumer receivables. "
        "We acquire portfolios through a combination of internally generated cash flow and bank debt. "
        "Our cloud services keep content available across Apple devices and Windows personal computers. "
        "Our products for the gaming market include GeForce RTX and GeForce GTX GPUs for gaming PCs. "
        "Our Silverline'TM'-222 six port switch connects Fibre Channel based SANs over IP networks. "
        "Our branded debit programs include Maestro, our PIN-based debit program. "
        "Our office in Portland provides consulting."
    )
    # the company, named by the first words of the name that introduces it
    assert _names(text, "Asta acquires portfolios with cash flow and bank debt.", [1])["Asta"] == "ok"
    # every word of the name in the sentence the claim restates
    assert _names(text, "For gaming it sells GeForce GPUs for desktop PCs.", [3])["GeForce GPUs"] == "ok"
    # a trademark sign inside the source's name, an acronym of a compound, an abbreviation
    assert _names(text, "The Silverline-222 switch links SANs over IP.", [4])["Silverline-222"] != "not_in_source"
    assert _names(text, "Maestro covers PIN debit.", [5])["PIN"] != "not_in_source"
    assert _names(text, "Content stays in sync across Apple devices and Windows PCs.", [2])["Windows PCs"] != (
        "not_in_source"
    )
    # still failures: a name the filing lacks, and one from an unrelated line put into a copied sentence
    assert _names(text, "For gaming it sells Radeon GPUs for desktop PCs.", [3])["Radeon GPUs"] == "not_in_source"
    assert _names(text, "Its Portland unit acquires portfolios through cash flow and bank debt.", [1])["Portland"] == (
        "wrong_context"
    )


def _negations(source_sentence: str, claim: str) -> int:
    return scope_negations(source_sentence, set(content_stems(claim)))[0]


def test_a_negation_reaches_no_further_than_its_list_item():
    source = (
        "Our Walmart+ membership offering provides enhanced omni-channel shopping benefits including unlimited "
        "free shipping on eligible items with no order minimum, unlimited delivery from store, fuel discounts."
    )
    assert _negations(source, "Walmart+ adds unlimited free shipping on eligible items and fuel discounts.") == 0
    assert _negations(source, "Walmart+ members get free shipping above an order minimum.") == 1
    tax = (
        "The Bank pays a business and occupation tax at the rate of 1.50% of gross receipts; however, interest "
        "received on loans secured by mortgages is not subject to such tax."
    )
    assert _negations(tax, "Interest received on loans secured by mortgages is subject to such tax.") == 1


def test_may_but_not_required_to_is_a_permission():
    source = (
        "The General Partner and any of its affiliates may, but are not required to, make loans to the "
        "Partnership on a short-term basis."
    )
    assert _negations(source, "The general partner and its affiliates may also make short-term loans.") == 0
    assert (
        _negations(
            "The General Partner may not make loans to the Partnership.",
            "The General Partner may make loans to the Partnership.",
        )
        == 1
    )


# --- source_only 14: what holdout batch 5 showed (telegraphic and approximating styles) ----------


def test_a_month_ending_a_name_span_is_the_source_month_in_full():
    assert extract_names("Per business-model change announced Aug 1998, co. exiting PPM.") == ["August", "PPM"]
    assert extract_names("Board's Aug 1998 plan has co. shedding imaging") == ["August"]
    assert extract_names("by mid-April 1999 affiliations with some 150 physicians") == ["April"]
    assert extract_names("16% of FY ended Jan 31, 1999 net revenues from Medicare") == ["January", "Medicare"]
    # a month word that starts a longer name is the name's ("May Department Stores", a brand)
    assert extract_names("May Department Stores sells apparel.") == ["May Department Stores"]
    assert extract_names("August Max Woman dresses women.") == ["August Max Woman"]
    text = "In August 1998, the Company announced that it would exit the physician practice management business."
    assert _names(
        text, "Per the change announced Aug 1998, the company is exiting physician practice management.", [0]
    ) == {"August": "ok"}
    assert _names(
        text, "Per the change announced Sept 1998, the company is exiting physician practice management.", [0]
    ) == {"September": "not_in_source"}


def test_a_fraction_of_a_billion_is_one_number():
    assert _values("repaid nearly a quarter of a billion dollars of notes") == [(250e6, "money")]
    assert _values("about two-thirds of a million users")[0][0] == pytest.approx(666_666.67, rel=1e-6)
    text = (
        "On July 28, 2023, we redeemed in full our $243.6 million aggregate principal amount of senior unsecured notes."
    )
    assert _numbers(text, "It repaid nearly a quarter of a billion dollars of notes.", [0]) == {
        "a quarter of a billion dollars": "ok"
    }
    assert _numbers(text, "It repaid nearly half a billion dollars of notes.", [0])["half a billion dollars"] != "ok"


def test_abbreviations_of_a_telegraphic_summary_stay_inside_their_claim():
    summary = (
        "Specialty care networks: approx. 8 million member patients; co. provides managed care contracting. "
        "Approx. 16% of net revenues from government health care programs."
    )
    assert split_claims(summary) == [
        "Specialty care networks: approx. 8 million member patients",
        "co. provides managed care contracting.",
        "Approx. 16% of net revenues from government health care programs.",
    ]


def test_a_claim_that_keeps_the_sentence_negation_in_other_words_agrees_with_it():
    source = (
        "We do not have facilities of our own to raise cattle but employ cattle buyers who visit independent "
        "feed yards and public auctions and buy live cattle on the open spot market."
    )
    claim = "Tyson raises no cattle itself, buying them at independent feed yards and public auctions."
    (check,) = _checks(source, [claim])
    assert check.features["negation_mismatch"] == 0.0
    # a claim that drops a negation the passage holds over its words still differs
    customers = "No single customer accounted for more than 10% of total revenue in 2017."
    (check,) = _checks(customers, ["One customer accounted for more than 10% of total revenue in 2017."])
    assert check.features["negation_mismatch"] == 1.0


def test_a_public_offering_is_financing_in_an_absence_statement():
    assert absence_areas(
        "As for funding Walmart itself, the text notes only a 1970 initial public offering and a New York Stock "
        "Exchange listing, leaving debt and other sources undescribed."
    ) == ["financing"]
    assert absence_areas("The filing does not describe its product offerings.") == ["products"]


def test_a_company_that_defines_its_terms_without_parentheses_is_named_in_context_anywhere():
    """Holdout 9 (AMZN_2024): "Amazon.com makes its money by ..." was "in an unrelated context" (version 14)."""
    from bizsum.metrics.source_only.subject import as_the_company, company_names

    text = (
        "As used herein, “Amazon.com,” “we,” “our,” and similar terms include Amazon.com, Inc. and its "
        "subsidiaries, unless the context indicates otherwise.\n"
        "We serve consumers through our online and physical stores.\n"
        "We provide advertising services to sellers, vendors and authors.\n"
        "Amazon Web Services offers computing and storage services.\n"
    )
    claim = "Amazon.com makes its money by selling goods in its online and physical stores."
    assert _names(text, claim, [1]) == {"Amazon.com": "ok"}
    assert as_the_company(claim, company_names(text)) == (
        "The company makes its money by selling goods in its online and physical stores."
    )
    # another name of the filing still needs its own context
    other = "Amazon Web Services sells goods in physical stores."
    assert _names(text, other, [1]) == {"Amazon Web Services": "wrong_context"}
    # a quoted term that is not the company is not taken for its name
    nike = (
        'As used in this Annual Report on Form 10-K (this "Annual Report"), the terms "we," "us," "our," '
        '"NIKE" and the "Company" refer to NIKE, Inc. and its predecessors.\n'
    )
    assert "NIKE" in company_names(nike) and "Annual Report" not in company_names(nike)
