"""OpenAI Chat Completions, and any OpenAI-compatible server through ``base_url``.

The key is read from the environment variable named by ``api_key_env`` (default
``OPENAI_API_KEY``); it never enters the config, the cache or a report. For a local server that
needs no key (llama.cpp, vLLM, Ollama) set ``options: {requires_key: false}``.

Each generation records usage, latency, ``finish_reason`` and the model id the server returned.
Some compatible servers silently cut long prompts: when the reported ``prompt_tokens`` is far
below our own count of the prompt (``options.truncation_ratio``, default 0.8), the row is marked
``prompt_truncated``.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from bizsum.errors import ProviderError, SetupError
from bizsum.providers import register
from bizsum.providers.base import Generation, GenerationRequest, Provider
from bizsum.tokens import count_tokens, resolve_count_encoding

log = logging.getLogger(__name__)

DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def _usage_detail(usage: Any, group: str, field: str) -> int | None:
    details = getattr(usage, group, None)
    return getattr(details, field, None) if details is not None else None


@register("openai")
class OpenAIChatProvider(Provider):
    def __init__(self, spec, http_client: Any = None):
        super().__init__(spec)
        key_env = spec.api_key_env or DEFAULT_KEY_ENV
        api_key = os.environ.get(key_env)
        if not api_key:
            if spec.options.get("requires_key", True):
                raise SetupError(
                    f"model {spec.id!r} (provider 'openai'): environment variable {key_env} is not set. "
                    f"Export the API key as {key_env}, name another variable in 'api_key_env', or, for a "
                    "local OpenAI-compatible server that needs no key, set options.requires_key: false."
                )
            api_key = "no-key-required"
        try:
            import openai
        except ModuleNotFoundError:
            raise SetupError("the 'openai' package is not installed: pip install openai") from None
        self._openai = openai
        self.client = openai.OpenAI(
            api_key=api_key,
            base_url=spec.base_url,
            timeout=float(spec.options.get("timeout", 600)),
            max_retries=int(spec.options.get("max_retries", 2)),
            http_client=http_client,
        )
        self.count_encoding = resolve_count_encoding("openai", spec.model_name, spec.count_encoding)

    def _request_params(self, request: GenerationRequest) -> dict[str, Any]:
        params = dict(self.spec.params)
        if "max_tokens" not in params and "max_completion_tokens" not in params:
            # Headroom above the limit so over-long answers are observed, not cut by us.
            params["max_completion_tokens"] = 2 * request.token_limit
        params.setdefault("seed", request.seed)
        return params

    def generate(self, request: GenerationRequest) -> Generation:
        counted_prompt = count_tokens(request.prompt, self.count_encoding)
        started = time.perf_counter()
        try:
            response = self.client.chat.completions.create(
                model=self.spec.model_name,
                messages=[{"role": "user", "content": request.prompt}],
                **self._request_params(request),
            )
        except self._openai.APIStatusError as error:
            raise ProviderError(
                f"model {self.spec.id!r}: the server answered HTTP {error.status_code}: {error.message}"
            ) from None
        except self._openai.APIError as error:
            raise ProviderError(f"model {self.spec.id!r}: request failed: {error}") from None
        latency = time.perf_counter() - started
        if not getattr(response, "choices", None):
            raise ProviderError(f"model {self.spec.id!r}: the response has no choices")
        choice = response.choices[0]
        usage = response.usage
        prompt_tokens = getattr(usage, "prompt_tokens", None)
        ratio = float(self.spec.options.get("truncation_ratio", 0.8))
        truncated = prompt_tokens is not None and prompt_tokens < ratio * counted_prompt
        if truncated:
            log.warning(
                "model %s reported %s prompt tokens for a prompt we count at %s (%s): the server "
                "probably truncated the prompt", self.spec.id, prompt_tokens, counted_prompt, self.count_encoding,
            )
        return Generation(
            text=choice.message.content or "",
            finish_reason=choice.finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=getattr(usage, "completion_tokens", None),
            latency_s=latency,
            model_returned=getattr(response, "model", None),
            prompt_truncated=truncated,
            meta={
                "counted_prompt_tokens": counted_prompt,
                "count_encoding": self.count_encoding,
                "reasoning_tokens": _usage_detail(usage, "completion_tokens_details", "reasoning_tokens"),
                "cached_tokens": _usage_detail(usage, "prompt_tokens_details", "cached_tokens"),
                "system_fingerprint": getattr(response, "system_fingerprint", None),
            },
        )

    def close(self) -> None:
        self.client.close()
