"""Fixtures shared by the dbt project's tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dbt.harness import create_raw, dbt_command


@pytest.fixture(scope="session")
def empty_dbt_build(tmp_path_factory) -> Path:
    """The whole project built on an empty raw layer (`dbt run --empty`): every relation, no rows,
    and its manifest in <folder>/manifest.json. Unit tests need their inputs' column types from it."""
    work = tmp_path_factory.mktemp("dbt_empty")
    create_raw(work / "warehouse.duckdb", {})
    proc = dbt_command(work, "run", "--empty")
    assert proc.returncode == 0, proc.stdout[-4000:]
    # kept apart: later commands on this folder (the unit tests) write their own manifest
    (work / "target" / "manifest.json").rename(work / "manifest.json")
    return work


@pytest.fixture(scope="session")
def dbt_manifest(empty_dbt_build) -> dict:
    return json.loads((empty_dbt_build / "manifest.json").read_text())
