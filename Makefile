# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test test-fast system-deps lint validate screenshot bench clean

# The stamp files make reinstalls happen only when a requirements file changes.
$(VENV)/.runtime: requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.test: requirements-test.txt constraints.txt $(VENV)/.runtime
	$(PIP) install -r requirements-test.txt -c constraints.txt
	touch $@

## run: install, validate the data, serve the dashboard on http://$(HOST):$(PORT)
run: $(VENV)/.runtime
	$(BIN)/python -m metrics validate
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python app.py

## serve: production: nginx (deploy/nginx.conf) on $(HOST):$(PORT) in front of gunicorn (gunicorn.conf.py); WORKERS=n (default 2×cores+1, at most 8)
.PHONY: serve
WORKERS ?=
serve: $(VENV)/.runtime
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) $(BIN)/python deploy/serve.py

## system-deps: install the Debian packages the browser tests drive (chromium, CJK fonts)
system-deps:
	scripts/install-system-deps.sh

## test: install everything the tests need, lint, and run the whole suite
test: system-deps $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

## test-fast: while working: ruff and the tests that need no browser and no server (< 2 min)
test-fast: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not browser and not server"

## lint: ruff, fixing what it can
lint: $(VENV)/.test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## validate: check the dataset (DATA=dir to check another)
validate: $(VENV)/.runtime
	$(BIN)/python -m metrics validate $(if $(DATA),--data $(DATA))

## bench: every benchmark (not part of make test), ~10 min; the tables go to benchmarks/results.md
bench: system-deps $(VENV)/.test
	$(BIN)/python benchmarks/run_all.py

## screenshot: remake the README's pictures in docs/ (zh, en, national, curation)
screenshot: system-deps $(VENV)/.test
	$(BIN)/python scripts/screenshot.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache benchmarks/.cache
