"""One settings object: every BPO_* knob, the salt as a secret, one-line errors, no import-time side effects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.pii import pii_salt, using_demo_salt
from ingestion.settings import DEMO_SALT, Settings, allocator_environment
from ingestion.warehouse import lock_wait_seconds
from transform.dbt_build import dbt_build_args

KNOBS = ("BPO_PII_SALT", "BPO_LOCK_WAIT_SECONDS", "BPO_INGEST_MEMORY_LIMIT", "BPO_DUCKDB_MEMORY_LIMIT",
         "BPO_LOG_LEVEL")


@pytest.fixture
def clean_env(monkeypatch):
    for name in KNOBS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env):
    s = Settings()
    assert s.pii_salt.get_secret_value() == DEMO_SALT and s.using_demo_salt and using_demo_salt()
    assert (s.lock_wait_seconds, s.ingest_memory_limit, s.duckdb_memory_limit, s.log_level) == (
        30.0, "256MB", "1500MB", "WARNING")


def test_every_knob_keeps_its_environment_name(clean_env):
    clean_env.setenv("BPO_PII_SALT", "s3cret")
    clean_env.setenv("BPO_LOCK_WAIT_SECONDS", "1.5")
    clean_env.setenv("BPO_INGEST_MEMORY_LIMIT", "128MB")
    clean_env.setenv("BPO_DUCKDB_MEMORY_LIMIT", "900MB")
    clean_env.setenv("BPO_LOG_LEVEL", "info")
    s = Settings()
    assert (s.lock_wait_seconds, s.ingest_memory_limit, s.duckdb_memory_limit, s.log_level) == (
        1.5, "128MB", "900MB", "info")
    assert pii_salt() == "s3cret" and not using_demo_salt() and lock_wait_seconds() == 1.5


def test_the_salt_is_a_secret(clean_env):
    clean_env.setenv("BPO_PII_SALT", "s3cret")
    s = Settings()
    assert "s3cret" not in repr(s) and "s3cret" not in str(s.model_dump())
    assert pii_salt(Settings(pii_salt="other")) == "other"


def test_a_bad_value_is_one_line_naming_the_variable(clean_env):
    clean_env.setenv("BPO_LOCK_WAIT_SECONDS", "soon")
    with pytest.raises(ValueError) as caught:
        lock_wait_seconds()
    assert str(caught.value).startswith("BPO_LOCK_WAIT_SECONDS: ") and "'soon'" in str(caught.value)
    assert "\n" not in str(caught.value)
    clean_env.setenv("BPO_LOCK_WAIT_SECONDS", "-1")
    with pytest.raises(ValueError, match="^BPO_LOCK_WAIT_SECONDS: "):
        Settings.from_env()


def test_the_warehouse_and_memory_reach_dbt_in_the_warehouses_own_profile(clean_env, tmp_path):
    """The path and memory limit are in the warehouse's profile (transform.dbt_build.warehouse_profile), the vars
    hold only what the parse depends on (the currency), so another warehouse reuses a parse."""
    import yaml

    clean_env.setenv("BPO_DUCKDB_MEMORY_LIMIT", "700MB")
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    args = dbt_build_args(warehouse, "EUR")
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2]) == {"reporting_currency": "EUR"}
    assert args[3:] == ["--profiles-dir", str(tmp_path / "wh" / "dbt_target")]
    output = yaml.safe_load((tmp_path / "wh" / "dbt_target" / "profiles.yml").read_text())["bpo_warehouse"]
    output = output["outputs"][output["target"]]
    assert output["type"] == "duckdb" and output["path"] == str(warehouse.resolve())
    assert output["settings"]["memory_limit"] == "700MB"
    args = dbt_build_args(tmp_path / "w.duckdb", memory_limit="1GB")
    assert json.loads(args[2]) == {"reporting_currency": "USD"}
    output = yaml.safe_load((tmp_path / "dbt_target" / "profiles.yml").read_text())["bpo_warehouse"]["outputs"]
    assert output["default"]["settings"]["memory_limit"] == "1GB"


def test_the_allocator_setting_is_added_but_never_overrides():
    assert allocator_environment({})["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:0,muzzy_decay_ms:0"
    assert allocator_environment({"_RJEM_MALLOC_CONF": "mine"})["_RJEM_MALLOC_CONF"] == "mine"


def test_importing_the_code_has_no_side_effects(tmp_path):
    """No dbt parse, allocator variable, exit hook or exception hook on import (they belong to the entry points)."""
    code = """
import os, sys
os.environ.pop("_RJEM_MALLOC_CONF", None)
hook = sys.excepthook
import ingestion, ingestion.batch, orchestration.definitions, orchestration.assets, orchestration.cli
from ingestion.settings import ALLOCATOR_ENV
# (polars writes its own default there when it is imported)
assert os.environ.get("_RJEM_MALLOC_CONF") != ALLOCATOR_ENV["_RJEM_MALLOC_CONF"], "allocator variable set on import"
assert "dbt.cli.main" not in sys.modules, "dbt ran on import"
assert "BPO_WAREHOUSE" not in os.environ
assert sys.excepthook is hook, "exception hook replaced on import"
assert orchestration.cli._registered == [], "exit hook registered on import"
print("clean")
"""
    env = {k: v for k, v in __import__("os").environ.items() if k != "BPO_WAREHOUSE"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], env=env)
    assert proc.stdout.strip() == "clean", proc.stderr[-2000:]
