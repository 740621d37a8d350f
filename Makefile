# Two entry points for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check lint system-deps clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Interdict needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,native,check]'
	touch $@

# the name comparison compiled by mypyc (about 2.5 times as fast); without a C compiler it stays
# plain Python, which gives the same results (the test suite insists on the compiled one)
$(VENV)/.native: $(VENV)/.installed src/interdict/intel/matching.py scripts/build_native.py
	$(BIN)/python scripts/build_native.py && touch $@ || echo "interdict: name matching runs as plain Python"

demo: $(VENV)/.installed $(VENV)/.native
	bash scripts/install-system-deps.sh --runtime
	$(BIN)/interdict demo

system-deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.installed $(VENV)/.native system-deps
	$(BIN)/python -m pytest

# static checks: lint (ruff), types (mypy; strict on the core, the API and the faces), the layer
# contracts (import-linter: nothing imports upward, the faces talk only to the API)
lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# everything CI runs: the static checks, then the whole test suite
check: lint test

clean:
	rm -rf $(VENV) interdict-data .pytest_cache
