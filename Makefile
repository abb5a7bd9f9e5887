# Vigilant — every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Front-end packages come from the npm registry through package.json and its lock; only the built files are
# copied under static/vendor/ (git-ignored), so no third-party code is ever committed. axe-core (a development
# package) stays in node_modules/: the browser tests inject it into each page (tests/web/test_browser_pages.py).
VENDOR := src/vigilant/web/static/vendor
FRONTEND := $(VENDOR)/htmx.min.js

.PHONY: demo test bench lint lock clean frontend

$(STAMP): requirements.lock pyproject.toml setup.py src/vigilant/hashing/_multimd5.c
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Vigilant needs Python 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(FRONTEND): package.json package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/cytoscape/dist/cytoscape.min.js node_modules/layout-base/layout-base.js $(VENDOR)/
	cp node_modules/cose-base/cose-base.js node_modules/cytoscape-fcose/cytoscape-fcose.js $(VENDOR)/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/
	touch $(FRONTEND)

frontend: $(FRONTEND)
demo test: $(FRONTEND)

demo: $(STAMP)
	$(BIN)/vigilant demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Re-pin every dependency (needs the package registry).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache src/vigilant/*.so
	rm -rf node_modules $(VENDOR)
