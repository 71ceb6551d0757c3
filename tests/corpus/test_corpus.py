"""The document corpus (data/documents), the reference summaries and document selectors."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from bizsum.corpus.documents import DocumentStore
from bizsum.corpus.select import describe_corpus, select_documents
from bizsum.errors import InputError
from bizsum.nlp.text import normalize_text
from bizsum.nlp.tokens import count_tokens
from tests.helpers import ROOT, SHARED

REPO = ROOT
DATA = REPO / "data"
DOCS = DATA / "documents"

COLUMNS = [
    "id",
    "company",
    "cik",
    "ticker",
    "fiscal_year",
    "period_of_report",
    "filing_date",
    "accession",
    "sic",
    "industry",
    "chars",
    "words",
    "tokens_o200k",
    "source",
    "license",
]
DEMO_IDS = [
    "LIVEPERSON_2017",
    "AMZN_2024",
    "AAPL_2024",
    "PG_2025",
    "ZURN_INDUSTRIES_1994",
    "UNITED_STATES_SHOE_1994",
    "WAL_MART_STORES_1995",
]
BULLET = re.compile(r"^\s*([-*•·▪◦‣]|\d+[.)]|[a-z][.)])\s")


@pytest.fixture(scope="module")
def store() -> DocumentStore:
    return DocumentStore(DATA)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with (DOCS / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


@pytest.fixture(scope="module")
def texts(rows) -> dict[str, str]:
    out = {}
    for row in rows:
        path = DOCS / f"{row['id']}.txt"
        assert path.is_file(), f"{path} listed in the manifest but missing"
        raw = path.read_bytes()
        assert raw, f"{path} is empty"
        out[row["id"]] = raw.decode("utf-8")  # raises if not UTF-8
    return out


# --- manifest and files -----------------------------------------------------------------------------


def test_manifest_size_and_unique_ids(rows):
    ids = [row["id"] for row in rows]
    assert len(rows) >= 64
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert set(DEMO_IDS) <= set(ids)


def test_no_stray_text_files(rows):
    assert {p.stem for p in DOCS.glob("*.txt")} == {row["id"] for row in rows}


def test_counts_match_files(rows, texts):
    for row in rows:
        text = texts[row["id"]]
        assert text.strip(), row["id"]
        assert int(row["chars"]) == len(text), row["id"]
        assert int(row["words"]) == len(text.split()), row["id"]
        assert int(row["tokens_o200k"]) == count_tokens(text, "o200k_base"), row["id"]


def test_normalization_is_idempotent(texts):
    for doc_id, text in texts.items():
        assert normalize_text(text) == text, doc_id
        assert normalize_text(normalize_text(text)) == text, doc_id


def test_metadata_is_consistent(rows):
    for row in rows:
        assert row["fiscal_year"] == row["id"].rsplit("_", 1)[1], row["id"]
        assert row["period_of_report"].startswith(row["fiscal_year"]), row["id"]
        assert row["company"] and row["source"] and row["license"], row["id"]
        if row["sic"]:
            assert row["industry"], row["id"]


def test_seed_document_equals_seed_task(texts, rows):
    seed_task = SHARED / "seed" / "seed_task.txt"
    if not seed_task.is_file():
        pytest.skip(f"{seed_task} not available")
    raw = seed_task.read_text(encoding="utf-8").replace("\r\n", "\n")
    prompt, _, document = raw.partition("\n\n")
    assert prompt.startswith("Prompt:")
    assert texts["LIVEPERSON_2017"] == normalize_text(document)
    seed = next(row for row in rows if row["id"] == "LIVEPERSON_2017")
    assert (seed["company"], seed["cik"], seed["ticker"], seed["fiscal_year"], seed["sic"]) == (
        "LivePerson, Inc.",
        "1102993",
        "LPSN",
        "2017",
        "7372",
    )
    assert seed["industry"] == "Software"


def test_shared_texts_are_only_normalized(texts):
    tenk = SHARED / "data" / "tenk_item1"
    if not tenk.is_dir():
        pytest.skip(f"{tenk} not available")
    sources = sorted(tenk.glob("*.txt"))
    assert len(sources) == 63
    for path in sources:
        assert texts[path.stem] == normalize_text(path.read_text(encoding="utf-8")), path.name


def test_store_loads_every_document(store, texts):
    for doc_id in store.ids():
        assert store.load(doc_id).text == texts[doc_id]


# --- reference summaries ----------------------------------------------------------------------------


def test_references_exist_for_demo_documents(store):
    for doc_id in DEMO_IDS:
        assert "project_reference" in store.references(doc_id), doc_id


def test_references_are_short_continuous_prose():
    files = sorted((DATA / "references").glob("*/*.txt"))
    assert len(files) >= len(DEMO_IDS)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.strip(), path
        assert count_tokens(text, "o200k_base") <= 512, path
        for line in text.splitlines():
            assert not BULLET.match(line), f"{path}: bullet line {line[:40]!r}"
            assert not line.lstrip().startswith("#"), f"{path}: heading {line[:40]!r}"


# --- selectors --------------------------------------------------------------------------------------

NINETIES = [
    "COTELLIGENT_1996",
    "MEDICIS_PHARMACEUTICAL_1999",
    "PHYMATRIX_1999",
    "UNION_CAMP_1993",
    "UNITED_STATES_SHOE_1994",
    "WAL_MART_STORES_1995",
    "XETEL_1996",
    "ZIONS_COOPERATIVE_MERCANTILE_1995",
    "ZURN_INDUSTRIES_1994",
]
NUANCE = [f"NUANCE_COMMUNICATIONS_{y}" for y in (2007, 2008, 2011, 2014, 2016, 2018, 2019, 2020, 2021)]
DISNEY = [f"WALT_DISNEY_{y}" for y in range(2012, 2019)]


@pytest.mark.parametrize(
    "selectors, expected",
    [
        (["AAPL_2024"], ["AAPL_2024"]),
        (["year=1990..1999"], NINETIES),
        (["year = 1990 .. 1999"], NINETIES),
        (["year=2010"], ["SANDISK_2010"]),
        (["NUANCE_*"], NUANCE),
        (["nuance_*"], NUANCE),
        (["*_199?"], NINETIES),
        (["company=disney"], DISNEY),
        (["company=Procter & Gamble"], ["PG_2025"]),
        (["ticker=AAPL"], ["AAPL_2024"]),
        (["ticker=wmt"], ["WAL_MART_STORES_1995", "WMT_2025"]),
        (["tokens<=1500"], ["ZIONS_COOPERATIVE_MERCANTILE_1995", "ZURN_INDUSTRIES_1994"]),
        (["tokens>=20000"], ["HORIZON_FINANCIAL_2008", "HORIZON_FINANCIAL_2009"]),
        (["industry=bank"], ["HORIZON_FINANCIAL_2006", "HORIZON_FINANCIAL_2008", "HORIZON_FINANCIAL_2009"]),
        (
            ["industry=software", "year=2017"],
            [
                "ADBE_2024",
                "CRM_2025",
                "INTERNET_AMERICA_2003",
                "LIVEPERSON_2017",
                *NUANCE,
                "TYSON_FOODS_2017",
                "WALT_DISNEY_2017",
            ],
        ),
        # order of selectors is kept, duplicates removed at their first position
        (
            ["ZURN_INDUSTRIES_1994", "year=1994", "ZURN_INDUSTRIES_1994"],
            ["ZURN_INDUSTRIES_1994", "UNITED_STATES_SHOE_1994"],
        ),
        (["WMT_2025", "ticker=WMT", "company=walmart"], ["WMT_2025", "WAL_MART_STORES_1995"]),
    ],
)
def test_selectors(store, selectors, expected):
    assert select_documents(store, selectors) == expected


def test_year_range_matches_manifest(store, rows):
    by_hand = sorted(row["id"] for row in rows if 1990 <= int(row["fiscal_year"]) <= 1999)
    assert by_hand == NINETIES
    assert select_documents(store, ["tokens<=5000"]) == [row["id"] for row in rows if int(row["tokens_o200k"]) <= 5000]


@pytest.mark.parametrize(
    "selector",
    [
        "colour=blue",
        "sector=retail",
        "tokens=5000",
        "tokens<=lots",
        "year=19x",
        "year=1999..1990",
        "NOT_A_DOCUMENT",
        "company=",
        "aapl_2024",
    ],
)
def test_unknown_or_malformed_selector_errors(store, selector):
    with pytest.raises(InputError) as error:
        select_documents(store, [selector])
    assert selector in str(error.value)


@pytest.mark.parametrize(
    "selector", ["year=2050", "NOPE_*", "company=no such company", "tokens>=999999", "ticker=ZZZZ"]
)
def test_selector_matching_nothing_errors(store, selector):
    with pytest.raises(InputError, match="matches no document") as error:
        select_documents(store, ["AAPL_2024", selector])
    assert selector in str(error.value)


# --- describe_corpus --------------------------------------------------------------------------------


def test_describe_corpus_types(store, rows):
    frame = describe_corpus(store)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == len(rows)
    assert list(frame["id"]) == [row["id"] for row in rows]
    for column in ("fiscal_year", "chars", "words", "tokens_o200k"):
        assert str(frame[column].dtype) == "Int64", column
    for column in ("period_of_report", "filing_date"):
        assert pd.api.types.is_datetime64_any_dtype(frame[column]), column
    for column in ("id", "company", "cik", "ticker", "sic", "industry"):
        assert pd.api.types.is_string_dtype(frame[column]), column
    assert frame["fiscal_year"].notna().all()
    assert frame["period_of_report"].notna().all()
    seed = frame.set_index("id").loc["LIVEPERSON_2017"]
    assert seed["fiscal_year"] == 2017 and seed["ticker"] == "LPSN"
    assert pd.isna(seed["filing_date"])
