"""What a cold process imports: the heavy libraries load only when a metric that needs them is created."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

#: model libraries, matplotlib (bert_score's import pulls it in), and nltk with what its ``__init__``
#: imports (SciPy, scikit-learn, pandas): bizsum runs the encoders on its own BERT (bizsum.nlp.bert)
#: and stems with its own port of nltk's Porter stemmer (bizsum.nlp.porter)
HEAVY = (
    "torch",
    "transformers",
    "sentence_transformers",
    "bert_score",
    "matplotlib",
    "nltk",
    "scipy",
    "sklearn",
    "pandas",
)


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
    assert loaded == {"torch"}


@pytest.mark.slow
def test_every_offline_metric_scores_with_torch_as_the_only_heavy_import():
    # what keeps a cold `bizsum score` short (docs/scale.md): transformers' model code and
    # sentence-transformers cost 2-3 s, nltk with SciPy, scikit-learn and pandas 1.4-2 s
    code = (
        "from bizsum.corpus.documents import Document\n"
        "from bizsum.metrics import ScoringItem\n"
        "from bizsum.scoring import default_metric_names, run_metrics\n"
        "text = 'Acme sells widgets to shops in Ohio. Revenue rose 5% in 2024. Banks lend it money.'\n"
        "item = ScoringItem(summary='Acme sells widgets to shops.', document=Document(id='d', text=text),"
        " references={'r': 'Acme sells widgets.'})\n"
        "row = run_metrics([item], default_metric_names())[0]\n"
        "assert row['values']['source_only'] == 1.0 and row['values']['rouge1_f_ref'] > 0.5, row['values']"
    )
    assert imported_after(code) == {"torch"}
