"""Cost of generations: per cell, per model and per run, and an estimate before a run.

Prices come from ``prices.yaml`` (``<data_dir>/prices.yaml``, else the table shipped in
``bizsum/resources/prices.yaml``): US dollars per 1M tokens for input, cached input, output and the Batch API.
They are examples to check, and they say when and where they were taken.

* A generation's cost uses the usage the provider reported: uncached prompt tokens × input +
  cached prompt tokens × cached_input + completion tokens × output (batch prices in batch mode).
  It is stored in the generation row as ``cost_usd``.
* Free providers (``Provider.is_free``: local models, the baselines, the fake) cost 0. A model
  without a price gets cost ``None`` and one warning per run, never an error (but see
  ``max_cost`` below).
* The estimate before a run covers the cells that will really be requested (not finished, not in
  the cache): prompt tokens counted with the model's counting encoding, output at
  ``max_completion_tokens``; it is logged. ``RunConfig.max_cost`` is a running cap
  (:mod:`bizsum.generation.budget`), and refuses models without a price unless ``allow_unpriced``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import yaml

from bizsum.errors import ConfigError
from bizsum.resources import resource

log = logging.getLogger(__name__)

PRICES_FILE = "prices.yaml"
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4}|latest)$")


class CostLimitError(ConfigError):
    """``max_cost`` cannot be enforced for this run (a model without a price, unless ``allow_unpriced``)."""


@dataclass(frozen=True)
class Price:
    """US dollars per 1M tokens."""

    input: float
    output: float
    cached_input: float | None = None
    batch_input: float | None = None
    batch_output: float | None = None

    def rates(self, batch: bool, discount: float) -> tuple[float, float, float]:
        """(input, cached input, output) per 1M tokens for live or batch requests."""
        if not batch:
            return self.input, self.cached_input if self.cached_input is not None else self.input, self.output
        batch_in = self.batch_input if self.batch_input is not None else self.input * discount
        batch_out = self.batch_output if self.batch_output is not None else self.output * discount
        cached = self.cached_input * discount if self.cached_input is not None else batch_in
        return batch_in, min(cached, batch_in), batch_out

    def cost(
        self,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        batch: bool = False,
        discount: float = 0.5,
    ) -> float:
        rate_in, rate_cached, rate_out = self.rates(batch, discount)
        cached_tokens = min(max(cached_tokens or 0, 0), prompt_tokens)
        total = (prompt_tokens - cached_tokens) * rate_in + cached_tokens * rate_cached + completion_tokens * rate_out
        return total / 1_000_000


FREE = Price(input=0.0, output=0.0, cached_input=0.0, batch_input=0.0, batch_output=0.0)


@dataclass
class PriceTable:
    prices: dict[str, Price] = field(default_factory=dict)
    batch_discount: float = 0.5
    as_of: str | None = None
    source: str | None = None
    path: Path | None = None
    _warned: set = field(default_factory=set, repr=False)

    @classmethod
    def from_file(cls, path: str | Path) -> PriceTable:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot read the price table ({error})") from None
        if not isinstance(data, Mapping) or not isinstance(data.get("models", {}), Mapping):
            raise ConfigError(f"{path}: expected a mapping with 'models: {{name: {{input: .., output: ..}}}}'")
        prices: dict[str, Price] = {}
        for name, entry in (data.get("models") or {}).items():
            if not isinstance(entry, Mapping):
                raise ConfigError(f"{path}: model {name!r}: expected {{input: .., output: ..}}, got {entry!r}")
            unknown = set(entry) - set(Price.__dataclass_fields__)
            if unknown:
                raise ConfigError(
                    f"{path}: model {name!r}: unknown price field(s) {sorted(unknown)}; "
                    f"known: {sorted(Price.__dataclass_fields__)}"
                )
            if entry.get("input") is None or entry.get("output") is None:
                raise ConfigError(f"{path}: model {name!r}: needs 'input' and 'output' prices (USD per 1M tokens)")
            try:
                values = {key: (None if value is None else float(value)) for key, value in entry.items()}
                price = Price(**values)  # type: ignore[arg-type]  # input/output checked above
            except (TypeError, ValueError) as error:
                raise ConfigError(f"{path}: model {name!r}: prices must be numbers ({error})") from None
            if any(v is not None and v < 0 for v in values.values()):
                raise ConfigError(f"{path}: model {name!r}: prices must be >= 0")
            prices[str(name)] = price
        return cls(
            prices=prices,
            batch_discount=float(data.get("batch_discount", 0.5)),
            as_of=str(data.get("prices_as_of")) if data.get("prices_as_of") else None,
            source=data.get("source"),
            path=path,
        )

    def lookup(self, *names: str | None) -> Price | None:
        """Exact name first, then the name without a dated snapshot suffix (``-2024-07-18``)."""
        for name in names:
            if not name:
                continue
            if name in self.prices:
                return self.prices[name]
            base = _SNAPSHOT.sub("", name)
            if base != name and base in self.prices:
                return self.prices[base]
        return None

    def price_for(self, spec: Any, free: bool = False) -> Price | None:
        """The price of a ModelSpec; free providers cost 0; unknown → None (warned once)."""
        if free:
            return FREE
        price = self.lookup(spec.id.split("@")[0], spec.model_name)
        if price is None and spec.id not in self._warned:
            self._warned.add(spec.id)
            log.warning(
                "no price for model %r (%s %r) in %s: its cost is unknown (null). Add it under 'models:' to count it.",
                spec.id,
                spec.provider,
                spec.model_name,
                self.path or PRICES_FILE,
            )
        return price


def prices_path(data_dir: str | Path) -> Path:
    """``<data_dir>/prices.yaml`` when the project has its own table, else the shipped one."""
    own = Path(data_dir) / PRICES_FILE
    if own.is_file():
        return own
    with as_file(resource(PRICES_FILE)) as shipped:
        return Path(shipped)


def load_prices(data_dir: str | Path = "data") -> PriceTable:
    path = prices_path(data_dir)
    table = _load_cached(str(path), path.stat().st_mtime_ns)
    return replace(table, _warned=set())  # unknown-price warnings: once per model and run


@lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int) -> PriceTable:
    return PriceTable.from_file(path)


def generation_cost(
    table: PriceTable, spec: Any, generation: Mapping[str, Any], batch: bool = False, free: bool = False
) -> float | None:
    """Cost of one generation (a Generation.to_dict() or a row) from its reported usage."""
    price = table.price_for(spec, free)
    if price is None:
        return None
    if price == FREE:
        return 0.0
    meta = generation.get("meta") or {}
    prompt = generation.get("prompt_tokens")
    completion = meta.get("total_completion_tokens", generation.get("completion_tokens"))
    if prompt is None or completion is None:
        log.warning("model %s: the response reported no token usage, so its cost is unknown", spec.id)
        return None
    return round(
        price.cost(int(prompt), int(completion), int(meta.get("cached_tokens") or 0), batch, table.batch_discount), 8
    )


@dataclass
class ModelEstimate:
    model_id: str
    cells: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    batch: bool = False


@dataclass
class CostEstimate:
    """What the cells still to request will cost at most (output = token limit per cell)."""

    models: dict[str, ModelEstimate] = field(default_factory=dict)
    table: PriceTable | None = None

    def add(self, spec: Any, prompt_tokens: int, output_tokens: int, price: Price | None, batch: bool) -> None:
        entry = self.models.setdefault(spec.id, ModelEstimate(spec.id, batch=batch))
        entry.cells += 1
        entry.prompt_tokens += prompt_tokens
        entry.output_tokens += output_tokens
        if price is None:
            entry.cost_usd = None
        elif entry.cost_usd is not None:
            discount = self.table.batch_discount if self.table else 0.5
            entry.cost_usd += price.cost(prompt_tokens, output_tokens, 0, batch, discount)

    @property
    def total(self) -> float:
        """Sum over the models with a known price."""
        return sum(m.cost_usd for m in self.models.values() if m.cost_usd is not None)

    @property
    def unknown(self) -> list[str]:
        return [m.model_id for m in self.models.values() if m.cost_usd is None]

    def describe(self) -> str:
        parts = []
        for m in self.models.values():
            cost = "unknown price" if m.cost_usd is None else f"${m.cost_usd:,.4f}"
            mode = ", batch" if m.batch else ""
            parts.append(
                f"{m.model_id}: {cost} for {m.cells} cell(s){mode}, {m.prompt_tokens:,} prompt + "
                f"{m.output_tokens:,} output tokens"
            )
        text = f"${self.total:,.4f}" + (f" ({'; '.join(parts)})" if parts else "")
        if self.unknown:
            text += f"; not counted (no price): {self.unknown}"
        return text


def summarize(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Cost per model and for the run from generation rows (``cost_usd``; None = unknown price).

    ``cost_usd`` counts every successful row (what the results cost to produce); ``spent_usd``
    only rows that were not served from the cache.
    """
    models: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("error"):
            continue
        entry = models.setdefault(row["model_id"], {"cells": 0, "cost_usd": 0.0, "spent_usd": 0.0, "unknown": 0})
        entry["cells"] += 1
        cost = row.get("cost_usd")
        if cost is None:
            entry["unknown"] += 1
            continue
        entry["cost_usd"] += cost
        if not row.get("cached"):
            entry["spent_usd"] += cost
    return {
        "models": models,
        "cost_usd": sum(m["cost_usd"] for m in models.values()),
        "spent_usd": sum(m["spent_usd"] for m in models.values()),
        "unknown_cells": sum(m["unknown"] for m in models.values()),
    }
