"""Scripted provider for tests and CI: no model, no network, fully deterministic.

``options.responses`` maps a key to a reply. Keys are tried in this order:
``"<doc_id>:<prompt_id>"``, ``"<doc_id>"``, ``"<prompt_id>"``, ``"*"``. Before them,
``options.match`` (a list of ``{contains: TEXT, reply: REPLY}``) answers the first rule whose text
occurs in the prompt (to script an LLM judge claim by claim). A reply is a string or a
mapping with ``text`` and optionally ``repeat`` (the text is repeated that many times, for
over-long answers), ``finish_reason``, ``completion_tokens``, ``prompt_tokens``, ``logprobs``
(returned as ``Generation.logprobs`` when the request asked for them: ``params.logprobs``),
``error`` (raise a ProviderError with that message). Without a matching reply the fake answers
with the document's first sentences (``options.lead_sentences``, default 3), so scores are
meaningful. ``options.delay`` makes every answer take that many seconds (a slow model, for tests
of running processes).
"""

from __future__ import annotations

import time
from typing import Any

from bizsum.config import ModelSpec
from bizsum.errors import ProviderError
from bizsum.nlp.text import split_sentences
from bizsum.nlp.tokens import count_tokens
from bizsum.providers import register
from bizsum.providers.base import Generation, GenerationRequest, Provider, Speed


@register("fake")
class FakeProvider(Provider):
    is_free = True
    runs_in_process = True
    supports_logprobs = True

    def speed(self) -> Speed:
        return Speed(request_s=float(self.spec.options.get("delay", 0)))

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.calls = 0  # answers given (tests of caches count them)

    def _reply(self, request: GenerationRequest) -> Any:
        for rule in self.spec.options.get("match") or []:
            if str(rule.get("contains", "")) in request.prompt:
                return rule.get("reply", "")
        responses = self.spec.options.get("responses") or {}
        for key in (f"{request.document.id}:{request.prompt_id}", request.document.id, request.prompt_id, "*"):
            if key in responses:
                return responses[key]
        count = int(self.spec.options.get("lead_sentences", 3))
        return " ".join(split_sentences(request.document.text)[:count])

    def generate(self, request: GenerationRequest) -> Generation:
        started = time.perf_counter()
        self.calls += 1
        time.sleep(float(self.spec.options.get("delay", 0)))
        reply = self._reply(request)
        if isinstance(reply, str):
            reply = {"text": reply}
        if reply.get("error"):
            raise ProviderError(str(reply["error"]))
        text = (str(reply.get("text", "")) * int(reply.get("repeat", 1))).strip()
        return Generation(
            text=text,
            finish_reason=reply.get("finish_reason", "stop"),
            prompt_tokens=reply.get("prompt_tokens", count_tokens(request.prompt)),
            completion_tokens=reply.get("completion_tokens", count_tokens(text)),
            latency_s=time.perf_counter() - started,
            model_returned=f"fake/{self.spec.model_name}",
            logprobs=reply.get("logprobs") if self.spec.params.get("logprobs") else None,
        )
