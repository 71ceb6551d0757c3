"""BERTScore (P/R/F1) with ``bert-score`` on the offline all-MiniLM-L6-v2 encoder.

Token embeddings come from ``bert_score.utils.get_bert_embedding`` (all 6 layers of MiniLM, no
idf, no baseline rescaling — the rescale baselines are not available offline, so values are raw
cosine similarities and sit higher than rescaled scores in papers).

The encoder sees at most 512 word pieces. Texts longer than that (every 10-K source, long
summaries) are cut at sentence boundaries into chunks of at most 510 word pieces; each chunk is
embedded on its own and the token embeddings of all chunks are pooled. Greedy matching then runs
over the pooled tokens: precision = mean over summary tokens of the best cosine match anywhere in
the source; recall = mean over source tokens of the best match in the summary. For texts that fit
in one chunk this is exactly ``bert_score.score`` (tests check it).

Against references: the best reference by F1. Source embeddings are cached per document.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Sequence

from bizsum.encoders import MINILM_LAYERS, MINILM_NAME, minilm_path
from bizsum.metrics.base import Metric, MetricResult, ScoringItem
from bizsum.text import split_sentences

log = logging.getLogger(__name__)

MAX_PIECES = 510  # 512 minus [CLS] and [SEP]


class BertScoreMetric(Metric):
    name = "bertscore"
    description = (
        "BERTScore P/R/F1 (all-MiniLM-L6-v2, 6 layers, no idf, no baseline rescaling) vs the best "
        "reference and vs the source; long texts are embedded in 510-piece chunks and matched over all chunks."
    )

    def __init__(self, model_dir: str | None = None, num_layers: int = MINILM_LAYERS, batch_size: int = 32):
        import torch
        from bert_score.utils import get_model, get_tokenizer

        self.model_dir = model_dir or minilm_path()
        self.num_layers = num_layers
        self.batch_size = batch_size
        self.tokenizer = get_tokenizer(self.model_dir, use_fast=False)
        self.model = get_model(self.model_dir, num_layers)
        self.model.eval()
        self.idf = defaultdict(lambda: 1.0)
        self.idf[self.tokenizer.sep_token_id] = 0
        self.idf[self.tokenizer.cls_token_id] = 0
        self._torch = torch
        self._source_cache: dict[str, tuple] = {}

    # -- embedding --------------------------------------------------------------------------
    def chunks(self, text: str) -> list[str]:
        """Split text into pieces of at most MAX_PIECES word pieces, at sentence boundaries."""
        pieces: list[str] = []
        current: list[str] = []
        size = 0
        for sentence in split_sentences(text) or [text]:
            words = sentence.split()
            # A sentence longer than a chunk is cut at word boundaries.
            while words:
                take = len(words)
                while take > 1 and len(self.tokenizer.tokenize(" ".join(words[:take]))) > MAX_PIECES:
                    take = max(1, take // 2) if take > 2 * MAX_PIECES else take - 1
                part = " ".join(words[:take])
                words = words[take:]
                n = len(self.tokenizer.tokenize(part))
                if current and size + n > MAX_PIECES:
                    pieces.append(" ".join(current))
                    current, size = [], 0
                current.append(part)
                size += n
        if current:
            pieces.append(" ".join(current))
        return pieces

    def embed(self, texts: Sequence[str]) -> list[tuple]:
        """For each text: (unit token embeddings [T, D], token weights [T]) over all its chunks."""
        from bert_score.utils import get_bert_embedding

        torch = self._torch
        all_chunks: list[str] = []
        owner: list[int] = []
        for index, text in enumerate(texts):
            for chunk in self.chunks(text):
                all_chunks.append(chunk)
                owner.append(index)
        embeddings: list[list] = [[] for _ in texts]
        weights: list[list] = [[] for _ in texts]
        for start in range(0, len(all_chunks), self.batch_size):
            batch = all_chunks[start : start + self.batch_size]
            emb, mask, idf = get_bert_embedding(batch, self.model, self.tokenizer, self.idf, device="cpu")
            emb = emb / emb.norm(dim=-1, keepdim=True)
            for row in range(len(batch)):
                keep = mask[row].bool()
                embeddings[owner[start + row]].append(emb[row][keep])
                weights[owner[start + row]].append(idf[row][keep])
        return [
            (torch.cat(e), torch.cat(w)) if e else (torch.zeros(0, 1), torch.zeros(0))
            for e, w in zip(embeddings, weights)
        ]

    def _source(self, item: ScoringItem) -> tuple:
        key = item.document.sha256
        if key not in self._source_cache:
            self._source_cache[key] = self.embed([item.document.text])[0]
        return self._source_cache[key]

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
        summaries = [item.summary if item.summary.strip() else "" for item in items]
        references = [list(item.references.items()) for item in items]
        texts = [s for s in summaries if s] + [text for refs in references for _, text in refs]
        unique = list(dict.fromkeys(texts))
        embedded = dict(zip(unique, self.embed(unique))) if unique else {}
        results = []
        for item, summary, refs in zip(items, summaries, references):
            values: dict[str, float | None] = {}
            details: dict = {"per_reference_f1": {}}
            if not summary:
                values.update(bertscore_p_src=0.0, bertscore_r_src=0.0, bertscore_f_src=0.0)
                for key in ("p", "r", "f"):
                    values[f"bertscore_{key}_ref"] = 0.0 if refs else None
                details["note"] = "empty summary: all BERTScores are 0"
                results.append(MetricResult(values=values, details=details))
                continue
            cand = embedded[summary]
            p, r, f = self.match(cand, self._source(item))
            values.update(bertscore_p_src=p, bertscore_r_src=r, bertscore_f_src=f)
            best = None
            for name, text in refs:
                scores = self.match(cand, embedded[text])
                details["per_reference_f1"][name] = round(scores[2], 4)
                if best is None or scores[2] > best[2]:
                    best = scores
            for key, value in zip(("p", "r", "f"), best or (None, None, None)):
                values[f"bertscore_{key}_ref"] = value
            results.append(MetricResult(values=values, details=details))
        return results

    def version(self) -> dict[str, str]:
        from importlib.metadata import version

        return {
            "bert-score": version("bert-score"),
            "encoder": f"{MINILM_NAME} ({self.num_layers} layers, no idf, no baseline rescaling)",
        }
