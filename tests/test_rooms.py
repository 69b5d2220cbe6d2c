"""The house's rules that imports can show: no module takes another module's private names, and only
compat/ reaches into the internals of dagster-dbt, Great Expectations and dbt-duckdb."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("ingestion", "generator", "expectations", "orchestration", "transform", "serving", "compat")
# dagster-dbt's public API is its top-level package; anything deeper (or dbt-duckdb's adapter, GX's
# engine and expectation classes) is an internal that an upgrade may change
INTERNALS = ("dagster_dbt.", "dbt.adapters.duckdb", "great_expectations.execution_engine",
             "great_expectations.expectations.expectation")


def _imports(room: str):
    for path in sorted((ROOT / room).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                yield path.relative_to(ROOT), node


def test_no_module_imports_another_modules_private_names():
    found = [f"{path}: from {node.module} import {alias.name}"
             for room in ROOMS for path, node in _imports(room)
             if node.module.split(".")[0] in ROOMS
             for alias in node.names if alias.name.startswith("_")]
    assert found == []


def test_only_compat_uses_library_internals():
    found = [f"{path}: from {node.module}" for room in ROOMS if room != "compat" for path, node in _imports(room)
             if node.module.startswith(INTERNALS)]
    assert found == []
