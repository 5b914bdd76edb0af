# Two commands do all setup on a fresh machine (see README.md):
#   make run   - install, migrate, load demo data, create the first account, serve on 127.0.0.1:8000
#   make test  - install with the test extra and run the whole suite (lint, checks, tests)
# (`make setup` is `make run` without serving.)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HASH   := $(shell sha1sum pyproject.toml | cut -c1-12)
# The suite runs in two processes (pytest-xdist; tests/conftest.py groups what must share one):
# `make test PYTEST_WORKERS=` runs it in one.
PYTEST_WORKERS ?= -n 2 --dist loadgroup
HOST   ?= 127.0.0.1
PORT   ?= 8000
VAR    := $(or $(CP_VAR_DIR),var)

.PHONY: run setup test install install-test serve lint migrations clean

# Installs are quiet: pip's output goes to var/install.log and is shown only if the install fails.
PIP := $(PY) -m pip install --disable-pip-version-check --no-input
QUIET = > $(VAR)/install.log 2>&1 || { cat $(VAR)/install.log; exit 1; }

$(VENV)/bin/python:
	@mkdir -p $(VAR)
	@echo "Setting up .venv (first run only; details in var/install.log)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip $(QUIET)

$(VENV)/.run-$(HASH): $(VENV)/bin/python
	@echo "Installing the panel into .venv..."
	@mkdir -p $(VAR)
	@$(PIP) -e . $(QUIET)
	@touch $@

$(VENV)/.test-$(HASH): $(VENV)/bin/python
	@echo "Installing the panel and its test tools into .venv..."
	@mkdir -p $(VAR)
	@$(PIP) -e '.[test]' $(QUIET)
	@touch $@

install: $(VENV)/.run-$(HASH)
install-test: $(VENV)/.test-$(HASH)

$(VAR)/secret_key:
	@mkdir -p $(VAR) && chmod 700 $(VAR)
	@$(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@chmod 600 $@

# The secret key lives in var/ (generated once; the settings read it there, so every manage.py command
# works without exporting anything); `make test` uses tests/settings.py's. `make run` prints one short
# banner: the address, the user and (on the first run only) its password; logs below WARNING stay quiet.
define PREPARE
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py collectstatic --noinput -v 0
	@$(PY) manage.py seed_demo -v 0
endef

setup: export CP_LOG_LEVEL ?= WARNING
setup: install $(VAR)/secret_key
	$(PREPARE)
	@$(PY) manage.py ensure_owner

run: export CP_LOG_LEVEL ?= WARNING
run: install $(VAR)/secret_key
	$(PREPARE)
	@$(PY) manage.py ensure_owner --banner "http://$(HOST):$(PORT)/"
	@# The workers run in the background (where sh ignores Ctrl-C); the trap stops them with SIGTERM
	@# whenever the web server ends, however it ends. The task worker also runs the periodic jobs.
	@$(PY) manage.py gateway_worker -v 0 & WORKER=$$!; \
	$(PY) manage.py db_worker --no-reload & TASKS=$$!; \
	trap 'kill $$WORKER $$TASKS 2>/dev/null; wait $$WORKER $$TASKS' EXIT INT TERM; \
	$(PY) -m controlpanel.serve -v 0 -b $(HOST) -p $(PORT) controlpanel.asgi:application

test: install-test
	@mkdir -p var
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_WORKERS)
	@if [ -n "$$CP_TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL: the tests marked postgres, against $$CP_TEST_DATABASE_URL"; \
	  DATABASE_URL="$$CP_TEST_DATABASE_URL" $(VENV)/bin/pytest $(PYTEST_WORKERS) -m postgres; \
	else echo "(CP_TEST_DATABASE_URL unset: PostgreSQL tests not run; .ci/run sets it)"; fi

lint: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
