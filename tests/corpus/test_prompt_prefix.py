"""The focused prompt starts with the seed prompt and the document, so llama.cpp can reuse the KV
cache of the document it read for `seed` (the demo reads each document once per model)."""

from bizsum.corpus.prompts import load_template
from tests.helpers import ROOT


def test_focused_starts_with_the_seed_prompt_and_the_document():
    seed = load_template(ROOT / "data" / "prompts", "seed")
    focused = load_template(ROOT / "data" / "prompts", "focused")
    assert seed.text.endswith("{document}")
    assert focused.text.startswith(seed.text + "\n")
    document = "Acme sells anvils. It has debt."
    assert focused.render(document).startswith(seed.render(document))
    assert "Sources of revenue" in focused.text.split("{document}")[1]  # the instructions follow the document
