"""A claim read without the emphasis a summary adds: "its own sales staff" for the filing's "our
sales staff", "Tesla itself" for "we".

The verifier, trained on errors that put a company's "own" stores or fleet where the filing names
third parties, scored "Products are sold mainly by the company's own sales staff." 0.005 against
"Our products are marketed and sold primarily by our sales staff to grocery retailers, …" and
the same claim without "own" 0.70 (holdout batch 6 of the realistic set). A claim below the
verifier's threshold that carries such emphasis is verified a second time without it, and the
better score counts (:func:`bizsum.metrics.source_only.metric.verify`). An invented "its own
trucking fleet" stays unsupported read as "its trucking fleet": the emphasis is not what the
filing lacks.
"""

from __future__ import annotations

import re

#: "its own", "the company's own", "Disney's own" before a noun: the possessive stays, "own" goes
#: ("on its own," stays)
_OWN = re.compile(r"\b(its|their|his|her|the company['’]s|[A-Z][\w&.-]*['’]s) own\b(?=\s+\w)")
#: "Tesla itself", "the company itself": after a name or the company, not after a verb ("calls itself")
_ITSELF = re.compile(r"\b((?:the )?(?:company|firm|partnership|fund|group|bank)|[A-Z][\w&.-]*) (?:itself|themselves)\b")


def without_emphasis(claim: str) -> str | None:
    """The claim without an emphatic "own" or "itself" (None when it has neither)."""
    text = _ITSELF.sub(lambda m: m.group(1), _OWN.sub(lambda m: m.group(1), claim))
    return text if text != claim else None
