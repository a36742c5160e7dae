# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install run test test-fast lint repro ui clean bench bench-statistics bench-monitoring bench-tuning services services-down

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/fairgate run

# The whole suite, spread over the cores (pytest-xdist; a group of tests sharing a module fixture stays on one
# worker) in random order (pytest-randomly prints the seed). docs/testing.md has the tiers.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The edit loop: everything but the end-to-end tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e" -n $(TEST_WORKERS) --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check fairgate flows tasks tests bench
	$(BIN)/lint-imports

repro: $(STAMP)
	$(BIN)/dvc repro

ui: $(STAMP)
	$(BIN)/fairgate ui

services: $(STAMP)
	$(BIN)/fairgate services up

services-down: $(STAMP)
	$(BIN)/fairgate services down

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

bench: $(STAMP)
ifeq ($(GPU),1)
	$(BIN)/python -m bench.gpu
else
	QUICK=$(QUICK) $(BIN)/python -m bench.run
endif

bench-statistics: $(STAMP)
	QUICK=$(QUICK) $(BIN)/python -m bench.statistics

bench-monitoring: $(STAMP)
	QUICK=$(QUICK) $(BIN)/python -m bench.monitoring

bench-tuning: $(STAMP)
	QUICK=$(QUICK) $(BIN)/python -m bench.tuning
