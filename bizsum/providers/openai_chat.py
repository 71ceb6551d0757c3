"""OpenAI Chat Completions, and any OpenAI-compatible server through ``base_url``.

The key is read from the environment variable named by ``api_key_env`` (default
``OPENAI_API_KEY``); it never enters the config, the cache or a report. For a local server that
needs no key (llama.cpp, vLLM, Ollama) set ``options: {requires_key: false}``.

Each generation records usage, latency, ``finish_reason`` and the model id the server returned.
Some compatible servers silently cut long prompts: when the reported ``prompt_tokens`` is far
below our own count of the prompt (``options.truncation_ratio``, default 0.8), the row is marked
``prompt_truncated``.

Retries are ours, not the SDK's (its ``max_retries`` is 0): every HTTP request runs under
:func:`bizsum.providers.retry.call_with_retries` with the model's ``retry`` settings (429 honours
``Retry-After`` and throttles the whole model; 5xx, timeouts and connection errors back off with
jitter) and an :class:`~bizsum.providers.retry.AdaptiveLimiter` of ``concurrency`` slots (default 8).
The older ``options.timeout`` / ``options.max_retries`` still work (``max_retries: 0`` = one attempt).

The request body (:meth:`OpenAIChatProvider.request_body`: model, the prompt as one user message,
``params``, ``seed`` = seed + sample, ``max_completion_tokens``) is the same for live calls and
Batch API lines, so ``params`` an OpenAI-compatible server understands (``top_k``, ``min_p``, ...)
reach it instead of failing as unknown arguments. A live request is one POST to
``<base_url>/chat/completions`` on the SDK client's own HTTP client (same connection pool, proxies
and TLS), with the SDK's headers and key computed once per model; the answer is read as plain
JSON. This skips the SDK's per-call request building and response models (~0.6 ms of GIL time
per request, which queues up when 16 answers arrive together). The Batch API (files, batches) goes
through the SDK.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from functools import lru_cache
from typing import Any

from bizsum.config import ModelSpec
from bizsum.errors import ProviderError, SetupError
from bizsum.nlp.tokens import DEFAULT_ENCODING, count_tokens, encoding_for_model
from bizsum.providers import register
from bizsum.providers.base import CHAT_OVERHEAD_TOKENS, Generation, GenerationRequest, Provider
from bizsum.providers.openai_batch import OpenAIBatchAPI
from bizsum.providers.retry import (
    RETRY_STATUS,
    AdaptiveLimiter,
    RetryCounters,
    RetryPolicy,
    TransientError,
    call_with_retries,
    parse_retry_after,
)

log = logging.getLogger(__name__)

DEFAULT_KEY_ENV = "OPENAI_API_KEY"


@lru_cache(maxsize=1)
def _tls_context() -> Any:
    """The default TLS context, made once per process: loading the system's CA certificates takes
    ~0.1 s, which every client (one per model per run) would otherwise pay again."""
    import httpx2

    return httpx2.create_ssl_context()


@lru_cache(maxsize=128)
def _count_memo(prompt: str, encoding: str) -> int:
    return count_tokens(prompt, encoding)


def _usage_detail(usage: dict[str, Any], group: str, field: str) -> int | None:
    details = usage.get(group)
    return details.get(field) if isinstance(details, dict) else None


class HTTPStatusError(Exception):
    """A live request answered with an HTTP error status."""

    def __init__(self, status: int, detail: str, headers: Any):
        super().__init__(f"the server answered HTTP {status}: {detail}")
        self.status, self.headers = status, headers


def _error_detail(response: Any) -> str:
    """The server's own error message (``{"error": {"message": ...}}``), else the start of the body."""
    try:
        error = response.json().get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    except (ValueError, AttributeError):
        pass
    return response.text[:200] or response.reason_phrase


@register("openai")
class OpenAIChatProvider(Provider):
    default_concurrency = 8
    supports_batch = True
    supports_logprobs = True  # params logprobs/top_logprobs; a server that ignores them returns none

    @classmethod
    def check(cls, spec: ModelSpec) -> None:
        cls._api_key(spec)

    @staticmethod
    def _api_key(spec: ModelSpec) -> str:
        key_env = spec.api_key_env or DEFAULT_KEY_ENV
        api_key = os.environ.get(key_env)
        if api_key:
            return api_key
        if spec.options.get("requires_key", True):
            raise SetupError(
                f"model {spec.id!r} (provider 'openai'): environment variable {key_env} is not set. "
                f"Export the API key as {key_env}, name another variable in 'api_key_env', or, for a "
                "local OpenAI-compatible server that needs no key, set options.requires_key: false."
            )
        return "no-key-required"

    @classmethod
    def count_encoding_for(cls, spec: ModelSpec) -> str:
        return spec.count_encoding or encoding_for_model(spec.model_name) or DEFAULT_ENCODING

    def __init__(self, spec: ModelSpec, http_client: Any = None):
        super().__init__(spec)
        api_key = self._api_key(spec)
        try:
            import openai
        except ModuleNotFoundError:
            raise SetupError("the 'openai' package is not installed: pip install openai") from None
        self._openai = openai
        import httpx2  # the SDK's HTTP library

        self._httpx = httpx2
        timeout = float(spec.options.get("timeout", spec.retry.timeout))
        self.http = http_client or openai.DefaultHttpxClient(verify=_tls_context())
        self.client = openai.OpenAI(
            api_key=api_key,
            base_url=spec.base_url,
            timeout=timeout,
            max_retries=0,  # retries are bizsum.providers.retry's, so they are counted, logged and testable
            http_client=self.http,
        )
        # The live request's URL, headers (the SDK's own, key included) and timeout, made once.
        self._chat_url = str(self.client.base_url).rstrip("/") + "/chat/completions"
        self._headers = {
            name: value
            for name, value in {**self.client.default_headers, **self.client.auth_headers}.items()
            if isinstance(value, str)
        }
        self._headers["x-stainless-read-timeout"] = str(timeout)
        self._timeout = timeout
        legacy = spec.options.get("max_retries")
        self.policy = RetryPolicy.from_settings(spec.retry, None if legacy is None else int(legacy) + 1)
        self.limiter = AdaptiveLimiter(spec.concurrency or self.default_concurrency)
        self.counters = RetryCounters()
        self._counters_lock = threading.Lock()
        self.encoding = self.count_encoding()

    def _request_params(self, request: GenerationRequest) -> dict[str, Any]:
        params = dict(self.spec.params)
        if "max_tokens" not in params and "max_completion_tokens" not in params:
            # Headroom above the limit so over-long answers are observed, not cut by us.
            params["max_completion_tokens"] = 2 * request.token_limit
        params.setdefault("seed", request.seed)
        return params

    def request_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The Chat Completions body for a request (live calls and Batch API lines alike)."""
        return {
            "model": self.spec.model_name,
            "messages": [{"role": "user", "content": request.prompt}],
            **self._request_params(request),
        }

    def _post_chat(self, body: dict[str, Any]) -> Any:
        """One live request: the parsed JSON answer, or HTTPStatusError."""
        response = self.http.post(
            self._chat_url,
            content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=self._headers,
            timeout=self._timeout,
        )
        if response.status_code >= 400:
            raise HTTPStatusError(response.status_code, _error_detail(response), response.headers)
        try:
            return response.json()
        except ValueError:
            if "json" in response.headers.get("content-type", ""):
                raise  # JSON promised, not delivered: "not valid JSON"
            return response.text  # an HTML error page or plain text: "not JSON: <the start>"

    def _status_error(self, status: int, message: str, headers: Any) -> ProviderError:
        if status in RETRY_STATUS:
            kind = "rate_limit" if status == 429 else "server"
            return TransientError(message, kind=kind, retry_after=parse_retry_after(headers), status=status)
        return ProviderError(f"model {self.spec.id!r}: {message}")

    def _once(self, call: Any) -> Any:
        """One HTTP request (live, or through the SDK for the Batch API); failures become
        TransientError (retried) or ProviderError."""
        openai, httpx2 = self._openai, self._httpx
        try:
            return call()
        except HTTPStatusError as error:
            raise self._status_error(error.status, str(error), error.headers) from None
        except openai.APIStatusError as error:
            message = f"the server answered HTTP {error.status_code}: {error.message}"
            raise self._status_error(error.status_code, message, getattr(error.response, "headers", None)) from None
        except (openai.APITimeoutError, httpx2.TimeoutException):
            raise TransientError(f"no answer within the {self._timeout}s request timeout", kind="timeout") from None
        except openai.APIConnectionError as error:
            cause = error.__cause__ or error.__context__
            raise TransientError(f"connection failed: {cause or error}", kind="connection") from None
        except httpx2.TransportError as error:
            raise TransientError(f"connection failed: {error!r}", kind="connection") from None
        except openai.APIError as error:
            raise ProviderError(f"model {self.spec.id!r}: request failed: {error}") from None
        except ValueError as error:  # json.JSONDecodeError: a 200 whose body is not JSON
            raise ProviderError(f"model {self.spec.id!r}: the response is not valid JSON ({error})") from None

    def call_api(self, call: Any, describe: str, limited: bool = False) -> Any:
        """Run an SDK call (files, batches, ...) under this model's retry policy."""
        counters = RetryCounters()
        try:
            return call_with_retries(
                lambda: self._once(call),
                self.policy,
                self.limiter if limited else None,
                describe=describe,
                counters=counters,
            )
        finally:
            with self._counters_lock:
                self.counters.add(counters)

    def count_prompt(self, prompt: str) -> int:
        # Memoized: the samples of a cell, the context-window guard and the cost estimate all count
        # the same prompt text.
        return _count_memo(prompt, self.encoding)

    def max_prompt_tokens(self, prompt: str) -> int:
        if self.spec.base_url is None and encoding_for_model(self.spec.model_name) == self.encoding:
            return self.count_prompt(prompt) + CHAT_OVERHEAD_TOKENS  # OpenAI's model: we count as it bills
        return super().max_prompt_tokens(prompt)  # another server: its tokenizer is unknown

    def generate(self, request: GenerationRequest) -> Generation:
        counted_prompt = self.count_prompt(request.prompt)
        body = self.request_body(request)
        describe = f"model {self.spec.id!r} ({request.document.id} × {request.prompt_id} #{request.sample})"
        started = time.perf_counter()
        max_output = int(body.get("max_completion_tokens") or body.get("max_tokens") or 2 * request.token_limit)
        billed_at_most = self.max_prompt_tokens(request.prompt) if self.meter is not None else counted_prompt

        def post() -> Any:  # one attempt, booked against max_cost (a retry books again)
            return self.metered(
                billed_at_most,
                max_output,
                lambda: self._post_chat(body),
                usage=_usage_of,
                charged=self._maybe_charged,
            )

        response = self.call_api(post, describe, limited=True)
        latency = time.perf_counter() - started
        return self.to_generation(response, counted_prompt, latency)

    def to_generation(self, response: Any, counted_prompt: int, latency: float | None) -> Generation:
        """A Chat Completions response (its JSON: a live answer or a Batch API output line) as a
        Generation; a malformed one is a ProviderError."""
        if response is None:
            raise ProviderError(f"model {self.spec.id!r}: the response has no body")
        if isinstance(response, (str, bytes)):
            preview = response[:80] if isinstance(response, str) else response[:80].decode("utf-8", "replace")
            raise ProviderError(f"model {self.spec.id!r}: the response is not JSON: {json.dumps(preview)}")
        if not isinstance(response, dict):
            raise ProviderError(f"model {self.spec.id!r}: the response is not a JSON object")
        choices = response.get("choices")
        if not choices or not isinstance(choices, list):
            raise ProviderError(f"model {self.spec.id!r}: the response has no choices")
        choice = choices[0] if isinstance(choices[0], dict) else {}
        message = choice.get("message")
        if not isinstance(message, dict):
            raise ProviderError(f"model {self.spec.id!r}: the response's first choice has no message")
        usage: dict[str, Any] = response["usage"] if isinstance(response.get("usage"), dict) else {}
        prompt_tokens = usage.get("prompt_tokens")
        ratio = float(self.spec.options.get("truncation_ratio", 0.8))
        truncated = prompt_tokens is not None and prompt_tokens < ratio * counted_prompt
        if truncated:
            log.warning(
                "model %s reported %s prompt tokens for a prompt we count at %s (%s): the server "
                "probably truncated the prompt",
                self.spec.id,
                prompt_tokens,
                counted_prompt,
                self.encoding,
            )
        return Generation(
            text=message.get("content") or "",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=prompt_tokens,
            completion_tokens=usage.get("completion_tokens"),
            latency_s=latency,
            model_returned=response.get("model"),
            prompt_truncated=truncated,
            meta={
                "counted_prompt_tokens": counted_prompt,
                "count_encoding": self.encoding,
                "reasoning_tokens": _usage_detail(usage, "completion_tokens_details", "reasoning_tokens"),
                "cached_tokens": _usage_detail(usage, "prompt_tokens_details", "cached_tokens"),
                "system_fingerprint": response.get("system_fingerprint"),
            },
            logprobs=_token_logprobs(choice),
        )

    def _maybe_charged(self, error: BaseException) -> bool:
        """A refused request (an HTTP error status) costs nothing; a timeout or a dropped
        connection may have been processed and billed."""
        return not isinstance(error, (HTTPStatusError, self._openai.APIStatusError))

    def max_output_tokens(self, request: GenerationRequest) -> int:
        params = self._request_params(request)
        return int(params.get("max_completion_tokens") or params.get("max_tokens") or 2 * request.token_limit)

    def batch_api(self) -> OpenAIBatchAPI:
        return OpenAIBatchAPI(self)

    def retry_counters(self) -> RetryCounters:
        with self._counters_lock:
            copy = RetryCounters()
            copy.add(self.counters)
            return copy

    def close(self) -> None:
        self.client.close()


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _token_logprobs(choice: Any) -> list[dict[str, Any]] | None:
    """``choices[0].logprobs.content`` as ``[{token, logprob, top: {token: logprob}}]`` (None when absent)."""
    content = _field(_field(choice, "logprobs"), "content")
    if not content:
        return None
    out = []
    for entry in content:
        token, logprob = _field(entry, "token"), _field(entry, "logprob")
        if token is None or logprob is None:
            continue
        top = {str(_field(t, "token")): float(_field(t, "logprob")) for t in _field(entry, "top_logprobs") or []}
        out.append({"token": str(token), "logprob": float(logprob), "top": top})
    return out or None


def _usage_of(response: Any) -> tuple[int | None, int | None, int]:
    usage = response.get("usage") if isinstance(response, dict) else None
    if not isinstance(usage, dict):
        return None, None, 0
    cached = _usage_detail(usage, "prompt_tokens_details", "cached_tokens") or 0
    return usage.get("prompt_tokens"), usage.get("completion_tokens"), int(cached)
