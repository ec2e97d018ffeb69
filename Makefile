# The two things a developer or CI does: `make demo` runs the whole pipeline on the local servers,
# `make test` runs every check CI runs. Both install what they need first: Python's into .venv, and
# (as root) the local RabbitMQ and PostgreSQL, started, when missing (deploy/local-servers.sh,
# docs/servers.md).
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install tools servers demo test unit lint

install: $(VENV)/.installed

# Debian's Prometheus (promtool, and the real server tests/observability/ runs) and Chromium (the
# browser the console's tests drive with Playwright; Playwright's own browser download can't work
# here), installed once, as root, from the machine's own package registry.
DEBIAN_TOOLS := prometheus chromium
tools:
	@missing=""; for p in $(DEBIAN_TOOLS); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing \
	  || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing); \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The local RabbitMQ and PostgreSQL: silent when both answer; as root, installs a missing one from
# the machine's package registry and starts a stopped one; without root, says the command to run.
servers:
	deploy/local-servers.sh

demo: install servers
	$(BIN)/bamsos demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/bamsos contract --check
	$(BIN)/bamsos deploy-files --check

test: lint tools servers
	$(BIN)/pytest

# The unit tests alone, in seconds: PostgreSQL only, no broker (tests/unit/).
unit: install
	$(BIN)/pytest tests/unit
