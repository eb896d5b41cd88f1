# The two commands of the README: `make demo` and `make test`.
# Both work on a fresh Debian machine with Python 3.11, as root.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint typecheck unit deploy-check redis-server clean

demo: $(INSTALLED) redis-server
	$(BIN)/syncd demo

test: lint typecheck unit deploy-check

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

unit: $(INSTALLED) redis-server
	$(BIN)/pytest

# systemd unit, Kubernetes manifests, compose file and shipped mappings.
deploy-check: $(INSTALLED)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash deploy/check.sh

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The tests and the demo start their own redis-server on a free loopback port;
# they only need the binary from Debian's package.
redis-server:
	@command -v redis-server >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .cache *.egg-info
