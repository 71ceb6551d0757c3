"""Batches of items of different lengths for a transformer forward pass."""

from __future__ import annotations

from collections.abc import Sequence


def length_batches(
    lengths: Sequence[int], batch_size: int, max_tokens: int, longest_first: bool = False
) -> list[list[int]]:
    """Indices of the items sorted by length (stable; shortest first unless ``longest_first``), cut
    into batches of at most ``batch_size`` items whose padded size (count x longest) stays within
    ``max_tokens``. An item longer than ``max_tokens`` gets a batch of its own."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=longest_first)
    batches: list[list[int]] = []
    current: list[int] = []
    width = 0
    for i in order:
        wider = max(width, lengths[i])
        if current and (len(current) >= batch_size or (len(current) + 1) * wider > max_tokens):
            batches.append(current)
            current, wider = [], lengths[i]
        current.append(i)
        width = wider
    if current:
        batches.append(current)
    return batches
