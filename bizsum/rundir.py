"""A run folder: every path in it, its config snapshots, and the lock that keeps it to one run.

Layout of ``<output_dir>/<name>/``::

    config.yaml                 the config of the latest run that wrote here
    provenance.json             where that config's relative paths pointed (absolute), so a moved run loads
    configs/<hash>.yaml         every config that ever wrote rows here (rows name theirs)
    generations.jsonl           one GenerationRecord per line (bizsum.records)
    scores.jsonl                one ScoreRecord per line
    scores.parts/               score rows of a scoring run in progress, one file per finished group
    reviews.jsonl               human labels (bizsum.records.ReviewRecord)
    batches/                    Batch API state per model
    <step>.executed.ipynb       the executed notebooks
    report.html                 the stakeholder report
    .lock                       held while a process writes here

No other module builds a path inside a run folder.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from bizsum.errors import BizsumError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: environment variable through which a process that holds a run lock lets the notebook kernels
#: it starts write into the same run folder (they are part of the same run)
LOCK_TOKEN_ENV = "BIZSUM_RUN_LOCK_TOKEN"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


@dataclass(frozen=True)
class RunDir:
    """The folder of one run and the files in it."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def generations(self) -> Path:
        return self.path / "generations.jsonl"

    @property
    def scores(self) -> Path:
        return self.path / "scores.jsonl"

    @property
    def score_parts(self) -> Path:
        """Finished groups of a scoring run in progress (a killed run continues from them)."""
        return self.path / "scores.parts"

    @property
    def reviews(self) -> Path:
        return self.path / "reviews.jsonl"

    @property
    def config(self) -> Path:
        return self.path / "config.yaml"

    @property
    def provenance(self) -> Path:
        """Absolute paths of the config that last wrote here (config file, root, data folders)."""
        return self.path / "provenance.json"

    @property
    def configs_dir(self) -> Path:
        return self.path / "configs"

    def config_snapshot(self, config_hash: str) -> Path:
        return self.configs_dir / f"{config_hash}.yaml"

    @property
    def batches_dir(self) -> Path:
        return self.path / "batches"

    def batch_state(self, model_id: str) -> Path:
        return self.batches_dir / f"{_safe(model_id)}.json"

    def batch_requests(self, model_id: str, number: int) -> Path:
        return self.batches_dir / f"{_safe(model_id)}-{number}.jsonl"

    def executed(self, step: str) -> Path:
        return self.path / f"{step}.executed.ipynb"

    @property
    def report(self) -> Path:
        return self.path / "report.html"

    def export(self, name: str) -> Path:
        """A file the report exports beside itself (CSV tables, images)."""
        return self.path / name

    @property
    def lock_file(self) -> Path:
        return self.path / ".lock"

    def ensure(self) -> RunDir:
        """Create the folder (and its parents); a path that cannot be a writable folder is a one-line error."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            blocker = next((p for p in (self.path, *self.path.parents) if p.exists() and not p.is_dir()), self.path)
            raise RunDirError(f"cannot create run folder {self.path}: {blocker} is a file, not a folder") from None
        except OSError as error:
            raise RunDirError(f"cannot create run folder {self.path}: {error.strerror or error}") from None
        if not self.path.is_dir():
            raise RunDirError(f"run folder {self.path} exists but is not a folder")
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise RunDirError(f"run folder {self.path} is not writable")
        return self

    def lock(self, command: str = "") -> RunLock:
        return RunLock(self.lock_file, command=command)


def find_run_dir(path: str | os.PathLike[str]) -> Path:
    """A run folder as given, else (a relative path) under the nearest folder above the working
    directory that has it, so ``reports/ci`` also works from ``notebooks/``."""
    given = Path(path).expanduser()
    if given.is_absolute() or (given / "generations.jsonl").is_file():
        return given
    for folder in Path.cwd().resolve().parents:
        if (folder / given / "generations.jsonl").is_file():
            return folder / given
    return given


class RunDirError(BizsumError):
    """The run folder cannot be created or written."""


class RunLockedError(BizsumError):
    """Another live process is writing into the run folder."""


class RunLock:
    """An exclusive lock on a run folder, held by one process (and the kernels it starts).

    The lock is an ``flock`` on ``<run>/.lock``: the operating system releases it when the holder
    dies, so a lock left by a killed process is taken over (with a warning naming the old holder).
    The file records the holder (pid, host, command, start time) for the message a second process
    gets. The holder exports a token in :data:`LOCK_TOKEN_ENV`; a child process with the same
    token (a papermill kernel of the same ``bizsum run``) enters without waiting.

    Re-entrant within a process: nested ``with`` blocks share one lock.
    """

    _held: ClassVar[dict[str, tuple[int, int]]] = {}  # path -> (fd, depth)

    def __init__(self, path: Path, command: str = ""):
        self.path = Path(path)
        self.command = command or " ".join(sys.argv[:3])
        self._fd: int | None = None

    def holder(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            return data
        except (OSError, ValueError):
            return {}

    def _describe(self, info: dict[str, Any]) -> str:
        if not info:
            return "another process"
        return (
            f"pid {info.get('pid')} on {info.get('host')} (started {info.get('started')}, "
            f"command: {info.get('command') or '?'})"
        )

    def acquire(self) -> RunLock:
        key = str(self.path.resolve())
        if key in RunLock._held:
            fd, depth = RunLock._held[key]
            RunLock._held[key] = (fd, depth + 1)
            return self
        token = os.environ.get(LOCK_TOKEN_ENV)
        info = self.holder()
        if token and info.get("token") == token:
            log.debug("run lock %s held by our parent process (token matches)", self.path)
            RunLock._held[key] = (-1, 1)
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(fd)
                if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise RunLockedError(
                        f"run folder {self.path.parent} is in use by {self._describe(self.holder())}. "
                        "Wait for that run to finish (or stop it), or give this run another name."
                    ) from None
                raise
        if info.get("pid"):
            log.warning(
                "run folder %s: taking over a stale lock left by %s (no longer running)",
                self.path.parent,
                self._describe(info),
            )
        new_token = token or f"{os.getpid()}-{time.time_ns()}"
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": self.command,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "token": new_token,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
        os.environ[LOCK_TOKEN_ENV] = new_token
        RunLock._held[key] = (fd, 1)
        self._fd = fd
        return self

    def release(self) -> None:
        key = str(self.path.resolve())
        if key not in RunLock._held:
            return
        fd, depth = RunLock._held[key]
        if depth > 1:
            RunLock._held[key] = (fd, depth - 1)
            return
        del RunLock._held[key]
        if fd < 0:  # entered through the parent's token
            return
        try:
            os.ftruncate(fd, 0)  # an empty file: nobody holds it (a killed holder leaves its record)
        finally:
            os.close(fd)  # closing releases the flock
            if not RunLock._held:
                os.environ.pop(LOCK_TOKEN_ENV, None)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
