"""Reading a filing file: decoding, SGML full-submission unwrapping, HTML vs plain-text detection.

EDGAR gives users three shapes of the same 10-K:

* the primary document alone (``.htm``; inline XBRL since 2019, plain HTML before);
* an old plain-text document (``.txt``, 1990s–early 2000s), often with ``<PAGE>`` markers and SGML
  table tags (``<TABLE>``, ``<S>``, ``<C>``);
* the full submission (``<accession>.txt``): an SGML ``<SEC-HEADER>`` followed by one
  ``<DOCUMENT>`` block per file (the 10-K itself, exhibits, XBRL, images...).

:func:`read_filing` returns the 10-K document's body with its kind (``"html"`` or ``"text"``) and
the SGML header fields when there is a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bizsum.errors import InputError

# Main-document types we accept (10-K and its historical/amended variants).
TENK_TYPES = re.compile(r"^10-?K(?:SB|405|T|SB40|/A|405/A|SB/A|T/A)?\b", re.I)

_DOCUMENT = re.compile(r"<DOCUMENT>(.*?)(?:</DOCUMENT>|\Z)", re.S | re.I)
_DOC_FIELD = re.compile(r"^<(TYPE|SEQUENCE|FILENAME|DESCRIPTION)>[ \t]*(.*?)[ \t]*$", re.M | re.I)
_TEXT = re.compile(r"<TEXT>(.*?)(?:</TEXT>|\Z)", re.S | re.I)
_HEADER_FIELD = re.compile(r"^[ \t]*([A-Z][A-Z0-9 \-]*?):[ \t]*(\S.*?)[ \t]*$", re.M)
# <TABLE>, <S>, <C>, <PAGE> also occur in plain-text filings, so they do not count as HTML.
_HTML_SNIFF = re.compile(r"<(?:html|body|div|p|font|span|br|td|tr)\b[^>]*>", re.I)


@dataclass
class FilingSource:
    """The 10-K main document of a filing file, ready for text extraction."""

    path: Path
    body: str
    kind: str  # "html" or "text"
    header: dict[str, str] = field(default_factory=dict)  # SGML header fields (first occurrence)
    document_type: str = ""  # <TYPE> of the chosen <DOCUMENT>, when the file is a submission


def decode_bytes(raw: bytes) -> str:
    """UTF-8 when valid, else Windows-1252 (what pre-2000s EDGAR files use), never failing."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def looks_like_html(text: str) -> bool:
    head = text[:20000]
    if re.search(r"<(?:!doctype\s+html|html)\b", head, re.I):
        return True
    return len(_HTML_SNIFF.findall(text[:200000])) >= 5


def parse_sgml_header(text: str) -> dict[str, str]:
    """``KEY: value`` fields of the ``<SEC-HEADER>`` (or of the text before the first ``<DOCUMENT>``)."""
    match = re.search(r"<(?:SEC|IMS)-HEADER>(.*?)</(?:SEC|IMS)-HEADER>", text, re.S | re.I)
    if match:
        header_text = match.group(1)
    else:
        first_doc = re.search(r"<DOCUMENT>", text, re.I)
        header_text = text[: first_doc.start()] if first_doc else ""
    fields: dict[str, str] = {}
    for key, value in _HEADER_FIELD.findall(header_text):
        key = " ".join(key.split()).upper()
        fields.setdefault(key, value)
    return fields


def _documents(text: str) -> list[dict[str, str]]:
    docs = []
    for match in _DOCUMENT.finditer(text):
        block = match.group(1)
        text_match = _TEXT.search(block)
        meta_part = block[: text_match.start()] if text_match else block[:2000]
        meta = {k.upper(): v for k, v in _DOC_FIELD.findall(meta_part)}
        meta["TEXT"] = text_match.group(1) if text_match else block
        docs.append(meta)
    return docs


def _strip_xbrl_wrapper(body: str) -> str:
    body = body.strip("\r\n")
    wrapper = re.match(r"\s*<XBRL>(.*?)(?:</XBRL>\s*)?\Z", body, re.S | re.I)
    return wrapper.group(1) if wrapper else body


def read_filing(path: str | Path) -> FilingSource:
    """Read a filing file and pick its 10-K document; raise :class:`InputError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"filing file not found: {path}")
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(f"filing file {path} is empty")
    if raw[:4] == b"%PDF" or raw[:2] == b"PK":
        raise InputError(f"filing file {path} is a PDF or ZIP archive; give the 10-K .htm/.html/.txt document")
    text = decode_bytes(raw)

    header: dict[str, str] = {}
    document_type = ""
    body = text
    if re.search(r"<DOCUMENT>", text[:200000], re.I) and re.search(r"<TYPE>", text[:200000], re.I):
        header = parse_sgml_header(text)
        docs = _documents(text)
        main = next((d for d in docs if TENK_TYPES.match(d.get("TYPE", ""))), None)
        if main is None:
            types = sorted({d.get("TYPE", "?") for d in docs})
            raise InputError(
                f"{path}: no 10-K document in this submission (document types: {', '.join(types) or 'none'})"
            )
        document_type = main.get("TYPE", "")
        body = _strip_xbrl_wrapper(main["TEXT"])
    elif re.search(r"<SEC-HEADER>|ACCESSION NUMBER:", text[:20000], re.I):
        header = parse_sgml_header(text)

    kind = "html" if looks_like_html(body) else "text"
    return FilingSource(path=path, body=body, kind=kind, header=header, document_type=document_type)
