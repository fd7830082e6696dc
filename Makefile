# sessionmon: two commands. `make run` opens the console in simulator mode; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# The suite runs on every core (at most 4), one test file per worker so that module fixtures are
# built once; `make test PYTEST_WORKERS=` runs it in one process. The bytecode caches are kept
# even where PYTHONDONTWRITEBYTECODE is set: without them every worker rewrote the asserts of
# every test file and every `sessionmon` the tests start compiled the whole package again.
PYTEST_WORKERS ?= -n auto --maxprocesses=4 --dist loadfile

.PHONY: run test lint format bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/sessionmon --simulator

test: $(TEST_STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	PYTHONDONTWRITEBYTECODE= QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_WORKERS)

lint: $(TEST_STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

format: $(TEST_STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/run_all.py --out bench/results.md

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m sessionmon.ui.screenshots docs

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
