"""What a run will do, checked before anything runs: documents, templates, providers, cells.

:meth:`RunPlan.from_config` loads and validates every input a config names (documents and their
size, prompt templates, provider entries and their keys) without loading a model or sending a
request, so a mistake anywhere stops the run before the first kernel or request. Each
:class:`Cell` knows its request, the request's cache key and the hash of the config parts behind
it: a stored row counts as this cell's result only when both match.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bizsum.config import ModelSpec, RunConfig
from bizsum.corpus.documents import Document, DocumentStore, check_document_size
from bizsum.corpus.prompts import PromptTemplate, load_template, prompt_folders
from bizsum.corpus.select import select_documents
from bizsum.errors import InputError
from bizsum.generation.long_docs import WindowTable, guard
from bizsum.providers import Provider, check_spec, create_provider, provider_class
from bizsum.providers.base import GenerationRequest
from bizsum.providers.pricing import CostLimitError, PriceTable, load_prices
from bizsum.records import GenerationRecord, stable_hash

log = logging.getLogger(__name__)

#: the most cells (documents × prompts × models × samples) one run may plan
MAX_CELLS = 1_000_000


@dataclass
class Cell:
    """One document × prompt × model × sample, with what identifies its result."""

    request: GenerationRequest
    key: str  # the request's cache key
    config_hash: str  # the config parts behind the cell
    template: PromptTemplate

    @property
    def label(self) -> str:
        r = self.request
        return f"{r.document.id} × {r.prompt_id} × {r.model.id} #{r.sample}"

    @property
    def cell_id(self) -> str:
        """The cell key as one string (the Batch API's custom_id)."""
        r = self.request
        return f"{r.document.id}|{r.prompt_id}|{r.model.id}|{r.sample}"

    @property
    def spec(self) -> ModelSpec:
        return self.request.model


def cell_config_hash(
    spec: ModelSpec, count_encoding: str, template: PromptTemplate, document: Document, token_limit: int, seed: int
) -> str:
    """Hash of every config part that makes or measures one cell's result (not the operational
    ones: concurrency, retries, batch mode)."""
    return stable_hash(
        {
            "model": spec.model_dump(
                mode="json",
                include={"id", "provider", "model", "base_url", "params", "options", "context_window", "strategy"},
            ),
            "count_encoding": count_encoding,
            "template": template.sha256,
            "document": document.sha256,
            "token_limit": token_limit,
            "seed": seed,
        }
    )


def refuse_unpriced(config: RunConfig, prices: PriceTable, is_free: Callable[[ModelSpec], bool]) -> None:
    """Under ``max_cost`` every paid model needs a price (unless ``allow_unpriced``): raise before any request."""
    if config.max_cost is None or config.allow_unpriced:
        return
    unpriced = [spec.id for spec in config.models if not is_free(spec) and prices.price_for(spec) is None]
    if unpriced:
        raise CostLimitError(
            f"run {config.name!r}: max_cost is set but model(s) {unpriced} have no price in {prices.path or 'prices.yaml'}, "
            "so their spending could not be capped. Add their prices (USD per 1M tokens) to <data_dir>/prices.yaml, "
            "or set allow_unpriced: true to run them uncounted. Nothing was requested."
        )


def open_provider(spec: ModelSpec, windows: WindowTable) -> Provider:
    """The provider for a model, wrapped with the context-window check when its window is known."""
    return guard(create_provider(spec), windows)


@dataclass
class RunPlan:
    """The resolved inputs of a run: everything is loaded and validated before any model call."""

    config: RunConfig
    documents: list[Document]
    templates: list[PromptTemplate]

    @classmethod
    def from_config(cls, config: RunConfig) -> RunPlan:
        """Load and check everything the config names; raises a BizsumError naming the culprit."""
        for spec in config.models:
            check_spec(spec)
            if spec.batch.enabled and not provider_class(spec.provider).supports_batch:
                raise InputError(f"model {spec.id!r}: provider {spec.provider!r} has no batch mode (batch: true)")
        if config.max_cost is not None:
            refuse_unpriced(config, load_prices(config.data_path), lambda spec: provider_class(spec.provider).is_free)
        store = DocumentStore(config.data_paths)
        doc_ids = select_documents(store, config.documents)
        documents = store.load_many(doc_ids)
        for document in documents:
            check_document_size(document, config.max_document_tokens)
        prompts_dirs = prompt_folders(config.data_paths)
        templates = [load_template(prompts_dirs, prompt_id) for prompt_id in config.prompts]
        plan = cls(config=config, documents=documents, templates=templates)
        if plan.size > MAX_CELLS:
            raise InputError(
                f"run {config.name!r} plans {plan.size:,} cells ({len(documents)} documents × {len(templates)} prompts "
                f"× {len(config.models)} models × {config.samples} samples), above the {MAX_CELLS:,} one run may hold"
            )
        return plan

    def windows(self) -> WindowTable:
        return WindowTable.for_data_dir(Path(self.config.data_path))

    def combinations(self) -> Iterator[tuple[Document, PromptTemplate, ModelSpec, int]]:
        for spec in self.config.models:
            for document in self.documents:
                for template in self.templates:
                    for sample in range(self.config.samples):
                        yield document, template, spec, sample

    def cell(
        self, document: Document, template: PromptTemplate, spec: ModelSpec, sample: int, provider: Provider
    ) -> Cell:
        config = self.config
        request = GenerationRequest(
            model=spec,
            prompt_id=template.id,
            prompt=template.render(document.text),
            document=document,
            sample=sample,
            seed=config.seed + sample,
            token_limit=config.token_limit,
        )
        return Cell(
            request=request,
            key=provider.cache_key(request),
            config_hash=cell_config_hash(
                spec, provider.count_encoding(), template, document, config.token_limit, config.seed
            ),
            template=template,
        )

    def record(self, cell: Cell, provider: Provider, run_config: str, **fields: object) -> GenerationRecord:
        """The row for a cell: its key, the request that made it, and ``fields`` (text, usage ...)."""
        r = cell.request
        spec = r.model
        return GenerationRecord.model_validate(
            {
                "doc_id": r.document.id,
                "prompt_id": r.prompt_id,
                "model_id": spec.id,
                "sample": r.sample,
                "provider": spec.provider,
                "model": spec.model_name,
                "base_url": spec.base_url,
                "seed": r.seed,
                "token_limit": r.token_limit,
                "count_encoding": provider.count_encoding(),
                "cache_key": cell.key,
                "config_hash": cell.config_hash,
                "run_config": run_config,
                "document_sha256": r.document.sha256,
                "prompt_sha256": cell.template.sha256,
                **fields,
            }
        )

    @property
    def size(self) -> int:
        return len(self.documents) * len(self.templates) * len(self.config.models) * self.config.samples
