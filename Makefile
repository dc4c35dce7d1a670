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

# Runs a command with PostgreSQL and RabbitMQ started on loopback in a temporary folder (installed from Debian's
# packages when missing), and stops them afterwards, whatever the command's outcome.
define with_services
	@set -euo pipefail; \
	services=$$(mktemp -d /tmp/treeherder-services.XXXXXX); \
	trap 'scripts/services.sh stop "$$services"; rm -rf "$$services"' EXIT; \
	scripts/services.sh start "$$services" > "$$services/env"; \
	. "$$services/env"; \
	export TEST_REQUIRE_SERVICES=1 TEST_OUTPUT_DIR="$${TEST_OUTPUT_DIR:-$$PWD/test-output}"; \
	$(1)
endef

# The whole suite against SQLite and PostgreSQL.
test: install
	$(call with_services,$(BIN)/pytest $(PYTEST_ARGS))

# The suite without starting services: PostgreSQL/RabbitMQ tests are skipped unless TEST_POSTGRES_URL etc. are set.
test-quick: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

# The benchmarks (BENCH_SIZE=quick, about two minutes; BENCH_SIZE=large, closer to a busy production day).
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || \
		{ echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	$(call with_services,$(BIN)/python -m bench --size $(BENCH_SIZE))

clean:
	rm -rf $(VENV) var test-output .pytest_cache
