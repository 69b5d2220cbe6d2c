"""PII never reaches the warehouse (or the published copy) in clear text, and a vendor's files only
ever populate that vendor's rows. Runs the pipeline on a generated multi-vendor data set."""

from __future__ import annotations

import gzip
import io
import shutil

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from generator import generate
from tests.robustness.helpers import Paths, copy_landed, spread_mtimes

pytestmark = pytest.mark.slow

PII_COLUMNS = ("customer_phone", "customer_email", "customer_name", "customer_ref", "comment")


@pytest.fixture(scope="module")
def pipeline(driver, tmp_path_factory):
    root = tmp_path_factory.mktemp("pii")
    generate(root / "source", outsourcers=2, months=1, seed=23, scale=900)
    files = spread_mtimes(root / "source" / "landing")
    paths = Paths(root / "run")
    shutil.copytree(root / "source" / "contracts", paths.contracts)
    copy_landed(files, root / "source" / "landing", paths.landing)
    driver.run(paths)
    return paths


def read_landed(path) -> pl.DataFrame:
    """A landed file as strings, read here independently of the pipeline's readers."""
    data = path.read_bytes()
    name = path.name.lower()
    if name.endswith(".gz"):
        data, name = gzip.decompress(data), name[:-3]
    if name.endswith(".csv"):
        return pl.read_csv(io.BytesIO(data), infer_schema=False)
    if name.endswith(".parquet"):
        return pl.read_parquet(io.BytesIO(data))
    if name.endswith(".jsonl"):
        return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    if name.endswith(".json"):
        return pl.read_json(io.BytesIO(data))
    raise AssertionError(f"unexpected landed file {path}")


def clear_text_values(landing) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {c: set() for c in PII_COLUMNS}
    for path in landing.rglob("*"):
        if not path.is_file():
            continue
        frame = read_landed(path)
        for col in PII_COLUMNS:
            if col in frame.columns:
                found[col] |= {str(v).strip() for v in frame[col].drop_nulls().to_list() if str(v).strip()}
    return found


def leaks(database, secrets: set[str], min_tables: int = 1) -> list[tuple[str, str, str]]:
    """(table, column, value) for every cell of every table that contains a secret.

    Values of 8+ characters are searched as substrings, shorter ones as whole values (so that a
    short comment like "ok" does not match inside "book")."""
    long = sorted(s for s in secrets if len(s) >= 8)
    short = sorted(s for s in secrets if len(s) < 8)
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.register("long_secrets", pa.table({"v": pa.array(long, pa.string())}))
        con.register("short_secrets", pa.table({"v": pa.array(short, pa.string())}))
        found = []
        tables = con.execute("select database_name, schema_name, table_name from duckdb_tables() "
                             "where not temporary").fetchall()
        assert len(tables) >= min_tables
        for db, schema, table in tables:
            columns = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
                "and table_name = ?", [db, schema, table]).fetchall()]
            for col in columns:
                cell = f'cast(t."{col}" as varchar)'
                hits = con.execute(
                    f'select {cell}, s.v from "{db}"."{schema}"."{table}" t join long_secrets s on contains({cell}, s.v) '
                    f'union all select {cell}, s.v from "{db}"."{schema}"."{table}" t join short_secrets s on {cell} = s.v '
                    "limit 3").fetchall()
                found += [(f"{schema}.{table}", col, f"{value!r} holds {secret!r}") for value, secret in hits]
        return found
    finally:
        con.close()


def test_no_clear_text_pii_anywhere_in_the_warehouse_or_the_published_copy(pipeline):
    values = clear_text_values(pipeline.landing)
    # the generator planted every kind of PII the scan looks for
    assert all(len(values[c]) >= 20 for c in ("customer_email", "customer_name", "customer_ref", "comment")), \
        {c: len(v) for c, v in values.items()}
    assert len(values["customer_phone"]) >= 5
    secrets = set().union(*values.values())
    assert leaks(pipeline.warehouse, secrets, min_tables=15) == []
    assert leaks(pipeline.published, secrets, min_tables=6) == []
    # and the hashes are there, so repeat contacts can still be matched
    con = duckdb.connect(str(pipeline.warehouse), read_only=True)
    try:
        hashed = con.execute(
            "select count(customer_email_hash), count(distinct customer_email_hash), "
            "list(distinct octet_length(customer_email_hash)) filter (where customer_email_hash is not null), "
            "any_value(typeof(customer_email_hash)) from raw.interactions").fetchone()
    finally:
        con.close()
    # customer keys: 16-byte BLOBs (ingestion/pii.py), repeated for a repeat customer
    assert hashed[0] > hashed[1] > 0 and hashed[2:] == ([16], "BLOB")


def test_the_scan_would_catch_a_leak(tmp_path):
    db = tmp_path / "leaky.duckdb"
    con = duckdb.connect(str(db))
    for i in range(10):
        con.execute(f"create table t{i} as select 1 as x")
    con.execute("create table notes as select 'call jane.doe@example.com back' as note, 'ok' as flag")
    con.close()
    assert {(t, c) for t, c, _ in leaks(db, {"jane.doe@example.com", "ok"})} == {("main.notes", "note"),
                                                                                 ("main.notes", "flag")}


def vendor_rows(database, vendor: str) -> dict[str, list[tuple]]:
    """Every mart row of one vendor, sorted. Aside: what compares vendors by design - the scorecard's
    rank, its cost score (the month's cheapest cost per contact / own cost) and the overall score that
    includes it."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("select table_name from duckdb_columns() where schema_name = 'marts' "
                                    "and column_name = 'vendor_id'").fetchall():
            cols = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ? "
                "and column_name not in ('rank', 'score', 'score_cost_per_contact', 'build_id') "
                "and column_name not like '%loaded_at' "
                "and column_name not like '%processed_at'", [table]).fetchall()]
            select = ", ".join(f'"{c}"' for c in cols)
            out[table] = sorted(con.execute(f'select {select} from marts."{table}" where vendor_id = ?',
                                            [vendor]).fetchall(), key=repr)
        return out
    finally:
        con.close()


def test_vendor_isolation(pipeline, driver):
    con = duckdb.connect(str(pipeline.warehouse), read_only=True)
    try:
        # every raw row carries the vendor of the folder its file landed in
        for table in ("interactions", "surveys", "agent_surveys", "invoice_lines"):
            mismatched = con.execute(
                f"select count(*) from raw.{table} r join raw.load_manifest m on m.load_id = r._load_id "
                "where r.vendor_id is distinct from m.vendor_id").fetchone()[0]
            assert mismatched == 0, table
        vendors = [r[0] for r in con.execute("select vendor_id from raw.contracts where kind = 'outsourcer' "
                                             "order by 1").fetchall()]
        for (mart,) in con.execute("select distinct table_name from duckdb_columns() where schema_name = 'marts' "
                                   "and column_name = 'vendor_id'").fetchall():
            unknown = con.execute(f"select distinct vendor_id from marts.{mart} where vendor_id not in "
                                  "(select vendor_id from raw.contracts)").fetchall()
            assert unknown == [], mart
    finally:
        con.close()
    a, b = vendors[:2]
    before_b = vendor_rows(pipeline.warehouse, b)
    before_a = vendor_rows(pipeline.warehouse, a)
    assert sum(len(rows) for rows in before_b.values()) > 20

    # Vendor A's folder receives a file with vendor B's interaction and survey ids (as if A re-sent B's data).
    for feed in ("interactions", "surveys"):
        source = sorted((pipeline.landing / b / feed).iterdir())[0]
        frame = read_landed(source)
        if "vendor_id" in frame.columns:
            frame = frame.drop("vendor_id")
        target = pipeline.landing / a / feed / f"resent_from_{b}.csv"
        # columns reversed: other bytes (identical bytes would be skipped as a re-delivery), same data
        frame.select(list(reversed(frame.columns))).write_csv(target)
    cycle = driver.run(pipeline)
    assert cycle.done.split()[2:4] == ["2", "0"], cycle.done

    assert vendor_rows(pipeline.warehouse, b) == before_b  # B untouched, mart by mart
    assert vendor_rows(pipeline.warehouse, a) != before_a  # the rows went to A
    con = duckdb.connect(str(pipeline.warehouse), read_only=True)
    try:
        new_rows = con.execute("select distinct r.vendor_id from raw.interactions r join raw.load_manifest m "
                               "on m.load_id = r._load_id where m.file_name like 'resent_from_%'").fetchall()
        assert new_rows == [(a,)]
        shared_ids = con.execute("select count(distinct interaction_id) from raw.interactions group by interaction_id "
                                 "having count(distinct vendor_id) > 1").fetchall()
        assert len(shared_ids) > 0  # the same ids now exist for both vendors, each in its own rows
    finally:
        con.close()
