"""Provider registry. The core never imports a concrete provider: it asks the registry by name.

Built-in providers are imported lazily (the local one needs llama.cpp, the openai one the SDK).
Everything the core needs to know about a provider is a capability hook of
:class:`~bizsum.providers.base.Provider`, so a new one is a subclass, registered one of two ways:

* :func:`register` (``@register("name")`` on the class), from code that runs before the run;
* an entry point in the group ``bizsum.providers`` of an installed distribution
  (``name = "package.module:Class"``): no change to this repository (:mod:`bizsum.registry`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bizsum.config import ModelSpec
from bizsum.errors import ConfigError
from bizsum.providers.base import BudgetExhausted, Generation, GenerationRequest, Meter, Provider
from bizsum.registry import Registry

#: every provider by name: the built-ins (lazy), :func:`register`, entry points ``bizsum.providers``
PROVIDERS: Registry[type[Provider]] = Registry(
    "provider",
    "bizsum.providers",
    {
        "openai": "bizsum.providers.openai_chat:OpenAIChatProvider",
        "local": "bizsum.providers.local_llama:LocalLlamaProvider",
        "extractive": "bizsum.providers.extractive:ExtractiveProvider",
        "fake": "bizsum.providers.fake:FakeProvider",
    },
)

P = TypeVar("P", bound=type[Provider])


def register(name: str) -> Callable[[P], P]:
    """Class decorator: register a :class:`Provider` subclass under ``name`` (its ``name``)."""

    def decorator(cls: P) -> P:
        cls.name = name
        PROVIDERS.register(name, cls)
        return cls

    return decorator


def available() -> list[str]:
    return sorted(PROVIDERS.names())


def provider_class(name: str) -> type[Provider]:
    cls = PROVIDERS.get(name)
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ConfigError(f"provider {name!r}: {PROVIDERS.target(name)!r} is not a bizsum Provider subclass")
    if getattr(cls, "name", None) is None:  # registered through an entry point, without @register
        cls.name = name
    return cls


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
    "PROVIDERS",
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
