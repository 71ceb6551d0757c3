"""Two raylets on this machine (``ray.cluster_utils.Cluster``), for the Ray tests and bench/speed/scale_out.py."""

from __future__ import annotations

import os
import time

import pytest


def patient_environment() -> None:
    """A raylet waits for its Python agents to report their ports (default 15 s) and for its own
    registration (30 s): too short on a machine that other jobs keep busy (the raylet aborts)."""
    os.environ.setdefault("RAY_agent_register_timeout_ms", "120000")
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")


class _PatientClock:
    """``time`` as ``ray._private.node`` sees it while nodes start: its fixed 30 s wait for a raylet
    to register becomes 120 s (on a machine loaded by other jobs the raylet's Python agents take
    longer than 30 s to import)."""

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def monotonic():
        return time.monotonic() / 4


def start_two_nodes(cluster_class, attempts: int = 3):
    """Head + one worker node, each with one CPU; a start-up that still times out is retried."""
    import ray._private.node as ray_node

    for attempt in range(1, attempts + 1):
        cluster = cluster_class()
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(ray_node, "time", _PatientClock())
                cluster.add_node(num_cpus=1, include_dashboard=False)
                cluster.add_node(num_cpus=1)
            cluster.wait_for_nodes()
            return cluster
        except Exception:
            cluster.shutdown()
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
