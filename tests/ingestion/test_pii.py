"""The customer key (ingestion/pii.py): its value, its two forms (polars and DuckDB SQL) agreeing byte for
byte, its type across Arrow / DuckDB / Parquet, and the conversion of a warehouse that stored hex text."""

from __future__ import annotations

import hashlib

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from ingestion.pii import SALT_VARIABLE, salted_key, salted_key_sql
from ingestion.warehouse import SCHEMA_SQL, connect, migrate_customer_keys

# printf 's3cret\x1fCUST-77' | sha256sum -> ce51f7fa750100156775f7dee84d4b3c a4e41e1864a8de0da10d79f7bfa49563
CUST_77 = bytes.fromhex("ce51f7fa750100156775f7dee84d4b3c")

# what a key column can be given: surrounding Unicode whitespace (trimmed), what is not whitespace
# (zero-width space, BOM: kept), non-ASCII, quotes, blanks and nulls (null keys)
VALUES = [" CUST-77 ", "CUST-77", "\u00a0CUST-77\u3000", "\tcust-77\n", "\u200bCUST-77", "\ufeffCUST-77", "José Núñez",
          "+52 81 5555 1234", "o'brien@example.com", 'a"b', "x" * 300, "", "   ", "\u2003", None, "1\x1f2"]


def test_the_key_is_the_first_16_bytes_of_the_salted_sha256_of_the_trimmed_value():
    keys = salted_key(pl.Series(["CUST-77", "  CUST-77\t", "", "  ", None, "cust-77"]), "s3cret")
    assert keys.dtype == pl.Binary
    assert keys.to_list()[:5] == [CUST_77, CUST_77, None, None, None]
    assert keys[5] == hashlib.sha256(b"s3cret\x1fcust-77").digest()[:16] != CUST_77  # case is kept
    assert salted_key(pl.Series(["CUST-77"]), "other salt").item() != CUST_77


@pytest.mark.parametrize("salt", ["s3cret", "it's a \u00e9 salt"])
def test_the_sql_form_gives_byte_identical_keys(salt):
    expected = salted_key(pl.Series(VALUES, dtype=pl.String), salt).to_list()
    con = duckdb.connect()
    con.register("v", pl.DataFrame({"i": range(len(VALUES)), "x": VALUES}, schema={"i": pl.Int64, "x": pl.String}))
    con.execute(f"set variable {SALT_VARIABLE} = ?", [salt])
    variable = con.execute(f"select {salted_key_sql('x')} from v order by i").fetchall()
    named = con.execute(f"select {salted_key_sql('x', '$pii_salt')} from v order by i", {"pii_salt": salt}).fetchall()
    positional = con.execute(f"select {salted_key_sql('v.x', '?')} from v order by i", [salt]).fetchall()
    assert [k for (k,) in variable] == [k for (k,) in named] == [k for (k,) in positional] == expected
    assert expected[0] == expected[1] and expected[11:15] == [None] * 4 and len(set(expected[:11])) == 9
    assert con.execute(f"select typeof({salted_key_sql(repr('CUST-77'))})").fetchone() == ("BLOB",)


def test_the_key_keeps_its_type_and_bytes_through_duckdb_and_parquet(tmp_path):
    frame = pl.DataFrame({"customer_ref_hash": salted_key(pl.Series(["CUST-77", None, "CUST-8"]), "s3cret")})
    con = duckdb.connect()
    con.execute("create table t (customer_ref_hash blob)")
    con.register("batch", frame.to_arrow())
    con.execute("insert into t select customer_ref_hash from batch")
    target = tmp_path / "t.parquet"
    con.execute(f"copy t to '{target}' (format parquet)")
    # Parquet BYTE_ARRAY without a string annotation: Spark reads it as BINARY, polars as Binary
    column = pq.read_schema(target).field("customer_ref_hash")
    assert str(column.type) == "binary"
    assert pl.read_parquet(target)["customer_ref_hash"].to_list() == frame["customer_ref_hash"].to_list()
    assert frame["customer_ref_hash"][0] == CUST_77


# the key columns' types in the warehouse's tables (a view's catalog entry keeps the type it was created with
# until dbt replaces it; read through, it gives what the table holds)
TYPES = ("select distinct c.data_type from duckdb_columns() as c join duckdb_tables() as t using "
         "(database_name, schema_name, table_name) where c.column_name like 'customer%hash' "
         "and c.database_name = current_database()")


def _old_warehouse(path, clear: dict[str, str | None]) -> None:
    """A warehouse as it was before the BLOB key: hex text (the whole sha256) in raw and in a dbt table."""
    con = duckdb.connect(str(path))
    con.execute(SCHEMA_SQL)
    for table, columns in {"interactions": ("customer_ref_hash", "customer_phone_hash", "customer_email_hash"),
                           "self_service": ("customer_ref_hash",)}.items():
        for column in columns:
            con.execute(f"alter table raw.{table} alter column {column} set data type varchar")
    hexes = {k: None if v is None else hashlib.sha256(f"s3cret\x1f{v}".encode()).hexdigest() for k, v in clear.items()}
    for iid, ref in hexes.items():
        con.execute("insert into raw.interactions (vendor_id, interaction_id, channel, queue, arrived_at, ended_at, "
                    "customer_ref_hash, customer_phone_hash, _load_id, _row_number, _loaded_at) "
                    "values ('v', ?, 'voice', 'q', now(), now(), ?, ?, 'l1', 1, now())", [iid, ref, ref])
    con.execute("insert into raw.self_service (vendor_id, session_id, channel, started_at, ended_at, outcome, "
                "customer_ref_hash, _load_id, _row_number, _loaded_at) "
                "values ('v', 's1', 'ivr', now(), now(), 'contained', ?, 'l2', 1, now())", [hexes["i1"]])
    # an incremental dbt table keeps its rows between builds, and a view over raw
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_interaction_facts as "
                "select vendor_id, interaction_id, customer_ref_hash from raw.interactions")
    con.execute("create schema staging")
    con.execute("create view staging.stg_interactions as select * from raw.interactions")
    con.close()


def test_a_warehouse_with_hex_keys_is_converted_in_place_once(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    clear = {"i1": "CUST-77", "i2": "CUST-8", "i3": None}
    _old_warehouse(path, clear)
    with connect(path) as con:  # opening for writing converts
        types = con.execute(TYPES).fetchall()
        facts = dict(con.execute("select interaction_id, customer_ref_hash from intermediate.int_interaction_facts"
                                 ).fetchall())
        raw = con.execute("select interaction_id, customer_ref_hash, customer_phone_hash, customer_email_hash "
                          "from staging.stg_interactions order by all").fetchall()
        joined = con.execute("select s.session_id, f.interaction_id from raw.self_service as s "
                             "join intermediate.int_interaction_facts as f using (customer_ref_hash)").fetchall()
        assert migrate_customer_keys(con) == []  # already converted: nothing to do
    assert types == [("BLOB",)]
    # exactly the keys ingestion computes now for the same values and salt
    now = dict(zip(clear, salted_key(pl.Series(list(clear.values()), dtype=pl.String), "s3cret").to_list()))
    assert facts == now and now["i1"] == CUST_77 and now["i3"] is None
    assert raw == [(i, now[i], now[i], None) for i in ("i1", "i2", "i3")]
    assert joined == [("s1", "i1")]


def test_a_conversion_that_fails_leaves_the_old_warehouse_as_it_was(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    _old_warehouse(path, {"i1": "CUST-77"})
    con = duckdb.connect(str(path))
    con.execute("update raw.self_service set customer_ref_hash = 'c1'")  # not a hex key
    with pytest.raises(ValueError, match=r"raw.self_service.customer_ref_hash holds 1 value"):
        migrate_customer_keys(con)
    # the tables converted before it (in name order: intermediate.*, raw.interactions) are hex text again
    assert con.execute(TYPES).fetchall() == [("VARCHAR",)]
    assert con.execute("select length(customer_ref_hash) from raw.interactions").fetchall() == [(64,)]
    con.close()
