"""The SQL form of the PII hash (what ingestion runs in DuckDB) equals the Python one, byte for byte."""

from __future__ import annotations

import hashlib

import polars as pl

from ingestion.pii import SALT_VARIABLE, salted_sha256, salted_sha256_sql
from ingestion.readers import staging_connection

VALUES = ["CUST-77", "  CUST-77 ", "\tc1@example.com\n", "Zoë 東京", "\u3000x\u00a0", "", "   ", None]


def test_sql_hash_equals_the_python_hash_on_every_value():
    con = staging_connection()
    con.execute(f"SET VARIABLE {SALT_VARIABLE} = ?", ["pepper"])
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [[i, v] for i, v in enumerate(VALUES)])
    got = [h for (h,) in con.execute(f"SELECT {salted_sha256_sql('v')} FROM t ORDER BY i").fetchall()]
    assert got == salted_sha256(pl.Series(VALUES, dtype=pl.String), "pepper").to_list()
    # worked by hand: sha256 of salt, the unit separator 0x1f, the trimmed value; blanks are null
    assert got[0] == got[1] == hashlib.sha256(b"pepper\x1fCUST-77").hexdigest()
    assert got[4] == hashlib.sha256(b"pepper\x1fx").hexdigest()
    assert got[5:] == [None, None, None]
