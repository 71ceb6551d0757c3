"""What a cold process imports: the heavy libraries load only when a metric that needs them is created."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

#: model libraries, and matplotlib (bert_score's import pulls it in); rouge-score's nltk brings SciPy,
#: scikit-learn and pandas on every path, so they are not checked here
HEAVY = ("torch", "transformers", "sentence_transformers", "bert_score", "matplotlib")


def imported_after(code: str) -> set[str]:
    """The top-level packages of :data:`HEAVY` in ``sys.modules`` after running ``code`` in a fresh process."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1])) & set(HEAVY)


def test_the_cli_and_scoring_modules_import_no_model_library():
    code = "import bizsum.cli, bizsum.scoring, bizsum.metrics.bertscore, bizsum.metrics.source_only, bizsum.metrics.focus_coverage"
    assert imported_after(code) == set()


def test_rouge_and_token_limit_alone_load_no_model_library():
    code = (
        "from bizsum.corpus.documents import Document\n"
        "from bizsum.metrics import ScoringItem\n"
        "from bizsum.scoring import run_metrics\n"
        "item = ScoringItem(summary='Acme sells widgets.', document=Document(id='d', text='Acme sells widgets to shops.'))\n"
        "run_metrics([item], ['rouge', 'token_limit', 'format'])"
    )
    assert imported_after(code) == set()


@pytest.mark.slow
def test_bertscore_loads_torch_but_not_bert_score_and_its_plotting_libraries():
    loaded = imported_after("from bizsum.scoring import get_metric\nget_metric('bertscore')")
    assert {"torch", "transformers"} <= loaded
    assert not loaded & {"bert_score", "matplotlib"}
