# tocsim: `make demo` runs the default scenario, `make test` runs the test suite.
# Both create .venv with Python >= 3.12 if it is missing.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out/demo

# First Python >= 3.12 found: python3.12, python3.13, python3.
PYTHON ?= $(shell for p in python3.12 python3.13 python3.14 python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3,12))' 2>/dev/null; then echo $$p; break; fi; done)

.PHONY: demo test venv lint bench clean docs

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.12 not found (try pyenv install 3.12)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/tocsim run scenarios/baseline.yaml --out $(OUT)

test: venv
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check sim analysis tocsim tests benchmarks

# Regenerate every generated document and figure at the current model (commit first: each one
# records the commit it was made at). Measured at 16e9744 on 2 cores shared with other jobs:
# ODD snapshot 10 s, validation 4 min, interventions 9.5 min, sensitivity 4-6 min when the
# model changed (it resumes a finished batch of the same engine); each part prints its time.
docs: venv
	mkdir -p out
	$(PY) docs/make_param_table.py
	time $(PY) docs/make_odd_snapshot.py
	time $(PY) docs/make_validation.py --quiet
	time $(PY) docs/make_intervention_figures.py --write --workers 2 > out/make_docs_interventions.log
	time $(PY) docs/make_sensitivity.py

bench: venv
	$(PY) benchmarks/bench_baseline.py

clean:
	rm -rf $(VENV) out .pytest_cache
