"""The raw layer as Parquet for other engines (Spark: docs/growing.md "A distributed engine (Spark)").

One folder per raw table, `<folder>/<table>/data.parquet`, written by DuckDB's
`COPY ... (FORMAT parquet)`: DECIMAL stays DECIMAL (money is never a float),
TIMESTAMPTZ becomes a UTC-adjusted Parquet timestamp. The folder is replaced
whole: the new export is written beside it under a hidden name and swapped in
with two renames, so a reader never sees a half-written table set (it may, for
an instant, find no folder at all, never a mix of two exports).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb

RAW_SCHEMA = "raw"


def raw_parquet_folder(published: Path) -> Path:
    """Where publish writes the raw export: `raw_parquet/` beside the published copy."""
    return Path(published).resolve().parent / "raw_parquet"


def export_raw_parquet(warehouse: Path, folder: Path) -> list[str]:
    """Write every table of the warehouse's `raw` schema to `folder/<table>/data.parquet`; the tables, sorted."""
    folder = Path(folder).resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    # what an export killed half-way left behind
    for stale in [*folder.parent.glob(f".{folder.name}.*.tmp"), *folder.parent.glob(f".{folder.name}.*.old")]:
        shutil.rmtree(stale, ignore_errors=True)
    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir()
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ? "
            "order by table_name", [RAW_SCHEMA]).fetchall()]
        for table in tables:
            (tmp / table).mkdir()
            target = str(tmp / table / "data.parquet").replace("'", "''")
            con.execute(f'copy (select * from wh.{RAW_SCHEMA}."{table}") to \'{target}\' (format parquet)')
    except BaseException:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    con.close()
    old = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.old")
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
    return tables
