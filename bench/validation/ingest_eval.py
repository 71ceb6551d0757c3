"""Evaluate ``bizsum ingest`` on whole 10-K filings against quick Item 1 cuts of the same filings.

    python bench/validation/ingest_eval.py [--full DIR] [--cuts DIR] [--repeat N] [--markdown]

For each filing in ``--full`` (default ``../shared/data/tenk_full`` beside the repository) it prints: ok/error, the
start line and heading, the end heading, characters and words of the extracted Item 1, the time to
ingest (median of ``--repeat`` runs), and the overlap with the quick cut in ``--cuts`` (default
``../shared/data/tenk_item1``; matched through ``manifest_edgartools.csv``):

* ``seq``: difflib ``SequenceMatcher.ratio()`` over the two word sequences (whitespace-normalized,
  so line wrapping and table layout do not count, only words and their order);
* ``P`` / ``R``: bag-of-words precision (share of our words also in the cut) and recall (share of
  the cut's words we have);
* ``first`` / ``last``: whether the two texts start / end at the same place, i.e. the first / last
  20 words of one appear within the first / last 60 words of the other.

Tokens are whitespace-separated words of the normalized texts, without the ``|`` cell separators
(the quick cut lays tables out with spaces and newlines instead).

The quick cut is a cross-check, not ground truth: it keeps some page footers and running headers
that the ingester removes ("Apple Inc. | 2024 Form 10-K | 3", "PART I" / "ITEM 1. BUSINESS"), which
lowers R, and it dropped some bare-number table cells as if they were page numbers, which lowers P.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bizsum.errors import InputError
from bizsum.ingest import ingest_filing
from bizsum.nlp.text import normalize_text

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"  # ../shared/data beside the repository
DEFAULT_FULL = SHARED_DATA / "tenk_full"
DEFAULT_CUTS = SHARED_DATA / "tenk_item1"


def cut_for(filing: Path, cuts: Path) -> Path | None:
    manifest = cuts / "manifest_edgartools.csv"
    if manifest.is_file():
        with manifest.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if Path(row.get("source_path", "")).name == filing.name:
                    path = cuts / row["file"]
                    return path if path.is_file() else None
    return None


def words(text: str) -> list[str]:
    """Whitespace tokens of the normalized text, without the " | " table-cell separators."""
    return [token for token in normalize_text(text).split() if token != "|"]


def _within(needle: list[str], haystack: list[str]) -> bool:
    return " ".join(needle).casefold() in " ".join(haystack).casefold()


def overlap(ours: str, cut: str) -> dict[str, float | bool]:
    a, b = words(ours), words(cut)
    seq = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    common = sum((Counter(a) & Counter(b)).values())
    first = bool(a and b) and (_within(b[:20], a[:60]) or _within(a[:20], b[:60]))
    last = bool(a and b) and (_within(b[-20:], a[-60:]) or _within(a[-20:], b[-60:]))
    return {
        "seq": seq,
        "P": common / len(a) if a else 0.0,
        "R": common / len(b) if b else 0.0,
        "first": first,
        "last": last,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", type=Path, default=DEFAULT_FULL)
    parser.add_argument("--cuts", type=Path, default=DEFAULT_CUTS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    filings = sorted(p for p in args.full.iterdir() if p.is_file())
    rows = []
    for filing in filings:
        times = []
        result = error = None
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            try:
                result = ingest_filing(filing)
            except InputError as exc:
                error = str(exc)
            times.append(time.perf_counter() - started)
        row: dict[str, object] = {"filing": filing.name, "time": statistics.median(times)}
        if error or result is None:
            row.update(status="error", error=error)
            rows.append(row)
            continue
        cut = cut_for(filing, args.cuts)
        row.update(
            status="ok",
            start=result.start_line,
            start_heading=result.start_heading,
            end_heading=result.end_heading or "(end of document)",
            chars=len(result.text),
            words=result.words,
            cut=cut.stem if cut else "-",
            warnings=len(result.warnings),
        )
        if cut:
            row.update(overlap(result.text, cut.read_text(encoding="utf-8")))
        rows.append(row)

    ok = [r for r in rows if r["status"] == "ok"]
    header = "| filing | status | start line | start heading | end heading | chars | words | time s | quick cut | seq | P | R | first | last |"
    if args.markdown:
        print(header)
        print("|" + "---|" * 14)
    for r in rows:
        if r["status"] != "ok":
            line = f"| {r['filing']} | ERROR: {r['error']} | | | | | | {r['time']:.2f} | | | | | | |"
        else:
            metrics = (
                f"{r['seq']:.3f} | {r['P']:.3f} | {r['R']:.3f} | {'yes' if r['first'] else 'no'} | {'yes' if r['last'] else 'no'}"
                if "seq" in r
                else "- | - | - | - | -"
            )
            line = (
                f"| {r['filing']} | ok | {r['start']} | {r['start_heading']} | {r['end_heading']} | {r['chars']:,} | "
                f"{r['words']:,} | {r['time']:.2f} | {r['cut']} | {metrics} |"
            )
        print(line if args.markdown else line.strip("| ").replace(" | ", "  "))
    with_cut = [r for r in ok if "seq" in r]
    print()
    print(f"ingested cleanly: {len(ok)}/{len(rows)}; with warnings: {sum(1 for r in ok if r['warnings'])}")
    if with_cut:
        print(
            "mean seq {:.3f} (min {:.3f}); mean P {:.3f}; mean R {:.3f}; same start {}/{}; same end {}/{}".format(
                statistics.mean(r["seq"] for r in with_cut),
                min(r["seq"] for r in with_cut),
                statistics.mean(r["P"] for r in with_cut),
                statistics.mean(r["R"] for r in with_cut),
                sum(bool(r["first"]) for r in with_cut),
                len(with_cut),
                sum(bool(r["last"]) for r in with_cut),
                len(with_cut),
            )
        )
    times = [float(r["time"]) for r in rows]
    print(f"time per filing: median {statistics.median(times):.2f} s, max {max(times):.2f} s, total {sum(times):.2f} s")
    return 0 if len(ok) == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
