"""The five focus areas of the reference prompt, and how text is tagged to them.

The reference prompt asks for a summary focused on *sources of revenue*, the *intended customer
base*, *products*, *distribution channels* and *details of financing*. This module defines each
area twice over:

* a **lexicon** of weighted regular expressions (strong cues such as "revenue", "credit facility",
  "resellers"; weak cues such as "customers" or "services" that are evidence only together with
  something else), and
* **prototype sentences** written for 10-K business sections, embedded with the offline MiniLM
  encoder.

:func:`area_scores` combines both into a score in [0, 1] per passage and area (several areas may
apply to one passage). A passage is *tagged* to an area when its score reaches
:data:`TAG_THRESHOLD`. The thresholds were set on a hand-labelled development set of 10-K
sentences (``bench/data/area_labels.jsonl``, dev half); ``bench/validation/validate_metrics.py --areas``
reports precision/recall and the confusion between areas on the held-out half.

:func:`absence_areas` recognizes sentences that say the source does not describe an area
("The text provides no details on financing."): such a sentence is a faithful statement about the
source, not an invented fact.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

log = logging.getLogger(__name__)

#: the five areas of the reference task, in report order
FOCUS_AREAS: tuple[str, ...] = (
    "sources_of_revenue",
    "customer_base",
    "products",
    "distribution_channels",
    "financing",
)

#: score at which a passage counts as being about an area
TAG_THRESHOLD = 0.4
#: score at which a passage is clear evidence that the source covers an area
STRONG_THRESHOLD = 0.55
#: an area is "thin" in a source with fewer strongly tagged passages than this
THIN_MIN_PASSAGES = 2


@dataclass(frozen=True)
class FocusArea:
    name: str
    label: str
    description: str
    strong: tuple[str, ...]
    weak: tuple[str, ...]
    prototypes: tuple[str, ...]
    # regexes naming the area in a sentence such as "the text does not describe <area>"
    topic_words: tuple[str, ...] = field(default=())


AREAS: dict[str, FocusArea] = {
    "sources_of_revenue": FocusArea(
        name="sources_of_revenue",
        label="Sources of revenue",
        description="How the company earns money: revenue streams, pricing, fees, subscriptions, "
        "licensing, interest income, revenue mix by segment or geography.",
        strong=(
            r"\brevenues?\b",
            r"\bnet sales\b",
            r"\bsales of\b",
            r"\bsubscription(?: fee)?s?\b",
            r"\bfees?\b",
            r"\broyalt(?:y|ies)\b",
            r"\blicens(?:e|ing) (?:fees?|revenue)",
            r"\bpric(?:e|es|ed|ing)\b",
            r"\bmonetiz\w*",
            r"\bcommissions?\b",
            r"\binterest income\b",
            r"\bgenerat\w* (?:revenue|income|sales)",
            r"\bearn(?:s|ed|ing)?\b",
            r"\bbilled\b|\bbilling\b",
            r"\bpay-per-\w+|\bper-use\b|\busage-based\b",
            r"\brecurring\b",
            r"\bincome from\b",
            r"\bmargins?\b",
            r"\bderive[sd]?\b",
        ),
        weak=(
            r"\bcharg(?:e|es|ed|ing)\b",
            r"\bpaid\b",
            r"\bpay(?:s|ing)?\b",
            r"\bcontracts?\b",
            r"\bsales\b",
            r"\bincome\b",
            r"\bpercent(?:age)? of\b|%",
            r"\bsegments?\b",
            r"\bpremiums?\b",
            r"\brent(?:al)?s?\b",
            r"\badvertis\w*",
        ),
        prototypes=(
            "The company generates revenue primarily from subscription fees for its platform.",
            "Revenue is derived from sales of products and from service and licensing fees.",
            "We earn interest income on loans and fees from deposit accounts.",
            "Recurring revenue accounted for most of total revenue; international revenue was 37% of total revenue.",
            "Customers pay usage-based fees and professional services are billed on a time and materials basis.",
        ),
        topic_words=(r"revenues?", r"income", r"pric\w*", r"fees?", r"monetiz\w*", r"earn\w*"),
    ),
    "customer_base": FocusArea(
        name="customer_base",
        label="Intended customer base",
        description="Who the customers are: segments, industries, company sizes, geographies, "
        "consumers vs businesses, named customers, customer concentration.",
        strong=(
            r"\bcustomers? (?:include|base|are|range)\b",
            r"\bour customers\b",
            r"\bclients?\b",
            r"\bconsumers?\b",
            r"\bend[- ]users?\b",
            r"\bsmall and medium\w*|\bSMBs?\b|\bsmall businesses\b",
            r"\benterprises?\b",
            r"\bFortune \d+\b",
            r"\bgovernment agencies\b|\bgovernments?\b",
            r"\bno (?:single )?customer\b|\bsingle customer\b|\blargest customers?\b",
            r"\btarget(?:ed|s)? (?:at|markets?|customers?)\b",
            r"\bverticals?\b|\bindustries\b",
            r"\bpatients?\b|\bphysicians?\b|\bhospitals?\b",
            r"\bhouseholds?\b|\bindividuals?\b",
            r"\bretailers?\b|\bmerchants?\b|\bbrands\b",
            r"\bdepositors?\b|\bborrowers?\b|\bmembers\b",
            r"\bserves?\b|\bserving\b",
            r"\bcustomer base\b|\binstalled base\b",
        ),
        weak=(
            r"\bcustomers?\b",
            r"\busers?\b",
            r"\bbusinesses\b",
            r"\bmarkets?\b",
            r"\bsectors?\b",
            r"\bcompanies\b",
            r"\borganizations\b",
            r"\baccount(?:ed|s) for\b",
        ),
        prototypes=(
            "Our customers include Fortune 500 companies, small and medium-sized businesses and government agencies.",
            "We focus on customers in the automotive, financial services, retail and telecommunications industries.",
            "No single customer accounted for more than 10% of our total revenue.",
            "The company serves individual consumers and households in its local market area.",
            "Our products are sold to hospitals, physicians and patients.",
        ),
        topic_words=(r"customers?", r"clients?", r"target (?:market|group)s?", r"consumers?", r"buyers?"),
    ),
    "products": FocusArea(
        name="products",
        label="Products",
        description="What the company sells: products, services, platforms, solutions, brands, "
        "features, product lines.",
        strong=(
            r"\bproducts?\b",
            r"\bplatforms?\b",
            r"\bsolutions?\b",
            r"\bofferings?\b",
            r"\bsoftware\b",
            r"\bservices? (?:include|such as|offered)\b",
            r"\bwe (?:offer|provide|develop|manufacture|make|produce)\b",
            r"\bportfolio\b",
            r"\bproduct lines?\b",
            r"\bfeatures?\b",
            r"\bapplications?\b|\bapps?\b",
            r"\bdevices?\b",
            r"\bdrugs?\b|\btherapies\b|\bvaccines?\b|\bpharmaceuticals?\b",
            r"\bloans?\b|\bdeposit (?:products|accounts)\b|\bmortgages?\b",
            r"\bequipment\b|\bsystems\b",
            r"\bcloud-based\b|\bSaaS\b|\bsoftware-as-a-service\b",
            r"\bmanufactur\w*",
            r"[®™]",
            r"^(?:The )?[A-Z][\w&.\-]*(?: [A-Z0-9][\w&.\-/]*){0,4} (?:is|are) (?:a|an|our|the)\b",
            r"\b(?:series|suite|line) of\b|\b(?:channels?|networks?|programming|content|resorts?|hotels?|parks?|stores?) (?:airing|offering|featuring|include)\b",
        ),
        weak=(
            r"\bservices?\b",
            r"\btechnolog(?:y|ies)\b",
            r"\bbrands?\b",
            r"\boffer(?:s|ed|ing)?\b",
            r"\bprovides?\b",
            r"\bdesign(?:s|ed)?\b",
            r"\bmodels?\b",
            r"\bcapabilit(?:y|ies)\b",
        ),
        prototypes=(
            "The company's cloud-based platform offers messaging, analytics and artificial intelligence features.",
            "Our product portfolio includes smartphones, personal computers, tablets, wearables and accessories.",
            "We offer a range of loan products, including residential mortgages and commercial real estate loans.",
            "The company develops and markets prescription pharmaceutical products.",
            "Our services include consulting, implementation and technical support.",
            "Disney Channel is a cable network airing original series and movie programming for kids.",
            "The E-Series storage system is built for high-performance applications and offers enterprise-grade reliability.",
        ),
        topic_words=(
            r"products?",
            r"services",
            # not a securities offering ("a 1970 initial public offering" is financing)
            r"(?<!public )(?<!secondary )(?<!equity )(?<!debt )(?<!stock )(?<!share )(?<!notes )offerings?",
            r"platforms?",
            r"solutions?",
        ),
    ),
    "distribution_channels": FocusArea(
        name="distribution_channels",
        label="Distribution channels",
        description="How offerings reach customers: direct sales force, resellers, distributors, "
        "retail stores, online, partners, branches, marketing and go-to-market.",
        strong=(
            r"\bdirect sales\b|\bsales (?:force|team|organization|representatives|personnel|staff)\b",
            r"\bindirect sales\b|\bchannel partners?\b|\bresellers?\b|\bdistributors?\b",
            r"\bdistribut(?:e|es|ed|ion|ing)\b",
            r"\bwholesal\w*",
            r"\bretail (?:stores?|outlets?|locations?|partners?)\b",
            r"\bstores?\b",
            r"\be-?commerce\b|\bonline (?:store|channel|sales)\b|\bthrough (?:our|its) website",
            r"\bbranch(?:es)?\b|\boffices?\b",
            r"\bgo-to-market\b",
            r"\bsold (?:through|via|directly|to)\b",
            r"\bsell(?:s|ing)? (?:through|via|directly)\b",
            r"\bmarket(?:s|ed)? (?:through|via|directly)\b",
            r"\breferral partners?\b|\bstrategic partners?\b|\balliances?\b",
            r"\bdealers?\b|\bbrokers?\b|\bagents\b",
            r"\bchannels?\b",
            r"\binside sales\b|\bfield sales\b|\btelesales\b|\bmarketing\b",
        ),
        weak=(
            r"\bpartners?\b|\bpartnerships?\b",
            r"\bsales\b",
            r"\bthrough\b",
            r"\bnetwork\b",
            r"\bdirectly\b",
            r"\bmobile\b|\bweb\b|\bwebsites?\b",
            r"\blocations?\b",
        ),
        prototypes=(
            "We sell our products through our direct sales force and through resellers and distributors.",
            "Our indirect sales channel consists of referral partners and channel partners.",
            "Products are sold through company-owned retail stores, online stores and third-party wholesalers.",
            "The bank delivers its services through a network of branch offices.",
            "Our marketing strategy focuses on driving demand and generating leads for the sales team.",
        ),
        topic_words=(
            r"distribut\w*",
            r"channels?",
            r"go-to-market",
            r"sales (?:force|organization|strategy)",
            r"(?:sells?|sold|marketed)\b",
        ),
    ),
    "financing": FocusArea(
        name="financing",
        label="Details of financing",
        description="How the company is financed: equity (IPO, stock offerings, listing), debt "
        "(credit facilities, notes, loans to the company), deposits as funding, cash, dividends, "
        "buybacks.",
        strong=(
            r"\bfinanc(?:e|ed|ing|ings)\b",
            r"\bcredit (?:facility|facilities|agreement|line)\b|\brevolv\w*",
            r"\bdebt\b|\bnotes? (?:due|payable|offering)\b|\bsenior notes\b|\bbonds?\b|\bdebentures?\b",
            r"\bborrow\w*",
            r"\binitial public offering\b|\bIPO\b|\bpublic offering\b|\bprivate placement\b",
            r"\bcommon stock\b|\bpreferred stock\b|\bshares\b|\bequity\b|\bstockholders?\b|\bshareholders?\b",
            r"\bventure capital\b|\binvestors?\b|\bcapital (?:raise|raising|resources|structure)\b|\braised?\b",
            r"\bcash (?:and cash equivalents|flows?|on hand)\b|\bliquidity\b",
            r"\bdividends?\b|\brepurchas\w*|\bbuybacks?\b",
            r"\bconvertible\b|\bwarrants?\b|\bleverage\b|\bfund(?:ed|ing) (?:by|through|from)\b",
            r"\btraded on\b|\blisted on\b|\bstock exchange\b|\bNASDAQ\b|\bNYSE\b",
            r"\bFederal Home Loan Bank\b|\bFHLB\b|\badvances\b",
        ),
        weak=(
            r"\bcapital\b",
            r"\bcash\b",
            r"\bfunds?\b|\bfunding\b",
            r"\bdeposits\b",
            r"\bloans? from\b",
            r"\binvest(?:ed|ment)s?\b",
            r"\bassets\b",
            r"\binterest rates?\b",
            r"\bincorporated\b",
        ),
        prototypes=(
            "In April 2000 the company completed an initial public offering and its stock trades on NASDAQ.",
            "We have a revolving credit facility and issued senior notes to finance acquisitions.",
            "The company funds its operations with cash flow from operations and existing cash balances.",
            "The bank's primary sources of funds are deposits and advances from the Federal Home Loan Bank.",
            "The partnership raised capital by selling units to investors and uses debt to finance equipment leases.",
        ),
        topic_words=(
            r"financ\w*",
            r"fund(?:ing|ed|s)?",
            r"debt",
            r"capital",
            r"borrow\w*",
            r"loans?",
            r"equity",
            r"credit facilit\w*",
            r"rais\w* (?:money|cash)",
        ),
    ),
}

assert tuple(AREAS) == FOCUS_AREAS, "focus area definitions must follow FOCUS_AREAS"

_FLAGS = re.IGNORECASE


@lru_cache(maxsize=1)
def _compiled() -> dict[str, tuple[list[re.Pattern], list[re.Pattern]]]:
    # IGNORECASE everywhere except acronyms written in capitals (IPO, SMB, NYSE, SaaS).
    def comp(pattern: str) -> re.Pattern:
        if re.search(r"[A-Z]{2,}", pattern):
            return re.compile(pattern)
        return re.compile(pattern, _FLAGS)

    return {name: ([comp(p) for p in area.strong], [comp(p) for p in area.weak]) for name, area in AREAS.items()}


@lru_cache(maxsize=1)
def prototype_embeddings() -> dict[str, np.ndarray]:
    from bizsum.nlp.encoders import embed

    out = {}
    for name, area in AREAS.items():
        out[name] = embed([area.description, *area.prototypes])
    return out


def keyword_scores(text: str) -> np.ndarray:
    """Lexicon evidence per area in [0, 1]: strong cue = 1, weak cue = 0.35, saturating at 2."""
    scores = np.zeros(len(FOCUS_AREAS), dtype="float32")
    for i, (strong, weak) in enumerate(_compiled().values()):
        hits = sum(1.0 for p in strong if p.search(text)) + sum(0.35 for p in weak if p.search(text))
        scores[i] = min(hits, 2.0) / 2.0
    return scores


def embedding_scores(embeddings: np.ndarray) -> np.ndarray:
    """Max cosine similarity of each row to an area's prototypes, rescaled to [0, 1]."""
    if len(embeddings) == 0:
        return np.zeros((0, len(FOCUS_AREAS)), dtype="float32")
    protos = prototype_embeddings()
    sims = np.stack([(embeddings @ protos[a].T).max(axis=1) for a in FOCUS_AREAS], axis=1)
    return np.clip((sims - 0.2) / 0.45, 0.0, 1.0).astype("float32")


#: weights of the two kinds of evidence in :func:`area_scores`
KEYWORD_WEIGHT = 0.6
EMBEDDING_WEIGHT = 0.4


def area_scores(texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
    """Score matrix (len(texts) × 5) in [0, 1]: weighted lexicon + prototype similarity."""
    if not texts:
        return np.zeros((0, len(FOCUS_AREAS)), dtype="float32")
    if embeddings is None:
        from bizsum.nlp.encoders import embed

        embeddings = embed(list(texts))
    kw = np.stack([keyword_scores(t) for t in texts])
    emb = embedding_scores(embeddings)
    return (KEYWORD_WEIGHT * kw + EMBEDDING_WEIGHT * emb).astype("float32")


# --- statements that the source does not cover an area --------------------------------------

_NEG = r"(?:\bnot?\b|n't\b|\bnone\b|\bneither\b|\bnor\b|\bwithout\b|\black(?:s|ing)?\b|\babsent\b|\bsilent\b|\bomit\w*|\bnothing\b|\blimited\b(?!\s+(?:partnership|partner|liability|company))|\bscarce\b|\bsparse\b|\bfew\b|\blittle\b|\bminimal\b|\bbeyond\b|\bapart from\b|\bother than\b|\bbesides\b|\bun(?:explained|addressed|specified|stated|disclosed|described)\b)"
_REPORT = r"(?:\bdescri\w*|\bdisclos\w*|\bmention\w*|\bspecif\w*|\bdiscuss\w*|\belaborat\w*|\boutlin\w*|\bdetail(?:s|ed)?\b|\btext\b|\bdocument\b|\bfiling\b|\bsection\b|\bexcerpt\b|\b10-K\b|\bpassage\b|\bsource\b|\binformation\b|\bdata\b|\bparticulars\b|\bspecifics\b|\bdisclosure\b|\baccount\b|\bexplain\w*|\baddress\w*|\bun(?:explained|addressed|specified|stated|disclosed|described)\b)"


_EXCEPTION = re.compile(r"beyond\b|apart from\b|other than\b|besides\b", _FLAGS)


def absence_areas(sentence: str) -> list[str]:
    """Areas a sentence says the source does not (or barely) describe; [] for ordinary claims.

    "The text does not provide details on financing." -> ["financing"]
    "No information about distribution channels or financing is given." -> [distribution, financing]
    "The company has no debt." -> [] (a claim about the company, checked like any other)
    """
    text = sentence.strip()
    negs = [m.start() for m in re.finditer(_NEG, text, _FLAGS)]
    reports = [m.start() for m in re.finditer(_REPORT, text, _FLAGS)]
    if not negs or not reports:
        return []
    # negation and reporting word close together ("not described", "no details", "does not mention")
    words_between = min(len(text[min(a, b) : max(a, b)].split()) for a in negs for b in reports)
    if words_between > 8:
        return []
    lowered = text.lower()
    # "apart from X, the filing does not describe Y": what follows an exception is present
    anchors = [a for a in negs if not _EXCEPTION.match(text, a)] + reports
    # only the clauses where a negation meets a reporting word say what is missing: "..., since the
    # financing it discusses is offered to customers" gives a reason, it does not add an area
    clauses = [
        (start, end)
        for start, end in _clauses(text)
        if any(start <= n < end for n in negs) and any(start <= r < end for r in reports)
    ] or [(0, len(text))]
    exceptions = _exception_spans(text)
    found = []
    for name, area in AREAS.items():
        hits = [m.start() for w in area.topic_words for m in re.finditer(rf"\b(?:{w})\b", lowered)]
        hits = [
            h
            for h in hits
            if any(start <= h < end for start, end in clauses)
            and not any(start <= h < end for start, end in exceptions)
        ]
        # the area must be what the statement says is missing: a topic word near the negation or
        # reporting words ("distributed" in a clause before "the filing does not describe ..." is not)
        if any(_near(text, a, h) for h in hits for a in anchors):
            found.append(name)
    return found


#: where a clause of an absence statement ends: a comma, semicolon, colon or dash before a word that
#: starts a reason or an aside ("..., since ...", "..., as ...", "..., saying only ...")
_CLAUSE_BREAK = re.compile(
    r"\s*(?:[;:\u2013\u2014]|,(?=\s+(?:since|as|because|saying|noting|referring|mentioning|touching|"
    r"which|whereas|while|though|although|given)\b))\s*",
    _FLAGS,
)


def _exception_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the exception phrases of a sentence ("Beyond this customer-facing
    financing, ...", "apart from X,"), each up to the next comma: what they name is present in the
    source, not missing."""
    spans = []
    for m in _EXCEPTION.finditer(text):
        comma = text.find(",", m.end())
        spans.append((m.start(), comma if comma >= 0 else len(text)))
    return spans


def _clauses(text: str) -> list[tuple[int, int]]:
    """Character spans of a sentence's clauses, cut at :data:`_CLAUSE_BREAK`."""
    spans, start = [], 0
    for m in _CLAUSE_BREAK.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


#: an area's topic word this many words after the negation / reporting word of an absence
#: statement ("does not describe how the company is financed"), or this many before it ("how it
#: is funded goes unexplained")
ABSENCE_AFTER, ABSENCE_BEFORE = 14, 4


def _near(text: str, anchor: int, hit: int) -> bool:
    words = len(text[min(anchor, hit) : max(anchor, hit)].split())
    return words <= (ABSENCE_AFTER if hit > anchor else ABSENCE_BEFORE)
