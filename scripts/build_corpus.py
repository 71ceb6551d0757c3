#!/usr/bin/env python
"""Build ``data/documents/`` (texts + manifest.csv) from the shared 10-K Item 1 texts and the seed task.

Re-runnable and deterministic: the same inputs give byte-identical outputs. Each text is passed
through :func:`bizsum.nlp.text.normalize_text` and nothing else is changed. Stale ``*.txt`` files in the
output folder that are no longer part of the corpus are removed.

Usage::

    python scripts/build_corpus.py [--shared /work/shared] [--out data/documents] [-v]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bizsum.corpus.select import MANIFEST_COLUMNS
from bizsum.nlp.text import normalize_text
from bizsum.nlp.tokens import count_tokens

log = logging.getLogger("build_corpus")

COLUMNS = list(MANIFEST_COLUMNS)  # data/documents/manifest.csv, as bizsum.corpus.select reads it

EDGAR_CRAWLER_COMMIT = "6aeed66a6bc30639c0186eb8397bbd63b83210ab"
EDGARTOOLS_COMMIT = "ca5a70094da7fc34890161dae9c256bb1f4c3d26"
LICENSE_EDGAR_CRAWLER = "SEC public record (text); edgar-crawler GPL-3.0 extraction"
LICENSE_EDGARTOOLS = "SEC public record; edgartools MIT"
LICENSE_SEED = "SEC public record (text)"

MIN_WORDS = 200  # below this an "Item 1" is a table of contents or a cross-reference, not a business description

# --- SIC code -> short industry label ---------------------------------------------------------------
# (low, high, label); the narrowest range containing the code wins, so specific codes override the
# broad SIC divisions listed at the end.
SIC_LABELS: list[tuple[int, int, str]] = [
    (2000, 2099, "Food products"),
    (2600, 2699, "Paper & forest products"),
    (2830, 2836, "Pharmaceuticals"),
    (2840, 2844, "Household & personal care products"),
    (3000, 3099, "Rubber & plastics products"),
    (3020, 3021, "Footwear"),
    (3300, 3399, "Steel & primary metals"),
    (3570, 3579, "Computer hardware"),
    (3600, 3699, "Electronic equipment"),
    (3670, 3679, "Electronic components & semiconductors"),
    (3710, 3716, "Motor vehicles"),
    (3720, 3729, "Aerospace"),
    (4000, 4099, "Railroads"),
    (4200, 4299, "Trucking & freight"),
    (4800, 4899, "Telecommunications & media"),
    (4830, 4841, "Broadcasting & cable TV"),
    (4900, 4999, "Utilities & power"),
    (4991, 4991, "Power generation (cogeneration)"),
    (5000, 5199, "Wholesale trade"),
    (5120, 5122, "Wholesale (drugs)"),
    (5200, 5299, "Home improvement retail"),
    (5300, 5399, "General merchandise retail"),
    (5311, 5311, "Department store retail"),
    (5400, 5499, "Grocery retail"),
    (5600, 5699, "Apparel & shoe retail"),
    (5900, 5999, "Retail"),
    (5960, 5969, "Online & mail-order retail"),
    (6020, 6029, "Banking"),
    (6030, 6036, "Savings institutions"),
    (6140, 6159, "Consumer & business credit"),
    (6200, 6299, "Securities & brokerage"),
    (6300, 6499, "Insurance"),
    (7370, 7379, "Computer & internet services"),
    (7372, 7372, "Software"),
    (7373, 7373, "IT services & systems integration"),
    (7380, 7389, "Business services"),
    (8000, 8099, "Health services"),
    (8700, 8799, "Engineering & management services"),
    # SIC divisions (fallbacks)
    (100, 999, "Agriculture"),
    (1000, 1499, "Mining"),
    (1500, 1799, "Construction"),
    (2000, 3999, "Manufacturing"),
    (4000, 4999, "Transportation, communications & utilities"),
    (5000, 5199, "Wholesale trade"),
    (5200, 5999, "Retail"),
    (6000, 6799, "Finance, insurance & real estate"),
    (7000, 8999, "Services"),
    (9100, 9999, "Public administration"),
]


def industry_label(sic: str) -> str:
    """Short label for a SIC code ("7372" -> "Software"); empty when unknown or not given."""
    try:
        code = int(sic)
    except (TypeError, ValueError):
        return ""
    matches = [(high - low, label) for low, high, label in SIC_LABELS if low <= code <= high]
    return min(matches)[1] if matches else ""


# --- metadata that the edgartools manifest does not give ---------------------------------------------
# CIK, SIC and company name of the edgartools filers, filled in by hand. The CIKs of AAPL, CRM, HD,
# MA, NVDA, TSLA and WMT were checked against dei:EntityCentralIndexKey in shared/data/tenk_full.
# Medicis (1999) and Commonwealth Income & Growth Fund V: CIK/SIC not known for sure -> left empty.
EDGARTOOLS_FILERS: dict[str, tuple[str, str, str]] = {
    # name: (company, cik, sic)
    "AAPL": ("Apple Inc.", "320193", "3571"),
    "ABBV": ("AbbVie Inc.", "1551152", "2834"),
    "ADBE": ("Adobe Inc.", "796343", "7372"),
    "AMZN": ("Amazon.com, Inc.", "1018724", "5961"),
    "CRM": ("Salesforce, Inc.", "1108524", "7372"),
    "GOOGL": ("Alphabet Inc.", "1652044", "7370"),
    "HD": ("The Home Depot, Inc.", "354950", "5211"),
    "JNJ": ("Johnson & Johnson", "200406", "2834"),
    "MA": ("Mastercard Incorporated", "1141391", "7389"),
    "META": ("Meta Platforms, Inc.", "1326801", "7370"),
    "NKE": ("NIKE, Inc.", "320187", "3021"),
    "NVDA": ("NVIDIA Corporation", "1045810", "3674"),
    "PG": ("The Procter & Gamble Company", "80424", "2840"),
    "TSLA": ("Tesla, Inc.", "1318605", "3711"),
    "UNP": ("Union Pacific Corporation", "100885", "4011"),
    "V": ("Visa Inc.", "1403161", "7389"),
    "WMT": ("Walmart Inc.", "104169", "5331"),
    # company names from the cover pages (shared/data/tenk_full)
    "MEDICIS_PHARMACEUTICAL": ("Medicis Pharmaceutical Corporation", "", ""),
    "COMMONWEALTH_INCOME_GROWTH_FUND_V": ("Commonwealth Income & Growth Fund V", "", ""),
}

# Tickers of edgar-crawler filers (trading symbol at the time of the filing), only where certain.
EDGAR_CRAWLER_TICKERS: dict[str, str] = {
    "1000180": "SNDK",  # SanDisk
    "1001039": "DIS",  # Walt Disney
    "1002047": "NTAP",  # NetApp
    "1002517": "NUAN",  # Nuance Communications
    "100493": "TSN",  # Tyson Foods (the texts say "NYSE: TSN")
    "104169": "WMT",  # Wal-Mart Stores
    "108516": "WOR",  # Worthington Industries
}

SEED = {
    "id": "LIVEPERSON_2017",
    "company": "LivePerson, Inc.",
    "cik": "1102993",
    "ticker": "LPSN",
    "fiscal_year": "2017",
    "period_of_report": "2017-12-31",
    "filing_date": "",
    "accession": "",
    "sic": "7372",
}


@dataclass
class Entry:
    doc_id: str
    path: Path | None  # None for the seed (text taken from seed_task.txt)
    meta: dict[str, str]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cover_date(value: str) -> str:
    """'September 28, 2024' / 'MAY 31, 2025' -> '2024-09-28'."""
    return datetime.strptime(value.strip().title(), "%B %d, %Y").date().isoformat()


def seed_document(seed_task: Path) -> str:
    """The text after the first blank line of seed_task.txt (line 1 is the prompt)."""
    raw = seed_task.read_text(encoding="utf-8").replace("\r\n", "\n")
    head, sep, body = raw.partition("\n\n")
    if not sep or not head.startswith("Prompt:"):
        raise SystemExit(f"{seed_task}: expected 'Prompt: ...', a blank line, then the document")
    return body


def collect_entries(shared: Path) -> tuple[list[Entry], list[tuple[str, str]]]:
    """All candidate documents with their metadata, plus (file, reason) for files without metadata."""
    tenk = shared / "data" / "tenk_item1"
    entries: list[Entry] = []
    skipped: list[tuple[str, str]] = []
    known: set[str] = set()

    for row in read_csv(tenk / "manifest.csv"):
        doc_id = Path(row["file"]).stem
        known.add(row["file"])
        entries.append(
            Entry(
                doc_id,
                tenk / row["file"],
                {
                    "id": doc_id,
                    "company": row["company"].strip(),
                    "cik": row["cik"].strip(),
                    "ticker": EDGAR_CRAWLER_TICKERS.get(row["cik"].strip(), ""),
                    "fiscal_year": row["period_of_report"][:4],
                    "period_of_report": row["period_of_report"],
                    "filing_date": row["filing_date"],
                    "accession": row["accession"],
                    "sic": row["sic"].strip(),
                    "source": (
                        f"github.com/nlpaueb/edgar-crawler@{EDGAR_CRAWLER_COMMIT}:"
                        f"tests/fixtures/EXTRACTED_FILINGS/10-K.zip/{row['source_json']}#item_1"
                    ),
                    "license": LICENSE_EDGAR_CRAWLER,
                },
            )
        )

    for row in read_csv(tenk / "manifest_edgartools.csv"):
        doc_id = Path(row["file"]).stem
        known.add(row["file"])
        name = row["name"].strip()
        company, cik, sic = EDGARTOOLS_FILERS.get(name, ("", "", ""))
        if not company:
            log.warning("%s: no company name/CIK/SIC known for edgartools name %r", doc_id, name)
        period = cover_date(row["period_from_cover"]) if row["period_from_cover"].strip() else ""
        is_ticker = name.isupper() and "_" not in name
        entries.append(
            Entry(
                doc_id,
                tenk / row["file"],
                {
                    "id": doc_id,
                    "company": company or name,
                    "cik": cik,
                    "ticker": name if is_ticker else "",
                    "fiscal_year": period[:4],
                    "period_of_report": period,
                    "filing_date": row["filed"].strip(),
                    "accession": row["accession"].strip(),
                    "sic": sic,
                    "source": f"github.com/dgunning/edgartools@{EDGARTOOLS_COMMIT}:{row['source_path']}",
                    "license": LICENSE_EDGARTOOLS,
                },
            )
        )

    for path in sorted(tenk.glob("*.txt")):
        if path.name not in known:
            skipped.append((path.name, "not listed in manifest.csv or manifest_edgartools.csv (no metadata)"))

    entries.append(
        Entry(
            SEED["id"],
            None,
            {
                **SEED,
                "source": "bizsum seed task: shared/seed/seed_task.txt (document after the prompt line)",
                "license": LICENSE_SEED,
            },
        )
    )
    return entries, skipped


def check_usable(doc_id: str, text: str, meta: dict[str, str], stem_year: str | None) -> str | None:
    """Reason why a document cannot be used, or None."""
    if not text:
        return "empty after normalization"
    words = len(text.split())
    if words < MIN_WORDS:
        return f"only {words} words (table of contents or cross-reference, not a business description)"
    if not meta["fiscal_year"]:
        return "fiscal year unknown (no period of report)"
    if stem_year and stem_year != meta["fiscal_year"]:
        return f"file name year {stem_year} disagrees with period of report {meta['period_of_report']}"
    return None


def build(shared: Path, out: Path) -> dict[str, object]:
    entries, skipped = collect_entries(shared)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, str]] = []
    seen_hashes: dict[str, str] = {}
    seen_ids: set[str] = set()

    for entry in entries:
        doc_id = entry.doc_id
        if doc_id in seen_ids:
            skipped.append((doc_id, "listed twice in the manifests"))
            continue
        if entry.path is None:
            raw = seed_document(shared / "seed" / "seed_task.txt")
            stem_year = None
        else:
            if not entry.path.is_file():
                skipped.append((entry.path.name, "listed in a manifest but the file is missing"))
                continue
            try:
                raw = entry.path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as error:
                skipped.append((entry.path.name, f"not UTF-8 ({error})"))
                continue
            stem_year = doc_id.rsplit("_", 1)[-1]
        text = normalize_text(raw)
        reason = check_usable(doc_id, text, entry.meta, stem_year)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if reason is None and digest in seen_hashes:
            reason = f"same text as {seen_hashes[digest]}"
        if reason:
            skipped.append((doc_id, reason))
            continue
        seen_ids.add(doc_id)
        seen_hashes[digest] = doc_id
        target = out / f"{doc_id}.txt"
        data = text.encode("utf-8")
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
        row = dict(entry.meta)
        row["industry"] = industry_label(row["sic"])
        row["chars"] = str(len(text))
        row["words"] = str(len(text.split()))
        row["tokens_o200k"] = str(count_tokens(text, "o200k_base"))
        rows.append({column: row.get(column, "") for column in COLUMNS})

    rows.sort(key=lambda r: r["id"])
    kept = {row["id"] for row in rows}
    for stale in sorted(out.glob("*.txt")):
        if stale.stem not in kept:
            log.info("removing stale %s", stale.name)
            stale.unlink()

    manifest = out / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    for name, reason in skipped:
        log.warning("skipped %s: %s", name, reason)
    tokens = sorted(int(row["tokens_o200k"]) for row in rows)
    log.info(
        "wrote %d documents and %s; o200k tokens min %d / median %g / max %d; skipped %d",
        len(rows),
        manifest,
        tokens[0],
        statistics.median(tokens),
        tokens[-1],
        len(skipped),
    )
    for row in rows:
        if not row["sic"] or not row["cik"]:
            log.info("%s: CIK/SIC not known, left empty", row["id"])
    return {"rows": rows, "skipped": skipped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared"), help="shared folder (data/, seed/)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "documents", help="output folder")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    build(args.shared, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
