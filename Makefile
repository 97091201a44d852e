# tidu — `make` lists the targets. The README's two commands are `make run` and `make test`.
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= auto

.PHONY: help install run serve test pytest fuzz faults lint typecheck contracts fmt bench clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create the venv and install tidu with its dev tools

run: install ## migrate, load demo data into an empty registry, serve UI + API on :8000
	$(BIN)/tidu db upgrade
	$(BIN)/tidu demo --if-empty
	$(BIN)/tidu serve

serve: install ## serve without migrating or loading anything
	$(BIN)/tidu serve

test: install lint typecheck contracts pytest fuzz ## everything CI checks: lint, types, import contracts, tests, API fuzzing

pytest: install ## the test suite on real PostgreSQL (TEST_DATABASE_URL / DATABASE_URL, else embedded)
	bash .ci/ensure-browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --ignore=tests/browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/browser

fuzz: install ## Schemathesis over the OpenAPI as every role, against a served demo registry (a few minutes)
	$(BIN)/python -m tests.fuzz

faults: install ## kill -9 trials only (TIDU_FAULT_TRIALS=20 for the documented run); figures in benchmarks/results/faults.*
	TIDU_FAULT_REPORT=benchmarks/results/faults.json $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m faults

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install ## mypy --strict
	$(BIN)/mypy

contracts: install ## rules/importers/exports never import backend, SQLAlchemy, SQLModel or FastAPI
	$(BIN)/lint-imports

bench: install ## benchmarks (results in benchmarks/results/; end-to-end parts need DATABASE_URL; the status load brings its own)
	$(BIN)/python -m benchmarks.rules_engine
	$(BIN)/python -m benchmarks.imports
	$(BIN)/python -m benchmarks.exports
	$(BIN)/python -m benchmarks.status_load

fmt: install ## format and autofix
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean: ## remove the venv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
