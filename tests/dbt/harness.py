"""Build the dbt marts on a tiny hand-written raw layer.

Tests insert rows into raw.* tables (every column not given defaults to null,
load metadata is filled in), run `dbt build` on that warehouse, then query
the marts. Values in assertions are worked out by hand in the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
SCHEMA_SQL = ROOT / "ingestion" / "warehouse_schema.sql"
_FEED_TABLES = {"interactions", "surveys", "agent_surveys", "invoice_lines", "fx_rates", "qa_evaluations", "agent_time",
                "self_service"}


def create_raw(path: Path, tables: dict[str, list[dict]]) -> None:
    """Create raw.* and insert the given rows (one fake load per table)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA_SQL.read_text())
        now = datetime(2026, 6, 1, tzinfo=timezone.utc)
        for table, rows in tables.items():
            if not rows:
                continue
            load_id = f"load_{table}"
            if table in _FEED_TABLES:
                con.execute(
                    "insert into raw.load_manifest (load_id, file_path, file_name, sha256, vendor_id, feed,"
                    " rows, status, processed_at) values (?, ?, ?, ?, ?, ?, ?, 'loaded', ?)",
                    [load_id, f"/landing/{table}", table, load_id, rows[0].get("vendor_id"), table, len(rows), now],
                )
            for n, row in enumerate(rows, start=1):
                row = dict(row)
                if table in _FEED_TABLES:
                    row.setdefault("_load_id", load_id)
                    row.setdefault("_row_number", n)
                    row.setdefault("_loaded_at", now)
                if table == "invoice_lines":
                    row.setdefault("revision", 0)
                    row.setdefault("tax_amount", 0)
                if table == "contracts":
                    row.setdefault("source_file", f"{row['vendor_id']}.yaml")
                    row.setdefault("sha256", "x")
                cols = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                con.execute(f"insert into raw.{table} ({cols}) values ({marks})", list(row.values()))
    finally:
        con.close()


def dbt_build(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `dbt build` against the warehouse; raise with dbt's output on failure."""
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "BPO_WAREHOUSE": str(warehouse)}
    proc = subprocess.run(
        [str(dbt), "build", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(warehouse.parent / "dbt_target"), "--log-path", str(warehouse.parent / "dbt_logs"),
         *args],
        env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc


def dbt_command(work: Path, *args: str) -> subprocess.CompletedProcess:
    """Any dbt command on <work>/warehouse.duckdb, with its target and logs in <work>; not checked."""
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [str(dbt), *args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env={**os.environ, "BPO_WAREHOUSE": str(work / "warehouse.duckdb")}, capture_output=True, text=True)


def build_marts(tmp_path: Path, tables: dict[str, list[dict]]) -> duckdb.DuckDBPyConnection:
    """Create the raw layer, build every model, return a read-only connection."""
    warehouse = tmp_path / "warehouse.duckdb"
    create_raw(warehouse, tables)
    dbt_build(warehouse)
    return duckdb.connect(str(warehouse), read_only=True)


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]
