"""Publish the marts to a read-only DuckDB file for BI, swapped in atomically.

BI tools open the published file, never the warehouse the pipeline writes,
so readers never block a load and never see a half-built mart: the new copy
is written beside the old one under a hidden temporary name, checkpointed and
closed, then renamed over it in one step (`os.replace`). A reader that opened
the old file keeps reading the old snapshot; the next open sees the new one.

Every published mart carries a `build_id` column, and `main.publication`
holds the same id with the time and the list of marts, so a reader can check
that everything it read in one connection comes from one build. Table and
column descriptions (DuckDB comments, from dbt persist_docs) are copied too.
The raw layer is exported as Parquet beside the copy (`raw_parquet/<table>/`, only the loads
not exported before: serving/export_parquet.py) for other engines such as Spark.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from serving.export_parquet import export_raw_parquet, raw_parquet_folder

PUBLISHED_SCHEMAS = ("marts",)
# Relations dbt-duckdb leaves behind when a build is killed between its steps;
# the next build drops them, and they are never published.
DBT_SCRATCH_SUFFIXES = ("__dbt_tmp", "__dbt_backup")


def new_build_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:8]


def remove_stale_copies(published: Path) -> list[Path]:
    """Delete temporary copies left by a publish that was killed half-way (and their WAL files)."""
    removed = []
    for stale in published.parent.glob(f".{published.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
        removed.append(stale)
    return removed


def publish_marts(warehouse: Path, published: Path, build_id: str | None = None) -> dict:
    """Copy every table of the published schemas into a fresh file; rename it into place.

    Call only after a successful build (the Dagster asset depends on the dbt
    models; a failed build skips it), so BI keeps the last good marts.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_copies(published)
    build_id = build_id or new_build_id()
    tmp = published.with_name(f".{published.name}.{build_id}.tmp")
    tables: list[str] = []
    con = duckdb.connect(str(tmp))
    try:
        # bounded like the export: DuckDB's default (80 % of RAM) is not what a publish beside dbt may take
        con.execute("set memory_limit = '1GB'")
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        # one transaction: each statement committed alone (a table, then a comment per column, ~350 of
        # them) wrote and synced the copy's WAL once per statement
        con.begin()
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
            names = [r[0] for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ? "
                "order by table_name", [schema]
            ).fetchall()]
            for name in names:
                if name.endswith(DBT_SCRATCH_SUFFIXES):
                    continue
                con.execute(f'create table {schema}."{name}" as '
                            f'select *, ?::varchar as build_id from wh.{schema}."{name}"', [build_id])
                _copy_comments(con, schema, name)
                tables.append(f"{schema}.{name}")
        con.execute("create table main.publication as "
                    "select ?::varchar as build_id, ?::timestamptz as published_at, ?::varchar[] as tables",
                    [build_id, datetime.now(timezone.utc), tables])
        con.commit()
        con.execute("detach wh")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    _fsync(tmp)
    os.replace(tmp, published)
    _fsync(published.parent)
    # the raw layer for other engines (Spark), from the same warehouse state as the marts
    raw_folder = raw_parquet_folder(published)
    export_raw_parquet(warehouse, raw_folder)
    return {"build_id": build_id, "path": str(published), "tables": tables, "raw_parquet": str(raw_folder)}


BUILD_ID_COMMENT = ("Identifier of the build that published this row; every mart read in one connection "
                    "should show the same value (main.publication holds it with the publication time).")


def _copy_comments(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Carry the table and column descriptions (dbt persist_docs) into the copy: BI tools show them.

    `create table as` keeps no comments, so they are re-applied from the warehouse's catalog.
    """
    table = f'{schema}."{name}"'
    row = con.execute("select comment from duckdb_tables() where database_name = 'wh' and schema_name = ? "
                      "and table_name = ?", [schema, name]).fetchone()
    if row and row[0]:
        con.execute(f"comment on table {table} is {_quote(row[0])}")
    for column, comment in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = 'wh' and schema_name = ? "
            "and table_name = ? and comment is not null", [schema, name]).fetchall():
        con.execute(f'comment on column {table}."{column}" is {_quote(comment)}')
    con.execute(f"comment on column {table}.build_id is {_quote(BUILD_ID_COMMENT)}")


def _quote(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Make the copy (or the rename, for a folder) durable before and after the swap."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems do not fsync folders
        pass
    finally:
        os.close(fd)


DOCS_PROFILE = """\
# written by serving/publish.py: dbt docs read the published copy, read-only (never the warehouse's writer lock)
bpo_warehouse:
  target: docs
  outputs:
    docs:
      type: duckdb
      path: {path}
      threads: 1
      config_options:
        access_mode: READ_ONLY
"""


def docs_folder(published: Path) -> Path:
    """Where the static dbt docs of a published copy are: `<warehouse folder>/docs/index.html`."""
    return Path(published).resolve().parent / "docs"


def generate_docs(published: Path) -> Path:
    """`dbt docs generate --static` on the published copy into docs/index.html (one file, works offline).

    dbt's normal index.html fetches manifest.json and catalog.json, which browsers refuse on file://;
    the static page has both inlined. The catalog query runs on the published copy opened read-only,
    so the warehouse stays free for the next load. dbt's own target folder (partial parsing) is kept
    beside it in `dbt_docs_target/`. Returns the page; raises RuntimeError when dbt fails.
    """
    import json

    from compat.dbt_duckdb import run_dbt
    from transform.dbt_build import project_args

    published = Path(published).resolve()
    target = published.parent / "dbt_docs_target"
    target.mkdir(parents=True, exist_ok=True)
    (target / "profiles.yml").write_text(DOCS_PROFILE.format(path=json.dumps(str(published))))
    # the build's manifest (compiled SQL included) stands in for a second compile of every node (~7 s);
    # `--no-compile` then only parses (partial parsing) and queries the catalog
    build_manifest = published.parent / "dbt_target" / "manifest.json"
    compile_args = []
    if build_manifest.exists():
        shutil.copyfile(build_manifest, target / "manifest.json")
        compile_args = ["--no-compile"]
    # a first publish starts from the parse an earlier one shared (compat.dbt_duckdb.run_dbt)
    args = project_args(["--quiet", "docs", "generate", "--static", *compile_args,
                         "--no-send-anonymous-usage-stats"], target)
    args[args.index("--profiles-dir") + 1] = str(target)
    result = run_dbt(args)
    if not result.success:
        raise RuntimeError(f"dbt docs generate failed: {result.exception or 'see ' + str(target / 'dbt.log')}")
    folder = docs_folder(published)
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "index.html"
    tmp = folder / ".index.html.tmp"
    tmp.write_bytes((target / "static_index.html").read_bytes())
    os.replace(tmp, page)
    return page
