"""Response cache: one JSON file per request key, written atomically.

The key (see :meth:`bizsum.providers.base.Provider.cache_key`) hashes everything that changes
the output: provider, base_url, model, full prompt text, generation parameters, sample and seed.
Secrets are never part of a request, so they never reach the cache. Errors are not cached.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from bizsum.errors import InputError
from bizsum.providers.base import Generation

log = logging.getLogger(__name__)


class ResponseCache:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def check_writable(self) -> None:
        """Raise a one-line :class:`InputError` unless entries can be written (checked before any paid
        request: an answer that cannot be cached would be paid for again on the next run)."""
        where = f"cache_dir {self.directory}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / f".probe-{os.getpid()}-{threading.get_ident()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            blocker = next(
                (p for p in (self.directory, *self.directory.parents) if p.exists() and not p.is_dir()), None
            )
            reason = f"{blocker} is a file" if blocker is not None else (error.strerror or str(error))
            raise InputError(f"{where} is not writable ({reason}); nothing was requested") from None
        unwritable = [
            p for p in (self.directory, *self.directory.iterdir()) if p.is_dir() and not os.access(p, os.W_OK | os.X_OK)
        ]
        if unwritable:
            raise InputError(f"{where}: {unwritable[0]} is not writable; nothing was requested")

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Generation | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return Generation.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
            log.warning("ignoring unreadable cache entry %s", path)
            return None

    def put(self, key: str, generation: Generation) -> None:
        path = self._path(key)
        data = json.dumps(generation.to_dict(), ensure_ascii=False).encode("utf-8")
        # A temporary name of its own per process and thread, then an atomic rename: a reader
        # sees the whole entry or none.
        tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)

    def __contains__(self, key: str) -> bool:
        return self._path(key).is_file()
