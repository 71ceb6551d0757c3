"""Progress bars: text bars (tqdm), the same in a terminal, a papermill kernel and JupyterLab.

In a notebook kernel the bar goes to stdout: JupyterLab shows stderr as an error box, and a text
bar (unlike a widget) is saved finished in an executed notebook. Elsewhere it goes to stderr, so
stdout stays for results (``bizsum score --json``).
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def progress_bar(iterable: Any = None, **options: Any) -> tqdm:
    """A tqdm text bar on the stream that suits where the code runs (see the module doc)."""
    stream = sys.stdout if "ipykernel" in sys.modules else sys.stderr
    # shown from its first update after 0.5 s: a log line written just after the bar started would
    # otherwise split it, leaving a stray "0%" line in a saved notebook
    options.setdefault("delay", 0.5)
    return tqdm(iterable, file=stream, **options)
