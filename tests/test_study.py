"""A researcher's own study outside the repository: ``bizsum init``, a layered corpus, paths that
resolve against the config, run folders that load after a move, and papermill string parameters."""

from __future__ import annotations

import shutil

import nbformat
import pytest
import yaml
from typer.testing import CliRunner

from bizsum.analysis.tables import config_history, load_run
from bizsum.cli import app
from bizsum.config import config_from_parameters, load_config, load_run_config
from bizsum.corpus.documents import DocumentStore
from bizsum.corpus.prompts import load_template, prompt_folders
from bizsum.errors import BizsumError, ConfigError, InputError
from bizsum.study import CONFIG_NAME, STUDY_NOTEBOOKS, init_study
from tests.helpers import ROOT

FILING = ROOT / "tests" / "ingest" / "fixtures" / "wmt_2025_heading_in_table.htm"


def _manifest(folder, *rows):
    documents = folder / "documents"
    documents.mkdir(parents=True)
    lines = ["id,company,fiscal_year"] + [f"{doc_id},{company},2020" for doc_id, company, _ in rows]
    (documents / "manifest.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for doc_id, _, text in rows:
        (documents / f"{doc_id}.txt").write_text(text, encoding="utf-8")


def test_layers_first_folder_wins_and_references_stay_with_their_document(tmp_path):
    study, shipped = tmp_path / "study", tmp_path / "shipped"
    _manifest(shipped, ("A", "Shipped A", "shipped text a."), ("B", "Shipped B", "shipped text b."))
    _manifest(study, ("B", "Study B", "study text b."), ("C", "Study C", "study text c."))
    for folder, doc_id, text in ((shipped, "A", "ref a"), (shipped, "B", "shipped ref b"), (study, "A", "study ref a")):
        (folder / "references" / doc_id).mkdir(parents=True, exist_ok=True)
        (folder / "references" / doc_id / "r.txt").write_text(text, encoding="utf-8")
    store = DocumentStore([study, shipped])
    assert store.ids() == ["B", "C", "A"]
    assert store.load("B").text == "study text b." and store.load("B").company == "Study B"
    assert store.load("A").text == "shipped text a."
    # a study adds a reference to a shipped document; a shipped reference never attaches to the study's own B
    assert store.references("A") == {"r": "study ref a"}
    assert store.references("B") == {}
    with pytest.raises(InputError, match=r"unknown document id 'Z' \(not in .*study/documents/manifest.csv, "):
        store.load("Z")
    for folder, text in ((shipped, "shipped {document}"), (study, "study {document}")):
        (folder / "prompts").mkdir()
        (folder / "prompts" / "p.txt").write_text(text, encoding="utf-8")
    (shipped / "prompts" / "q.txt").write_text("q {document}", encoding="utf-8")
    folders = prompt_folders([study, shipped])
    assert load_template(folders, "p").text == "study {document}"
    assert load_template(folders, "q").text == "q {document}"
    with pytest.raises(InputError, match=r"unknown prompt template 'x'.*available: \['p', 'q'\]"):
        load_template(folders, "x")
    # a data_dir that does not exist is named, not silently replaced by the layers beneath it
    with pytest.raises(InputError, match=r"data folder not found: .*nowhere \(config field 'data_dir'\)"):
        DocumentStore([tmp_path / "nowhere", shipped]).manifest


def test_init_scaffolds_a_study_whose_paths_resolve_against_its_folder(tmp_path, monkeypatch):
    config_file = init_study(tmp_path / "my study")
    study = config_file.parent
    monkeypatch.chdir(tmp_path)  # the working directory plays no part
    config = load_config(config_file)
    assert config.name == "my_study" and config.root == study.resolve()
    assert config.data_paths[0] == study.resolve() / "." and config.data_paths[1] == ROOT / "data"
    assert config.run_dir == study.resolve() / "runs" / "my_study"
    for notebook in STUDY_NOTEBOOKS:
        nbformat.validate(nbformat.read(study / "notebooks" / f"{notebook}.ipynb", as_version=4))
    generate = nbformat.read(study / "notebooks" / "generate.ipynb", as_version=4)
    assert f'config_path = "{CONFIG_NAME}"' in next(
        c.source for c in generate.cells if "parameters" in c.metadata.get("tags", [])
    )
    assert (study / "documents" / "manifest.csv").read_text(encoding="utf-8").startswith("id,company,cik,")
    with pytest.raises(InputError, match=r"my study exists and is not an empty folder"):
        init_study(study)
    result = CliRunner().invoke(app, ["init", str(study)])
    assert result.exit_code == 2 and "is not an empty folder" in result.output


def test_a_string_is_a_one_item_list_and_errors_name_the_parameter(tmp_path):
    config_file = init_study(tmp_path / "s")
    config = config_from_parameters({"config_path": str(config_file), "prompts": "example", "documents": "AMZN_2024"})
    assert config.prompts == ["example"] and config.documents == ["AMZN_2024"]
    config = config_from_parameters({"config_path": str(config_file), "metrics": "rouge, format"})
    assert config.metrics == ["rouge", "format"]
    with pytest.raises(ConfigError, match=r"samples \(set by notebook parameter 'samples'\): Input should be"):
        config_from_parameters({"config_path": str(config_file), "samples": "many"})


def test_readers_refuse_a_path_that_is_not_a_run(tmp_path):
    with pytest.raises(InputError, match=r"^not a run folder: .*/nothing does not exist$"):
        load_run(tmp_path / "nothing")
    with pytest.raises(InputError, match=r"^not a run folder: .* has no generations.jsonl"):
        load_run(tmp_path)
    with pytest.raises(InputError, match=r"^not a run folder"):
        config_history(tmp_path)
    with pytest.raises(BizsumError, match=r"^not a run folder: .* has no config.yaml"):
        load_run_config(tmp_path)


@pytest.mark.slow
def test_a_study_outside_the_repo_runs_through_the_cli_and_papermill_and_loads_after_a_move(tmp_path, monkeypatch):
    import papermill

    runner = CliRunner()
    study = tmp_path / "study"
    assert runner.invoke(app, ["init", str(study)]).exit_code == 0
    monkeypatch.chdir(tmp_path)  # neither the repo nor the study: paths come from the config
    # its own document, from a whole 10-K filing
    result = runner.invoke(app, ["ingest", str(FILING), "--register", "--data-dir", str(study), "--out", "ingested"])
    assert result.exit_code == 0, result.output
    # its own prompt, and one that overrides the built-in 'focused' by id
    (study / "prompts" / "mine.txt").write_text("In 50 words, the business model:\n\n{document}\n", encoding="utf-8")
    (study / "prompts" / "focused.txt").write_text("Study's focused prompt.\n\n{document}\n", encoding="utf-8")
    config = yaml.safe_load((study / CONFIG_NAME).read_text(encoding="utf-8"))
    config.update(
        documents=["WMT_2025", "AMZN_2024"],  # its own and a built-in one
        prompts=["mine", "seed", "focused"],
        models=[
            {"id": "fake", "provider": "fake"},
            {"id": "lead", "provider": "extractive", "options": {"method": "lead"}},
        ],
    )
    (study / CONFIG_NAME).write_text(yaml.safe_dump(config), encoding="utf-8")

    result = runner.invoke(app, ["run", str(study / CONFIG_NAME)])
    assert result.exit_code == 0, result.output
    run_dir = study / "runs" / "study"
    assert (run_dir / "report.html").is_file() and (run_dir / "provenance.json").is_file()
    frame = load_run(run_dir)
    assert len(frame) == 2 * 3 * 2 and frame["error"].isna().all()
    assert set(frame["company"]) == {"WALMART INC.", "Amazon.com, Inc."}, frame["company"].unique()
    assert frame["rouge1_p_src"].notna().all()

    # papermill on the study's own notebook, from its notebooks/ folder, a list field given as a string
    executed = tmp_path / "generate.out.ipynb"
    papermill.execute_notebook(
        str(study / "notebooks" / "generate.ipynb"),
        str(executed),
        parameters={"prompts": "mine", "name": "paper"},
        cwd=str(study / "notebooks"),
        progress_bar=False,
        kernel_name="python3",
    )
    paper = study / "runs" / "paper"
    assert set(load_run(paper)["prompt_id"]) == {"mine"}

    # a moved run folder still finds its documents: the manifest columns are filled
    moved = tmp_path / "elsewhere" / "kept"
    moved.parent.mkdir()
    shutil.move(str(run_dir), str(moved))
    frame = load_run(moved)
    assert set(frame["company"]) == {"WALMART INC.", "Amazon.com, Inc."}
    assert load_run_config(moved).run_dir == moved.resolve()
    result = runner.invoke(app, ["report", str(moved)])
    assert result.exit_code == 0, result.output
    assert "Study&#x27;s focused prompt." in (moved / "report.html").read_text(
        encoding="utf-8"
    ) or "Study's focused prompt." in (moved / "report.html").read_text(encoding="utf-8")
