# Two commands do everything (see README):  make demo   ·   make test
# Both create .venv and install the project from the package registries on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
CONFIG ?= configs/demo.yaml

.PHONY: install setup-local demo demo-long example test test-fast test-browser browser-deps test-ray lint typecheck check bench strip

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[lab,test,dev,ray]'
	touch $(STAMP)

install: $(STAMP)

# MLflow (optional extra) for its tests; `make demo` does not need it.
TRACKING = $(VENV)/.tracking
$(TRACKING): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[tracking]'
	touch $(TRACKING)

# llama.cpp (built once per machine with CPU flags that do not crash here) + the 0.5B GGUF model.
setup-local: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH bash scripts/setup_local_llm.sh

# Main job, offline: generate → score → HTML report in reports/<name>/report.html
demo: setup-local
	$(BIN)/bizsum run $(CONFIG)

# The committed example report, regenerated from the current code (the response cache makes a rerun
# of the demo cheap: only what changed is generated or scored again), with the CSVs its text points to.
example: demo
	cp reports/demo/report.html reports/demo/headline.csv reports/demo/pairs.csv reports/example/

# Long-document strategies on the longest shared document.
demo-long: setup-local
	$(BIN)/bizsum run configs/long.yaml

# What CI runs (.ci/run): lint, types, layer contracts, then the tests (the browser tests and the
# Ray tests are separate steps: `make test-browser`, `make test-ray`).
test: check $(TRACKING)
	$(BIN)/python -m pytest -q -m "not browser and not ray"

# executor: ray on a two-node Ray cluster that the tests start and stop (docs/scale.md).
test-ray: $(STAMP)
	$(BIN)/python -m pytest -q -m ray

# The report in headless Chromium (Debian's chromium + poppler-utils; `make browser-deps` installs them).
test-browser: $(STAMP)
	$(BIN)/python -m pytest -q -m browser

browser-deps:
	command -v chromium >/dev/null && command -v pdftotext >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; }

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check bizsum tests bench scripts
	$(BIN)/ruff format --check bizsum tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint typecheck

bench: $(STAMP)
	$(BIN)/python bench/speed/scoring_speed.py

strip:
	$(BIN)/nbstripout bizsum/notebooks/*.ipynb bench/validation/*.ipynb
