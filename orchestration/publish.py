"""Publish the marts to a read-only DuckDB file for BI, swapped in atomically.

BI tools open the published file, never the warehouse the pipeline writes,
so readers never block a load and never see a half-built mart: the new copy
is written beside the old one and renamed over it in one step.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts",)


def publish_marts(warehouse: Path, published: Path) -> dict:
    """Copy every table of the published schemas into a fresh file; rename it into place."""
    published.parent.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    tmp = published.with_name(f".{published.name}.{build_id}.tmp")
    tables: list[str] = []
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
            names = [r[0] for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ?", [schema]
            ).fetchall()]
            for name in names:
                con.execute(f'create table {schema}."{name}" as select * from wh.{schema}."{name}"')
                tables.append(f"{schema}.{name}")
        con.execute("create table main.publication as select ? as build_id, ?::timestamptz as published_at",
                    [build_id, datetime.now(timezone.utc)])
        con.execute("detach wh")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, published)
    return {"build_id": build_id, "path": str(published), "tables": tables}
