# CareerVault: `make run` starts the whole system on embedded defaults; `make test` runs every
# check. Both install what they need first (uv, the locked Python packages, buf), then
# generate the gRPC stubs and Envoy's descriptor set from protos/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
BUF := tools/buf/node_modules/.bin/buf
PYTEST_ARGS ?=

.PHONY: help install gen run test lint fmt unit integration bench clean

help:
	@echo "make run    start the services and Envoy on http://localhost:8080 (Ctrl-C stops)"
	@echo "make test   lint (ruff, mypy, buf) and every test"
	@echo "make bench  start-up, memory, latency via Envoy vs gRPC; jobs list/stats at scale"
	@echo "make gen    regenerate stubs and the descriptor set from protos/"

$(UV):
	$(PYTHON) -m pip install --user --quiet "uv==$(UV_VERSION)"

# The venv is rebuilt whenever the lock file changes.
$(VENV)/.synced: uv.lock pyproject.toml libs/pyproject.toml services/*/pyproject.toml cli/pyproject.toml | $(UV)
	$(UV) sync --locked --quiet
	@touch $@

$(BUF): tools/buf/package.json tools/buf/package-lock.json
	cd tools/buf && npm ci --no-audit --no-fund --silent
	@touch $@

# A second Cognito emulator for the tests moto is too lax for (codes, TOTP, DeleteUser).
COGNITO_LOCAL := tools/cognito-local/node_modules/.bin/cognito-local
$(COGNITO_LOCAL): tools/cognito-local/package.json tools/cognito-local/package-lock.json
	cd tools/cognito-local && npm ci --no-audit --no-fund --silent
	@touch $@

install: $(VENV)/.synced $(BUF)

# OCR for scans (extraction service): the Debian packages, when tesseract is missing.
TESSERACT := $(shell command -v tesseract 2>/dev/null || echo /usr/bin/tesseract)
$(TESSERACT):
	command -v tesseract >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng; }

build/careervault.pb: $(VENV)/.synced scripts/gen.sh $(shell find protos -name '*.proto')
	PY=$(PY) ./scripts/gen.sh

gen: build/careervault.pb

run: install gen $(TESSERACT)
	$(PY) scripts/run.py

lint: install gen
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(BUF) lint

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint $(COGNITO_LOCAL) $(TESSERACT)
	COGNITO_LOCAL_BIN=$(CURDIR)/$(COGNITO_LOCAL) $(PY) -m pytest $(PYTEST_ARGS)

unit: install gen
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: install gen
	$(PY) -m pytest -m integration $(PYTEST_ARGS)

bench: install gen
	$(PY) scripts/bench.py && $(PY) scripts/bench_jobs.py

clean:
	rm -rf build $(VENV) tools/buf/node_modules tools/cognito-local/node_modules libs/src/careervault/{identity,jobs,extraction,ai}
