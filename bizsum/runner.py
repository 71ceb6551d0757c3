"""Generation: run the documents × prompts × models × samples matrix into ``generations.jsonl``.

Every finished cell is appended at once; a rerun skips finished cells (resume) and the response
cache serves identical requests without calling the model. A failing cell records its error and
the other cells still run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml
from tqdm.auto import tqdm

from bizsum.cache import ResponseCache
from bizsum.config import ModelSpec, RunConfig
from bizsum.corpus import select_documents
from bizsum.documents import Document, DocumentStore
from bizsum.errors import BizsumError
from bizsum.prompts import PromptTemplate, load_template
from bizsum.providers import Provider, create_provider
from bizsum.providers.base import GenerationRequest
from bizsum.results import JsonlStore
from bizsum.tokens import resolve_count_encoding

log = logging.getLogger(__name__)

GENERATIONS_FILE = "generations.jsonl"
CONFIG_SNAPSHOT = "config.yaml"


@dataclass
class RunPlan:
    """The resolved inputs of a run: everything is loaded and validated before any model call."""

    config: RunConfig
    documents: list[Document]
    templates: list[PromptTemplate]

    @classmethod
    def from_config(cls, config: RunConfig) -> "RunPlan":
        store = DocumentStore(config.data_dir)
        doc_ids = select_documents(store, config.documents)
        documents = store.load_many(doc_ids)
        prompts_dir = Path(config.data_dir) / "prompts"
        templates = [load_template(prompts_dir, prompt_id) for prompt_id in config.prompts]
        return cls(config=config, documents=documents, templates=templates)

    def cells(self) -> Iterator[tuple[Document, PromptTemplate, ModelSpec, int]]:
        for spec in self.config.models:
            for document in self.documents:
                for template in self.templates:
                    for sample in range(self.config.samples):
                        yield document, template, spec, sample

    @property
    def size(self) -> int:
        return len(self.documents) * len(self.templates) * len(self.config.models) * self.config.samples


@dataclass
class GenerationStats:
    cells: int = 0
    skipped: int = 0
    cached: int = 0
    called: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def write_config_snapshot(config: RunConfig) -> Path:
    path = config.run_dir / CONFIG_SNAPSHOT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path


def _row(request: GenerationRequest, provider: Provider, key: str) -> dict[str, Any]:
    spec = request.model
    return {
        "doc_id": request.document.id,
        "prompt_id": request.prompt_id,
        "model_id": spec.id,
        "sample": request.sample,
        "provider": spec.provider,
        "model": spec.model_name,
        "base_url": spec.base_url,
        "seed": request.seed,
        "token_limit": request.token_limit,
        "count_encoding": resolve_count_encoding(spec.provider, spec.model_name, spec.count_encoding),
        "cache_key": key,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def generate(config: RunConfig, plan: RunPlan | None = None, progress: bool = True) -> GenerationStats:
    """Fill ``<run_dir>/generations.jsonl``; returns how many cells were skipped, cached, called, failed."""
    plan = plan or RunPlan.from_config(config)
    write_config_snapshot(config)
    store = JsonlStore(config.run_dir / GENERATIONS_FILE)
    done = store.done_keys()
    cache = ResponseCache(config.cache_dir)
    # Providers are created up front so a bad model entry (unknown provider, missing key) stops
    # the run before any call is made.
    providers: dict[str, Provider] = {}
    stats = GenerationStats()
    try:
        for spec in config.models:
            providers[spec.id] = create_provider(spec)
        for document, template, spec, sample in tqdm(
            list(plan.cells()), desc=f"generate {config.name}", disable=not progress
        ):
            stats.cells += 1
            if (document.id, template.id, spec.id, sample) in done:
                stats.skipped += 1
                continue
            provider = providers[spec.id]
            request = GenerationRequest(
                model=spec,
                prompt_id=template.id,
                prompt=template.render(document.text),
                document=document,
                sample=sample,
                seed=config.seed + sample,
                token_limit=config.token_limit,
            )
            key = provider.cache_key(request)
            row = _row(request, provider, key)
            generation = cache.get(key)
            if generation is not None:
                stats.cached += 1
                row.update(generation.to_dict(), cached=True, error=None)
            else:
                try:
                    generation = provider.generate(request)
                except BizsumError as error:
                    stats.failed += 1
                    log.error("%s × %s × %s #%s failed: %s", document.id, template.id, spec.id, sample, error)
                    row.update(text=None, cached=False, error=str(error))
                    store.append(row)
                    continue
                stats.called += 1
                cache.put(key, generation)
                row.update(generation.to_dict(), cached=False, error=None)
            store.append(row)
    finally:
        for provider in providers.values():
            provider.close()
    log.info("generation finished: %s", stats.as_dict())
    return stats
