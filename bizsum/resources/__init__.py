"""Files shipped inside the package (read with importlib.resources, so a wheel install works):
default prices and context windows, and the claim verifier's weights."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def resource(*parts: str) -> Traversable:
    """A file or folder under ``bizsum/resources``."""
    return resources.files(__name__).joinpath(*parts)
