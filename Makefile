# Two commands do everything (see README):  make demo   ·   make test
# Both create .venv and install the project from the package registries on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
CONFIG ?= configs/demo.yaml

.PHONY: install lock lock-check setup-local demo demo-long example test test-fast test-browser browser-deps test-ray lint typecheck check bench strip

# Every package comes from requirements.lock (transitive ones included), so every machine scores with
# the same versions; `make lock` refreshes it after a change to pyproject.toml's dependencies.
LOCK    = requirements.lock
PIP     = $(BIN)/python -m pip install -q -c $(LOCK)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python scripts/lockfile.py check
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) -e '.[lab,test,dev,ray]'
	touch $(STAMP)

install: $(STAMP)

# A fresh resolution of the whole project (every extra), without installing anything: pip takes
# torch 2.13.0 from the CPU wheel on disk, so no CUDA package is pinned. Then commit requirements.lock
# (and rerun `make example`: the versions feed the metric fingerprints).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --dry-run --ignore-installed --report $(VENV)/lock-report.json \
	  torch==2.13.0 -e '.[lab,test,dev,ray,tracking]'
	$(BIN)/python scripts/lockfile.py write $(VENV)/lock-report.json $(LOCK)

# pyproject.toml's dependencies and requirements.lock agree (also a test: tests/test_lock.py)
lock-check:
	$(PYTHON) scripts/lockfile.py check

# MLflow (optional extra) for its tests; `make demo` does not need it.
TRACKING = $(VENV)/.tracking
$(TRACKING): $(STAMP)
	$(PIP) -e '.[tracking]'
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

check: lint typecheck lock-check

bench: $(STAMP)
	$(BIN)/python bench/speed/scoring_speed.py

strip:
	$(BIN)/nbstripout bizsum/notebooks/*.ipynb bench/validation/*.ipynb
