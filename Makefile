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

.PHONY: help install gen run test lint fmt unit integration ocr chromium web web-test bench eval clean

help:
	@echo "make run    start the services and Envoy on http://localhost:8080 (Ctrl-C stops)"
	@echo "make test   lint (ruff, mypy, buf, tsc) and every test (pytest, Vitest, Playwright in Chromium)"
	@echo "make bench  start-up, memory, latency via Envoy vs gRPC; jobs list/stats at scale; extraction (PDF, DOCX, scans); AI analysis; k6 load (loadtest/)"
	@echo "make eval   quality of the local AI analysis on the labelled set (docs/ai-quality.md)"
	@echo "make gen    regenerate stubs, the descriptor set and the SPA's API types from protos/"
	@echo "make web    build the web app into web/dist (served by the gateway)"

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

# checkov for the Terraform checks (tests/deploy/test_terraform.py): its own uv project and lock
# in tools/checkov, so its many dependencies never meet the application's uv.lock.
CHECKOV := tools/checkov/.venv/bin/checkov
$(CHECKOV): tools/checkov/pyproject.toml tools/checkov/uv.lock | $(UV)
	$(UV) sync --project tools/checkov --locked --quiet
	@touch $@

install: $(VENV)/.synced $(BUF)

# OCR for scans (extraction service): tesseract with English, German, French and Spanish data
# (CAREERVAULT_EXTRACTION_OCR_LANGUAGES picks among them), from Debian when any is missing.
OCR_LANGS := eng deu fra spa
ocr:
	@missing=$$(for l in $(OCR_LANGS); do \
	  tesseract --list-langs 2>/dev/null | grep -qx "$$l" || echo "tesseract-ocr-$$l"; done); \
	if ! command -v tesseract >/dev/null || [ -n "$$missing" ]; then \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr $$missing; \
	fi

build/careervault.pb: $(VENV)/.synced scripts/gen.sh scripts/gen_ts.py scripts/gen_openapi.py $(shell find protos -name '*.proto')
	PY=$(PY) ./scripts/gen.sh

# The SPA's API types come out of gen.sh with the descriptor set; this rule only covers a
# checkout whose descriptor set predates them.
web/src/api/types.gen.ts: build/careervault.pb scripts/gen_ts.py
	$(PY) scripts/gen_ts.py && touch $@

gen: build/careervault.pb web/src/api/types.gen.ts

# The web app (web/): npm ci when node_modules is missing or the lock changed, and a production
# build into web/dist (hashed assets, no source maps) when any source is newer than the build.
# The gateway serves web/dist when it exists at stack start (gateway/render.py).
WEB_DEPS := web/node_modules/.ci-stamp
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) \
  web/index.html web/vite.config.ts web/tsconfig.json web/package.json

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: $(WEB_DEPS) $(WEB_SOURCES) web/src/api/types.gen.ts
	cd web && npm run build --silent

web: web/dist/index.html

# Headless browser for the end-to-end tests (tests/web): Debian's chromium, when missing.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

run: install gen ocr web
	$(PY) scripts/run.py

lint: install gen $(WEB_DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(BUF) lint
	cd web && npm run typecheck --silent

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Component tests of the web app (Vitest, jsdom).
web-test: $(WEB_DEPS) web/src/api/types.gen.ts
	cd web && npm test --silent

# The web app is built before pytest: the end-to-end tests (tests/web) drive it in Chromium
# through the gateway, which serves web/dist.
test: lint web-test web chromium $(COGNITO_LOCAL) $(CHECKOV) ocr
	COGNITO_LOCAL_BIN=$(CURDIR)/$(COGNITO_LOCAL) $(PY) -m pytest $(PYTEST_ARGS)

unit: install gen
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: install gen ocr
	$(PY) -m pytest -m integration $(PYTEST_ARGS)

bench: install gen ocr
	$(PY) scripts/bench.py && $(PY) scripts/bench_jobs.py && $(PY) scripts/bench_extraction.py && $(PY) scripts/bench_ai.py && $(PY) scripts/bench_load.py

eval: install gen
	$(PY) scripts/eval_ai.py

clean:
	rm -rf build $(VENV) tools/buf/node_modules tools/cognito-local/node_modules tools/checkov/.venv libs/src/careervault/{identity,jobs,extraction,ai}
	rm -rf web/dist web/node_modules web/src/api/types.gen.ts
