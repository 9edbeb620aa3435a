# docchat: every set-up step lives here, so a fresh clone needs only `make dev` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup dev-setup dev test lint unit integration devstack e2e web bench clean system-packages

help:
	@echo "make dev    set everything up and run docchat locally (http://localhost:7071;"
	@echo "            INSTANCES=3 for three app instances behind one front door)"
	@echo "make test   set everything up and run lint plus every test"
	@echo "make lint   ruff, mypy (strict on the deployed packages), tsc on the page and the JS client"
	@echo "make bench  run the benchmarks in bench/"

CHECKOV_VENV := .venv-checkov
AZURITE := devstack/azurite

# `make dev` needs only the app's and the stand-ins' packages (requirements-devstack.txt) and
# the npm packages; the test and lint tools and checkov's venv (about half of a fresh clone's
# set-up) are for `make test`.
dev-setup: $(VENV)/.devstack-installed node_modules/.installed $(AZURITE)/node_modules/.installed
setup: dev-setup $(VENV)/.installed $(CHECKOV_VENV)/.installed

# Debian packages: the venv module for Python, Chromium for the browser tests.
system-packages:
	@bash devstack/system_packages.sh

$(VENV)/.devstack-installed: requirements.txt requirements-devstack.txt | system-packages
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-devstack.txt
	@touch $@

$(VENV)/.installed: $(VENV)/.devstack-installed requirements-dev.txt clients/python/pyproject.toml
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# checkov cannot share .venv (it pins packaging<24, pytest needs >=24): its own venv.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt | system-packages
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

# Azurite, for the work queues, from its own lockfile: the stack would install it on its first
# start (devstack/azurite), one step after another; here it installs beside the rest.
$(AZURITE)/node_modules/.installed: $(AZURITE)/package.json $(AZURITE)/package-lock.json
	cd $(AZURITE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The page's browser bundles and JS client are copied into web/ by scripts/build-web.mjs,
# which the local stack runs each time it starts (and azd before packaging).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# `make dev PORT=8071 SIGNALR_PORT=8889 COSMOS_PORT=8082 WEBPUBSUB_PORT=8090` moves the
# stack; left empty, python -m devstack's own defaults apply. Set here so that a PORT exported for another
# program is ignored: only the command line changes them.
PORT :=
SIGNALR_PORT :=
COSMOS_PORT :=
WEBPUBSUB_PORT :=
DEV_PORTS = $(if $(PORT),--port $(PORT)) $(if $(SIGNALR_PORT),--signalr-port $(SIGNALR_PORT)) \
	$(if $(COSMOS_PORT),--cosmos-port $(COSMOS_PORT)) \
	$(if $(WEBPUBSUB_PORT),--webpubsub-port $(WEBPUBSUB_PORT))
# `make dev INSTANCES=3` runs three dev hosts behind a round-robin front door on PORT, as
# Azure scales the app out; `LATENCY_MS=5` adds Azure's round trip to every answer of Cosmos DB
# and of the real-time REST API.
INSTANCES :=
LATENCY_MS :=
DEV_TOPOLOGY = $(if $(INSTANCES),--instances $(INSTANCES)) $(if $(LATENCY_MS),--latency-ms $(LATENCY_MS))

# python -m devstack creates local.settings.json when missing, with the ports it was given.
# The three installs of a fresh clone run side by side (-j3): pip and two npm ci.
dev:
	@$(MAKE) --no-print-directory -j3 dev-setup
	$(PY) -m devstack $(DEV_PORTS) $(DEV_TOPOLOGY)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy chat shared storage signalr realtime functions webhooks telemetry devstack bench \
		tests function_app.py clients/python/src/docchat_client
	node_modules/.bin/tsc --project tsconfig.json

# The JS client's and the page's own tests (tests/clients/js, tests/web) run on Node's test
# runner, in seconds (the packed client's type check is the slow one): before the rest.
test: lint web
	$(PY) -m pytest $(PYTEST_ARGS)

unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: setup
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

devstack: setup
	$(PY) -m pytest tests/devstack $(PYTEST_ARGS)

e2e: setup
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

web: setup
	node --test tests/web/*.test.mjs tests/clients/js/*.test.mjs

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache clients/js/types
