"""``bizsum init DIR``: a researcher's own study folder, outside this repository.

A study is a config (``study.yaml``) beside its own data: ``prompts/``, ``documents/`` (with
``manifest.csv``) and ``references/``, laid out like the shipped ``data/`` folder. Its config sets
``data_dir: .`` and ``corpus: [builtin]``: the study's documents and prompts come first, the ones
shipped with bizsum stay usable by id. ``notebooks/`` holds the run notebooks with ``config_path``
pointing at the study, and results go to ``runs/<name>/``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from bizsum.config import load_config
from bizsum.corpus.select import MANIFEST_COLUMNS
from bizsum.errors import InputError
from bizsum.notebook import RUN_NOTEBOOKS, notebook_path, parameters_source

CONFIG_NAME = "study.yaml"
EXAMPLE_PROMPT = "example"
#: the notebooks a study gets: the run steps and the review notebook
STUDY_NOTEBOOKS = (*RUN_NOTEBOOKS, "review")

_CONFIG = """\
# A bizsum study. Relative paths resolve against this file's folder, whatever the working directory.
# Every field and what it means: `python -c "import bizsum; help(bizsum.RunConfig)"`.
name: {name}
data_dir: .               # this folder: documents/ (manifest.csv), prompts/, references/
corpus: [builtin]         # ...over the corpus shipped with bizsum: its documents and prompts stay usable by id
output_dir: runs          # results go to runs/<name>/ (generations, scores, report.html)
cache_dir: .cache         # response cache: an identical request is never paid for twice

# Documents: ids from documents/manifest.csv or the built-in manifest, or selectors such as
# industry=software, year=2020..2024, tokens<=20000 (add your own with `bizsum ingest FILING --register --data-dir .`).
documents: [AMZN_2024]
# Prompts: file stems in prompts/ (yours win over a built-in one of the same name) or built-in ones (seed, focused).
prompts: [seed, {example}]
models:
  - id: lead              # a baseline: the document's first sentences under the token limit
    provider: extractive
    options: {{method: lead}}
  # An OpenAI-compatible model (vLLM, Ollama, llama.cpp server, OpenAI): the key is read from the
  # environment variable named in api_key_env, never written here.
  # - id: my-model
  #   provider: openai
  #   model: gpt-4o-mini
  #   base_url: http://localhost:8000/v1
  #   api_key_env: OPENAI_API_KEY
samples: 1
token_limit: 512
# The quick metrics; delete this line to compute all of them (bertscore, focus_coverage and source_only
# load encoders: about a minute more).
metrics: [rouge, token_limit, format]
"""

_PROMPT = """\
You are an equity analyst. Read the Item 1. Business section of a 10-K filing below and explain the
company's business model in at most 300 words: what it sells, to whom, how it earns money, how it
delivers, and what sets it apart. Use continuous prose, no bullet points or headings.

{document}
"""

_README = """\
# {name}: a bizsum study

| path | what |
|---|---|
| `{config}` | the run configuration: documents × prompts × models, metrics, where results go |
| `prompts/<id>.txt` | your prompt templates, one `{{document}}` placeholder each (`{example}.txt` is an example) |
| `documents/manifest.csv`, `documents/<id>.txt` | your documents (add them with `bizsum ingest`, below) |
| `references/<doc id>/<name>.txt` | reference summaries of a document (yours or a built-in one) |
| `notebooks/` | the generate, score, compare and review notebooks, with `config_path` set to `{config}` |
| `runs/<name>/` | results: `generations.jsonl`, `scores.jsonl`, `report.html`, the executed notebooks |

The built-in documents and prompts (`seed`, `focused`, `AMZN_2024`, ...) stay usable by id
(`corpus: [builtin]` in the config); an id of your own wins over a built-in one.

## Run it

```bash
bizsum run {config}                              # generate → score → runs/{name}/report.html
bizsum run {config} --set prompts={example}         # override any field for one run
papermill notebooks/generate.ipynb out.ipynb -p prompts {example}   # a notebook, headless
jupyter lab notebooks/                              # the same notebooks, interactively
```

## Add a prompt, a document, a model

- **Prompt**: write `prompts/<id>.txt` with one `{{document}}` placeholder where the document goes,
  and add `<id>` to `prompts:` in `{config}`.
- **Document**: `bizsum ingest filing.htm --register --data-dir .` extracts Item 1 from a 10-K
  (HTML or text) into `documents/` and adds its row to `documents/manifest.csv`; add its id to
  `documents:`. A plain text you have already is a row in the manifest (`id` at least) and `documents/<id>.txt`.
- **Model**: add an entry under `models:`. An OpenAI-compatible server is `provider: openai` with
  `base_url`, `model` and `api_key_env` (the *name* of the environment variable holding the key).
- **Reference summary**: `references/<document id>/<name>.txt`.
"""

_GITIGNORE = ".cache/\nruns/\n.ipynb_checkpoints/\n"


def _write_notebook(name: str, target: Path, config_path: str, run_dir: str) -> None:
    notebook = json.loads(notebook_path(name).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"])
        if name in RUN_NOTEBOOKS:
            source = parameters_source(config_path)
        else:
            source = re.sub(r'^run_dir = ".*"$', f'run_dir = "{run_dir}"', source, flags=re.M)
        cell["source"] = source.splitlines(keepends=True)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def init_study(folder: str | Path, name: str | None = None) -> Path:
    """Scaffold a study in ``folder`` (new or empty); returns the path of its config.

    Refuses a folder that has files already, so nothing of the researcher's is overwritten.
    """
    folder = Path(folder).expanduser()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"bizsum init: {folder} exists and is not an empty folder; give a new folder")
    name = name or re.sub(r"[^A-Za-z0-9._-]+", "_", folder.resolve().name) or "study"
    for sub in ("prompts", "documents", "references", "notebooks"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    fields = {"name": name, "example": EXAMPLE_PROMPT, "config": CONFIG_NAME}
    config = folder / CONFIG_NAME
    config.write_text(_CONFIG.format(**fields), encoding="utf-8")
    (folder / "prompts" / f"{EXAMPLE_PROMPT}.txt").write_text(_PROMPT, encoding="utf-8")
    with (folder / "documents" / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(MANIFEST_COLUMNS)
    (folder / "references" / ".gitkeep").write_text("", encoding="utf-8")
    (folder / "README.md").write_text(_README.format(**fields), encoding="utf-8")
    (folder / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
    for notebook in STUDY_NOTEBOOKS:
        _write_notebook(notebook, folder / "notebooks" / f"{notebook}.ipynb", CONFIG_NAME, f"runs/{name}")
    load_config(config)  # the scaffold is a valid config
    return config
