# The two commands (see README): `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test setup lint

# Web, a Celery worker and beat (the Procfile), together; Ctrl-C stops all three.
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/honcho start --port 8000

test: setup
	scripts/ensure_chromium
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run >/dev/null
	$(VENV)/bin/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	touch $@

lint: setup
	$(VENV)/bin/ruff check .
