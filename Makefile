# complaintflow — `make run` serves the desk, `make test` runs the suite (SQLite, then PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
QUICK ?=
# CI shifts the system clock for the SQLite pass (e.g. TEST_CLOCK=+365d, Debian's faketime) so a test
# that leans on today's date fails before that date comes.
TEST_CLOCK ?=
# `make run PORT=8080` (HOST=0.0.0.0 to listen beyond this machine).
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install migrate seed run test test-sqlite test-postgres lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

# Browser libraries (bpmn-js, chart.js) served by the app from node_modules: no CDN at run time.
node_modules/.installed: package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null || { echo "npm is needed (Node.js): e.g. apt-get install nodejs npm" >&2; exit 1; }
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

# The modeler's properties panel (bpmn-js-properties-panel + our SpiffWorkflow entries), bundled from
# node_modules by esbuild: the page loads it as one file, no import map (the CSP allows no inline script).
PANEL_BUNDLE := app/static/modeler/build/properties.js
$(PANEL_BUNDLE): app/static/modeler/src/properties.js node_modules/.installed
	node_modules/.bin/esbuild $< --bundle --minify --format=iife --target=es2019 --legal-comments=external --outfile=$@

install: $(VENV)/.installed node_modules/.installed $(PANEL_BUNDLE)

migrate: install
	$(BIN)/complaintflow db upgrade
	$(BIN)/complaintflow processes deploy processes/complaint.bpmn --if-empty --comment "ilk sürüm / initial version"

seed: migrate
	$(BIN)/complaintflow users seed-demo

run: seed
	$(BIN)/complaintflow run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .

test-sqlite: install
	$(if $(TEST_CLOCK),faketime -f '$(TEST_CLOCK)',) $(BIN)/pytest

test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/pytest

test: lint test-sqlite test-postgres

# PostgreSQL rows use BENCH_PG_URL (a schema of the bench's own; skipped when unreachable or empty).
# COMPARE=old.json compares with that file; by default with the bench/results.json this run replaces.
BENCH_PG_URL ?= $(PG_TEST_URL)
bench: install
	$(BIN)/python -m bench $(if $(QUICK),--quick,) --pg "$(BENCH_PG_URL)" $(if $(COMPARE),--compare $(COMPARE),)

clean:
	rm -rf $(VENV) instance .pytest_cache
