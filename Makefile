# Two commands for a fresh machine (Python 3.11, make, git):
#   make demo   - create .venv, install, generate a data set and run the whole pipeline
#   make test   - create .venv, install, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed
BENCH_ROWS ?= 10000000
# test processes (pytest-xdist): one per CPU; a test file stays on one worker (its module fixtures build once);
# files start in the order tests/conftest.py gives (the longest first), not xdist's (the most tests first)
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: demo test test-fast lint install bench clean dagster

# --compile-bytecode: with PYTHONDONTWRITEBYTECODE set (as on our machines) nothing caches bytecode, and every
# `bpo` process compiled dagster, dbt and GX from source again (about 5 s of CPU each)
$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet "uv>=0.5"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --extra test --compile-bytecode --quiet
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bpo demo --out demo

# the whole suite, then the linters (CI runs this)
test: $(STAMP)
	$(PYTEST) --durations=15
	$(MAKE) --no-print-directory lint

# everything but the slow end-to-end tests (pytest -m "not slow")
test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

# ruff (pyproject.toml [tool.ruff]) and sqlfluff on the dbt models and tests (.sqlfluff)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests --processes 2 --disable-progress-bar

# The UI, its daemon and sensors (`dg dev`) for the warehouse of BPO_WAREHOUSE (default
# warehouse/warehouse.duckdb), with its Dagster home <warehouse folder>/.dagster: runs, the
# sensor cursor and `bpo run` history survive restarts. Ctrl-C or SIGTERM stops it.
dagster: $(STAMP)
	exec $(BIN)/python -m orchestration.dev

# Floor / backfill / incremental timings on BENCH_ROWS generated interactions (bench/README.md)
bench: $(STAMP)
	$(BIN)/python bench/run.py --rows $(BENCH_ROWS)

clean:
	rm -rf $(VENV) demo dbt_project/target dbt_project/logs
