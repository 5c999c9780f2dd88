# Two commands: `make run` (server on the embedded default, with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format schema trusted-documents migrations bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fidelio migrate
	$(BIN)/fidelio seed-demo
	$(BIN)/fidelio serve

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python tools/check_type_ignores.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(STAMP)
	$(BIN)/fidelio export-schema > schema.graphql

trusted-documents: $(STAMP)
	$(BIN)/fidelio trusted-documents tests/contract/operations > api/trusted_documents.json

migrations: $(STAMP)
	$(BIN)/fidelio makemigrations

clean:
	rm -rf $(VENV) var .pytest_cache
