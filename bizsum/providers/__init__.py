"""Provider registry. The core never imports a concrete provider: it asks the registry by name.

Built-in providers are imported lazily (the local one needs llama.cpp, the openai one the SDK);
third-party code can add its own with :func:`register`.
"""

from __future__ import annotations

import importlib
from typing import Callable

from bizsum.config import ModelSpec
from bizsum.errors import ConfigError
from bizsum.providers.base import Generation, GenerationRequest, Provider

_BUILTIN_MODULES = {
    "openai": "bizsum.providers.openai_chat",
    "local": "bizsum.providers.local_llama",
    "extractive": "bizsum.providers.extractive",
    "fake": "bizsum.providers.fake",
}
_REGISTRY: dict[str, type[Provider]] = {}


def register(name: str) -> Callable[[type[Provider]], type[Provider]]:
    def decorator(cls: type[Provider]) -> type[Provider]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def available() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def provider_class(name: str) -> type[Provider]:
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _REGISTRY:
        raise ConfigError(f"unknown provider {name!r}; available: {available()}")
    return _REGISTRY[name]


def create_provider(spec: ModelSpec) -> Provider:
    """The provider for a model, wrapped with the context-window check (bizsum.long_docs)."""
    from bizsum.long_docs import guard

    return guard(provider_class(spec.provider)(spec))


__all__ = ["Generation", "GenerationRequest", "Provider", "register", "available", "create_provider", "provider_class"]
