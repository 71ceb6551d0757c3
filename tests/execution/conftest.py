"""A real two-node Ray cluster on this machine (two raylets), started for the Ray tests and stopped after."""

from __future__ import annotations

import os

import pytest

from tests.execution.cluster import patient_environment, start_two_nodes
from tests.helpers import ROOT


@pytest.fixture(scope="session")
def ray_cluster():
    pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    # the workers import bizsum and the test metric from this checkout
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *([old] if old else [])])
    patient_environment()
    cluster = start_two_nodes(Cluster)
    try:
        yield cluster
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
