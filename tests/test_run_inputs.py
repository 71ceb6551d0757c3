"""Inputs that black-box testing (issue 18) got past the checks: each is now refused before any
kernel or request, with one line naming the field or file, and nothing is written outside the
output folder."""

from __future__ import annotations

import time
from pathlib import Path

import papermill
import pytest
import yaml
from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.config import build_config
from bizsum.errors import ConfigError, InputError
from bizsum.pipeline import preflight
from bizsum.providers.pricing import CostLimitError
from tests.helpers import base_config

runner = CliRunner()


@pytest.fixture
def no_kernel(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a notebook was executed")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


def write_config(folder: Path, **overrides) -> Path:
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(base_config(**overrides)), encoding="utf-8")
    return path


def files_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def one_line_error(result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) <= 3, result.stderr
    for part in parts:
        assert part in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["../../etc", "../outside", "sub/run", "<absolute>", "..", "a\x00b"])
def test_a_run_name_that_leaves_the_output_folder_is_refused(project, no_kernel, name):
    name = name.replace("<absolute>", str(project.parent / "absolute" / "run"))
    before = files_under(project.parent)
    config = write_config(project, name=name)
    result = runner.invoke(app, ["run", str(config)])
    one_line_error(result, "run name", "plain name")
    assert files_under(project.parent) == before | {config}  # no config.yaml, .lock or notebook anywhere


def test_a_model_id_that_names_a_path_is_refused(project, no_kernel):
    config = write_config(project, models=[{"id": "../../evil", "provider": "fake"}])
    one_line_error(runner.invoke(app, ["run", str(config)]), "model id '../../evil'", "plain name")
    with pytest.raises(ConfigError, match="model id"):
        build_config(base_config(judge={"model": {"id": "/j", "provider": "fake"}}), "test")
    # ids made of dots, dashes, '@' (strategies) and ':' stay valid
    build_config(base_config(models=[{"id": "qwen2.5-0.5b@map-reduce", "provider": "fake"}]), "test")


def test_an_output_dir_that_is_a_file_is_one_line(project, no_kernel):
    (project / "out").write_text("not a folder", encoding="utf-8")
    result = runner.invoke(app, ["run", str(write_config(project))])
    one_line_error(result, "cannot create run folder", "out is a file, not a folder")


def test_an_unwritable_output_dir_is_one_line(project, no_kernel, monkeypatch):
    mkdir = Path.mkdir

    def refuse(self, *args, **kwargs):  # as root chmod does not stop a write: refuse like the OS would
        if "out" in self.parts:
            raise PermissionError(13, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    result = runner.invoke(app, ["run", str(write_config(project))])
    one_line_error(result, "cannot create run folder", "Permission denied")


@pytest.mark.parametrize("rows", ["", '{"doc_id": "x"}\n{"model_id": "m", "text": 1}\n', '{"doc_id": "x"}\n{torn'])
def test_bizsum_report_on_a_folder_without_rows_is_one_line(project, rows):
    folder = project / "out" / "t"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(base_config()), encoding="utf-8")
    (folder / "generations.jsonl").write_text(rows, encoding="utf-8")
    result = runner.invoke(app, ["report", str(folder)])
    one_line_error(result, "generations.jsonl")  # which file, and why
    if not rows:
        assert "has no readable row, so there is nothing to report" in result.stderr
    assert not (folder / "report.html").exists()


@pytest.mark.parametrize("url", ["not a url at all", "localhost:8080/v1", "ftp://host/v1", "http:///v1"])
def test_a_base_url_that_is_no_http_url_is_refused_at_once(project, no_kernel, url):
    model = {"id": "m", "provider": "openai", "base_url": url, "options": {"requires_key": False}}
    started = time.monotonic()
    result = runner.invoke(app, ["run", str(write_config(project, models=[model]))])
    one_line_error(result, "models.0.base_url", "is not an http(s) URL")
    assert time.monotonic() - started < 10


def test_a_document_of_nul_characters_is_refused_before_any_request(project, no_kernel):
    documents = project / "data" / "documents"
    (documents / "NULS_2024.txt").write_text("\x00" * 5000, encoding="utf-8")
    (documents / "BINARY_2024.txt").write_bytes(bytes(range(1, 9)) * 500 + b"some text")
    with (documents / "manifest.csv").open("a", encoding="utf-8") as manifest:
        manifest.write("NULS_2024,Nul Inc.,2024\nBINARY_2024,Binary Inc.,2024\n")
    with pytest.raises(InputError, match=r"NULS_2024.txt contains NUL characters \(offset 0\)"):
        preflight(build_config(base_config(documents=["NULS_2024"]), "test"), ["generate"])
    with pytest.raises(InputError, match=r"BINARY_2024.txt is 100% control characters"):
        preflight(build_config(base_config(documents=["BINARY_2024"]), "test"), ["generate"])


def test_absurd_samples_are_refused_at_once(project, no_kernel):
    started = time.monotonic()
    result = runner.invoke(app, ["run", str(write_config(project)), "--set", "samples=100000000"])
    one_line_error(result, "samples", "Input should be less than or equal to 1000")
    assert time.monotonic() - started < 10


def test_set_null_is_refused_instead_of_ignored(project, no_kernel):
    config = write_config(project, max_cost=0.5)
    for value in ("null", "~", ""):
        result = runner.invoke(app, ["run", str(config), "--set", f"max_cost={value}"])
        one_line_error(result, f"--set max_cost={value}", "null")


def test_an_unpriced_model_under_max_cost_is_refused_in_preflight(project, no_kernel, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    models = [{"id": "fake", "provider": "fake"}, {"id": "mystery", "provider": "openai", "model": "brand-new-model"}]
    with pytest.raises(CostLimitError, match=r"model\(s\) \['mystery'\] have no price"):
        preflight(build_config(base_config(models=models, max_cost=5.0), "test"), ["generate"])
    preflight(build_config(base_config(models=models, max_cost=5.0, allow_unpriced=True), "test"), ["generate"])
    preflight(build_config(base_config(models=models), "test"), ["generate"])  # no cap: nothing to count


def test_a_5mb_summary_is_refused_quickly_by_bizsum_score(tmp_path):
    document = tmp_path / "doc.txt"
    document.write_text("Acme makes anvils and sells them to coyotes in the western states. " * 20, encoding="utf-8")
    summary = tmp_path / "summary.txt"
    summary.write_text("Acme makes anvils. " * 270_000, encoding="utf-8")  # 5.1 MB
    started = time.monotonic()
    result = runner.invoke(app, ["score", "--document", str(document), "--summary", str(summary)])
    assert time.monotonic() - started < 10
    one_line_error(result, f"summary file {summary} is more than", "above the 20,000 a summary may have")
    # a summary of ordinary length is scored
    summary.write_text("Acme makes anvils and sells them to coyotes.", encoding="utf-8")
    result = runner.invoke(app, ["score", "--document", str(document), "--summary", str(summary), "--metric", "rouge"])
    assert result.exit_code == 0, result.output
