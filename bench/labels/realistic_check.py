"""Check the realistic label sheets (data/validation/realistic/sheets/<DOC_ID>.json).

    python bench/labels/realistic_check.py [DOC_ID ...]     # all sheets when none are named
    python bench/labels/realistic_check.py --holdout [DOC_ID ...]   # the holdout sheets
    python bench/labels/realistic_check.py --holdout2 [DOC_ID ...]  # the second holdout batch
    python bench/labels/realistic_check.py --holdout3 [DOC_ID ...]  # the third holdout batch
    python bench/labels/realistic_check.py --holdout4 [DOC_ID ...]  # the fourth holdout batch
    python bench/labels/realistic_check.py --holdout5 [DOC_ID ...]  # the fifth holdout batch
    python bench/labels/realistic_check.py --holdout6 [DOC_ID ...]  # the sixth holdout batch
    python bench/labels/realistic_check.py --holdout7 [DOC_ID ...]  # the seventh holdout batch
    python bench/labels/realistic_check.py --holdout8 [DOC_ID ...]  # the eighth holdout batch
    python bench/labels/realistic_check.py --holdout9 [DOC_ID ...]  # the ninth holdout batch
    python bench/labels/realistic_check.py --holdout10 [DOC_ID ...]  # the tenth holdout batch
    python bench/labels/realistic_check.py --holdout11 [DOC_ID ...]  # the eleventh holdout batch

Every problem is printed as one line naming the sheet and the field; exit 1 when there is any.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the sheets' folders, one per holdout batch (each checked with ``--<name>``; their histories are
# kept there), and the error kinds
from realistic import ERROR_KINDS, HOLDOUT_BATCHES, ROOT, SHEETS

DOCUMENTS = ROOT / "data" / "documents"
AREAS = ("sources_of_revenue", "customer_base", "products", "distribution_channels", "financing")
AREA_LABELS = ("covered", "missed", "not_in_source")
_TRANSLATE = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " "}
)


def normalise(text: str) -> str:
    """Whitespace, quotes and dashes made uniform so a quote matches however the filing wraps it."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return re.sub(r"\s+", " ", text).strip().lower()


def words(sentences: list[dict]) -> int:
    return sum(len(s["text"].split()) for s in sentences)


def check_summary(name: str, field: str, sentences: object, source: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(sentences, list) or not sentences:
        return [f"{name}: {field} must be a non-empty list of sentences"]
    for i, sentence in enumerate(sentences):
        where = f"{name}: {field}[{i}]"
        if not isinstance(sentence, dict) or not isinstance(sentence.get("text"), str) or not sentence["text"].strip():
            problems.append(f"{where}: needs a 'text'")
            continue
        quotes = sentence.get("quotes")
        if not isinstance(quotes, list) or not quotes:
            problems.append(f"{where}: needs at least one verbatim source quote in 'quotes'")
            continue
        for q in quotes:
            if not isinstance(q, str) or len(q.split()) < 3:
                problems.append(f"{where}: quote {q!r} is shorter than 3 words")
            elif normalise(q) not in source:
                problems.append(f"{where}: quote not found verbatim in the document: {q[:80]!r}")
    n = words(sentences)  # type: ignore[arg-type]
    if not 180 <= n <= 350:
        problems.append(f"{name}: {field} has {n} words (180-350 wanted)")
    return problems


def check_sheet(path: Path) -> list[str]:
    name = path.name
    try:
        sheet = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{name}: not valid JSON: {exc}"]
    doc_id = sheet.get("doc_id")
    if doc_id != path.stem:
        return [f"{name}: doc_id {doc_id!r} must equal the file name"]
    doc = DOCUMENTS / f"{doc_id}.txt"
    if not doc.exists():
        return [f"{name}: no document {doc}"]
    source = normalise(doc.read_text())
    problems = check_summary(name, "faithful", sheet.get("faithful"), source)
    problems += check_summary(name, "paraphrase", sheet.get("paraphrase"), source)
    errors = sheet.get("errors")
    faithful = sheet.get("faithful") or []
    if not isinstance(errors, list) or sorted(e.get("kind", "") for e in errors if isinstance(e, dict)) != sorted(
        ERROR_KINDS
    ):
        problems.append(f"{name}: errors must hold exactly one entry of each kind {ERROR_KINDS}")
    else:
        for e in errors:
            where = f"{name}: errors[{e['kind']}]"
            r = e.get("replaces")
            if not isinstance(r, int) or not 0 <= r < len(faithful):
                problems.append(f"{where}: 'replaces' must index a faithful sentence (0..{len(faithful) - 1})")
            if not isinstance(e.get("text"), str) or not e["text"].strip():
                problems.append(f"{where}: needs a 'text'")
            elif isinstance(r, int) and 0 <= r < len(faithful) and e["text"].strip() == faithful[r]["text"].strip():
                problems.append(f"{where}: the altered sentence equals the original")
            if not isinstance(e.get("why"), str) or not e["why"].strip():
                problems.append(f"{where}: needs a 'why' saying what is wrong")
    areas = sheet.get("areas")
    for field in ("faithful", "paraphrase"):
        labels = (areas or {}).get(field) if isinstance(areas, dict) else None
        if (
            not isinstance(labels, dict)
            or set(labels) != set(AREAS)
            or any(v not in AREA_LABELS for v in labels.values())
        ):
            problems.append(f"{name}: areas.{field} must give each of {AREAS} one of {AREA_LABELS}")
    return problems


def main(argv: list[str]) -> int:
    folder = SHEETS
    batches = {f"--{name}": folder for name, folder in HOLDOUT_BATCHES.items()}
    if argv[:1] and argv[0] in batches:
        folder, argv = batches[argv[0]], argv[1:]
    paths = [folder / f"{d}.json" for d in argv] if argv else sorted(folder.glob("*.json"))
    problems = [p for path in paths for p in (check_sheet(path) if path.exists() else [f"{path}: missing"])]
    for p in problems:
        print(p)
    print(f"{len(paths)} sheet(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
