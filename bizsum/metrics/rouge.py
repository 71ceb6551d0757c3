"""ROUGE-1/2/Lsum with Google's ``rouge-score`` package.

* Against references: F1; with several references the best one per ROUGE type (max F1, as
  ``RougeScorer.score_multi`` does).
* Against the source document: precision = share of summary n-grams found in the source
  (extractiveness); recall against a whole 10-K section is not meaningful and is not reported.

Tokenization is rouge-score's default (lower-case, ``[a-z0-9]+`` tokens, Porter stemming): it drops
``$``, ``%`` and non-ASCII letters, so "$1.2 billion" and "1.2 billion" compare equal. This keeps the
numbers comparable with published ROUGE; numbers are checked exactly by the source-only metric.
ROUGE-Lsum needs one sentence per line: summaries and sources are split with pysbd first.

Speed (same numbers as ``RougeScorer.score``, checked by tests and ``bench/speed/scoring_speed.py``):

* rouge-score's own tokenizer runs with a memoized Porter stemmer;
* a text's tokens, n-gram counts and sentence layout are computed once: sources are cached per
  document (LRU, ``SOURCE_CACHE_SIZE``), references per text;
* summary-level LCS (ROUGE-Lsum) is rouge-score's algorithm — the same DP table, the same
  backtracking rule, the same union and hit counting — computed with numpy for all
  (source sentence, summary sentence) pairs at once instead of one Python table per pair. Against a
  10-K source that is the bulk of the cost (|summary tokens| × |source tokens| table cells).
"""

from __future__ import annotations

import collections
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from rouge_score import scoring, tokenize

from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem, Value
from bizsum.nlp.text import split_sentences

log = logging.getLogger(__name__)

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
_SHORT = {"rouge1": "rouge1", "rouge2": "rouge2", "rougeLsum": "rougeL"}
_NGRAMS = {"rouge1": 1, "rouge2": 2}
#: documents whose tokenized source is kept (a 10-K section costs a few MB)
SOURCE_CACHE_SIZE = 32
#: reference texts whose tokens are kept
REFERENCE_CACHE_SIZE = 256


def sentence_lines(text: str) -> str:
    """One sentence per line, as rougeLsum expects."""
    return "\n".join(split_sentences(text))


class _PorterStemmer:
    """nltk's Porter stemmer as rouge-score calls it (``stemmer.stem(word)``), from
    :mod:`bizsum.nlp.porter`: the same stems, memoized, without importing nltk (rouge-score's
    ``rouge_scorer`` and ``tokenizers`` modules import it, with SciPy, scikit-learn and pandas:
    1.4-2.0 s of a cold ``bizsum score``; this module imports neither)."""

    def __init__(self) -> None:
        from bizsum.nlp.porter import stem

        self.stem = stem


class CachedTokenizer:
    """rouge-score's ``DefaultTokenizer`` (its ``tokenize`` function, the Porter stemmer) with memoized stems."""

    def __init__(self, use_stemmer: bool = True):
        self._stemmer = _PorterStemmer() if use_stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = tokenize.tokenize(text, self._stemmer)
        return tokens


def create_ngrams(tokens: Sequence[str], n: int) -> collections.Counter:
    """rouge-score's ``rouge_scorer._create_ngrams``: n-gram counts."""
    return collections.Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


# ---------------------------------------------------------------------------------------------
# tokenized texts


@dataclass
class _Text:
    """A text as rouge-score sees it: its tokens, n-gram counts and rougeLsum sentences."""

    tokens: list[str]
    ngrams: dict[int, collections.Counter]
    sentences: list[list[str]]  # tokens per non-empty line
    _lcs: _LcsTarget | None = None

    @property
    def lcs(self) -> _LcsTarget:
        if self._lcs is None:
            self._lcs = _LcsTarget(self.sentences)
        return self._lcs


def _prepare(lines: str, tokenizer: Any, ngram_sizes: Sequence[int]) -> _Text:
    """Tokenize ``lines`` (one sentence per line) exactly as ``RougeScorer.score`` does."""
    tokens = tokenizer.tokenize(lines)
    # rouge-score: get_sents() keeps non-empty lines, each tokenized on its own
    sentences = [tokenizer.tokenize(s) for s in lines.split("\n") if len(s)]
    ngrams = {n: create_ngrams(tokens, n) for n in ngram_sizes}
    return _Text(tokens=tokens, ngrams=ngrams, sentences=sentences)


def score_ngrams(target: collections.Counter, prediction: collections.Counter) -> scoring.Score:
    """``rouge_scorer._score_ngrams``: integer counts, so iterating the smaller side is exact."""
    small, large = (prediction, target) if len(prediction) < len(target) else (target, prediction)
    intersection = 0
    for ngram, count in small.items():
        other = large.get(ngram, 0)
        intersection += count if count < other else other
    precision = intersection / max(sum(prediction.values()), 1)
    recall = intersection / max(sum(target.values()), 1)
    return scoring.Score(precision=precision, recall=recall, fmeasure=scoring.fmeasure(precision, recall))


# ---------------------------------------------------------------------------------------------
# summary-level LCS (rougeLsum), vectorized


class _LcsTarget:
    """The target ("reference") sentences of ``_summary_level_lcs`` laid out for numpy.

    All sentences are concatenated into one flat axis; sentence ``s`` occupies positions
    ``start[s] .. start[s] + len[s]``, position ``start[s]`` being DP row 0 (always 0) and
    position ``start[s] + i`` holding token ``i - 1``. A DP column for one candidate token is then
    computed for every target sentence at once.
    """

    def __init__(self, sentences: list[list[str]]):
        self.sentences = sentences
        self.vocab: dict[str, int] = {}
        lengths = np.array([len(s) for s in sentences], dtype=np.int64)
        self.lengths = lengths
        self.start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
        size = int((lengths + 1).sum())
        flat = np.full(size, -2, dtype=np.int64)  # row 0 of a sentence never matches
        seg = np.zeros(size, dtype=np.int64)
        for s, sentence in enumerate(sentences):
            begin = int(self.start[s])
            seg[begin : begin + len(sentence) + 1] = s
            if sentence:
                flat[begin + 1 : begin + 1 + len(sentence)] = [
                    self.vocab.setdefault(t, len(self.vocab)) for t in sentence
                ]
        self.flat = flat
        self.names = list(self.vocab)  # token id -> token
        self.seg = seg
        self.counts = collections.Counter(t for sentence in sentences for t in sentence)
        self.total = int(lengths.sum())

    def ids(self, tokens: list[str]) -> list[int]:
        return [self.vocab.get(t, -1) for t in tokens]


#: largest DP table (cells) built at once; candidate sentences are processed in groups below it
MAX_TABLE_CELLS = 40_000_000


def _union_masks(target: _LcsTarget, candidates: list[list[str]]) -> np.ndarray:
    """Flat boolean mask of the target positions in the union LCS of each target sentence.

    Equals ``_find_union([lcs_ind(r, c) for c in candidates])`` for every target sentence ``r``:
    the DP table is rouge-score's ``_lcs_table`` (``t[i][j]`` = LCS of ``r[:i]`` and ``c[:j]``),
    built column by column (``t[., j] = cummax_i(match ? t[i-1][j-1] + 1 : t[i][j-1])``), and the
    backtracking follows ``_backtrack_norec``'s rule step by step for all pairs in lockstep. The
    union does not depend on the order of the candidates, so they are processed in groups.
    """
    size = target.flat.shape[0]
    mask = np.zeros(size, dtype=bool)
    cand_ids = [np.array(target.ids(c), dtype=np.int64) for c in candidates]
    # a candidate sharing no token with the target has an empty LCS with every target sentence
    cand_ids = sorted((c for c in cand_ids if c.size and (c >= 0).any()), key=len, reverse=True)
    group: list[np.ndarray] = []
    for c in cand_ids:
        if group and (len(group) + 1) * (group[0].size + 1) * size > MAX_TABLE_CELLS:
            _mark_union(target, group, mask)
            group = []
        group.append(c)
    if group:
        _mark_union(target, group, mask)
    return mask


def _mark_union(target: _LcsTarget, cand_ids: list[np.ndarray], mask: np.ndarray) -> None:
    size = target.flat.shape[0]
    n_cand = len(cand_ids)  # sorted by length, longest first
    width = cand_ids[0].size
    cand = np.full((n_cand, width), -1, dtype=np.int64)
    for k, c in enumerate(cand_ids):
        cand[k, : c.size] = c
    cand_len = np.array([c.size for c in cand_ids], dtype=np.int64)
    # t never exceeds the candidate length, so adding sentence * (width + 1) before the running max
    # keeps the max from crossing sentence boundaries (row 0 of every sentence stays 0)
    offset = (target.seg * (width + 1))[None, :]
    dtype = np.int16 if width < np.iinfo(np.int16).max else np.int32
    # table[k, j, p] = t[i][j] of candidate k against the target sentence holding position p (row i)
    table = np.zeros((n_cand, width + 1, size), dtype=dtype)
    prev = np.zeros((n_cand, size), dtype=np.int64)
    for j in range(1, width + 1):
        active = int((cand_len >= j).sum())  # candidates are sorted: the longest ones still run
        p = prev[:active]
        diag = np.empty_like(p)
        diag[:, 0] = 0
        diag[:, 1:] = p[:, :-1]
        u = np.where(target.flat[None, :] == cand[:active, j - 1 : j], diag + 1, p)
        cur = np.maximum.accumulate(u + offset, axis=1) - offset
        table[:active, j, :] = cur
        prev[:active] = cur
    # backtracking for every (candidate, target sentence) pair with a non-empty LCS
    ends = target.start + target.lengths
    k_idx, s_idx = np.nonzero(table[np.arange(n_cand)[:, None], cand_len[:, None], ends[None, :]] > 0)
    i: np.ndarray = target.lengths[s_idx].copy()
    j: np.ndarray = cand_len[k_idx].copy()  # type: ignore[no-redef]  # an int above, an array from here
    base = target.start[s_idx]
    flat_tab = table.reshape(n_cand, -1)
    while k_idx.size:
        pos = base + i  # row i of the pair's target sentence; it holds token i - 1
        eq = target.flat[pos] == cand[k_idx, j - 1]
        mask[pos[eq]] = True
        left = flat_tab[k_idx, (j - 1) * size + pos]  # t[i][j-1]
        up = flat_tab[k_idx, j * size + pos - 1]  # t[i-1][j]
        go_left = ~eq & (left > up)
        go_up = ~eq & ~go_left
        i = i - eq - go_up
        j = j - eq - go_left
        # t at the new cell = matches still ahead on this path: the pair is done at 0
        remaining = flat_tab[k_idx, j * size + base + i]
        keep = (i > 0) & (j > 0) & (remaining > 0)
        k_idx, i, j, base = k_idx[keep], i[keep], j[keep], base[keep]


def summary_level_lcs(target: _LcsTarget, candidates: list[list[str]]) -> scoring.Score:
    """``rouge_scorer._summary_level_lcs(target.sentences, candidates)``, same numbers."""
    zero = scoring.Score(precision=0, recall=0, fmeasure=0)
    if not target.sentences or not candidates:
        return zero
    m = target.total
    n = sum(map(len, candidates))
    if not n or not m:
        return zero
    cnt_c: collections.Counter[str] = collections.Counter()
    for sentence in candidates:
        cnt_c.update(sentence)
    # only tokens of the candidate can ever be hits: the target's counts are needed for those only
    cnt_r = {t: target.counts.get(t, 0) for t in cnt_c}
    remaining = sum(min(cnt_c[t], cnt_r[t]) for t in cnt_c)
    hits = 0
    if remaining:
        mask = _union_masks(target, candidates)
        positions = np.nonzero(mask)[0]  # ascending = target sentences in order, union indices sorted
        names = target.names
        for token_id in target.flat[positions].tolist():
            t = names[token_id]
            if cnt_c[t] > 0 and cnt_r[t] > 0:
                hits += 1
                cnt_c[t] -= 1
                cnt_r[t] -= 1
    recall = hits / m
    precision = hits / n
    return scoring.Score(precision=precision, recall=recall, fmeasure=scoring.fmeasure(precision, recall))


# ---------------------------------------------------------------------------------------------
# metric


class RougeMetric(Metric):
    name = "rouge"
    model_free = True
    label = "ROUGE"
    description = (
        "n-gram overlap with the best reference summary (google-research rouge-score, Porter stemmer; its "
        "tokenizer keeps only [a-z0-9], so '$' and '%' are ignored), and n-gram precision against the source "
        "document: the share of the summary's n-grams that occur in the source, a measure of extractiveness, not "
        "of quality. References were written for this project and are marked so."
    )
    columns = (
        Column(
            "rouge1_f_ref",
            "ROUGE-1 F (ref)",
            "Unigram overlap F1 with the best reference summary (stemmed).",
            headline=True,
        ),
        Column("rouge2_f_ref", "ROUGE-2 F (ref)", "Bigram overlap F1 with the best reference summary."),
        Column(
            "rougeL_f_ref",
            "ROUGE-Lsum F (ref)",
            "Longest-common-subsequence F1 per sentence with the best reference.",
            headline=True,
        ),
        Column(
            "rouge1_p_src",
            "ROUGE-1 P (src)",
            "Share of summary unigrams that occur in the source (extractiveness).",
            headline=True,
        ),
        Column("rouge2_p_src", "ROUGE-2 P (src)", "Share of summary bigrams that occur in the source."),
        Column("rougeL_p_src", "ROUGE-Lsum P (src)", "LCS precision of the summary against the source sentences."),
    )

    def __init__(self, use_stemmer: bool = True):
        self.use_stemmer = use_stemmer
        self.tokenizer = CachedTokenizer(use_stemmer)
        self._sources: OrderedDict[str, _Text] = OrderedDict()
        self._references: OrderedDict[str, _Text] = OrderedDict()
        self._lock = threading.Lock()

    @cached_property
    def scorer(self) -> Any:
        """rouge-score's own scorer with the same tokenizer, for callers that score text pairs directly
        (imported on first use: its module imports nltk)."""
        from rouge_score import rouge_scorer

        return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=self.use_stemmer, tokenizer=self.tokenizer)

    def _cached(self, cache: OrderedDict, key: str, text: str, limit: int) -> _Text:
        with self._lock:
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
                return hit
        prepared = _prepare(sentence_lines(text), self.tokenizer, (1, 2))
        with self._lock:
            cache[key] = prepared
            while len(cache) > limit:
                cache.popitem(last=False)
        return prepared

    def _source(self, item: ScoringItem) -> _Text:
        return self._cached(self._sources, item.document.sha256, item.document.text, SOURCE_CACHE_SIZE)

    def score_pair(self, target: _Text, prediction: _Text) -> dict[str, scoring.Score]:
        """``RougeScorer.score(target, prediction)`` for prepared texts."""
        out = {}
        for rouge_type in ROUGE_TYPES:
            if rouge_type == "rougeLsum":
                out[rouge_type] = summary_level_lcs(target.lcs, prediction.sentences)
            else:
                n = _NGRAMS[rouge_type]
                out[rouge_type] = score_ngrams(target.ngrams[n], prediction.ngrams[n])
        return out

    def _one(self, item: ScoringItem) -> MetricResult:
        summary = _prepare(sentence_lines(item.summary), self.tokenizer, (1, 2))
        values: dict[str, Value] = {}
        source_scores = self.score_pair(self._source(item), summary)
        for rouge_type in ROUGE_TYPES:
            values[f"{_SHORT[rouge_type]}_p_src"] = source_scores[rouge_type].precision
        per_reference_scores = {
            name: self.score_pair(self._cached(self._references, text, text, REFERENCE_CACHE_SIZE), summary)
            for name, text in item.references.items()
        }
        # score_multi keeps, per ROUGE type, the reference with the highest F1 (rouge-score's rule:
        # np.argmax, so the first reference wins a tie).
        scored = list(per_reference_scores.values())
        for rouge_type in ROUGE_TYPES:
            if scored:
                best = scored[int(np.argmax([s[rouge_type].fmeasure for s in scored]))]
                values[f"{_SHORT[rouge_type]}_f_ref"] = best[rouge_type].fmeasure
            else:
                values[f"{_SHORT[rouge_type]}_f_ref"] = None
        per_reference = {
            name: {t: round(s.fmeasure, 4) for t, s in scores.items()} for name, scores in per_reference_scores.items()
        }
        return MetricResult(values=values, details={"per_reference_f1": per_reference})

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        return [self._one(item) for item in items]

    def version(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"rouge-score": version("rouge-score"), "tokenizer": "rouge-score default, Porter stemmer"}
