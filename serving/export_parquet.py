"""The raw layer as Parquet for other engines (Spark: docs/growing.md "A distributed engine (Spark)").

One folder per raw table, written by DuckDB's `COPY ... (FORMAT parquet)`:
DECIMAL stays DECIMAL (money is never a float), TIMESTAMPTZ becomes a
UTC-adjusted Parquet timestamp. A reader takes the whole folder
(`read_parquet('<table>/*.parquet')`, Spark's `using parquet location`).

A landed feed's table (it has `_load_id`) gets one file per load,
`load-<load_id>.parquet`. Raw feed tables only ever gain loads (the loader
appends a file's rows in its transaction; an update by id is a new row), so a
load already exported is not written again: the next export hard-links its
file and writes only the new loads. A publish after one landed file costs
that file, not the whole raw layer (at 10M contacts, a full export took about
a minute and 3 GB of memory). A table is written whole again when its columns
or their types changed, or a load's row count no longer matches what was
exported (`_bpo_export.json` in each folder records both; Spark and DuckDB
skip files whose names start with `_`). Tables without `_load_id` (contracts,
the dispute register, the manifest) are small and written whole as
`data.parquet`; an empty table is `data.parquet` with no rows, so its schema
is still known.

The folder is replaced whole: the new export is assembled beside it under a
hidden name and swapped in with two renames, so a reader never sees a
half-written table set (it may, for an instant, find no folder at all, never a
mix of two exports).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb

RAW_SCHEMA = "raw"
STATE_FILE = "_bpo_export.json"
# Bounds the export's memory (a whole-table COPY took 3 GB at 10M rows with DuckDB's default of 80 % of RAM);
# row order inside a file carries no meaning for readers, and keeping it costs buffers.
_SESSION_SETTINGS = ("set memory_limit = '512MB'", "set preserve_insertion_order = false",
                     "set enable_progress_bar = false")


def raw_parquet_folder(published: Path) -> Path:
    """Where publish writes the raw export: `raw_parquet/` beside the published copy."""
    return Path(published).resolve().parent / "raw_parquet"


def export_raw_parquet(warehouse: Path, folder: Path) -> list[str]:
    """Export every table of the warehouse's `raw` schema under `folder/<table>/`; the tables, sorted.

    Loads already in the current `folder` are reused (hard links), only new ones are written.
    """
    folder = Path(folder).resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    # what an export killed half-way left behind
    for stale in [*folder.parent.glob(f".{folder.name}.*.tmp"), *folder.parent.glob(f".{folder.name}.*.old")]:
        shutil.rmtree(stale, ignore_errors=True)
    tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir()
    con = duckdb.connect()
    try:
        for setting in _SESSION_SETTINGS:
            con.execute(setting)
        con.execute(f"attach '{_sql_text(str(warehouse))}' as wh (read_only)")
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ? "
            "order by table_name", [RAW_SCHEMA]).fetchall()]
        for table in tables:
            _export_table(con, table, folder / table, tmp / table)
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


def _export_table(con: duckdb.DuckDBPyConnection, table: str, previous: Path, target: Path) -> None:
    target.mkdir()
    source = f'wh.{RAW_SCHEMA}."{table}"'
    columns = [list(r) for r in con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = 'wh' and schema_name = ? "
        "and table_name = ? order by column_index", [RAW_SCHEMA, table]).fetchall()]
    if not any(name == "_load_id" for name, _ in columns):
        _copy(con, f"select * from {source}", target / "data.parquet")
        return
    loads = dict(con.execute(f"select _load_id, count(*) from {source} group by _load_id").fetchall())
    if not loads:
        _copy(con, f"select * from {source}", target / "data.parquet")  # no rows: the schema, for readers
    done = _previous_loads(previous, columns)
    for load_id, rows in sorted(loads.items()):
        name = f"load-{load_id}.parquet"
        if done.get(load_id) == rows and (previous / name).is_file():
            _reuse(previous / name, target / name)
        else:
            _copy(con, f"select * from {source} where _load_id = {_sql_text_literal(load_id)}", target / name)
    (target / STATE_FILE).write_text(json.dumps({"columns": columns, "loads": loads}, sort_keys=True))


def _previous_loads(previous: Path, columns: list[list[str]]) -> dict[str, int]:
    """Row count per load of the previous export of this table, or nothing when it cannot be reused."""
    try:
        state = json.loads((previous / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if state.get("columns") != columns:
        return {}  # a migration changed the table: every load is written again
    return {str(k): int(v) for k, v in state.get("loads", {}).items()}


def _reuse(exported: Path, target: Path) -> None:
    try:
        os.link(exported, target)  # the previous export is removed after the swap; the link keeps the file
    except OSError:
        shutil.copyfile(exported, target)  # a file system without hard links


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.execute(f"copy ({query}) to '{_sql_text(str(path))}' (format parquet)")


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _sql_text_literal(text: str) -> str:
    return f"'{_sql_text(text)}'"
