# Proeftuin — `make run` starts the app, `make test` runs the whole suite. Both set up first.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# uv from the PATH, or bootstrapped with pip into .tools/ (no system-wide install needed).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: help setup run test lint format bench db demo clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

$(BIN)/tracker: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $@

setup: $(BIN)/tracker  ## environment from uv.lock, database migrated, demo pilots loaded once
	$(BIN)/tracker db upgrade
	$(BIN)/tracker demo load

run: setup  ## start the app on http://localhost:$(PORT)
	$(BIN)/streamlit run streamlit_app.py --server.address localhost --server.port $(PORT)

lint: $(BIN)/tracker  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One worker per CPU (pytest-xdist): every test has its own database, port and temp files.
PYTEST_WORKERS ?= auto

test: setup lint  ## the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

format: $(BIN)/tracker  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# BENCH=name runs only the benchmarks whose module name contains it (e.g. BENCH=library).
# bench_library needs PostgreSQL: BENCH_DATABASE_URL (or TEST_DATABASE_URL), e.g.
#   make bench BENCH=library BENCH_DATABASE_URL=postgresql+psycopg://user:pw@localhost/db
# It works in its own schema (bench_library), dropped afterwards; without a URL it says it
# was skipped.
BENCH ?=

bench: setup  ## speed and memory benchmarks, as ratios against the bare library calls
	$(BIN)/python -m benchmarks $(BENCH)

clean:  ## remove the environment and the local database (not the demo files)
	rm -rf $(VENV) .tools data/*.db data/*.db-*
