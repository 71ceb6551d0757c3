"""The claim-verdict cache (bizsum.nlp.verdict_cache) and the verifier's length-bucketed batches.

Model-free: a stand-in verifier counts the claims it is asked about; the shipped cross-encoder is
exercised through source_only (tests/metrics/test_source_only.py: batched == one at a time).
"""

from __future__ import annotations

import numpy as np
import pytest

from bizsum.nlp.batching import length_batches
from bizsum.nlp.verdict_cache import VerdictCache, cached_score_claims, default_path
from bizsum.nlp.verifier import ClaimScore


class CountingVerifier:
    """Scores a claim by its length; records every call."""

    def __init__(self, identity: str | None = "weights-a") -> None:
        if identity is not None:
            self.identity = identity
        self.calls: list[list[str]] = []

    def score_claims(self, text, claims, sha256=None, claim_embeddings=None, known=None):
        self.calls.append(list(claims))
        if claim_embeddings is not None:
            assert len(claim_embeddings) == len(claims)
        return [
            ClaimScore(
                claim, len(claim) / 100, len(claim) >= 50, f"evidence of {claim}", [("passage", len(claim) / 100)]
            )
            for claim in claims
        ]


def ask(verifier, claims, cache, version="v5", sha="doc-1"):
    embeddings = np.zeros((len(claims), 3), dtype="float32")
    return cached_score_claims(
        verifier, "source text", claims, sha256=sha, metric_version=version, claim_embeddings=embeddings, cache=cache
    )


def test_a_claim_is_scored_once_per_document_version_and_weights(tmp_path):
    cache = VerdictCache(tmp_path / "verdicts.sqlite")
    verifier = CountingVerifier()
    claims = ["Acme sells software.", "Acme sells software to banks and retailers in Europe.", "Acme sells software."]
    first = ask(verifier, claims, cache)
    assert verifier.calls == [claims[:2]]  # the repeated claim is asked once, in one call
    assert [s.score for s in first] == [0.2, 0.53, 0.2] and [s.supported for s in first] == [False, True, False]
    assert (cache.hits, cache.misses) == (0, 2)

    again = ask(verifier, [*claims, "A new claim."], cache)
    assert verifier.calls[-1] == ["A new claim."]  # only the new claim costs a call
    assert [s.as_dict() for s in again[:3]] == [s.as_dict() for s in first]
    assert again[1].chunk_scores == [("passage", 0.53)]

    ask(verifier, claims[:1], cache, version="v6")  # a new metric version starts afresh
    ask(verifier, claims[:1], cache, sha="doc-2")  # so does another document
    assert verifier.calls[-2:] == [claims[:1], claims[:1]]
    replaced = CountingVerifier("weights-b")  # and replaced weights
    ask(replaced, claims[:1], cache)
    assert replaced.calls == [claims[:1]]


def test_verdicts_survive_the_process_on_disk(tmp_path):
    path = tmp_path / "verdicts.sqlite"
    ask(CountingVerifier(), ["Acme sells software."], VerdictCache(path))
    fresh_process = VerdictCache(path)
    verifier = CountingVerifier()
    (score,) = ask(verifier, ["Acme sells software."], fresh_process)
    assert verifier.calls == [] and score.score == 0.2 and fresh_process.hits == 1


def test_a_stand_in_without_identity_is_always_asked(tmp_path):
    cache = VerdictCache(None)
    verifier = CountingVerifier(identity=None)
    ask(verifier, ["Acme sells software."], cache)
    ask(verifier, ["Acme sells software."], cache)
    assert len(verifier.calls) == 2 and cache.hits == 0


def test_the_cache_file_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BIZSUM_VERDICT_CACHE", "off")
    assert default_path() is None
    monkeypatch.setenv("BIZSUM_VERDICT_CACHE", str(tmp_path / "v.sqlite"))
    assert default_path() == tmp_path / "v.sqlite"
    monkeypatch.delenv("BIZSUM_VERDICT_CACHE")
    monkeypatch.setenv("BIZSUM_CACHE_DIR", str(tmp_path / "root"))
    assert default_path() == tmp_path / "root" / "claim_verdicts.sqlite"


def test_an_unwritable_cache_file_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = VerdictCache(blocker / "verdicts.sqlite")
    verifier = CountingVerifier()
    ask(verifier, ["Acme sells software."], cache)
    ask(verifier, ["Acme sells software."], cache)
    assert len(verifier.calls) == 1 and cache.path is None


@pytest.mark.parametrize(
    ("lengths", "size", "tokens", "expected"),
    [
        ([5, 1, 3, 2], 2, 100, [[1, 3], [2, 0]]),  # sorted by length, two a batch
        ([10, 10, 10, 40], 8, 40, [[0, 1, 2], [3]]),  # 4 x 40 padded tokens would pass 40
        ([], 4, 10, []),
    ],
)
def test_length_batches_sort_and_bound_padded_tokens(lengths, size, tokens, expected):
    batches = length_batches(lengths, size, tokens)
    assert batches == expected
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))


def test_length_batches_longest_first_as_bertscore_batches():
    # BERTScore's order (as bert_score.score): longest first, ties in input order, a batch as wide as its first
    assert length_batches([3, 9, 3, 9, 1], 2, 100, longest_first=True) == [[1, 3], [0, 2], [4]]
    assert length_batches([6, 5, 5, 2], 8, 12, longest_first=True) == [[0, 1], [2, 3]]
