"""One registry style for everything bizsum looks up by name (metrics, providers).

A :class:`Registry` maps a name to an object or to a lazy ``"package.module:Object"`` string,
imported on first use (so listing the metrics loads no model). Three ways in:

* built-ins, as lazy strings given to the registry;
* :meth:`Registry.register` (``registry.register("name")`` as a class decorator, or
  ``registry.register("name", "pkg.mod:Class")``), e.g. from a notebook or a test;
* package entry points: a third-party distribution declares, in its ``pyproject.toml``::

      [project.entry-points."bizsum.metrics"]
      my_metric = "my_package.metric:MyMetric"

  and bizsum finds it once that package is installed, without a change to this repository.
  Entry points are read on the first lookup; a plugin never replaces a built-in name.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar, overload

from bizsum.errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")
C = TypeVar("C")


def import_target(target: str) -> Any:
    """The object a ``"package.module:Object"`` string names."""
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


class Registry(Generic[T]):
    """Names -> objects of one kind (``what``: how errors call them), open to entry-point plugins."""

    def __init__(self, what: str, group: str, builtins: Mapping[str, T | str] | None = None):
        self.what = what
        self.group = group
        self._targets: dict[str, T | str] = dict(builtins or {})
        self._builtin = frozenset(self._targets)
        self._plugins_read = False

    # -- adding --------------------------------------------------------------------------------

    @overload
    def register(self, name: str) -> Callable[[C], C]: ...

    @overload
    def register(self, name: str, target: T | str) -> None: ...

    def register(self, name: str, target: T | str | None = None) -> Callable[[C], C] | None:
        """Add ``target`` (an object or a lazy ``"module:Object"`` string) under ``name``; without a
        target, a decorator that registers the class it decorates."""
        if target is not None:
            self._targets[name] = target
            return None

        def decorator(obj: C) -> C:
            self._targets[name] = obj  # type: ignore[assignment]
            return obj

        return decorator

    def _read_plugins(self) -> None:
        if self._plugins_read:
            return
        self._plugins_read = True
        for entry in entry_points(group=self.group):
            if entry.name in self._builtin:
                log.warning(
                    "%s %r from entry point %s ignored: the name is built in", self.what, entry.name, entry.value
                )
                continue
            self._targets.setdefault(entry.name, entry.value)

    # -- looking up ----------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every registered name: built-ins first (in their order), then the others as added."""
        self._read_plugins()
        return list(self._targets)

    def __contains__(self, name: object) -> bool:
        self._read_plugins()
        return name in self._targets

    def target(self, name: str) -> T | str:
        """What ``name`` is registered as (the lazy string until it is first loaded)."""
        if name not in self:
            raise ConfigError(f"unknown {self.what} {name!r}; available: {self.names()}")
        return self._targets[name]

    def get(self, name: str) -> T:
        """The object registered as ``name`` (a lazy target is imported now, once)."""
        target = self.target(name)
        if isinstance(target, str):
            try:
                loaded = import_target(target)
            except (ImportError, AttributeError) as error:
                raise ConfigError(f"{self.what} {name!r}: cannot load {target!r} ({error})") from None
            # importing may have registered the object itself (a decorator): keep whichever is there
            current = self._targets.get(name)
            self._targets[name] = loaded if isinstance(current, str) else current  # type: ignore[assignment]
        return self._targets[name]  # type: ignore[return-value]

    def fresh(self) -> Registry[T]:
        """A registry with the built-ins only, that reads the entry points again on first lookup."""
        return Registry(self.what, self.group, {name: self._targets[name] for name in self._builtin})

    def copy(self) -> Registry[T]:
        """An independent copy (tests register into it without touching the process's registry)."""
        other: Registry[T] = Registry(self.what, self.group)
        other._targets, other._builtin, other._plugins_read = dict(self._targets), self._builtin, self._plugins_read
        return other
