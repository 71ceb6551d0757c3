"""Connecting to Ray for one step of a run, and leaving it as it was.

Ray is an optional dependency (``pip install 'bizsum[ray]'``): it is imported here only, when a
config says ``executor: ray``; the local path never imports it.

``address`` (:class:`bizsum.config.ExecutorSettings`): ``local`` starts a private Ray instance on
this machine (stopped again at the end of the step), ``auto`` joins the cluster this machine is part
of (``ray start``), ``ray://host:10001`` connects through Ray Client, and any ``host:port`` is a
cluster's GCS address. When the process is already connected (a notebook that called
``ray.init()``, a test cluster), that connection is used and left open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bizsum.config import ExecutorSettings
from bizsum.errors import SetupError

log = logging.getLogger(__name__)


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SetupError(
            "executor 'ray' needs Ray: pip install 'bizsum[ray]' (or 'ray[data]'), or set executor: local"
        ) from None
    return ray


@contextmanager
def ray_session(settings: ExecutorSettings) -> Iterator[Any]:
    """The ``ray`` module, connected to the cluster ``settings`` name, for the length of the block."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        address = None if settings.address == "local" else settings.address
        log.info("connecting to Ray (%s)", settings.address)
        try:
            ray.init(
                address=address,
                runtime_env=settings.runtime_env,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise SetupError(f"cannot connect to Ray at {settings.address!r} (executor.address): {error}") from None
        started = True
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def cluster_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
