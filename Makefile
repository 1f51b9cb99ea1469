# The project's two commands (see README):
#   make demo   install what is missing, then run the end-to-end demo on a fresh local Ganache
#   make test   install what is missing, then run every test (those needing no chain under plain pytest,
#               the others on Ganache), the contract tests again on Anvil, the forge
#               invariant campaigns, then the linters (ruff, mypy, Slither)
# Both are idempotent: installs are redone only when requirements.lock or package-lock.json change.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BROWNIE := $(VENV)/bin/brownie
NETWORK ?= ganache-cli
# Test files run in this many processes, each with a chain of its own (Brownie's xdist support:
# worker k's chain listens on the network's port + k).
TEST_WORKERS ?= 2
# The tests that need no chain run under plain pytest (in TEST_WORKERS processes): Brownie's
# snapshot and revert around every test would more than double their time. Every other test runs
# under Brownie on a local chain. tests/docs/test_suite_layout.py checks that the two lists
# together hold every test file.
PY_TESTS ?= tests/offchain/attestation tests/offchain/crypto tests/offchain/learning tests/offchain/protocols \
	tests/offchain/services tests/offchain/storage tests/offchain/vision tests/offchain/zk $(wildcard tests/offchain/test_*.py)
# Short runs: `make test-anvil TESTS=tests/contracts/test_merkle_anchor.py PY_TESTS=`,
# `make bench BENCHES=bench/pre.py`.
TESTS ?= tests/contracts tests/offchain/chain tests/e2e tests/docs
BENCHES ?= bench/*.py
# After the suite, `make test` runs the contract tests a second time on Anvil, the other local
# chain the README offers, so that both stay green (ANVIL_TESTS= skips it; the chain clients'
# tests run on Anvil under `make test-anvil`, kept out of `make test` for CI's time budget). The
# stateful machines run 5 examples there: their models are chain-agnostic and just ran in full
# on Ganache (`make test-anvil` runs everything in full on Anvil); every property test is capped
# at ANVIL_MAX_EXAMPLES examples there for the same reason.
ANVIL_TESTS ?= tests/contracts
ANVIL_STATEFUL_EXAMPLES ?= 5
ANVIL_MAX_EXAMPLES ?= 5
# Then the forge invariant campaigns (tests/forge; FORGE_TESTS= skips them).
FORGE_TESTS ?= tests/forge/*.t.sol
BENCH_ARGS ?= --quick
SOLC_VERSION := $(shell node -p "require('./package.json').devDependencies.solc" 2>/dev/null)
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SOLC_LINK := .toolchain/solc/solc-v$(SOLC_VERSION)
SOLC_STAMP := .toolchain/.solc-$(SOLC_VERSION)-linked
HOOK_STAMP := $(VENV)/.hook-installed
NETWORKS_STAMP := $(VENV)/.networks-imported
# The TPM 2.0 emulator and tools the attestation tests quote with, and the PostgreSQL server the
# role-state tests run against besides SQLite (Debian packages; the tests start their own
# throw-away cluster). Installed with apt-get when a command or package is missing and we are
# root (as CI is); otherwise a warning says what to install, and those tests skip (they fail
# under CI=true).
SYSTEM_PACKAGES := swtpm tpm2-tools libtss2-tcti-swtpm0 postgresql
SYSTEM_COMMANDS := swtpm tpm2_startup tpm2_quote

.PHONY: help setup system-packages test test-forge test-anvil demo lint bench lock clean

help:
	@echo "make demo    - install what is missing, run the end-to-end demo on a fresh local Ganache"
	@echo "make test    - install what is missing, run the whole test suite"
	@echo "make test-forge (forge invariant fuzzing), make test-anvil, make lint, make bench, make lock, make clean"

$(PY_STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 (Debian: apt-get install python3.11 python3.11-venv)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

$(NODE_STAMP): package-lock.json package.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 20 and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(SOLC_STAMP): $(NODE_STAMP) tools/solc-standard-json.js
	@mkdir -p $(dir $(SOLC_LINK))
	@rm -f .toolchain/solc/solc-v* .toolchain/.solc-*-linked
	ln -s ../../tools/solc-standard-json.js $(SOLC_LINK)
	@$(SOLC_LINK) --version | grep -q "Version: $(SOLC_VERSION)+" || { echo "error: solc-js does not report version $(SOLC_VERSION)"; exit 1; }
	@touch $@

$(HOOK_STAMP): $(PY_STAMP) tools/install_venv_hook.py
	$(PY) tools/install_venv_hook.py
	@touch $@

$(NETWORKS_STAMP): $(HOOK_STAMP) networks.yaml tools/import_networks.py
	$(PY) tools/import_networks.py
	@touch $@

system-packages:
	@present=yes; for command in $(SYSTEM_COMMANDS); do command -v $$command >/dev/null || present=; done; \
	if [ -n "$$present" ] && { ! command -v dpkg >/dev/null || dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; }; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "apt-get install $(SYSTEM_PACKAGES)"; \
		updated=; for attempt in 1 2 3 4 5 6 7 8 9 10 11 12; do \
			apt-get update -qq && { updated=yes; break; }; \
			echo "apt-get update failed (another apt may hold its lock: apt 2.6 does not wait for the lists lock); again in 10 s"; sleep 10; \
		done; \
		[ -n "$$updated" ] || { echo "error: apt-get update kept failing; install $(SYSTEM_PACKAGES) by hand"; exit 1; }; \
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	else \
		echo "warning: install $(SYSTEM_PACKAGES) (Debian: sudo apt-get install ...); the TPM and PostgreSQL tests skip without them"; \
	fi

setup: $(PY_STAMP) $(NODE_STAMP) $(SOLC_STAMP) $(HOOK_STAMP) $(NETWORKS_STAMP) system-packages

test: setup
	@# Compile and load once before the workers start: the first load after a compilation
	@# prunes a stale build file, and workers pruning it at once would race (and disagree).
	$(BROWNIE) compile >/dev/null
	@echo "== $$(date +%T) tests without a chain"
	$(if $(PY_TESTS),$(PY) -m pytest -p no:pytest-brownie -o addopts="" $(PY_TESTS) $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS)) --durations=10)
	@echo "== $$(date +%T) tests on $(NETWORK)"
	$(BROWNIE) test $(TESTS) --network $(NETWORK) -n $(TEST_WORKERS) --durations=20
	@echo "== $$(date +%T) contract tests on Anvil"
	$(if $(ANVIL_TESTS),DATASHARE_STATEFUL_EXAMPLES=$(ANVIL_STATEFUL_EXAMPLES) DATASHARE_MAX_EXAMPLES=$(ANVIL_MAX_EXAMPLES) \
		$(BROWNIE) test $(ANVIL_TESTS) --network anvil -n $(TEST_WORKERS))
	@# The forge campaigns keep about one core busy, so the linters (mypy from a cold cache is
	@# most of their time, on one core) run beside them; their output is shown after forge's.
	@echo "== $$(date +%T) forge invariant campaigns, and the linters beside them"
	@lint_log=$$(mktemp); trap 'rm -f "$$lint_log"' EXIT; \
	$(MAKE) --no-print-directory lint > "$$lint_log" 2>&1 & lint_pid=$$!; \
	forge_rc=0; $(if $(FORGE_TESTS),$(MAKE) --no-print-directory test-forge,true) || forge_rc=$$?; \
	lint_rc=0; wait $$lint_pid || lint_rc=$$?; \
	echo "== $$(date +%T) linters (exit $$lint_rc)"; cat "$$lint_log"; \
	test $$forge_rc -eq 0 -a $$lint_rc -eq 0
	@echo "== $$(date +%T) done"

# Invariant (stateful) fuzzing of the contracts with forge (tests/forge/foundry.toml: 256 runs x 50
# calls), compiled by the same solc-js shim; nothing is downloaded. The settings live there, not at
# the root, so that Slither (crytic-compile) does not take the project for a Foundry one.
test-forge: setup
	FOUNDRY_CONFIG=tests/forge/foundry.toml node_modules/.bin/forge test --match-path '$(FORGE_TESTS)'

test-anvil: setup
	$(BROWNIE) compile >/dev/null
	$(if $(PY_TESTS),$(PY) -m pytest -p no:pytest-brownie -o addopts="" $(PY_TESTS) $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS)))
	$(BROWNIE) test $(TESTS) --network anvil -n $(TEST_WORKERS)

demo: setup
	$(BROWNIE) run scripts/demo.py --network $(NETWORK)

lint: setup
	$(VENV)/bin/ruff check offchain scripts tests bench tools
	$(VENV)/bin/ruff format --check offchain scripts tests bench tools
	$(VENV)/bin/mypy
	@# Slither (settings in slither.config.json) on solc's standard-JSON output from the project's
	@# solc-js shim: nothing is downloaded. The target `contracts` compiles the deployed contracts
	@# (its top-level files) with what they import; the deliberately hostile test harnesses of
	@# contracts/test are neither compiled nor reported. Fails on any Medium or High finding.
	$(VENV)/bin/slither contracts --solc $(SOLC_LINK)

bench: setup
	@for b in $(BENCHES); do echo "== $$b"; $(PY) $$b $(BENCH_ARGS); done

lock:
	$(PY) -m pip freeze --exclude-editable | { echo "# Exact versions of every Python package the project installs (Python 3.11, Linux x86_64)."; echo "# Regenerate with: make lock   (after changing the direct needs in pyproject.toml)"; echo "pip==$$($(PY) -m pip --version | cut -d' ' -f2)"; cat; } > requirements.lock

clean:
	rm -rf build .toolchain $(VENV) node_modules
