# Two commands: `make run` starts the whole stack, `make test` runs every test.
# Both create .venv and install the pinned dependencies on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-services test-http tools clean import demo proof-cdnow bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Start RabbitMQ-backed services and the gateway under honcho; Ctrl-C stops all.
run: $(VENV)/.runtime-installed
	$(BIN)/python -m service_support.broker_check
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile

# docker-compose (Debian's package) validates docker-compose.yml in the tests.
tools:
	@command -v docker-compose >/dev/null 2>&1 || { \
	  echo "installing docker-compose (Debian package) for the compose file test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }

# The services' tests run under eventlet, the gateway's under asyncio, so
# they need two pytest processes.
test: test-services test-http

test-services: $(VENV)/.dev-installed
	$(BIN)/python -m pytest tests/services

test-http: $(VENV)/.dev-installed tools
	$(BIN)/python -m pytest -p no:pytest_nameko tests/gateway tests/importer tests/deploy tests/e2e

clean:
	rm -rf $(VENV) var

# Import a file of historical checks into the running stack: make import FILE=path FORMAT=cdnow|csv
import: $(VENV)/.runtime-installed
	@test -n "$(FILE)" || { echo "usage: make import FILE=path FORMAT=cdnow|csv [ARGS=--strict]"; exit 2; }
	$(BIN)/python -m history_import "$(FILE)" --format "$(FORMAT)" $(ARGS)

# Download the CDNOW purchase log, import it (starting the stack if it is not running) and show answers.
demo: $(VENV)/.runtime-installed
	$(BIN)/python -m history_import.demo

# The whole CDNOW file through the end-to-end proof test (CI imports a slice).
proof-cdnow: $(VENV)/.dev-installed
	CDNOW_ROWS=all $(BIN)/python -m pytest -p no:pytest_nameko tests/e2e/test_cdnow_import.py

# Time the full CDNOW import until analytics answers match; see docs/benchmarks.md.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench.cdnow_import
