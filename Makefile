# The two commands: `make run` (serve on the embedded default) and `make test` (the whole suite, both databases).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_SIZE ?= quick

.PHONY: install run test test-quick bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml client/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' -e './client[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/treeherder serve --host $(HOST) --port $(PORT) --sample-data

# Starts PostgreSQL and RabbitMQ on loopback in a temporary folder (installing them from Debian's packages when
# missing), runs the whole suite against SQLite and PostgreSQL, and stops what it started.
test: install
	@set -euo pipefail; \
	services=$$(mktemp -d /tmp/treeherder-services.XXXXXX); \
	trap 'scripts/services.sh stop "$$services"; rm -rf "$$services"' EXIT; \
	scripts/services.sh start "$$services" > "$$services/env"; \
	. "$$services/env"; \
	export TEST_REQUIRE_SERVICES=1 TEST_OUTPUT_DIR="$${TEST_OUTPUT_DIR:-$$PWD/test-output}"; \
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite without starting services: PostgreSQL/RabbitMQ tests are skipped unless TEST_POSTGRES_URL etc. are set.
test-quick: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench --size $(BENCH_SIZE)

clean:
	rm -rf $(VENV) var test-output .pytest_cache
