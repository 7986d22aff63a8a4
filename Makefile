# Every target bootstraps .venv itself, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
WORKERS ?= 2
THREADS ?= 4

export FLASK_APP := wsgi:app

.PHONY: run test lint e2e bench soak vendor clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	PORTAL_ENV=development $(BIN)/flask db upgrade heads
	@if PORTAL_ENV=development $(BIN)/flask is-empty; then \
		echo "Loading demo data (first run)..."; \
		PORTAL_ENV=development $(BIN)/flask seed-demo --quiet; \
	fi
	@echo ""
	@echo "TECS Portal: http://$(HOST):$(PORT)/"
	@PORTAL_ENV=development $(BIN)/flask seed-demo
	@echo ""
	PORTAL_ENV=development $(BIN)/gunicorn --workers $(WORKERS) --threads $(THREADS) \
		--bind $(HOST):$(PORT) --access-logfile - wsgi:app

lint: $(BIN)/.installed
	$(BIN)/ruff check .

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== The same suite on PostgreSQL ($$TEST_DATABASE_URL) =="; \
		PORTAL_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q -m "not e2e"; \
	else \
		echo "TEST_DATABASE_URL is not set: the PostgreSQL run is skipped (SQLite ran everything)."; \
	fi

e2e: $(BIN)/.installed
	$(BIN)/python -m pytest -q -m e2e

bench: $(BIN)/.installed
	$(BIN)/python -m bench.run

soak: $(BIN)/.installed
	$(BIN)/python -m bench.soak

vendor:
	bash scripts/vendor-assets.sh

clean:
	rm -rf $(VENV) instance/portal.db* instance/static-build .pytest_cache .ruff_cache
