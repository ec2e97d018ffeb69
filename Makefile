# The two things a developer or CI does: `make demo` runs the whole pipeline on the local servers,
# `make test` runs every check CI runs. Both install what they need first, into .venv.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: install
	$(BIN)/bamsos demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bamsos contract --check

test: lint
	$(BIN)/pytest
