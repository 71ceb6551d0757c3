"""Proxies (the long-document guard, the Ray actor pool) answer every flag and hook of ``Provider``
as the provider they wrap, except the few they change; the lists come from ``Provider`` itself."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from bizsum.config import ModelSpec
from bizsum.execution.ray_generation import ActorPoolProvider
from bizsum.generation.long_docs import ContextGuard
from bizsum.providers.base import Provider
from bizsum.providers.proxy import NOT_FORWARDED, capability_flags, hook_names

#: what each proxy answers itself (tested with the proxy's own tests)
OWN = {
    ContextGuard: {"generate", "identity", "context_limit", "fits"},
    ActorPoolProvider: {"generate", "concurrency_group", "concurrency", "close"},
}
FLAGS = {
    "name": "recorder",
    "default_concurrency": 7,
    "is_free": True,
    "kind": "baseline",
    "supports_batch": True,
    "runs_in_process": True,
    "supports_logprobs": True,
}


class Recorder(Provider):
    """Every hook records its call and answers ("inner", hook); every flag is off its default."""

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def generate(self, request):  # replaced below with the recording one
        raise AssertionError


def _recording(hook: str):
    def method(self, *args):
        self.calls.append((hook, args))
        return ("inner", hook)

    return method


for _hook in hook_names():
    setattr(Recorder, _hook, _recording(_hook))
for _flag, _value in FLAGS.items():
    setattr(Recorder, _flag, _value)


def _proxy(kind: type[Provider], inner: Provider) -> Provider:
    if kind is ContextGuard:
        return ContextGuard(inner, window=10_000)
    return ActorPoolProvider(inner, ray=None, actors=[object(), object()], nodes=["n1", "n2"])


def test_the_hook_list_is_every_public_method_of_provider():
    hooks = set(hook_names())
    assert {"supports_logprobs", "is_free", "supports_batch", "kind"} <= set(capability_flags())
    assert {"max_prompt_tokens", "batch_api", "logprob_params", "retry_counters", "attach_meter", "close"} <= hooks
    public = {n for n, v in vars(Provider).items() if not n.startswith("_") and callable(getattr(Provider, n))}
    assert public == hooks | NOT_FORWARDED


@pytest.mark.parametrize("kind", [ContextGuard, ActorPoolProvider], ids=lambda k: k.__name__)
def test_proxy_forwards_every_hook_it_does_not_change(kind):
    inner = Recorder(ModelSpec(id="m", provider="fake"))
    proxy = _proxy(kind, inner)
    forwarded = [hook for hook in hook_names() if hook not in OWN[kind]]
    assert "max_prompt_tokens" in forwarded and "batch_api" in forwarded  # ActorPoolProvider missed these
    for hook in forwarded:
        params = [p for p in inspect.signature(getattr(Provider, hook)).parameters.values() if p.name != "self"]
        args = tuple(object() for _ in params)
        inner.calls.clear()
        answer = getattr(proxy, hook)(*args)
        assert inner.calls == [(hook, args)], hook
        if hook != "attach_meter":  # it keeps the meter itself too, and returns nothing
            assert answer == ("inner", hook), hook


@pytest.mark.parametrize("kind", [ContextGuard, ActorPoolProvider], ids=lambda k: k.__name__)
def test_proxy_answers_every_flag_as_the_wrapped_provider(kind):
    proxy = _proxy(kind, Recorder(ModelSpec(id="m", provider="fake")))
    changed = {"runs_in_process": False} if kind is ActorPoolProvider else {}  # the model runs in the actors
    assert {flag: getattr(proxy, flag) for flag in capability_flags()} == {**FLAGS, **changed}


def test_a_proxy_keeps_the_meter_and_gives_it_to_the_wrapped_provider():
    inner = Recorder(ModelSpec(id="m", provider="fake"))
    proxy = _proxy(ContextGuard, inner)
    meter = object()
    proxy.attach_meter(meter)  # type: ignore[arg-type]
    assert proxy.meter is meter and inner.calls == [("attach_meter", (meter,))]
