"""BERTScore (P/R/F1) with ``bert-score`` on the offline all-MiniLM-L6-v2 encoder.

Token embeddings are those of ``bert_score.utils.get_bert_embedding`` (all 6 layers of MiniLM, no
idf, no baseline rescaling — the rescale baselines are not available offline, so values are raw
cosine similarities and sit higher than rescaled scores in papers), computed the same way by
:func:`bert_embedding` here: importing ``bert_score`` pulls in matplotlib (0.4–0.5 s of a
cold ``bizsum score``), so it is imported only for a model other than the shared MiniLM.

The encoder sees at most 512 word pieces. Texts longer than that (every 10-K source, long
summaries) are cut at sentence boundaries into chunks of at most 510 word pieces; each chunk is
embedded on its own and the token embeddings of all chunks are pooled. Greedy matching then runs
over the pooled tokens: precision = mean over summary tokens of the best cosine match anywhere in
the source; recall = mean over source tokens of the best match in the summary. For texts that fit
in one chunk this is exactly ``bert_score.score`` (tests check it).

Against references: the best reference by F1. Source embeddings are cached per document,
least-recently-used within ``SOURCE_CACHE_MB`` (an entry is 1.6 KB a word piece: 15 MB for a
40k-character Item 1; a count bound of 16 documents let a scoring actor hold 250 MB of them).

Speed without changing the numbers: sentences are tokenized once, in one batched call (a span's
word-piece count is the sum of its words' counts, so cutting long sentences needs no re-tokenizing);
chunks are sorted by length before batching (less padding) and a forward batch holds at most
``MAX_BATCH_TOKENS`` padded tokens (bounds the attention buffers); items are scored ``ITEM_BATCH`` at
a time so the token embeddings of a large batch are not all held at once; uncached sources are
embedded in the same forward batches as the summaries.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem, Value
from bizsum.nlp.batching import length_batches
from bizsum.nlp.encoders import MINILM_LAYERS, MINILM_NAME, minilm_path, shared_transformer
from bizsum.nlp.pool import MemoryPool
from bizsum.nlp.text import split_sentences

log = logging.getLogger(__name__)

MAX_PIECES = 510  # 512 minus [CLS] and [SEP]
#: memory of the source token embeddings kept (about 18 MB for an 11k-token 10-K section; the
#: newest source always stays, however big)
SOURCE_CACHE_MB = 64
#: padded tokens per forward batch: 4 chunks of 512. Smaller batches stay in the CPU's caches: the
#: 140 chunks of 8 filings of ``bench/speed/scale_out.py`` embed in 12.5-13.0 CPU-s at 2,048 (median
#: of 5, 1 thread; 1,024: 12.0) against 14.4 at 8,192, equal to float rounding (5e-7)
MAX_BATCH_TOKENS = 2048
#: items embedded and matched together in score_batch (bounds the summary embeddings held at once)
ITEM_BATCH = 64


def _tensor_bytes(value: tuple[Any, ...]) -> int:
    """Memory of a cached source: its token embeddings and weights."""
    return sum(int(t.element_size() * t.nelement()) for t in value)


def bert_embedding(texts: Sequence[str], model: Any, tokenizer: Any, idf: Mapping[int, float]) -> tuple[Any, Any, Any]:
    """``bert_score.utils.get_bert_embedding(texts, model, tokenizer, idf, device="cpu")`` for a BERT
    word-piece tokenizer: (last hidden states [B, T, D], attention mask [B, T], idf weights [B, T]),
    one forward pass over the batch padded to its longest text. Equal outputs (tests compare them).
    A blank text is [CLS] [SEP] (bert_score's ``build_inputs_with_special_tokens([])``, which
    transformers 5 no longer has; the metric never embeds a blank text)."""
    import torch

    ids = [
        tokenizer.encode(text.strip(), add_special_tokens=True, max_length=tokenizer.model_max_length, truncation=True)
        for text in texts
    ]
    width = max(len(row) for row in ids)
    padded = torch.full((len(ids), width), tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros(len(ids), width, dtype=torch.long)
    weights = torch.zeros(len(ids), width, dtype=torch.float)
    for k, row in enumerate(ids):
        padded[k, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[k, : len(row)] = 1
        weights[k, : len(row)] = torch.tensor([idf[i] for i in row], dtype=torch.float)
    model.eval()
    with torch.no_grad():
        hidden = model(padded, attention_mask=mask)
    if not isinstance(hidden, torch.Tensor):  # a transformers model (bert-score's get_model) returns a tuple
        hidden = hidden[0]
    return hidden, mask, weights


class BertScoreMetric(Metric):
    name = "bertscore"
    label = "BERTScore"
    description = (
        "greedy cosine matching of contextual token embeddings (all-MiniLM-L6-v2, 6 layers, no idf). Not rescaled "
        "with a baseline (baseline files are not available offline), so values are raw and compressed near the top. "
        "Sources longer than 512 word pieces are embedded in 510-piece chunks; each summary token takes its best "
        "match over all chunks."
    )
    columns = (
        Column("bertscore_p_ref", "BERTScore P (ref)", "Token-embedding match precision against the best reference."),
        Column("bertscore_r_ref", "BERTScore R (ref)", "Token-embedding match recall against the best reference."),
        Column(
            "bertscore_f_ref",
            "BERTScore F (ref)",
            "Token-embedding match F1 with the best reference (MiniLM, raw).",
            headline=True,
        ),
        Column(
            "bertscore_p_src",
            "BERTScore P (src)",
            "How well each summary token is matched somewhere in the source (MiniLM, chunked source).",
            headline=True,
        ),
        Column(
            "bertscore_r_src", "BERTScore R (src)", "How much of the source the summary's tokens match (low by design)."
        ),
        Column("bertscore_f_src", "BERTScore F (src)", "F1 of the two above."),
    )

    def __init__(self, model_dir: str | None = None, num_layers: int = MINILM_LAYERS, batch_size: int = 32):
        import torch

        from bizsum.nlp.bert import WordPieceTokenizer

        self.model_dir = model_dir or minilm_path()
        self.num_layers = num_layers
        self.batch_size = batch_size
        # bert_score.utils.get_tokenizer(model_dir, use_fast=False) gives the same ids (Python WordPiece);
        # the Rust one of the model's tokenizer.json does not import transformers (1 s of a cold run). Equal
        # on 62,000 lines of 10-K, news and benchmark text (tests/metrics/test_bertscore.py checks a sample)
        self.tokenizer = WordPieceTokenizer(Path(self.model_dir) / "tokenizer.json")
        if model_dir is None and num_layers == MINILM_LAYERS:
            self.model = shared_transformer()  # the sentence encoder's copy: one MiniLM per process
        else:
            from bert_score.utils import get_model

            self.model = get_model(self.model_dir, num_layers)
        self.model.eval()
        self.idf: defaultdict[int, float] = defaultdict(lambda: 1.0)
        self.idf[self.tokenizer.sep_token_id] = 0
        self.idf[self.tokenizer.cls_token_id] = 0
        self._torch = torch
        self._source_cache: MemoryPool[tuple[Any, Any]] = MemoryPool(SOURCE_CACHE_MB * 2**20, _tensor_bytes)

    # -- embedding --------------------------------------------------------------------------
    def _piece_counts(self, texts: list[str]) -> list[int]:
        """Word pieces per text (no special tokens), one batched tokenizer call."""
        if not texts:
            return []
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(row) for row in ids]

    def chunks(self, text: str) -> list[str]:
        """Split text into pieces of at most MAX_PIECES word pieces, at sentence boundaries."""
        return [chunk for chunk, _ in self._chunks(text)]

    def _chunks(self, text: str) -> list[tuple[str, int]]:
        """(chunk, word pieces) pairs; the chunks are those of the sentence-by-sentence definition:

        sentences are packed greedily while the running count stays within MAX_PIECES, and a
        sentence longer than MAX_PIECES is cut at word boundaries into the longest prefixes that fit
        (the search halves while the prefix is over 2 * MAX_PIECES words, then steps down by one).
        BERT's tokenizer splits at whitespace first, so the count of ``" ".join(words)`` is the sum
        of the words' counts.
        """
        sentences = [sentence.split() for sentence in (split_sentences(text) or [text])]
        joined = [" ".join(words) for words in sentences]
        counts = self._piece_counts(joined)
        pieces: list[tuple[str, int]] = []
        current: list[str] = []
        size = 0

        def add(part: str, n: int) -> None:
            nonlocal current, size
            if current and size + n > MAX_PIECES:
                pieces.append((" ".join(current), size))
                current, size = [], 0
            current.append(part)
            size += n

        for words, sentence, count in zip(sentences, joined, counts):
            if not words:
                continue
            if count <= MAX_PIECES:
                add(sentence, count)
                continue
            # A sentence longer than a chunk is cut at word boundaries.
            word_counts = self._piece_counts(words)
            while words:
                prefix = [0]
                for n in word_counts:
                    prefix.append(prefix[-1] + n)
                take = len(words)
                while take > 1 and prefix[take] > MAX_PIECES:
                    take = max(1, take // 2) if take > 2 * MAX_PIECES else take - 1
                add(" ".join(words[:take]), prefix[take])
                words, word_counts = words[take:], word_counts[take:]
        if current:
            pieces.append((" ".join(current), size))
        return pieces

    def embed(self, texts: Sequence[str]) -> list[tuple]:
        """For each text: (unit token embeddings [T, D], token weights [T]) over all its chunks."""
        torch = self._torch
        all_chunks: list[str] = []
        lengths: list[int] = []
        owner: list[int] = []
        for index, text in enumerate(texts):
            for chunk, n in self._chunks(text):
                all_chunks.append(chunk)
                lengths.append(n)
                owner.append(index)
        # Longest first (as bert_score.score does): batches of similar length waste less on padding;
        # a batch holds at most batch_size chunks and MAX_BATCH_TOKENS padded tokens.
        batches = length_batches([n + 2 for n in lengths], self.batch_size, MAX_BATCH_TOKENS, longest_first=True)
        parts: dict[int, tuple] = {}
        for rows in batches:
            batch = [all_chunks[k] for k in rows]
            emb, mask, idf = bert_embedding(batch, self.model, self.tokenizer, self.idf)
            emb = emb / emb.norm(dim=-1, keepdim=True)
            for row, k in enumerate(rows):
                keep = mask[row].bool()
                parts[k] = (emb[row][keep], idf[row][keep])  # boolean indexing copies
            del emb, mask, idf
        embeddings: list[list] = [[] for _ in texts]
        weights: list[list] = [[] for _ in texts]
        for k in range(len(all_chunks)):  # chunks back in text order
            embeddings[owner[k]].append(parts[k][0])
            weights[owner[k]].append(parts[k][1])
        return [
            (torch.cat(e), torch.cat(w)) if e else (torch.zeros(0, 1), torch.zeros(0))
            for e, w in zip(embeddings, weights)
        ]

    def _cached_source(self, key: str) -> tuple[Any, ...] | None:
        return self._source_cache.get(key)

    def _store_source(self, key: str, value: tuple) -> None:
        self._source_cache.put(key, value)

    def _source(self, item: ScoringItem) -> tuple:
        key = item.document.sha256
        hit = self._cached_source(key)
        if hit is None:
            hit = self.embed([item.document.text])[0]
            self._store_source(key, hit)
        return hit

    @staticmethod
    def match(candidate: tuple, reference: tuple) -> tuple[float, float, float]:
        """Greedy matching as in bert_score.greedy_cos_idf, over pooled chunk tokens."""
        cand_emb, cand_w = candidate
        ref_emb, ref_w = reference
        if cand_w.sum() == 0 or ref_w.sum() == 0:
            return 0.0, 0.0, 0.0
        sim = cand_emb @ ref_emb.T
        precision = float((sim.max(dim=1).values * cand_w).sum() / cand_w.sum())
        recall = float((sim.max(dim=0).values * ref_w).sum() / ref_w.sum())
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        return precision, recall, f1

    # -- metric -----------------------------------------------------------------------------
    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        results: list[MetricResult] = []
        for start in range(0, len(items), ITEM_BATCH):
            results.extend(self._score_group(items[start : start + ITEM_BATCH]))
        return results

    def _score_group(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        summaries = [item.summary if item.summary.strip() else "" for item in items]
        references = [list(item.references.items()) for item in items]
        texts = [s for s in summaries if s] + [text for refs in references for _, text in refs]
        # sources not cached yet are embedded in the same batches as the summaries
        sources: dict[str, str] = {}
        for item, summary in zip(items, summaries):
            key = item.document.sha256
            if summary and key not in sources and self._cached_source(key) is None:
                sources[key] = item.document.text
        unique = list(dict.fromkeys(texts))
        source_keys = list(sources)
        to_embed = unique + [sources[key] for key in source_keys]
        vectors = self.embed(to_embed) if to_embed else []
        embedded = dict(zip(unique, vectors[: len(unique)]))
        fresh = dict(zip(source_keys, vectors[len(unique) :]))
        for key, value in fresh.items():
            self._store_source(key, value)
        results = []
        for item, summary, refs in zip(items, summaries, references):
            values: dict[str, Value] = {}
            details: dict = {"per_reference_f1": {}}
            if not summary:
                values.update(bertscore_p_src=0.0, bertscore_r_src=0.0, bertscore_f_src=0.0)
                for key in ("p", "r", "f"):
                    values[f"bertscore_{key}_ref"] = 0.0 if refs else None
                details["note"] = "empty summary: all BERTScores are 0"
                results.append(MetricResult(values=values, details=details))
                continue
            cand = embedded[summary]
            source = fresh.get(item.document.sha256) or self._source(item)
            p, r, f = self.match(cand, source)
            values.update(bertscore_p_src=p, bertscore_r_src=r, bertscore_f_src=f)
            best: tuple[float, float, float] | None = None
            for name, text in refs:
                scores = self.match(cand, embedded[text])
                details["per_reference_f1"][name] = round(scores[2], 4)
                if best is None or scores[2] > best[2]:
                    best = scores
            for position, key in enumerate(("p", "r", "f")):
                values[f"bertscore_{key}_ref"] = None if best is None else best[position]
            results.append(MetricResult(values=values, details=details))
        return results

    def version(self) -> dict[str, str]:
        from importlib.metadata import version

        return {
            "bert-score": version("bert-score"),
            "encoder": f"{MINILM_NAME} ({self.num_layers} layers, no idf, no baseline rescaling)",
        }
