# Two commands for people: `make run` and `make test` (see README.md).
# Every step is idempotent and quiet unless it fails.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Local development: no secret key needed. Production sets DEBUG=0 and SECRET_KEY.
export DEBUG ?= 1
export PYTHONDONTWRITEBYTECODE := 1

# Run a command silently; show its output only if it fails.
quietly = out=$$($(1) 2>&1) || { printf '%s\n' "$$out"; exit 1; }

.PHONY: help setup run test lint migrate translations vendor seed messages chromium

help:
	@echo "make run    set up, seed demo data and start web + worker + beat on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(call quietly,$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt)
	@touch $@

# Front-end libraries from the npm registry at the versions pinned in package-lock.json.
# The Dockerfile copies them with the same script.
static/vendor/.installed: package.json package-lock.json bin/vendor-frontend.sh
	@$(call quietly,npm ci --no-audit --no-fund --loglevel=error)
	@sh bin/vendor-frontend.sh node_modules static/vendor
	@touch $@

vendor: static/vendor/.installed

translations: $(VENV)/.installed
	@$(call quietly,$(PY) manage.py compiletranslations)

migrate: $(VENV)/.installed
	@$(call quietly,$(PY) manage.py migrate --no-input)

setup: $(VENV)/.installed vendor translations migrate

seed: setup
	@$(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "  Collections CRM: http://$(HOST):$(PORT)   (Ctrl-C stops web, worker and beat)"
	@echo ""
	@HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile.dev

# The browser tests drive Debian's Chromium through Playwright (Playwright cannot download
# its own browsers here). Installed from Debian's packages when missing and we are root.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium for the browser tests (Debian package)..."; \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; \
	  else echo "The browser tests need Chromium: sudo apt-get install chromium"; exit 1; fi; }

test: setup chromium
	@$(PY) -m pytest -q

# House rules any editor can check: ruff's lint rules and formatting (pyproject.toml).
lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache

# For translators: refresh locale/*/LC_MESSAGES/django.po from the code (needs gettext).
messages: $(VENV)/.installed
	@$(PY) manage.py makemessages -l es -l en --no-obsolete --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=tests --ignore=bench --ignore=var
