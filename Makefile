# Two commands for a fresh machine (Python 3.11, make, git):
#   make demo   - create .venv, install, generate a data set and run the whole pipeline
#   make test   - create .venv, install, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench clean dagster

$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet "uv>=0.5"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --extra test --quiet
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bpo demo --out demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

dagster: $(STAMP)
	$(BIN)/dagster dev

clean:
	rm -rf $(VENV) demo dbt_project/target dbt_project/logs
