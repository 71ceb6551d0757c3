"""One forked worker process for work that needs no model, beside a process that is about to load one.

A cold ``bizsum score`` spends its first seconds importing torch and loading encoders on one core
while the other core waits; pure-Python work (sentence splitting, ROUGE, token counts) cannot use it
from a thread because it holds the GIL. :func:`side_process` forks one worker before torch is
imported, so the two run side by side.

The worker is only offered when it is safe and useful: on a platform with ``fork``, before torch is
imported (a fork after torch has started its thread pools is not safe), and unless
``BIZSUM_SIDE_PROCESS=off``. Otherwise :func:`side_process` yields ``None`` and the caller does the
work in-process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

#: set to "off" to do everything in-process
ENV_SWITCH = "BIZSUM_SIDE_PROCESS"


def side_process_allowed() -> bool:
    """True when a worker may be forked now (see the module docstring)."""
    return (
        os.environ.get(ENV_SWITCH, "").strip().lower() != "off"
        and "fork" in multiprocessing.get_all_start_methods()
        and "torch" not in sys.modules
    )


@contextmanager
def side_process() -> Iterator[ProcessPoolExecutor | None]:
    """A one-worker process pool forked from this process, or None when not allowed. On exit the
    pool is shut down; work not yet started is cancelled."""
    if not side_process_allowed():
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
