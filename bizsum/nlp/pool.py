"""A least-recently-used pool of per-document objects bounded by their memory, not their count.

A 10-K's index ranges from a few hundred kilobytes (a 2-page filing) to tens of megabytes (a bank's
100-page Item 1): a count bound either wastes memory on small documents or lets a few big ones
blow a scoring actor's budget. Each entry is weighed once, when it is added; the oldest entries go
until the pool is within ``max_bytes`` (the newest entry always stays, however big).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Generic, TypeVar

import numpy as np

T = TypeVar("T")

#: bytes per character of a Python str held in lists and sets (ASCII text, with object overhead)
STR_BYTES = 1.2
#: bytes of a small Python object (a set entry, a tuple, a float) beside its payload
OBJECT_BYTES = 64


def text_bytes(texts: list[str] | tuple[str, ...]) -> int:
    """Approximate memory of a list of strings."""
    return int(sum(len(t) for t in texts) * STR_BYTES) + 56 * len(texts)


def array_bytes(*arrays: np.ndarray) -> int:
    return sum(int(a.nbytes) for a in arrays)


class MemoryPool(Generic[T]):
    """Key -> object, evicting the least recently used beyond ``max_bytes`` (``size_of`` weighs one)."""

    def __init__(self, max_bytes: int, size_of: Callable[[T], int]) -> None:
        self.max_bytes = max_bytes
        self.size_of = size_of
        self._items: OrderedDict[str, tuple[T, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0

    def get(self, key: str) -> T | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: str, value: T) -> None:
        size = self.size_of(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes and len(self._items) > 1:
                _, (_, freed) = self._items.popitem(last=False)
                self.bytes -= freed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, looked up once (None where there is none)."""
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def return_freed_memory() -> bool:
    """Hand the memory freed since the last call back to the operating system (glibc's
    ``malloc_trim``; elsewhere nothing happens). A scoring actor calls it after each document group:
    the encoders' activations of a long source are freed but glibc keeps the pages, so the RSS of a
    process grew by a group's transient peak and stayed there (20 documents, full suite, one
    process: 1,307 MB at the end without it, 1,001 MB with it; peak 1,402 → 1,267 MB)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
