# QKart developer commands. `make run` serves the demo shop; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/qkart_test
PG_TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
export FLASK_APP := wsgi


.PHONY: venv run test test-sqlite test-postgres coverage lint format bench lighthouse clean help

help:
	@echo "make run         serve the demo shop on http://$(HOST):$(PORT) (SQLite, inline jobs)"
	@echo "make test        the whole suite on SQLite and PostgreSQL, with coverage (>= 80%)"
	@echo "make lint        ruff lint and format check, bandit security audit, mypy on qkart/"
	@echo "make bench       requests/s and latency of the key pages (PostgreSQL, gunicorn, wrk)"
	@echo "make lighthouse  Lighthouse scores of the key pages (needs Chromium and npm)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	@echo ""
	@echo "  QKart is running at http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	@echo ""
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(STAMP)
	rm -f .coverage .coverage.*
	@# The two passes share nothing (own databases, own Redis db) and each keeps one core
	@# busy, so they run side by side; each pass's output is printed whole when it ends.
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target test-sqlite test-postgres
	$(MAKE) --no-print-directory coverage

test-sqlite: $(STAMP) tools/node_modules
	@echo "== tests on SQLite =="
	QKART_TEST_DB=sqlite $(BIN)/pytest -m "not postgres" --cov --cov-report= -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== tests on PostgreSQL =="
	QKART_TEST_DB=postgres TEST_DATABASE_URL=$(PG_TEST_URL) TEST_REDIS_URL=$(PG_TEST_REDIS_URL) $(BIN)/pytest -m "not browser" --cov --cov-report= -p no:cacheprovider $(PYTEST_ARGS)

coverage: $(STAMP)
	$(BIN)/coverage combine --quiet || true
	$(BIN)/coverage report --fail-under=80

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --configfile pyproject.toml --severity-level medium --recursive qkart
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

tools/node_modules: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --loglevel=error

bench: $(STAMP)
	bash bench/run.sh

lighthouse: $(STAMP) tools/node_modules
	$(BIN)/python tools/lighthouse.py

clean:
	rm -rf .coverage .coverage.* reports .pytest_cache
