"""How long generation will take: a one-line estimate before the first request, an ETA as it goes.

Each cell still to request is weighed by what its provider says about its speed
(:meth:`Provider.speed`): the new prompt tokens (a local model keeps the KV cache of the last
prompt, so the prompts after the first on one document pay only their own part) plus the expected
output. Cells of models whose speed is unknown (an API server) weigh 1 until answers arrive.
Each concurrency group runs in parallel, so the run takes as long as its slowest group.

While the run goes, each group's estimate is calibrated by what its finished cells actually took
(elapsed time ÷ expected time done), so the ETA corrects a machine that is slower or busier than
the one the speeds were measured on.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bizsum.generation.plan import Cell
from bizsum.nlp.tokens import count_tokens
from bizsum.providers import Provider

#: share of the requested output an answer is expected to use (answers end before max_tokens)
OUTPUT_SHARE = 0.75
#: share of a prompt a model with a prompt cache evaluates again for the next prompt of the same document
CACHED_PROMPT_SHARE = 0.1


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return "< 1 s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 10:
        return f"{minutes:.1f} min"
    if minutes < 90:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


@dataclass
class _Group:
    workers: int
    known: bool = True  # every cell has a speed
    units: dict[str, float] = field(default_factory=dict)  # cell id -> expected seconds (or 1)
    models: set[str] = field(default_factory=set)
    done: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.units.values())


class Eta:
    """The time estimate of the cells a run requests live; thread-safe :meth:`finished`."""

    def __init__(self, groups: dict[str, list[Cell]], providers: dict[str, Provider]):
        self.groups: dict[str, _Group] = {}
        self.started = time.monotonic()
        self._lock = threading.Lock()
        for name, cells in groups.items():
            workers = min(len(cells), *(providers[c.spec.id].concurrency() for c in cells)) if cells else 1
            group = self.groups[name] = _Group(workers=max(1, workers))
            seen: set[tuple[str, str]] = set()
            for cell in cells:
                provider = providers[cell.spec.id]
                speed = provider.speed()
                group.models.add(cell.spec.id)
                if speed is None:
                    group.known = False
                    group.units[cell.cell_id] = 1.0
                    continue
                prompt = count_tokens(cell.request.prompt) if speed.prompt_tps else 0
                document = (cell.spec.id, cell.request.document.id)
                if document in seen:  # consecutive prompts on one document share its prefix
                    prompt = int(prompt * CACHED_PROMPT_SHARE)
                seen.add(document)
                output = int(provider.max_output_tokens(cell.request) * OUTPUT_SHARE)
                group.units[cell.cell_id] = speed.seconds(prompt, output)

    def expected(self) -> float | None:
        """Seconds the live cells should take here (None when a group's speed is unknown)."""
        if any(not g.known for g in self.groups.values()):
            return None
        return max((g.total / g.workers for g in self.groups.values()), default=0.0)

    def describe(self) -> str:
        """The one-line estimate logged before the first request."""
        parts = []
        for group in sorted(self.groups.values(), key=lambda g: -g.total / g.workers):
            models = ", ".join(sorted(group.models))
            cells = len(group.units)
            if group.known:
                parts.append(f"{models}: {cells} cell(s), {format_seconds(group.total / group.workers)}")
            else:
                parts.append(f"{models}: {cells} cell(s), time unknown until the first answers")
        expected = self.expected()
        head = f"about {format_seconds(expected)}" if expected is not None else "time not known yet"
        return f"{head} on this machine ({'; '.join(parts)})"

    def finished(self, group: str, cell_id: str) -> None:
        with self._lock:
            entry = self.groups.get(group)
            if entry is not None and cell_id in entry.units:
                entry.done += entry.units[cell_id]

    def remaining(self) -> float | None:
        """Seconds left, from the estimate calibrated by the time the finished cells took."""
        elapsed = time.monotonic() - self.started
        left = 0.0
        with self._lock:
            for group in self.groups.values():
                rest = group.total - group.done
                if rest <= 1e-9:
                    continue
                if group.done > 0:  # calibrated: this group's own pace so far
                    left = max(left, rest * elapsed / group.done)
                elif group.known:
                    left = max(left, rest / group.workers)
                else:
                    return None
        return left

    def postfix(self) -> str:
        left = self.remaining()
        return "ETA ?" if left is None else f"ETA {format_seconds(left)}"


def by_group(cells: list[Cell], providers: dict[str, Provider]) -> dict[str, list[Cell]]:
    groups: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[providers[cell.spec.id].concurrency_group()].append(cell)
    return dict(groups)
