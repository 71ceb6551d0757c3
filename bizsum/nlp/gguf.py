"""Counting tokens with a local GGUF model's own tokenizer (llama.cpp, vocabulary only).

A summary made by a local model is measured in that model's tokens. Loading only the vocabulary
takes ~0.1 s and no weights, so scoring never needs the model itself in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from bizsum.errors import SetupError

log = logging.getLogger(__name__)

SETUP_HINT = "run `make setup-local` (scripts/setup_local_llm.sh) to build and install llama-cpp-python"


def import_llama_cpp() -> Any:
    """The ``llama_cpp`` module, or a SetupError that says how to install it."""
    try:
        import llama_cpp
    except ImportError as error:  # ModuleNotFoundError, or a broken shared library
        raise SetupError(
            f"the local provider needs llama-cpp-python, which cannot be imported ({error}); {SETUP_HINT}"
        ) from None
    return llama_cpp


@lru_cache(maxsize=8)
def vocab_tokenizer(model_path: str) -> Callable[[bytes], list[int]]:
    """Tokenizer of a GGUF file, loaded once per path with only the vocabulary (no weights)."""
    llama_cpp = import_llama_cpp()
    if not Path(model_path).is_file():
        raise SetupError(f"GGUF model file not found: {model_path}")
    internals = getattr(llama_cpp, "_internals", None)
    if internals is not None:
        # The bare vocab-only model object: no llama_context (which would need n_ctx and print a
        # warning to stderr), loads in ~0.1 s.
        try:
            params = llama_cpp.llama_model_default_params()
            params.vocab_only = True
            model = internals.LlamaModel(path_model=model_path, params=params, verbose=False)
            return lambda data: model.tokenize(data, False, False)
        except (AttributeError, TypeError) as error:  # llama-cpp-python changed its internals
            log.debug("vocab-only LlamaModel unavailable (%s); using Llama(vocab_only=True)", error)
        except (ValueError, RuntimeError, OSError) as error:
            raise SetupError(f"llama.cpp cannot read the vocabulary of {model_path}: {error}") from None
    try:
        llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    except (ValueError, RuntimeError, OSError) as error:
        raise SetupError(f"llama.cpp cannot read the vocabulary of {model_path}: {error}") from None
    return lambda data: llm.tokenize(data, add_bos=False, special=False)


def gguf_token_count(text: str, model_path: str) -> int:
    """Number of tokens the GGUF model's tokenizer makes of ``text``.

    Counted as the model emits text: without BOS (a completion never starts with one; Qwen adds
    none anyway) and with ``special=False``, so a literal ``<|im_end|>`` inside the text counts as
    the characters it is made of, not as one control token. Re-tokenizing a generated answer this
    way can differ by a token or two from the ``completion_tokens`` llama.cpp reports, because a
    model need not emit the canonical tokenization of its own text.
    """
    return len(vocab_tokenizer(str(model_path))(text.encode("utf-8")))
