"""Regenerate the parts of README.md that are derived from code (the table of score keys).

``python scripts/render_docs.py`` rewrites the text between ``<!-- columns:start -->`` and
``<!-- columns:end -->``; ``--check`` exits 1 when README.md is out of date (the tests run it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bizsum.analysis.tables import columns_markdown

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- columns:start -->\n)(?:.*?\n)?(<!-- columns:end -->)", re.DOTALL)


def rendered(text: str) -> str:
    if not BLOCK.search(text):
        raise SystemExit("README.md has no <!-- columns:start --> ... <!-- columns:end --> block")
    return BLOCK.sub(lambda m: m.group(1) + columns_markdown() + "\n" + m.group(2), text)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    new = rendered(text)
    if "--check" in argv:
        if new != text:
            print("README.md is out of date: run python scripts/render_docs.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
