# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint install install-test clean

# The pure core: parsing, classifying, rendering, the state machine, config. No server, under 30 s.
FAST_TESTS := tests/bounces tests/blocklists tests/monitor/test_incidents.py tests/monitor/test_diagnosis.py \
	tests/monitor/test_notify.py tests/slack/test_blocks.py tests/slack/test_inert.py tests/slack/test_door.py \
	tests/store/test_event_codec.py tests/test_config.py tests/test_redact.py tests/reputation/test_zones.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip runs again only when pyproject.toml changed (a second `make demo` starts at once).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/bouncecheck demo

test: install-test
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

test-fast: install-test
	$(BIN)/python -m pytest -q $(FAST_TESTS)

lint: install-test
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
