"""The claim verifier's chunking, package data and max-over-chunks rule (bizsum.nlp.verifier).

Model-free tests use a word-count "tokenizer" and hand-made embeddings; the shipped weights are
exercised through source_only (tests/metrics/test_source_only.py) and the integrity check here.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bizsum.nlp import verifier as v
from bizsum.nlp.verifier import Chunker, VerifierError, split_units


def words(text: str) -> int:
    return len(text.split())


class WordTokenizer:
    """Counts words as word pieces (what Chunker needs of a tokenizer)."""

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": text.split()}


def test_split_units_keeps_short_sentences_and_cuts_long_ones_into_windows():
    long = " ".join(f"w{i}" for i in range(10))
    units = split_units(["A short one.", long, "  "], words, max_tokens=4)
    assert units == ["A short one.", "w0 w1 w2 w3", "w4 w5 w6 w7", "w8 w9"]


def _chunker_with(units: list[str], unit_embeddings: np.ndarray) -> tuple[Chunker, v.SourceChunks]:
    chunker = Chunker(WordTokenizer(), chunk_tokens=6)
    doc = chunker.document(" ".join(units), sha256="t", unit_embeddings=unit_embeddings)
    return chunker, doc


def test_candidates_are_short_windows_and_the_joined_evidence_of_the_best_units(monkeypatch):
    units = ["alpha beta gamma.", "delta epsilon.", "zeta eta theta.", "iota kappa."]
    monkeypatch.setattr(v, "_source_sentences", lambda text: units)
    basis = np.eye(4, dtype="float32")
    chunker, doc = _chunker_with(units, basis)
    assert doc.units == units and doc.tokens == [3, 2, 3, 2]
    # closest to unit 2, then unit 0 (lexical overlap is nil: the claim shares no word with a unit)
    claim = np.array([[0.3, 0.0, 1.0, 0.1]], dtype="float32")
    (chunks,) = chunker.candidates(doc, ["a claim"], k=2, claim_embeddings=claim)
    assert [c.units for c in chunks] == [(2,), (0,), (2, 3), (0, 2)]
    # the best unit alone, with its better neighbour, and the two best joined with a gap marker
    assert chunks[0].text == "zeta eta theta."
    assert chunks[2].text == "zeta eta theta. iota kappa."
    assert chunks[3].text == "alpha beta gamma. ... zeta eta theta."
    assert chunks[3].holds(0) and chunks[3].holds(2) and not chunks[3].holds(1)


def test_retrieval_weighs_rare_words_and_numbers_of_the_claim(monkeypatch):
    units = [
        "Revenue grew in every region.",
        "International revenue rose to 37% of the total.",
        "Revenue is recognised.",
    ]
    monkeypatch.setattr(v, "_source_sentences", lambda text: units)
    chunker = Chunker(WordTokenizer(), chunk_tokens=20)
    flat = np.ones((3, 2), dtype="float32") / np.sqrt(2)  # the embedder cannot tell them apart
    doc = chunker.document(" ".join(units), sha256="r", unit_embeddings=flat)
    claim = np.ones((1, 2), dtype="float32") / np.sqrt(2)
    (chunks,) = chunker.candidates(doc, ["Sales abroad reached 37% of revenue."], k=2, claim_embeddings=claim)
    assert chunks[0].units == (1,)


def test_known_embeddings_are_reused_and_only_new_units_embedded(monkeypatch):
    units = ["one two.", "three four."]
    monkeypatch.setattr(v, "_source_sentences", lambda text: units)
    embedded: list[list[str]] = []

    def fake_embed(texts):
        embedded.append(list(texts))
        return np.ones((len(texts), 2), dtype="float32") / np.sqrt(2)

    monkeypatch.setattr(v, "_embed", fake_embed)
    chunker = Chunker(WordTokenizer(), chunk_tokens=6)
    doc = chunker.document("one two. three four.", sha256="k", known={"one two.": np.array([1.0, 0.0])})
    assert embedded == [["three four."]]
    assert np.allclose(doc.embeddings[0], [1.0, 0.0])


def test_claim_score_is_the_maximum_over_its_chunks(monkeypatch):
    units = ["a b c.", "d e f.", "g h i."]
    monkeypatch.setattr(v, "_source_sentences", lambda text: units)
    verifier = object.__new__(v.Verifier)  # no weights: score_pairs is replaced below
    verifier.threshold = 0.6
    verifier.reject_below = 0.6
    verifier.chunker = Chunker(WordTokenizer(), chunk_tokens=3)  # no unit fits beside another
    verifier.chunker.document("x", sha256="m", unit_embeddings=np.eye(3, dtype="float32"))
    table = {"a b c.": 0.2, "d e f.": 0.7, "g h i.": 0.4}  # a chunk of two units scores 0.1
    monkeypatch.setattr(
        verifier, "score_pairs", lambda passages, claims: np.array([table.get(p, 0.1) for p in passages])
    )
    # retrieval order: unit 0, unit 1, unit 2; the best two alone, then the k = 3 best joined
    claim = np.array([[1.0, 0.5, 0.2]], dtype="float32")
    (result,) = verifier.score_claims("x", ["c"], k=3, sha256="m", claim_embeddings=claim, exhaustive=True)
    assert [text for text, _ in result.chunk_scores] == ["a b c.", "d e f.", "a b c. d e f. g h i."]
    assert result.score == pytest.approx(0.7) and result.evidence == "d e f." and result.supported
    assert result.threshold == 0.6


def _cascade_verifier(monkeypatch, table, threshold=0.6):
    units = ["a b c.", "d e f.", "g h i."]
    monkeypatch.setattr(v, "_source_sentences", lambda text: units)
    verifier = object.__new__(v.Verifier)
    verifier.threshold = threshold
    verifier.reject_below = 0.3
    verifier.chunker = Chunker(WordTokenizer(), chunk_tokens=3)  # no unit fits beside another
    verifier.chunker.document("x", sha256="m", unit_embeddings=np.eye(3, dtype="float32"))
    calls: list[list[str]] = []

    def score_pairs(passages, claims):
        calls.append(list(passages))
        return np.array([table[claim].get(p, 0.1) for p, claim in zip(passages, claims)])

    monkeypatch.setattr(verifier, "score_pairs", score_pairs)
    return verifier, calls


def test_windows_are_read_in_order_until_one_supports_the_claim(monkeypatch):
    # claim "s": its second window supports it, so the third is never read; claim "u": no window
    # does, so it is read against all three and gets their maximum (exact below the threshold)
    table = {"s": {"a b c.": 0.2, "d e f.": 0.7, "a b c. d e f. g h i.": 0.95}, "u": {"a b c.": 0.1, "d e f.": 0.4}}
    verifier, calls = _cascade_verifier(monkeypatch, table)
    claim = np.array([[1.0, 0.5, 0.2], [1.0, 0.5, 0.2]], dtype="float32")
    cascade = verifier.score_claims("x", ["s", "u"], k=3, sha256="m", claim_embeddings=claim)
    assert calls == [["a b c.", "a b c."], ["d e f.", "d e f."], ["a b c. d e f. g h i."]]
    assert [text for text, _ in cascade[0].chunk_scores] == ["a b c.", "d e f."]
    assert cascade[0].score == pytest.approx(0.7) and cascade[0].supported and cascade[0].evidence == "d e f."
    assert cascade[1].score == pytest.approx(0.4) and not cascade[1].supported and len(cascade[1].chunk_scores) == 3
    # every verdict is the one the maximum over all windows gives
    full = verifier.score_claims("x", ["s", "u"], k=3, sha256="m", claim_embeddings=claim, exhaustive=True)
    assert [r.supported for r in full] == [r.supported for r in cascade]
    assert full[0].score == pytest.approx(0.95) and full[1].score == pytest.approx(cascade[1].score)


def test_a_copied_claim_is_not_sent_to_the_cross_encoder(monkeypatch):
    table = {"d e f g": {}, "f e d c": {}}
    verifier, calls = _cascade_verifier(monkeypatch, table)
    verifier.chunker.document("a b c. d e f. g h i.", sha256="copy", unit_embeddings=np.eye(3, dtype="float32"))
    emb = np.array([[0.0, 1.0, 0.5], [0.0, 0.0, 1.0]], dtype="float32")  # "d e f g": units 1, then 2
    copied, other = verifier.score_claims(
        "a b c. d e f. g h i.", ["d e f g", "f e d c"], k=2, sha256="copy", claim_embeddings=emb
    )
    assert copied.copied and copied.score == 1.0 and copied.supported
    assert copied.evidence == "d e f. g h i." and copied.chunk_scores == []  # the window that holds "d e f g"
    assert not other.copied
    assert calls and all(len(batch) == 1 for batch in calls)  # only the other claim was read


def test_shipped_weights_match_their_manifest():
    manifest = v.verify_files()
    assert manifest["format"] in ("int8", "fp16", "fp32")
    assert set(manifest["files"]) >= {manifest["weights_file"], "config.json", "tokenizer.json"}
    assert 0.0 < float(manifest["threshold"]) < 1.0  # chosen on dev data, recorded with the weights
    size = (v.resource_dir() / manifest["weights_file"]).stat().st_size
    assert size <= 50 * 1024 * 1024
    assert v.version()["verifier"] == manifest["files"][manifest["weights_file"]]


def test_a_changed_weights_file_is_refused(tmp_path):
    copy = tmp_path / "verifier"
    shutil.copytree(v.resource_dir(), copy)
    manifest = v.read_manifest(copy)
    weights = copy / manifest["weights_file"]
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(VerifierError, match="sha256"):
        v.verify_files(copy)


def test_a_claim_too_long_for_one_pair_takes_its_weakest_window(monkeypatch):
    units = ["a b c.", "d e f.", "g h i."]
    monkeypatch.setattr(v, "_source_sentences", lambda text: units)
    monkeypatch.setattr(v, "_embed", lambda texts: np.tile(np.eye(3, dtype="float32")[:1], (len(texts), 1)))
    verifier = object.__new__(v.Verifier)
    verifier.threshold = 0.5
    verifier.reject_below = 0.5
    verifier.chunker = Chunker(WordTokenizer(), chunk_tokens=3)
    verifier.chunker.document("x", sha256="long", unit_embeddings=np.eye(3, dtype="float32"))
    seen: list[str] = []

    def score_pairs(passages, claims):
        seen.extend(claims)
        return np.array([0.9 if claim.startswith("w0 ") else 0.2 for claim in claims])

    monkeypatch.setattr(verifier, "score_pairs", score_pairs)
    claim = " ".join(f"w{i}" for i in range(v.CLAIM_TOKENS + 4))  # two windows: 96 words, then 4
    (result,) = verifier.score_claims("x", [claim], k=1, sha256="long")
    assert sorted(len(c.split()) for c in set(seen)) == [4, v.CLAIM_TOKENS]
    assert result.claim == claim and result.score == pytest.approx(0.2) and not result.supported
    # per window: the best two units alone (k = 1 joins nothing); the supported window stops at its first
    assert len(result.chunk_scores) == 3


def _merged_claim_verifier(monkeypatch, covering_score: float):
    """Units 0 and 2 each hold half of the claim "alpha beta gamma delta"; retrieval ranks unit 0,
    then the unrelated units 1 and 3, and unit 2 last, so no ordinary window holds both halves."""
    units = ["alpha beta.", "omega psi.", "gamma delta.", "kappa lambda."]
    monkeypatch.setattr(v, "_source_sentences", lambda text: units)
    verifier = object.__new__(v.Verifier)
    verifier.threshold = 0.5
    verifier.reject_below = 0.25
    verifier.chunker = Chunker(WordTokenizer(), chunk_tokens=2)
    verifier.chunker.document("x", sha256="merged", unit_embeddings=np.eye(4, dtype="float32"))
    table = {"alpha beta. ... gamma delta.": covering_score}
    monkeypatch.setattr(
        verifier, "score_pairs", lambda passages, claims: np.array([table.get(p, 0.1) for p in passages])
    )
    return verifier, np.array([[1.0, 0.9, 0.0, 0.8]], dtype="float32")


def test_a_merged_claim_is_also_read_against_the_units_that_hold_its_words(monkeypatch):
    verifier, emb = _merged_claim_verifier(monkeypatch, 0.9)
    doc = verifier.chunker.document("x", sha256="merged")
    (windows,) = verifier.chunker.candidates(doc, ["alpha beta gamma delta"], k=2, claim_embeddings=emb)
    assert [w.units for w in windows] == [(0,), (1,), (0, 1), (0, 2)]
    assert windows[-1].covering and not any(w.covering for w in windows[:-1])
    assert windows[-1].text == "alpha beta. ... gamma delta."
    # one unit holds every word: no covering window; without covering=True none either
    (single,) = verifier.chunker.candidates(doc, ["alpha beta"], k=2, claim_embeddings=emb)
    assert not any(w.covering for w in single)
    (plain,) = verifier.chunker.candidates(doc, ["alpha beta gamma delta"], k=2, claim_embeddings=emb, covering=False)
    assert [w.units for w in plain] == [(0,), (1,), (0, 1)]


@pytest.mark.parametrize(("covering_score", "counts"), [(0.9, True), (0.79, False)])
def test_a_covering_window_counts_only_when_it_clearly_supports(monkeypatch, covering_score, counts):
    verifier, emb = _merged_claim_verifier(monkeypatch, covering_score)
    (result,) = verifier.score_claims("x", ["alpha beta gamma delta"], k=2, sha256="merged", claim_embeddings=emb)
    assert v.COVER_THRESHOLD == 0.8
    assert result.chunk_scores[-1] == ("alpha beta. ... gamma delta.", pytest.approx(covering_score))  # shown as read
    if counts:
        assert result.supported and result.score == pytest.approx(0.9)
        assert result.evidence == "alpha beta. ... gamma delta."
    else:  # ignored: the ordinary windows' maximum decides
        assert not result.supported and result.score == pytest.approx(0.1)
        assert result.evidence != "alpha beta. ... gamma delta."
