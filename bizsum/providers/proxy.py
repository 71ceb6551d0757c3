"""A provider that stands in for another and answers every hook as the one it wraps.

The long-document guard (:class:`bizsum.generation.long_docs.ContextGuard`) and the Ray actor pool
(:class:`bizsum.execution.ray_generation.ActorPoolProvider`) wrap a provider and change one or two
things about it. The rest of :class:`~bizsum.providers.base.Provider` (every capability flag and
every hook, read from the class itself) is forwarded here, so a hook added to ``Provider`` is
forwarded without touching the proxies, and a proxy lists only what it changes.

Not forwarded: what is asked of the provider *class* (``check``, ``count_encoding_for``), the
cache key (computed from the proxy's own :meth:`~Provider.identity`, which a proxy may extend, e.g.
with the guard's strategy) and ``metered`` (it uses the proxy's meter; ``attach_meter`` gives
both the same one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bizsum.providers.base import Generation, GenerationRequest, Meter, Provider

#: hooks of the class, or computed from the proxy's own hooks: never forwarded
NOT_FORWARDED = frozenset({"check", "count_encoding_for", "cache_key", "metered"})


def capability_flags() -> tuple[str, ...]:
    """The class-level declarations of :class:`Provider` (``is_free``, ``supports_batch`` ...)."""
    return tuple(name for name in Provider.__annotations__ if not name.startswith("_"))


def hook_names() -> tuple[str, ...]:
    """Every method of :class:`Provider` a proxy forwards (``generate`` and the capability hooks)."""
    return tuple(
        name
        for name, value in vars(Provider).items()
        if not name.startswith("_")
        and name not in NOT_FORWARDED
        and (callable(value) or isinstance(value, classmethod))
    )


class ProviderProxy(Provider):
    """Wraps ``inner``: every flag and hook is ``inner``'s unless a subclass overrides it."""

    def __init__(self, inner: Provider):
        super().__init__(inner.spec)
        self.inner = inner

    def generate(self, request: GenerationRequest) -> Generation:
        return self.inner.generate(request)

    def attach_meter(self, meter: Meter | None) -> None:
        super().attach_meter(meter)
        self.inner.attach_meter(meter)


def _forward_hook(name: str) -> Callable[..., Any]:
    def hook(self: ProviderProxy, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.inner, name)(*args, **kwargs)

    hook.__name__ = hook.__qualname__ = name
    hook.__doc__ = f"The wrapped provider's ``{name}``."
    return hook


def _forward_flag(name: str) -> property:
    return property(lambda self: getattr(self.inner, name), doc=f"The wrapped provider's ``{name}``.")


for _name in hook_names():
    if _name not in vars(ProviderProxy):
        setattr(ProviderProxy, _name, _forward_hook(_name))
for _name in capability_flags():
    setattr(ProviderProxy, _name, _forward_flag(_name))
