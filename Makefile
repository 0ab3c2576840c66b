# The two commands (see README): `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# `make run PORT=8123` serves there; honcho hands it to the web process (the Procfile's ${PORT}).
PORT ?= 8000
# The suite in parallel processes, one per core (at most 4).
PYTEST_ARGS ?= -n auto --maxprocesses 4

.PHONY: run test setup lint

# Web, a Celery worker and beat (the Procfile), together; Ctrl-C stops all three.
# The links in emails follow PORT, unless SITE_URL says otherwise.
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	PATH="$(abspath $(VENV))/bin:$$PATH" SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" \
		$(VENV)/bin/honcho start --port $(PORT)

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
