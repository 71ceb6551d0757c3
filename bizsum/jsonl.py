"""JSON Lines files: reading with torn-line tolerance, appending safely, rewriting atomically.

Results files are append-only while a run writes them. A process killed mid-write can leave a
torn last line: readers skip it with a warning and the next :class:`AppendWriter` cuts it before
it appends. Any other line that is not JSON is an error naming the file and line.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from bizsum.errors import InputError

try:  # POSIX: a second process appending to the same file waits for the line in progress
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def dumps(row: Mapping[str, Any]) -> str:
    """One JSON line (with its newline)."""
    return json.dumps(row, ensure_ascii=False, default=str) + "\n"


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(byte offset, row) for every row of a JSONL file; a torn last line is skipped with a warning.

    Rows are parsed one at a time and not kept, so a large file is read in constant memory.
    """
    path = Path(path)
    if not path.is_file():
        return
    with path.open("rb") as handle:
        offset, number = 0, 1
        line = handle.readline()
        while line:
            following = handle.readline()
            if line.strip():
                try:
                    row = json.loads(line.decode("utf-8"))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    if not following:
                        log.warning("%s: skipping an incomplete last line (interrupted write)", path)
                    else:
                        raise InputError(f"{path}, line {number}: not valid JSON") from None
                else:
                    if not isinstance(row, dict):
                        raise InputError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
                    yield offset, row
            offset += len(line)
            number += 1
            line = following


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every row of a JSONL file (empty when the file does not exist)."""
    return [row for _, row in iter_jsonl(path)]


def read_row_at(handle: Any, offset: int) -> dict[str, Any]:
    """The row that starts at ``offset`` of an open binary file."""
    handle.seek(offset)
    row: dict[str, Any] = json.loads(handle.readline().decode("utf-8"))
    return row


def write_lines_atomic(path: str | Path, lines: Iterable[str]) -> None:
    """Replace ``path`` with ``lines`` in one step: readers see the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class AppendWriter:
    """Appends whole JSON lines to a results file, safe against interleaving and kills.

    Each line is one ``os.write`` on an ``O_APPEND`` descriptor, under a thread lock and an
    exclusive ``flock`` (another process appending to the same file waits for the line): lines
    never interleave. The line is in the file (the OS page cache) when :meth:`append` returns, so a
    killed process keeps it. ``fsync`` (which only matters if the machine itself goes down) runs
    in a background thread that syncs whatever was written since its last sync every
    :attr:`SYNC_INTERVAL` seconds, so neither an fsync nor a thread wake-up per row stalls the
    caller; :meth:`close` syncs a last time.
    """

    SYNC_INTERVAL = 0.5

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._dirty = False  # written since the last fsync
        self._closed = threading.Event()  # wakes the syncer for its last round
        self._closing = False
        self._syncer: threading.Thread | None = None

    def __enter__(self) -> AppendWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            self._repair_tail(self._fd)
            self._syncer = threading.Thread(target=self._sync_loop, name="bizsum-fsync", daemon=True)
            self._syncer.start()
        return self._fd

    def _repair_tail(self, fd: int) -> None:
        """Cut a torn last line (a writer killed mid-line) so the next row starts on its own line."""
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            if not size or os.pread(fd, 1, size - 1) == b"\n":
                return
            end = size
            keep = 0
            while end > 0:
                start = max(0, end - 65536)
                chunk = os.pread(fd, end - start, start)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    keep = start + newline + 1
                    break
                end = start
            os.ftruncate(fd, keep)
            log.warning(
                "%s: removed an incomplete last line (%d bytes) left by an interrupted run", self.path, size - keep
            )
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def append(self, row: Mapping[str, Any]) -> None:
        data = dumps(row).encode("utf-8")
        with self._lock:
            late = self._closing  # a worker finishing after the run ended: one-off write, synced
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if late else self._open()
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                if late:
                    os.fsync(fd)
                    os.close(fd)
            self._dirty = True

    def _sync_loop(self) -> None:
        while not self._closed.wait(self.SYNC_INTERVAL):
            with self._lock:
                fd, dirty, self._dirty = self._fd, self._dirty, False
            if fd is None:
                return
            if dirty:
                try:
                    os.fsync(fd)
                except OSError:  # closed meanwhile
                    return

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            self._closing = True
        self._closed.set()
        if fd is not None:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
