"""A run is read once (:class:`bizsum.run.Run`) and its score rows are joined to generations in one place."""

from __future__ import annotations

import json
import shutil

import pytest

import bizsum.records
from bizsum.analysis.agreement import collect
from bizsum.analysis.tables import config_history, load_run
from bizsum.config import build_config
from bizsum.generation.runner import generate
from bizsum.records import GenerationRecord, ReviewRecord, ScoreRecord, score_belongs, summary_hash, to_row
from bizsum.review.session import ReviewSession
from bizsum.run import Run
from bizsum.scoring import score_run
from tests.helpers import base_config


def _generation(text: str = "Acme sells widgets.", cache_key: str = "k", **fields) -> GenerationRecord:
    return GenerationRecord(
        doc_id="d", prompt_id="p", model_id="m", sample=0, provider="fake", model="m",
        text=text, cache_key=cache_key, config_hash="c", **fields,
    )  # fmt: skip


def _score(text: str = "Acme sells widgets.", generation_key: str | None = "k:c", **fields) -> ScoreRecord:
    return ScoreRecord(
        doc_id="d", prompt_id="p", model_id="m", sample=0, summary_sha=summary_hash(text),
        generation_key=generation_key, values={"v": 1.0}, **fields,
    )  # fmt: skip


@pytest.mark.parametrize(
    "score,belongs",
    [
        (_score(), True),
        (_score(error="metric failed"), False),
        (_score(generation_key="other:c"), False),  # scored another request's row
        (_score(text="An older summary."), False),  # scored another text of the same request
        (_score().model_copy(update={"sample": 1}), False),  # another cell
    ],
)
def test_score_belongs(score, belongs):
    assert score_belongs(score, _generation()) is belongs


def _write(path, records):
    path.write_text("".join(json.dumps(to_row(r)) + "\n" for r in records), encoding="utf-8")


def test_a_score_of_another_text_of_the_same_request_is_not_attached(tmp_path):
    """The request was made again (cache off) and answered differently: the old score row names the
    same request but not this text. Every reader (load_run, the agreement, the review) leaves it out."""
    run = tmp_path / "run"
    run.mkdir()
    _write(run / "generations.jsonl", [_generation("Acme sells gadgets.")])
    _write(run / "scores.jsonl", [_score("Acme sells widgets.")])
    _write(
        run / "reviews.jsonl",
        [ReviewRecord(doc_id="d", prompt_id="p", model_id="m", sample=0, summary_sha=summary_hash("Acme sells gadgets."),
                      kind="claim", claim="Acme sells gadgets.", label="supported")],
    )  # fmt: skip
    loaded = Run.load(run)
    assert loaded.scored == {} and [score for _, score in loaded.pairs()] == [None]
    assert "v" not in load_run(loaded) or load_run(loaded)["v"].isna().all()
    assert collect(loaded).unscored == 1
    assert ReviewSession(loaded).items[0].scored is False


@pytest.fixture
def scored_run(project):
    config = build_config(base_config(models=[{"id": "fake", "provider": "fake"}]), "test")
    generate(config, progress=False)
    score_run(config, progress=False)
    return config


def test_every_reader_parses_each_file_once(scored_run, monkeypatch):
    """Given one Run, load_run, config_history and collect parse each file once; given a folder, each
    parses what it needs (config_history: the generations only), as they did before Run existed."""
    first = next(iter(Run.load(scored_run).generations.values()))
    _write(
        scored_run.rundir.reviews,
        [ReviewRecord(**dict(zip(("doc_id", "prompt_id", "model_id", "sample"), first.key)),
                      summary_sha=summary_hash(first.text), kind="area", area="customer_base", label="covered")],
    )  # fmt: skip
    parsed: list[str] = []
    original = bizsum.records.iter_jsonl

    def counting(path):
        parsed.append(path.name)
        return original(path)

    monkeypatch.setattr(bizsum.records, "iter_jsonl", counting)
    run = Run.load(scored_run)
    frame, history, labels = load_run(run), config_history(run), collect(run)
    assert sorted(parsed) == ["generations.jsonl", "reviews.jsonl", "scores.jsonl"]
    assert len(frame) == 4 and frame["rouge1_f_ref"].notna().any()
    assert history["current rows"].tolist() == [4] and history["latest"].tolist() == [True]
    assert labels.orphans.empty and len(labels.areas) == 1
    parsed.clear()
    load_run(scored_run.run_dir), config_history(scored_run.run_dir), collect(scored_run.run_dir)
    assert sorted(parsed) == ["generations.jsonl"] * 3 + ["reviews.jsonl"] + ["scores.jsonl"] * 2  # as before Run


def test_a_moved_run_folder_is_its_own_run(scored_run, tmp_path):
    moved = tmp_path / "elsewhere" / "renamed"
    shutil.copytree(scored_run.run_dir, moved)
    run = Run.load(moved)
    assert run.config is not None and run.config.run_dir == moved.resolve() and run.config.rundir == run.rundir
    assert run.data_path == scored_run.data_path
    assert load_run(run).equals(load_run(moved))


def test_a_folder_without_a_loadable_config_is_read_without_one(tmp_path, caplog):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("name: x\nsampels: 2\n", encoding="utf-8")
    _write(run / "generations.jsonl", [_generation()])
    loaded = Run.load(run)
    assert loaded.config is None and len(loaded.generations) == 1
    assert "config.yaml" in caplog.text


def test_a_report_build_parses_each_run_file_once(scored_run, monkeypatch):
    """Also with human labels: the agreement section's labels come from the Run the build read."""
    from bizsum.report.build import build_report

    first = next(iter(Run.load(scored_run).generations.values()))
    _write(
        scored_run.rundir.reviews,
        [ReviewRecord(**dict(zip(("doc_id", "prompt_id", "model_id", "sample"), first.key)),
                      summary_sha=summary_hash(first.text), kind="area", area="customer_base", label="covered")],
    )  # fmt: skip
    parsed: list[str] = []
    original = bizsum.records.iter_jsonl

    def counting(path):
        parsed.append(path.name)
        return original(path)

    monkeypatch.setattr(bizsum.records, "iter_jsonl", counting)
    report = build_report(scored_run)
    assert sorted(parsed) == ["generations.jsonl", "reviews.jsonl", "scores.jsonl"]
    assert len(report.data.frame) == 4
    assert isinstance(report.data.run, Run) and report.data.rundir == scored_run.rundir  # the Run is handed on
    assert report.data.tables.labels is not None and len(report.data.tables.labels.areas) == 1
    assert '<section id="agreement">' in report.html()


def test_a_missing_baseline_run_is_one_line_naming_the_field(scored_run, tmp_path):
    from bizsum.errors import InputError
    from bizsum.report.build import load_baseline

    config = scored_run.model_copy(update={"baseline_run": str(tmp_path / "nowhere")})
    with pytest.raises(
        InputError, match=r"baseline run not found: .*nowhere has no generations\.jsonl \(config field 'baseline_run'\)"
    ):
        load_baseline(config)
    other = load_baseline(scored_run.model_copy(update={"baseline_run": str(scored_run.run_dir)}))
    assert other[1] == scored_run.run_dir.name and len(other[0]) == 4
