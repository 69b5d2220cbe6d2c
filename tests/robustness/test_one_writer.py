"""One writer at a time: a held warehouse lock gives a clear error after a bounded wait, never a hang;
runs that touch the warehouse are serialised by Dagster."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ingestion.batch import ingest
from ingestion.warehouse import WarehouseLocked, connect, lock_wait_seconds
from orchestration.cli import app
from transform.dbt_build import build_marts, raise_if_locked
from tests.conftest import land
from tests.robustness.corpus import interactions

ROOT = Path(__file__).resolve().parents[2]
HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(float(sys.argv[2]))"


def hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another process (a stuck load, say) that holds the warehouse for `seconds`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.fixture
def stuck(settings):
    proc = hold_lock(settings.warehouse, 120)
    yield proc
    proc.kill()
    proc.wait()


def test_a_stuck_process_gives_a_clear_error_after_the_configured_wait(settings, stuck, monkeypatch):
    monkeypatch.setenv("BPO_LOCK_WAIT_SECONDS", "1.5")
    assert lock_wait_seconds() == 1.5
    started = time.monotonic()
    with pytest.raises(WarehouseLocked) as exc:
        with connect(settings.warehouse):
            pass
    waited = time.monotonic() - started
    assert 1.4 <= waited < 6
    message = str(exc.value)
    assert f"locked by process {stuck.pid}" in message
    assert "BPO_LOCK_WAIT_SECONDS" in message and str(settings.warehouse) in message
    with pytest.raises(WarehouseLocked):  # readers of the warehouse file too (BI reads the published copy)
        with connect(settings.warehouse, read_only=True, wait_seconds=0):
            pass


def test_dbt_waits_for_the_lock_and_fails_with_the_same_clear_error(settings, stuck, monkeypatch):
    monkeypatch.setenv("BPO_LOCK_WAIT_SECONDS", "1")
    with pytest.raises(WarehouseLocked, match=f"locked by process {stuck.pid}"):
        build_marts(settings.warehouse)
    # and if dbt itself hits the lock (the holder came back between our check and dbt's open)
    dbt_output = ('Runtime Error\n  IO Error: Could not set lock on file "/x/warehouse.duckdb": Conflicting lock is '
                  'held in /usr/bin/python3.11 (PID 4242). See also https://duckdb.org/docs/stable/connect/concurrency')
    with pytest.raises(WarehouseLocked, match=r"locked by process 4242 \(/usr/bin/python3.11\)"):
        raise_if_locked(Path("/x/warehouse.duckdb"), dbt_output)
    raise_if_locked(Path("/x/warehouse.duckdb"), "Database Error: a failing test")  # not a lock: no raise


def test_bpo_status_reports_the_lock_instead_of_hanging(settings, stuck):
    result = CliRunner().invoke(app, ["status", "--warehouse", str(settings.warehouse)],
                                env={"BPO_LOCK_WAIT_SECONDS": "0.5"})
    assert result.exit_code == 2  # refused: one line naming the holder
    assert "is locked by process" in result.output and str(stuck.pid) in result.output


def test_a_load_waits_for_a_short_lock_then_proceeds(settings, validate, monkeypatch):
    monkeypatch.setenv("BPO_LOCK_WAIT_SECONDS", "30")
    land(settings, "acme_mx", "interactions", "a.csv", interactions(2))
    holder = hold_lock(settings.warehouse, 1.5)
    try:
        started = time.monotonic()
        (result,) = ingest(settings, validate)
        assert result.status == "loaded"
        assert time.monotonic() - started >= 0.5  # it waited for the other writer
    finally:
        holder.kill()
        holder.wait()


def test_runs_touching_the_warehouse_are_serialised(settings):
    from orchestration.assets import WAREHOUSE_POOL
    from orchestration.definitions import build_definitions

    defs = build_definitions(settings)
    pools = {a.node_def.name: a.node_def.pool for a in defs.resolve_asset_graph().assets_defs}
    assert pools and set(pools.values()) == {WAREHOUSE_POOL}, pools
    instance = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    assert instance["concurrency"]["runs"]["max_concurrent_runs"] == 1
    assert instance["concurrency"]["pools"]["default_limit"] == 1
