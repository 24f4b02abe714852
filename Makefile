# Tandem: two commands. `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := server

.PHONY: run test install install-dev serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/flask db upgrade
	@$(BIN)/flask demo 2>/dev/null || echo "Database already has data; not loading the demo organisation."
	TANDEM_DEVELOPMENT=true $(BIN)/flask run --host 127.0.0.1 --port 5000

# `make test` runs every test twice: first on SQLite (TEST_DATABASE_URL removed from the environment),
# then on PostgreSQL (TEST_DATABASE_URL, or the local server in scripts/test_pass.py). In each pass the
# browser tests and the rest run side by side, each part on a database of its own built by the
# migrations. Each part leaves a record in test-artifacts/; the last step fails unless both passes ran
# in full and passed (a failing SQLite pass still lets the PostgreSQL pass run, so one CI run shows both).
PYTEST_ARGS ?=
test: install-dev
	@mkdir -p test-artifacts && rm -f test-artifacts/pass-*
	@echo "== pass 1 of 2: SQLite =="
	-$(BIN)/python scripts/test_pass.py sqlite $(PYTEST_ARGS)
	@echo "== pass 2 of 2: PostgreSQL =="
	-$(BIN)/python scripts/test_pass.py postgresql $(PYTEST_ARGS)
	@$(BIN)/python scripts/check_test_passes.py test-artifacts

# Benchmarks print ratios against limits measured in the same run. Quick sizes by default;
# `make bench SCALE=50000` for the full run (50,000 people: about 4 minutes to generate on SQLite here, and 5.5 GB of memory).
# Generated organisations are kept in bench-data/ (never committed) and reused; delete it to remake them.
SCALE ?=
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

# P4 (bench/load.py) needs PostgreSQL on 127.0.0.1; `make bench SCALE=...` also runs it at full size.
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/sync_push.py
	$(BIN)/python bench/read_paths.py $(if $(SCALE),--small 1000 --large $(SCALE))
	$(BIN)/python bench/list_endpoints.py $(if $(SCALE),--small 1000 --large $(SCALE))
	$(BIN)/python bench/service_measures.py $(if $(SCALE),--people $(shell [ $(SCALE) -gt 5000 ] && echo 5000 || echo $(SCALE)))
	$(BIN)/python bench/reminders_send.py $(if $(SCALE),--people $(SCALE))
	$(if $(SCALE),LOAD_USERS=100 LOAD_SECONDS=300) $(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache
