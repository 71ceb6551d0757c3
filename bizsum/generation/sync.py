"""Running a coroutine to completion from synchronous code, also inside a Jupyter kernel."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, also inside a running loop (Jupyter).

    Without a running loop this is ``asyncio.run``. With one (a notebook cell), the coroutine gets
    its own loop in a worker thread; the caller blocks until it ends, and an interrupt (Ctrl-C /
    the kernel's stop button) cancels it: finished rows are kept, the rerun resumes.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_as_coroutine(factory))
    box: dict[str, Any] = {}
    ready = threading.Event()

    def target() -> None:
        async def main() -> T:
            box["loop"], box["task"] = asyncio.get_running_loop(), asyncio.current_task()
            ready.set()
            return await factory()

        try:
            box["value"] = asyncio.run(main())
        except BaseException as error:  # handed to the caller's thread
            box["error"] = error
        finally:
            ready.set()

    thread = threading.Thread(target=target, name="bizsum-generate-loop", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        ready.wait()
        if "loop" in box and not box["loop"].is_closed():
            box["loop"].call_soon_threadsafe(box["task"].cancel)
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


async def _as_coroutine(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()
