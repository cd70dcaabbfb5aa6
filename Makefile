# Mitmachkarte: every target does the set-up it needs, and skips what is already done.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The project cluster's port is scripts/db.sh's choice, kept in var/pgport where the settings
# read it (MMK_PGPORT overrides). Not fixed here: `make db` may move it if another server took it.
# The make targets serve development and tests; production sets its environment itself.
export DJANGO_DEBUG ?= true
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help system venv lock db migrate demo setup run serve backup restore restore-file test lint bench stop clean-db

help:
	@echo "make run      set up everything, load the Kaiserslautern demo, serve http://$(HOST):$(PORT)/"
	@echo "make test     set up everything, run lint, type checks and the whole test suite"
	@echo "make bench    run the benchmarks (ratios against baselines measured in the same run)"
	@echo "make serve    production start: gunicorn + mail worker on \$$HOST:\$$PORT (see README, Deploying)"
	@echo "make backup   dump the database to var/backups/ (BACKUP=file to choose);  make restore BACKUP=file"
	@echo "make stop     stop the project's PostGIS cluster;  make clean-db  drop it"
	@echo "make lock     resolve pyproject.toml into requirements*.lock (UPGRADE=1: newest allowed)"

system:
	@bash scripts/system-packages.sh $(EXTRA_PACKAGES)

# The virtualenv holds exactly the locked versions (checked against their hashes), then the
# project itself without dependencies; a lock older than pyproject.toml stops here.
$(VENV)/.installed: requirements-dev.lock pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	@$(PY) -m pip install -q --no-deps -e .
	@$(PY) scripts/check-lock.py
	@$(PY) -m pip check -q
	@touch $@

venv: $(VENV)/.installed

# Resolve pyproject.toml into requirements-dev.lock (runtime + dev, what the make targets install)
# and requirements.lock (runtime only, for production: `pip install --require-hashes -r
# requirements.lock && pip install --no-deps .`), with exact versions and hashes. Locked versions
# that still fit are kept; `make lock UPGRADE=1` takes the newest that pyproject.toml allows.
# uv resolves in about a second; it is bootstrapped at its locked version if the venv lacks it.
UV := $(VENV)/bin/uv
LOCK_FLAGS = -q --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock:
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install -q \
		"uv$$(sed -n 's/^uv==\([^ ]*\).*/==\1/p' requirements-dev.lock 2>/dev/null)"
	@$(UV) pip compile $(LOCK_FLAGS) --extra dev -o requirements-dev.lock pyproject.toml
	@$(UV) pip compile $(LOCK_FLAGS) -c requirements-dev.lock -o requirements.lock pyproject.toml
	@echo "requirements-dev.lock and requirements.lock are up to date with pyproject.toml"

db: system
	@bash scripts/db.sh start

migrate: venv db
	@$(MANAGE) migrate --noinput -v 0
	@$(MANAGE) createcachetable -v 0

demo: migrate
	@$(MANAGE) load_demo

setup: demo
	@$(MANAGE) collectstatic --noinput -v 0

# Links in e-mails point at the address the demo really runs on.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: setup
	@echo "Serving the demo on http://$(HOST):$(PORT)/  (Ctrl-C stops; 'make stop' stops the database)"
	@$(MANAGE) runserver $(HOST):$(PORT)

# Production: debug off whatever the shell says; DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and
# SITE_URL must be set (the settings name what is missing). No demo data.
serve: export DJANGO_DEBUG = false
serve: venv db
	@$(MANAGE) check --deploy --fail-level ERROR -v 0
	@$(MANAGE) migrate --noinput -v 0
	@$(MANAGE) createcachetable -v 0
	@$(MANAGE) collectstatic --noinput -v 0
	@echo "Serving on http://$(HOST):$(PORT)/ with $${WEB_CONCURRENCY:-$$(($$(nproc) * 2 + 1))} workers and the mail worker (Ctrl-C stops)"
	@PY=$(PY) BIND=$(HOST):$(PORT) bash scripts/serve.sh

# Backups in PostgreSQL's custom format (pg_dump -Fc): compressed, restorable table by table.
BACKUP ?= var/backups/mitmachkarte-$(shell date -u +%Y%m%dT%H%M%SZ).dump
backup: venv db
	@bash scripts/backup.sh backup "$(BACKUP)"

restore: restore-file venv db
	@bash scripts/backup.sh restore "$(BACKUP)"

# Asked before anything is set up: which backup to restore.
restore-file:
	@test -n "$(filter command line environment,$(origin BACKUP))" || { echo "Say which file: make restore BACKUP=var/backups/….dump" >&2; exit 2; }

lint: venv
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy .
	@$(VENV)/bin/lint-imports --no-cache --no-logo

# exiftool reads the served photos back in tests/images.py: no metadata may remain.
test: EXTRA_PACKAGES = chromium nginx libimage-exiftool-perl
test: venv db lint
	@$(MANAGE) makemigrations --check --dry-run -v 1 --settings=config.settings.test
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: venv db
	@$(PY) -m bench $(BENCH_ARGS)

stop:
	@bash scripts/db.sh stop

clean-db:
	@bash scripts/db.sh drop
