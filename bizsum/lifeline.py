"""A notebook kernel dies with the ``bizsum run`` that started it.

papermill starts each kernel in a session of its own, so killing ``bizsum run`` (``kill -9``, a
closed terminal, a CI timeout) would leave the kernel requesting and appending rows after the run
folder's lock was released, even while another run holds it. ``bizsum run`` names itself in
:data:`PARENT_ENV` before it starts a kernel; :func:`follow_parent`, called by every run notebook
(:func:`bizsum.notebook.setup`), starts a watcher thread that kills the kernel's process group
within :data:`INTERVAL` seconds of that process's end.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

log = logging.getLogger(__name__)

#: the pid of the ``bizsum run`` process whose kernels must not outlive it
PARENT_ENV = "BIZSUM_PARENT_PID"
#: seconds between two looks at the parent
INTERVAL = 0.1

_started: set[int] = set()  # parents already followed by this process


def name_parent() -> None:
    """Make the kernels this process starts from now on follow it (:func:`follow_parent`)."""
    os.environ[PARENT_ENV] = str(os.getpid())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    try:  # a zombie (killed, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _die() -> None:
    log.error("the bizsum run that started this kernel has ended: the kernel stops too")
    if os.getpgrp() == os.getpid():  # the kernel leads its process group: take its children along
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _watch(parent: int, direct: bool, interval: float) -> None:
    while (os.getppid() == parent) if direct else _alive(parent):
        time.sleep(interval)
    _die()


def follow_parent(interval: float = INTERVAL) -> bool:
    """In a process started by a ``bizsum run`` (:data:`PARENT_ENV` set to another pid): watch that
    process and kill this one (and its process group, when it leads one) as soon as it ends.
    Returns whether a watcher runs. Safe to call more than once."""
    value = os.environ.get(PARENT_ENV, "")
    if not value.isdigit() or int(value) == os.getpid():
        return False
    parent = int(value)
    if parent in _started:
        return True
    direct = os.getppid() == parent  # a kernel is the direct child: reparenting is the surest sign
    if not direct and not _alive(parent):
        _die()
    _started.add(parent)
    threading.Thread(target=_watch, args=(parent, direct, interval), name="bizsum-lifeline", daemon=True).start()
    return True
