"""Compare every mart built by two dbt projects from the same raw data (DEVELOPERS.md "Refactoring dbt").

A refactoring of the dbt project must not change a mart. This script takes one
loaded warehouse, copies its `raw` schema into two fresh warehouses, builds one
with each project (a checkout of the base commit and the working tree) and
compares every table of the `marts` schema: the column names and types, and the
rows (multisets, both directions of EXCEPT ALL). DOUBLE columns are compared
rounded to 9 decimals: DuckDB's parallel aggregates (corr, avg of doubles) may
differ in the last bit from one run to the next, even for the same project.

    git worktree add /tmp/dbt-base <base commit>
    python -m tests.dbt.compare_marts WAREHOUSE --base-project /tmp/dbt-base/dbt_project

WAREHOUSE is any warehouse `bpo run` wrote (e.g. after `bpo generate --out X`).
Exit status 1 when a mart differs (unless it is named with --expect-diff).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]


def copy_raw(source: Path, target: Path) -> None:
    """A new warehouse holding only the raw schema of `source` (what ingestion wrote)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{source}' as src (read_only)")
        con.execute("create schema raw")
        for (table,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'src' and schema_name = 'raw'"
                " order by table_name").fetchall():
            con.execute(f'create table raw."{table}" as select * from src.raw."{table}"')
    finally:
        con.close()


def dbt_build(warehouse: Path, project_dir: Path) -> float:
    """`dbt build` of `project_dir` on `warehouse`; returns the wall time in seconds."""
    dbt = Path(sys.executable).with_name("dbt")
    started = time.monotonic()
    proc = subprocess.run(
        [str(dbt), "build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
         "--target-path", str(warehouse.parent / "dbt_target"), "--log-path", str(warehouse.parent / "dbt_logs")],
        env={**os.environ, "BPO_WAREHOUSE": str(warehouse)}, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"dbt build of {project_dir} failed:\n{proc.stdout[-4000:]}")
    return elapsed


def compare(base: Path, new: Path, schema: str = "marts") -> dict[str, dict]:
    """Per table of `schema` in either warehouse: row counts, rows only in base / only in new, column changes."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{base}' as base (read_only)")
        con.execute(f"attach '{new}' as new (read_only)")

        def columns(db: str, table: str) -> list[tuple[str, str]]:
            return con.execute(
                "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ?"
                " and table_name = ? order by column_index", [db, schema, table]).fetchall()

        tables = sorted({t for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name in ('base', 'new') and schema_name = ?",
            [schema]).fetchall()})
        result = {}
        for table in tables:
            base_cols, new_cols = columns("base", table), columns("new", table)
            entry = {"base_rows": None, "new_rows": None, "only_base": None, "only_new": None,
                     "columns_changed": base_cols != new_cols}
            if base_cols and new_cols:
                entry["base_rows"] = con.execute(f'select count(*) from base.{schema}."{table}"').fetchone()[0]
                entry["new_rows"] = con.execute(f'select count(*) from new.{schema}."{table}"').fetchone()[0]
            if base_cols and base_cols == new_cols:
                names = ", ".join(f'round("{c}", 9)' if kind in ("DOUBLE", "FLOAT") else f'"{c}"'
                                  for c, kind in base_cols)
                for label, a, b in (("only_base", "base", "new"), ("only_new", "new", "base")):
                    entry[label] = con.execute(
                        f'select count(*) from (select {names} from {a}.{schema}."{table}"'
                        f' except all select {names} from {b}.{schema}."{table}")').fetchone()[0]
            result[table] = entry
        return result
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path, help="a warehouse whose raw schema is the input")
    parser.add_argument("--base-project", type=Path, required=True, help="dbt project to compare against")
    parser.add_argument("--project", type=Path, default=ROOT / "dbt_project", help="dbt project under test")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bpo-compare-marts"), help="scratch folder")
    parser.add_argument("--expect-diff", action="append", default=[], metavar="MART",
                        help="a mart whose differences are expected (listed, not failed)")
    args = parser.parse_args(argv)

    timings = {}
    for label, project in (("base", args.base_project), ("new", args.project)):
        warehouse = args.work / label / "warehouse.duckdb"
        copy_raw(args.warehouse, warehouse)
        timings[label] = dbt_build(warehouse, project)
    result = compare(args.work / "base" / "warehouse.duckdb", args.work / "new" / "warehouse.duckdb")

    failed = False
    print(f"dbt build: base {timings['base']:.1f} s, new {timings['new']:.1f} s")
    print(f"{'mart':<24} {'base rows':>10} {'new rows':>10} {'only base':>10} {'only new':>10}  columns")
    for table, e in result.items():
        differs = e["columns_changed"] or e["only_base"] or e["only_new"]
        expected = table in args.expect_diff
        failed |= bool(differs) and not expected
        print(f"{table:<24} {e['base_rows']!s:>10} {e['new_rows']!s:>10} {e['only_base']!s:>10} "
              f"{e['only_new']!s:>10}  {'CHANGED' if e['columns_changed'] else 'same'}"
              f"{'  (expected to differ)' if expected and differs else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
