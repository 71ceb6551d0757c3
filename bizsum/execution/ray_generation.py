"""Generation on Ray: in-process models (llama.cpp) as actors, one per node, each with its own copy.

API models stay where they are: async on the driver, I/O-bound and already near their ideal. A
model whose provider says ``runs_in_process`` (the local llama.cpp provider) is served by a pool
of :class:`ModelActor`, one per alive node, each loading its own copy of the model; the driver's
:class:`ActorPoolProvider` stands in for the provider in the ordinary generation runner, so the
plan, the response cache, the rows, resume and ``max_cost`` are the runner's own. The pool's
concurrency is its number of actors, and each request goes to the actor with the fewest requests
in flight. The long-document guard wraps the pool, so a map-reduce's section requests are spread
over the nodes too.

An OpenAI-compatible server pool (vLLM behind Ray Serve, several llama.cpp servers behind a load
balancer) needs none of this: it is a ``base_url`` of an ``openai`` model (docs/scale.md).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from bizsum.config import ModelSpec, RunConfig
from bizsum.errors import ProviderError
from bizsum.execution.ray_session import ray_session
from bizsum.generation import RunPlan
from bizsum.generation.long_docs import WindowTable, guard
from bizsum.generation.runner import generate
from bizsum.generation.workers import GenerationStats
from bizsum.providers import create_provider, provider_class
from bizsum.providers.base import Generation, GenerationRequest, Provider
from bizsum.providers.proxy import ProviderProxy

log = logging.getLogger(__name__)


class ModelActor:
    """A provider on one node (made into a Ray actor by :func:`start_actors`)."""

    def __init__(self, spec: ModelSpec):
        self.provider = create_provider(spec)

    def generate(self, request: GenerationRequest) -> tuple[Generation | None, str | None]:
        """The generation, or the provider's error message (raised again on the driver)."""
        from bizsum.errors import BizsumError

        try:
            return self.provider.generate(request), None
        except BizsumError as error:
            return None, str(error)

    def node(self) -> str:
        import ray

        return str(ray.get_runtime_context().get_node_id())


def start_actors(ray: Any, spec: ModelSpec) -> tuple[list[Any], list[str]]:
    """One :class:`ModelActor` per alive node, pinned to it; returns the actors and their nodes."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    # no CPU reserved: one actor per node and model, placed by node; the runner bounds the requests in flight
    remote = ray.remote(num_cpus=0, max_restarts=1, max_task_retries=1)(ModelActor)
    actors = [
        remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)).remote(spec)
        for node in ray.nodes()
        if node.get("Alive") and node.get("Resources", {}).get("CPU", 0) >= 1
    ]
    nodes = ray.get([actor.node.remote() for actor in actors])
    log.info("model %s: %d actor(s) on nodes %s", spec.id, len(actors), [n[:8] for n in nodes])
    return actors, nodes


class ActorPoolProvider(ProviderProxy):
    """Stands in for an in-process provider: every flag and hook is answered by a local instance
    (which loads no model for them: :class:`~bizsum.providers.proxy.ProviderProxy`), ``generate``
    is sent to the actors, whose pool sets the concurrency."""

    #: the model runs in the actors, not in this process
    runs_in_process = False

    def __init__(self, inner: Provider, ray: Any, actors: list[Any], nodes: list[str]):
        super().__init__(inner)
        self.ray, self.actors, self.nodes = ray, actors, nodes
        self.served = [0] * len(actors)  # requests answered by each actor
        self.in_flight = [0] * len(actors)
        self.lock = threading.Lock()

    def cache_key(self, request: GenerationRequest) -> str:
        return self.inner.cache_key(request)

    def concurrency_group(self) -> str:
        return f"ray:{self.inner.concurrency_group()}"

    def concurrency(self) -> int:
        return len(self.actors)

    def generate(self, request: GenerationRequest) -> Generation:
        with self.lock:
            slot = min(range(len(self.actors)), key=self.in_flight.__getitem__)
            self.in_flight[slot] += 1
        try:
            generation, error = self.ray.get(self.actors[slot].generate.remote(request))
        except self.ray.exceptions.RayError as failure:
            raise ProviderError(f"model {self.spec.id!r}: Ray actor failed: {failure}") from None
        finally:
            with self.lock:
                self.in_flight[slot] -= 1
                self.served[slot] += 1
        if error is not None or generation is None:
            raise ProviderError(error or "no answer")
        return generation

    def close(self) -> None:
        log.info("model %s: requests per node %s", self.spec.id, dict(zip((n[:8] for n in self.nodes), self.served)))
        for actor in self.actors:
            self.ray.kill(actor)
        self.inner.close()


def generate_on_ray(config: RunConfig, plan: RunPlan | None = None, progress: bool = True) -> GenerationStats:
    """:func:`bizsum.generation.generate` with in-process models served by Ray actors."""
    if not any(provider_class(spec.provider).runs_in_process for spec in config.models):
        return generate(config, plan, progress)  # API models only: nothing to place on the cluster
    with ray_session(config.executor) as ray:

        def open_model(spec: ModelSpec, windows: WindowTable) -> Provider:
            provider = create_provider(spec)
            if provider.runs_in_process:
                provider = ActorPoolProvider(provider, ray, *start_actors(ray, spec))
            return guard(provider, windows)

        return generate(config, plan, progress, open_model)
