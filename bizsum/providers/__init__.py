"""Provider registry. The core never imports a concrete provider: it asks the registry by name.

Built-in providers are imported lazily (the local one needs llama.cpp, the openai one the SDK);
third-party code can add its own with :func:`register`. Adding a provider touches only this
package: everything the core needs to know about it is a capability hook of
:class:`~bizsum.providers.base.Provider`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TypeVar

from bizsum.config import ModelSpec
from bizsum.errors import ConfigError
from bizsum.providers.base import BudgetExhausted, Generation, GenerationRequest, Meter, Provider

_BUILTIN_MODULES = {
    "openai": "bizsum.providers.openai_chat",
    "local": "bizsum.providers.local_llama",
    "extractive": "bizsum.providers.extractive",
    "fake": "bizsum.providers.fake",
}
_REGISTRY: dict[str, type[Provider]] = {}

P = TypeVar("P", bound=type[Provider])


def register(name: str) -> Callable[[P], P]:
    def decorator(cls: P) -> P:
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


def check_spec(spec: ModelSpec) -> None:
    """Everything about a model entry that can be checked without loading it or calling it."""
    provider_class(spec.provider).check(spec)


MODEL_KINDS = ("llm", "baseline")


def provider_kind(name: str) -> str:
    """``"llm"`` or ``"baseline"`` for a provider name (a provider not registered here counts as an LLM)."""
    try:
        return provider_class(name).kind
    except ConfigError:
        return "llm"


def create_provider(spec: ModelSpec) -> Provider:
    """The provider for a model (bare: bizsum.generation wraps it in the long-document guard)."""
    return provider_class(spec.provider)(spec)


__all__ = [
    "MODEL_KINDS",
    "BudgetExhausted",
    "Generation",
    "GenerationRequest",
    "Meter",
    "Provider",
    "available",
    "check_spec",
    "create_provider",
    "provider_class",
    "provider_kind",
    "register",
]
