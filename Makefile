# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/cds: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/cds

## run: the service on embedded defaults (no Redis or database needed)
run: $(BIN)/cds
	$(BIN)/cds serve

## lint: ruff, mypy and the rules' own validation
lint: $(BIN)/cds
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/cds rules check

## test: lint, then every test (real Redis, PostgreSQL, Celery workers, HTTP servers, Chromium)
test: lint
	$(BIN)/pytest

## bench: the benchmark suite, full (about 10 minutes; --quick in CI). See docs/benchmarks.md
bench: $(BIN)/cds
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache instance
