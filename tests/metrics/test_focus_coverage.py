"""Focus-coverage metric: pinned cases (area tagging, thin areas, deletion of one area, empty summary)."""

from __future__ import annotations

import pytest

from bizsum.config import FOCUS_AREAS
from bizsum.corpus.documents import Document
from bizsum.metrics.base import ScoringItem
from bizsum.metrics.focus_coverage import FocusCoverageMetric
from bizsum.nlp.area_model import area_model
from bizsum.nlp.claims import claims_by_sentence, split_claims
from bizsum.nlp.focus_areas import TAG_THRESHOLD, absence_areas, area_scores

pytestmark = pytest.mark.slow  # every test here loads the sentence encoder

# A made-up Item 1 text with several sentences per area except financing (one sentence only).
SOURCE = """Item 1. Business
Acme Analytics, Inc. provides a cloud-based analytics platform called Acme Insight.
The platform offers dashboards, demand forecasting and pricing optimization software.
We also offer consulting and implementation services to help customers deploy our products.
We generate revenue primarily from subscription fees for the Acme Insight platform.
Professional services revenue is billed on a time and materials basis.
Subscription revenue accounted for 80% of total revenue in 2017.
Our customers are mid-sized retailers and regional banks in North America and Europe.
We target retailers with annual sales between $100 million and $2 billion.
No single customer accounted for more than 10% of our total revenue.
We sell our platform through a direct sales force organized by region.
We also sell through resellers and referral partners in Europe and Asia.
Our inside sales team serves smaller customers through our website.
The company completed an initial public offering in 2012 and is listed on NASDAQ.
"""

REVENUE = "Acme earns revenue mainly from subscription fees for its platform, which were 80% of revenue, plus consulting billed on time and materials."
CUSTOMERS = "Its customers are mid-sized retailers and regional banks in North America and Europe, and no customer exceeds 10% of revenue."
PRODUCTS = "Acme provides Acme Insight, a cloud-based analytics platform with dashboards, forecasting and pricing optimization software."
CHANNELS = "It sells through a direct sales force, through resellers and referral partners, and an inside sales team."
FINANCING = "The company went public in 2012 and is listed on NASDAQ."


@pytest.fixture(scope="module")
def metric():
    return FocusCoverageMetric()


@pytest.fixture(scope="module")
def doc():
    return Document(id="acme-cov", text=SOURCE)


def run(metric, doc, summary):
    return metric.score(ScoringItem(summary=summary, document=doc))


def test_tagger_on_clear_sentences():
    texts = [
        "We generate revenue primarily from subscription fees.",
        "Our customers are small and medium-sized businesses.",
        "We sell through distributors and resellers.",
        "We have a $500 million revolving credit facility.",
    ]
    scores = area_scores(texts)
    expected = ["sources_of_revenue", "customer_base", "distribution_channels", "financing"]
    for row, area in zip(scores, expected):
        assert FOCUS_AREAS[int(row.argmax())] == area
        assert row.max() >= TAG_THRESHOLD


def test_absence_statements():
    assert absence_areas("The text does not provide details on financing.") == ["financing"]
    assert absence_areas("The company has no debt.") == []
    assert absence_areas("No information about distribution channels or financing is given.") == [
        "distribution_channels",
        "financing",
    ]


def test_an_absence_statement_names_only_what_its_own_clause_says_is_missing():
    # realistic test half, v12: flagged because the source is full of customers, which these
    # sentences do not say are missing (a reason, or an exception, names them)
    assert absence_areas(
        "The filing does not describe how Tesla itself is funded, since the financing it discusses is offered to customers."
    ) == ["financing"]
    assert absence_areas(
        "Nothing in the section explains how the company raises money for itself, as the financing options it mentions are meant for customers."
    ) == ["financing"]
    assert absence_areas(
        "Beyond this customer-facing financing, however, the text does not describe how Tesla itself is funded."
    ) == ["financing"]
    # a clause that does say it: still every area it names
    assert absence_areas("The filing says little about its customers or how it sells its products.") == [
        "customer_base",
        "products",
        "distribution_channels",
    ]
    assert absence_areas("The filing gives only limited information on customers.") == ["customer_base"]
    # "limited partnership" is a legal form, not a statement that something is limited
    assert (
        absence_areas(
            "The filing describes CIGF5 as a Pennsylvania limited partnership, set up in 2003, whose business is buying capital equipment."
        )
        == []
    )


def test_full_summary_addresses_all_areas(metric, doc):
    r = run(metric, doc, " ".join([REVENUE, CUSTOMERS, PRODUCTS, CHANNELS, FINANCING]))
    v = r.values
    # financing is the weakest area of the sentence model (20 dev training sentences): this IPO
    # sentence gets P = 0.57, under the area's threshold 0.65 (docs/metrics.md, limits)
    assert v["areas_addressed"] >= 4
    for area in ("sources_of_revenue", "customer_base", "products", "distribution_channels"):
        assert v[f"addressed_{area}"] is True
    assert 0.0 < v["coverage"] <= 1.0
    # financing has one source sentence only: thin, so not scored and not in the overall mean
    assert r.details["source_thin_areas"] == ["financing"]
    assert v["coverage_financing"] is None


def test_deleting_one_area_lowers_only_that_area(metric, doc):
    full = run(metric, doc, " ".join([REVENUE, CUSTOMERS, PRODUCTS, CHANNELS, FINANCING])).values
    cut = run(metric, doc, " ".join([REVENUE, CUSTOMERS, PRODUCTS, FINANCING])).values
    assert cut["addressed_distribution_channels"] is False
    assert full["coverage_distribution_channels"] - cut["coverage_distribution_channels"] > 0.2
    for area in ("sources_of_revenue", "customer_base", "products"):
        assert abs(full[f"coverage_{area}"] - cut[f"coverage_{area}"]) < 0.1
    assert cut["coverage"] < full["coverage"]


def test_thin_area_not_punished(metric, doc):
    with_fin = run(metric, doc, " ".join([REVENUE, CUSTOMERS, PRODUCTS, CHANNELS, FINANCING])).values
    without = run(metric, doc, " ".join([REVENUE, CUSTOMERS, PRODUCTS, CHANNELS])).values
    assert without["coverage_financing"] is None
    assert abs(with_fin["coverage"] - without["coverage"]) < 0.05


def test_says_not_described_counts_as_addressed(metric, doc):
    r = run(metric, doc, PRODUCTS + " The text gives no details on financing.")
    assert r.values["addressed_financing"] is True
    assert r.details["areas"]["financing"]["summary_says_not_described"]


def test_details_name_carried_and_missing_content(metric, doc):
    r = run(metric, doc, REVENUE)
    area = r.details["areas"]["sources_of_revenue"]
    assert area["key_content_carried"]
    assert area["source_passages"]
    assert r.details["areas"]["distribution_channels"]["key_content_missing"]


def test_empty_summary(metric, doc):
    v = run(metric, doc, "").values
    assert v["coverage"] == 0.0
    assert v["areas_addressed"] == 0
    assert all(v[f"addressed_{a}"] is False for a in FOCUS_AREAS)


def test_covered_means_coverage_at_least_half(metric, doc):
    """coverage_<area> >= 0.5 exactly when the summary addresses the area (the labels' "covered")."""
    full = run(metric, doc, " ".join([REVENUE, CUSTOMERS, PRODUCTS, CHANNELS, FINANCING])).values
    cut = run(metric, doc, " ".join([REVENUE, PRODUCTS, CHANNELS, FINANCING])).values
    for values in (full, cut):
        for area in FOCUS_AREAS:
            if values[f"coverage_{area}"] is not None:
                assert (values[f"coverage_{area}"] >= 0.5) == values[f"addressed_{area}"], area
    assert full["coverage_customer_base"] >= 0.5
    assert cut["coverage_customer_base"] < 0.5


def test_passing_mention_of_customers_is_not_coverage(metric, doc):
    """A product sentence that names customers in passing does not cover the customer base (an
    ablated summary of the realistic set: its customer sentences removed)."""
    summary = " ".join(
        [
            PRODUCTS,
            "It also helps customers deploy the software with consulting and implementation services.",
            REVENUE,
            CHANNELS,
        ]
    )
    v = run(metric, doc, summary).values
    assert v["addressed_customer_base"] is False
    assert v["coverage_customer_base"] < 0.5


def test_area_model_file():
    model = area_model()
    assert model.weights.shape == (len(FOCUS_AREAS), 384 + len(FOCUS_AREAS))
    assert ((model.thresholds > 0) & (model.thresholds < 1)).all()


def test_claims_by_sentence_groups_split_claims():
    text = "Acme sells software; it also sells services. Sales rose 5% in 2017 to $3.2 million. - A bullet"
    groups = claims_by_sentence(text)
    assert [c for g in groups for c in g] == split_claims(text)
    assert len(groups) == 3
