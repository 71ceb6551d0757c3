"""Provider interface: one request in, one :class:`Generation` out."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from bizsum.config import ModelSpec
from bizsum.documents import Document


@dataclass(frozen=True)
class GenerationRequest:
    """Everything that determines one model output."""

    model: ModelSpec
    prompt_id: str
    prompt: str
    document: Document
    sample: int = 0
    seed: int = 0
    token_limit: int = 512


@dataclass
class Generation:
    """A model's answer plus what the provider reported about it."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    model_returned: str | None = None
    prompt_truncated: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Generation":
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


class Provider(ABC):
    """Serves one :class:`ModelSpec`. Subclasses register with :func:`bizsum.providers.register`."""

    name: ClassVar[str]

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    @abstractmethod
    def generate(self, request: GenerationRequest) -> Generation:
        """Produce one output. Raise :class:`bizsum.errors.ProviderError` on failure."""

    def identity(self) -> dict[str, Any]:
        """What identifies the model behind this provider in the cache key."""
        return {"provider": self.name, "base_url": self.spec.base_url, "model": self.spec.model_name}

    def cache_key(self, request: GenerationRequest) -> str:
        """Hash of everything that changes the output; never includes a key or secret."""
        payload = {
            **self.identity(),
            "params": self.spec.params,
            "options": self.spec.options,
            "prompt": request.prompt,
            "sample": request.sample,
            "seed": request.seed,
            "token_limit": request.token_limit,
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def context_limit(self) -> int | None:
        """Prompt + output tokens the model accepts, when the provider knows it (else the table decides)."""
        return self.spec.context_window

    def count_prompt(self, prompt: str) -> int:
        """Tokens of a prompt with the model's counting tokenizer (local models override this)."""
        from bizsum.tokens import count_tokens, resolve_count_encoding

        encoding = resolve_count_encoding(self.spec.provider, self.spec.model_name, self.spec.count_encoding)
        return count_tokens(prompt, encoding)

    def close(self) -> None:
        """Release resources (models, HTTP clients)."""
