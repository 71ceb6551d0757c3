"""Documents, prompt templates and their error messages."""

import pytest

from bizsum.corpus.documents import DocumentStore, read_text_file
from bizsum.corpus.prompts import PromptTemplate, load_template, read_template_file
from bizsum.errors import InputError
from bizsum.nlp.text import normalize_text
from tests.helpers import ROOT, SEED_TASK


@pytest.mark.skipif(not SEED_TASK.is_file(), reason="../shared/seed/seed_task.txt is not beside this checkout")
def test_seed_prompt_is_verbatim_and_renders_the_seed_task():
    prompt_line, document = SEED_TASK.read_text(encoding="utf-8").split("\n", 1)
    template = load_template(ROOT / "data" / "prompts", "seed")
    assert template.text.split("\n")[0] == prompt_line.removeprefix("Prompt: ")
    assert "channels  and details" in template.text  # the double space users typed is kept
    rendered = template.render(normalize_text(document))
    assert rendered == prompt_line.removeprefix("Prompt: ") + "\n\n" + normalize_text(document)


def test_every_shipped_template_has_one_placeholder():
    for path in (ROOT / "data" / "prompts").glob("*.txt"):
        assert read_template_file(path).text.count("{document}") == 1


def test_template_without_placeholder(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("Summarize the text.")
    with pytest.raises(InputError, match=r"bad\.txt.*has no '\{document\}' placeholder"):
        read_template_file(path)
    with pytest.raises(InputError, match="has 2"):
        PromptTemplate("two", "{document} and {document}")


def test_render_keeps_braces_in_documents():
    assert PromptTemplate("p", "A {x} {document}").render("{json: 1}") == "A {x} {json: 1}"


def test_unknown_template_lists_the_available_ones():
    with pytest.raises(InputError, match=r"unknown prompt template 'nope'.*'focused', 'seed'"):
        load_template(ROOT / "data" / "prompts", "nope")


def test_empty_and_non_utf8_documents(tmp_path):
    (tmp_path / "empty.txt").write_text("  \n\n ")
    with pytest.raises(InputError, match=r"empty\.txt is empty"):
        read_text_file(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 revenue".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.txt is not UTF-8 \(byte 0xe9 at offset 3\)"):
        read_text_file(tmp_path / "latin1.txt")


def test_normalization_changes_only_whitespace_and_unicode_form():
    raw = "Caf\u0065\u0301\u00a0sales\r\nrose  10%.\n\n\n\nNext “quoted”"
    assert normalize_text(raw) == "Café sales\nrose 10%.\n\nNext “quoted”"
    assert normalize_text(normalize_text(raw)) == normalize_text(raw)


def test_unknown_document_id_suggests(project):
    store = DocumentStore("data")
    with pytest.raises(InputError, match=r"unknown document id 'AMZN'.*AMZN_2024"):
        store.load("AMZN")
    assert store.references("AMZN_2024")
    assert store.references("ZIONS_COOPERATIVE_MERCANTILE_1995") == {}
