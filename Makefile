# Synergia: `make run` starts the whole system, `make test` checks everything.
# Both install what they need: uv (bootstrapped with pip if missing), then the locked
# dependencies into .venv. uv uses this machine's python3 and never downloads one.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3

# The TypeScript contract check's npm packages (openapi-typescript, typescript), pinned in
# its package-lock.json; npm's cache stays in the repository's .tools, not in $HOME.
NPM_DIR := clients/typescript
NPM_INSTALLED := $(NPM_DIR)/node_modules/.package-lock.json

UV_BOOTSTRAP := .tools/uv-venv/bin/uv
UV := $(shell command -v uv 2>/dev/null || echo $(UV_BOOTSTRAP))
VENV_BIN := .venv/bin
ROLE ?= admin
REGION ?=
ACTOR_ID ?=
PYTEST_ARGS ?=
RUN_ARGS ?=
DEMO_ARGS ?=

.PHONY: install run test lint typecheck pytest token bench import-cordis load-kohesio demo clean contracts

$(UV_BOOTSTRAP):
	python3 -m venv .tools/uv-venv
	.tools/uv-venv/bin/python -m pip install --quiet --disable-pip-version-check uv

$(NPM_INSTALLED): $(NPM_DIR)/package.json $(NPM_DIR)/package-lock.json
	cd $(NPM_DIR) && npm ci --cache "$(CURDIR)/.tools/npm-cache" --no-audit --no-fund --loglevel=error

install: $(if $(findstring $(UV_BOOTSTRAP),$(UV)),$(UV_BOOTSTRAP)) $(NPM_INSTALLED)
	$(UV) sync --frozen --quiet

run: install
	$(VENV_BIN)/synergia-dev run $(RUN_ARGS)

token: install
	@$(VENV_BIN)/synergia-dev token --role "$(ROLE)" --region "$(REGION)" --actor-id "$(ACTOR_ID)"

import-cordis: install
	@test -n "$(FILE)" || { echo "usage: make import-cordis FILE=path/to/organization.csv (with make run running)" >&2; exit 2; }
	$(VENV_BIN)/synergia-registry-import-cordis "$(FILE)"

# ARGS carries the import's assumptions, e.g. ARGS="--fund ERDF --committed-on 2021-12-31";
# credentials in SYNERGIA_API_KEY or SYNERGIA_TOKEN (make token ROLE=authority REGION=BG).
load-kohesio: install
	@test -n "$(FILE)" || { echo 'usage: make load-kohesio FILE=path/to/kohesio.tsv ARGS="--fund ERDF --committed-on 2021-12-31 [--programme-cci CCI] [--cofinancing-source national|regional]" (with make run running)' >&2; exit 2; }
	$(VENV_BIN)/synergia-funding-load-kohesio "$(FILE)" $(ARGS)

# Needs `make run` in another terminal; DEMO_ARGS="--actors 500" for a smaller set.
demo: install
	$(VENV_BIN)/synergia-dev demo $(DEMO_ARGS)

lint: install
	$(VENV_BIN)/ruff check .
	$(VENV_BIN)/ruff format --check .
	$(VENV_BIN)/lint-imports

typecheck: install
	$(VENV_BIN)/mypy shared/src services/registry/src services/matching/src services/funding/src devstack/src bench

pytest: install
	$(VENV_BIN)/synergia-dev with-servers -- $(VENV_BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

contracts: install
	$(VENV_BIN)/python -m synergia_shared.contracts write

bench: install
	$(VENV_BIN)/synergia-dev with-servers -- $(VENV_BIN)/python -m bench

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache $(NPM_DIR)/node_modules
