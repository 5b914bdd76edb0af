# Two commands do all setup on a fresh machine (see README.md):
#   make run   - install, migrate, load demo data, create the first account, serve on 127.0.0.1:8000
#   make test  - install with the test extra and run the whole suite (lint, checks, tests)
# (`make setup` is `make run` without serving.)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HASH   := $(shell sha1sum pyproject.toml | cut -c1-12)
HOST   ?= 127.0.0.1
PORT   ?= 8000
VAR    := $(or $(CP_VAR_DIR),var)

.PHONY: run setup test install install-test serve lint migrations clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-$(HASH): $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-$(HASH): $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.run-$(HASH)
install-test: $(VENV)/.test-$(HASH)

$(VAR)/secret_key:
	mkdir -p $(VAR) && chmod 700 $(VAR)
	$(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	chmod 600 $@

# The secret key lives in var/ (generated once; the settings read it there, so every manage.py command
# works without exporting anything); `make test` uses tests/settings.py's.
setup: install $(VAR)/secret_key
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	$(PY) manage.py ensure_owner

run: setup
	@echo "Serving on http://$(HOST):$(PORT)/ with the gateway worker and a task worker (Ctrl-C stops all)"
	@# The workers run in the background (where sh ignores Ctrl-C); the trap stops them with SIGTERM
	@# whenever the web server ends, however it ends. The task worker also runs the periodic jobs.
	@$(PY) manage.py gateway_worker & WORKER=$$!; \
	$(PY) manage.py db_worker --no-reload & TASKS=$$!; \
	trap 'kill $$WORKER $$TASKS 2>/dev/null; wait $$WORKER $$TASKS' EXIT INT TERM; \
	$(PY) -m controlpanel.serve -b $(HOST) -p $(PORT) controlpanel.asgi:application

test: install-test
	mkdir -p var
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest
	@if [ -n "$$CP_TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL: the tests marked postgres, against $$CP_TEST_DATABASE_URL"; \
	  DATABASE_URL="$$CP_TEST_DATABASE_URL" $(VENV)/bin/pytest -m postgres; \
	else echo "(CP_TEST_DATABASE_URL unset: PostgreSQL tests not run; .ci/run sets it)"; fi

lint: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
