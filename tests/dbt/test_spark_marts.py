"""The same dbt project on Spark gives the same marts as on DuckDB (docs/growing.md "A distributed engine (Spark)").

One small generated data set (the evidence feeds included, so every mart has rows) goes through `bpo run`
(DuckDB build, publish, which also exports the raw layer as Parquet): the session's shared evidence
warehouse (tests/conftest.py `evidence_warehouse`), read only; then `build_marts_spark` builds every
model on a local Spark session in this process from that Parquet export and writes the marts as Parquet.
Every mart is compared row by row: the same columns, the same number of rows, and, rows matched on their
non-float values, decimals (money) exactly equal and doubles (ratios) within 1e-9. One Spark session, one
build: slow (JVM start and ~80 models on 2 cores), still run in CI.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow
TOLERANCE = 1e-9
CORE_MARTS = ("sla_compliance", "sla_interval", "unforeseen_costs", "invoice_revisions", "cost_to_serve", "esat_csat",
              "workforce", "self_service", "billed_vs_worked", "quality", "vendor_scorecard")


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory, evidence_warehouse):
    from transform.spark_build import run_spark_dbt, write_marts

    out = tmp_path_factory.mktemp("spark_marts")
    # the DuckDB side: the session's shared evidence warehouse (tests/conftest.py), read only; Spark reads its
    # raw Parquet export and writes in this test's own folder
    warehouse = evidence_warehouse.warehouse
    raw_parquet = warehouse.parent / "raw_parquet"
    spark_out = out / "spark"
    cwd = os.getcwd()
    os.chdir(out)  # Spark's stray files (e.g. derby.log) stay in the test's folder
    try:
        # build_marts_spark's two steps, so that the marts that did build are compared even when one fails
        failed = run_spark_dbt(raw_parquet, out / "spark_work")
        marts = write_marts(spark_out)
    finally:
        os.chdir(cwd)
    return {"warehouse": warehouse, "raw_parquet": raw_parquet, "spark_out": spark_out, "spark_marts": marts,
            "failed": failed}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cur = con.execute(sql)
    return [d[0] for d in cur.description], cur.fetchall()


def _normal(value):
    """Instants as naive UTC: DuckDB's local wall-clock TIMESTAMPs come back from Spark's Parquet as UTC instants."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _key(row: tuple) -> tuple:
    """Sort key of a row: its non-float values (floats may differ in the last bits between engines)."""
    return tuple((v is None, "" if isinstance(v, float) or v is None else str(v)) for v in row)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        # money stays DECIMAL on both engines, and is equal exactly (scales may differ: 1.50 = 1.5000)
        return isinstance(a, Decimal) and isinstance(b, Decimal) and a == b
    return a == b


def compare_mart(con: duckdb.DuckDBPyConnection, name: str, parquet_folder: Path) -> list[str]:
    """Differences between marts.<name> of the DuckDB warehouse and the Spark build's Parquet (empty: equal)."""
    duck_cols, duck_rows = _rows(con, f'select * from wh.marts."{name}"')
    spark_cols, spark_rows = _rows(con, f"select * from read_parquet('{parquet_folder / name}/*.parquet')")
    if sorted(duck_cols) != sorted(spark_cols):
        return [f"{name}: columns differ: only DuckDB {sorted(set(duck_cols) - set(spark_cols))}, "
                f"only Spark {sorted(set(spark_cols) - set(duck_cols))}"]
    order = [spark_cols.index(c) for c in duck_cols]  # Spark's rows in DuckDB's column order
    duck = sorted((tuple(_normal(v) for v in r) for r in duck_rows), key=_key)
    spark = sorted((tuple(_normal(r[i]) for i in order) for r in spark_rows), key=_key)
    if len(duck) != len(spark):
        return [f"{name}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"]
    problems = []
    for d_row, s_row in zip(duck, spark):
        for column, d, s in zip(duck_cols, d_row, s_row):
            if not _same(d, s):
                problems.append(f"{name}.{column}: DuckDB {d!r} vs Spark {s!r} (row {d_row[:4]})")
    return problems[:10]


def test_publish_exports_every_raw_table_as_parquet(both_engines):
    con = duckdb.connect()
    con.execute(f"attach '{both_engines['warehouse']}' as wh (read_only)")
    raw = [r[0] for r in con.execute("select table_name from duckdb_tables() where database_name = 'wh' "
                                     "and schema_name = 'raw' order by table_name").fetchall()]
    assert raw and sorted(p.name for p in both_engines["raw_parquet"].iterdir()) == raw
    # a table is a folder (a feed's: one file per load, serving/export_parquet.py), read whole as readers do;
    # decimals stay decimals: money is never a float
    types = dict(con.execute("select column_name, column_type from (describe select * from read_parquet(?))",
                             [str(both_engines["raw_parquet"] / "invoice_lines" / "*.parquet")]).fetchall())
    assert types["amount"] == "DECIMAL(18,4)"
    for table in raw:
        (count,) = con.execute(f'select count(*) from wh.raw."{table}"').fetchone()
        (exported,) = con.execute("select count(*) from read_parquet(?)",
                                  [str(both_engines["raw_parquet"] / table / "*.parquet")]).fetchone()
        assert exported == count, table


def test_every_mart_builds_on_spark_and_equals_duckdb(both_engines):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{both_engines['warehouse']}' as wh (read_only)")
    duck_marts = sorted(r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = 'marts'").fetchall())
    built = both_engines["spark_marts"]
    problems = [p for name in built for p in compare_mart(con, name, both_engines["spark_out"])]
    assert not problems, "\n".join(problems)
    assert not both_engines["failed"], f"models that failed on Spark: {both_engines['failed']}"
    assert duck_marts and built == duck_marts
    # the comparison has something to compare: the marts of every family have rows in the test data
    for name in CORE_MARTS:
        assert con.execute(f'select count(*) from wh.marts."{name}"').fetchone()[0] > 0, name
