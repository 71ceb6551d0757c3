"""The faster scoring paths give the reference implementations' numbers and score_run's output."""

from __future__ import annotations

import json
import random

import pytest
from rouge_score import rouge_scorer

from bizsum import scoring
from bizsum.config import ModelSpec, RunConfig, build_config
from bizsum.corpus.documents import Document
from bizsum.generation.runner import generate
from bizsum.metrics import ScoringItem, create_metric
from bizsum.metrics.rouge import ROUGE_TYPES, RougeMetric, _prepare, sentence_lines
from bizsum.scoring import score_run
from tests.helpers import ROOT, base_config

VOCAB = ["a", "b", "c", "d", "e", "f", "the", "of", "and", "revenue", "revenues", "sales", "selling"]


def _soup(rng: random.Random, sentences: int, words: int) -> str:
    lines = []
    for _ in range(rng.randint(1, sentences)):
        lines.append(" ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, words))) or "—")
    return "\n".join(lines)


def test_rouge_equals_rouge_score_on_random_texts():
    # Small vocabularies make many ties in the LCS tables: the backtracking must follow rouge-score's.
    metric = RougeMetric()
    reference = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    rng = random.Random(7)
    for _ in range(400):
        target, prediction = _soup(rng, 8, 14), _soup(rng, 5, 12)
        fast = metric.score_pair(
            _prepare(target, metric.tokenizer, (1, 2)), _prepare(prediction, metric.tokenizer, (1, 2))
        )
        assert fast == reference.score(target, prediction), (target, prediction)


def test_rouge_against_a_real_source_equals_rouge_score():
    text = (ROOT / "data" / "documents" / "AMZN_2024.txt").read_text(encoding="utf-8")
    reference_text = (ROOT / "data" / "references" / "AMZN_2024" / "project_reference.txt").read_text(encoding="utf-8")
    sentences = [s for s in sentence_lines(text).split("\n") if len(s.split()) > 6]
    summary = " ".join(sentences[3:40:4]) + " Amazon also sells shoes in Norway through franchisees."
    item = ScoringItem(
        summary=summary, document=Document(id="amzn", text=text), references={"p": reference_text, "q": summary}
    )
    values = create_metric("rouge").score(item).values
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    source = scorer.score(sentence_lines(text), sentence_lines(summary))
    best = scorer.score_multi([sentence_lines(reference_text), sentence_lines(summary)], sentence_lines(summary))
    for rouge_type, short in (("rouge1", "rouge1"), ("rouge2", "rouge2"), ("rougeLsum", "rougeL")):
        assert values[f"{short}_p_src"] == source[rouge_type].precision
        assert values[f"{short}_f_ref"] == best[rouge_type].fmeasure


@pytest.mark.slow
def test_bertscore_chunks_follow_the_sentence_by_sentence_definition():
    from bizsum.nlp.text import split_sentences
    from bizsum.scoring import get_metric

    metric = get_metric("bertscore")

    def by_sentence(text):  # the first implementation: every span re-tokenized
        pieces, current, size = [], [], 0
        for sentence in split_sentences(text) or [text]:
            words = sentence.split()
            while words:
                take = len(words)
                while take > 1 and len(metric.tokenizer.tokenize(" ".join(words[:take]))) > 510:
                    take = max(1, take // 2) if take > 1020 else take - 1
                part, words = " ".join(words[:take]), words[take:]
                n = len(metric.tokenizer.tokenize(part))
                if current and size + n > 510:
                    pieces.append(" ".join(current))
                    current, size = [], 0
                current.append(part)
                size += n
        if current:
            pieces.append(" ".join(current))
        return pieces

    texts = [
        (ROOT / "data" / "documents" / "LIVEPERSON_2017.txt").read_text(encoding="utf-8"),
        "",
        "   ",
        "word " * 1500,
        "a, " * 900 + ". Then short.",
        "-" * 700 + " tail",
        "Café naïve 中文 [SEP] x\u0301. " * 200,
    ]
    for text in texts:
        assert metric.chunks(text) == by_sentence(text)


def _generations(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_score_run_streams_reuses_and_keeps_generation_order(tmp_path):
    config = RunConfig(
        name="r",
        documents=["AMZN_2024"],
        prompts=["p"],
        models=[ModelSpec(id="m", provider="fake")],
        metrics=["rouge", "token_limit", "format"],
        data_dir=str(ROOT / "data"),
        output_dir=str(tmp_path),
    )
    config.run_dir.mkdir(parents=True)
    rows = [
        {
            "doc_id": doc,
            "prompt_id": "p",
            "model_id": "m",
            "sample": k,
            "provider": "fake",
            "model": "m",
            "text": f"{doc} sells things to customers, sample {k}.",
            "error": "timeout" if k == 2 else None,
            "token_limit": 512,
        }
        for k in range(4)
        for doc in ("PG_2025", "AMZN_2024")
    ]
    _generations(config.run_dir / "generations.jsonl", rows)
    path = score_run(config, progress=False)
    first = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["doc_id"], r["sample"]) for r in first] == [(r["doc_id"], r["sample"]) for r in rows]
    assert [r["error"] for r in first] == [r["error"] for r in rows]
    assert all("rouge1_p_src" in r["values"] and "details" in r for r in first if not r["error"])
    # nothing changed: every row is reused, byte for byte; a torn last line is skipped
    before = path.read_bytes()
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"doc_id": "PG_2025", "prom')
    score_run(config, progress=False)
    assert path.read_bytes() == before
    # one summary changed: only that row is rescored
    rows[1]["text"] = "AMZN_2024 sells cloud services."
    _generations(config.run_dir / "generations.jsonl", rows)
    score_run(config, progress=False)
    third = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r for k, r in enumerate(third) if k != 1] == [r for k, r in enumerate(first) if k != 1]
    assert third[1]["summary_sha"] != first[1]["summary_sha"]
    assert sorted(p.name for p in config.run_dir.iterdir() if p.name != ".lock") == [
        "generations.jsonl",
        "scores.jsonl",
    ]


def test_a_changed_metric_version_rescores_its_rows(tmp_path, monkeypatch):
    from bizsum.metrics.format_check import FormatMetric

    config = RunConfig(
        name="r",
        documents=["AMZN_2024"],
        prompts=["p"],
        models=[ModelSpec(id="m", provider="fake")],
        metrics=["token_limit", "format"],
        data_dir=str(ROOT / "data"),
        output_dir=str(tmp_path),
    )
    config.run_dir.mkdir(parents=True)
    _generations(
        config.run_dir / "generations.jsonl",
        [
            {
                "doc_id": "AMZN_2024",
                "prompt_id": "p",
                "model_id": "m",
                "sample": 0,
                "provider": "fake",
                "model": "m",
                "text": "Amazon sells things.",
                "error": None,
            }
        ],
    )
    path = score_run(config, progress=False)
    (first,) = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert set(first["metric_versions"]) == {"token_limit", "format"}
    calls = []
    original = FormatMetric.score_batch
    monkeypatch.setattr(
        FormatMetric, "score_batch", lambda self, items: calls.append(len(items)) or original(self, items)
    )
    score_run(config, progress=False)
    assert calls == []  # same versions: reused
    monkeypatch.setattr(FormatMetric, "version", lambda self: {"format": "changed"})
    score_run(config, progress=False)
    assert calls == [1]  # the format metric changed: the row is scored again
    (again,) = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert again["metric_versions"]["format"] != first["metric_versions"]["format"]
    assert again["metric_versions"]["token_limit"] == first["metric_versions"]["token_limit"]


def test_score_reuse_requires_the_same_document_and_references(project, monkeypatch):
    """A changed reference rescores its document's rows; a changed document text rescores its rows."""
    config = build_config(base_config(metrics=["rouge", "format"]), "test")
    generate(config, progress=False)
    scored: list[str] = []
    original = scoring.run_metrics
    monkeypatch.setattr(
        scoring,
        "run_metrics",
        lambda items, names, progress=False, judge=None: (
            scored.extend(i.document.id for i in items) or original(items, names, progress)
        ),
    )
    score_run(config, progress=False)
    assert sorted(scored) == ["AMZN_2024"] * 2 + ["ZIONS_COOPERATIVE_MERCANTILE_1995"] * 2
    scored.clear()
    score_run(config, progress=False)
    assert scored == []  # nothing changed: every row reused

    reference = project / "data" / "references" / "AMZN_2024" / "project_reference.txt"
    reference.write_text("Amazon sells everything to everyone, online and in stores.\n", encoding="utf-8")
    score_run(config, progress=False)
    assert scored == ["AMZN_2024"] * 2
    rows = {(r["doc_id"], r["prompt_id"]): r for r in json_rows(config.rundir.scores)}
    assert rows[("AMZN_2024", "seed")]["values"]["rouge1_f_ref"] == pytest.approx(
        rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
        .score(reference.read_text(encoding="utf-8").strip(), summary_of(config, "AMZN_2024", "seed"))["rouge1"]
        .fmeasure
    )

    scored.clear()
    document = project / "data" / "documents" / "ZIONS_COOPERATIVE_MERCANTILE_1995.txt"
    document.write_text(document.read_text(encoding="utf-8") + "\nZCMI also sells furniture.\n", encoding="utf-8")
    score_run(config, progress=False)
    assert scored == ["ZIONS_COOPERATIVE_MERCANTILE_1995"] * 2


def json_rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def summary_of(config, doc_id, prompt_id):
    (row,) = [r for r in json_rows(config.rundir.generations) if (r["doc_id"], r["prompt_id"]) == (doc_id, prompt_id)]
    return row["text"]


def test_bizsum_score_finds_the_references_by_document_id_or_says_why_there_are_none(project):
    from typer.testing import CliRunner

    from bizsum.cli import app

    runner = CliRunner()
    summary = project / "summary.txt"
    summary.write_text("Amazon sells products online and runs AWS, its cloud business.", encoding="utf-8")
    document = project / "data" / "documents" / "AMZN_2024.txt"
    args = ["score", "--document", str(document), "--summary", str(summary), "--metric", "rouge", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["scores"]
    # the same numbers as with the reference given by hand
    given = project / "ref.txt"
    given.write_text(
        (project / "data" / "references" / "AMZN_2024" / "project_reference.txt").read_text(), encoding="utf-8"
    )
    with_reference = json.loads(runner.invoke(app, [*args, "--reference", str(given)]).stdout)
    assert scores["rouge1_f_ref"] is not None and scores["rouge1_f_ref"] == with_reference["scores"]["rouge1_f_ref"]
    assert "references of 'AMZN_2024' from the corpus: project_reference" in result.stderr
    # a document the corpus does not know: the reference metrics are null, and the note says why
    other = project / "my_filing.txt"
    other.write_text(document.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(
        app, ["score", "--document", str(other), "--summary", str(summary), "--metric", "rouge", "--json"]
    )
    assert json.loads(result.stdout)["scores"]["rouge1_f_ref"] is None
    assert "document id 'my_filing', the file's name, has none in its manifest" in result.stderr
