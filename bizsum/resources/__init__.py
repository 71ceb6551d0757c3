"""Files shipped inside the package (read with importlib.resources, so a wheel install works):
default prices and context windows, and the claim verifier's weights."""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def resource(*parts: str) -> Traversable:
    """A file or folder under ``bizsum/resources``."""
    return resources.files(__name__).joinpath(*parts)


#: environment variable naming another folder as the built-in corpus (``corpus: [builtin]``)
BUILTIN_DATA_ENV = "BIZSUM_BUILTIN_DATA"


def builtin_data_dir() -> Path | None:
    """The corpus shipped with bizsum (``data/`` of the source tree: documents, prompts,
    references), or the folder named by ``$BIZSUM_BUILTIN_DATA``; None when neither exists (a wheel
    install without the source tree)."""
    override = os.environ.get(BUILTIN_DATA_ENV)
    folder = Path(override).expanduser() if override else Path(__file__).resolve().parents[2] / "data"
    return folder.resolve() if (folder / "documents" / "manifest.csv").is_file() else None
