"""Salted hashing of customer identifiers: the customer key.

Clear-text PII never reaches the warehouse: identifiers are replaced by a
salted hash so that repeat contacts can still be matched, and free text is
dropped. The salt is a secret setting (`Settings.pii_salt`, BPO_PII_SALT); the
built-in default exists only so the demo runs, and `bpo run` warns when it is
in use.

The key is the first KEY_BYTES (16) bytes of sha256(salt, 0x1f, value with
surrounding whitespace removed), stored as a BLOB (`*_hash` columns), the same
type in every table and engine it is joined in: DuckDB BLOB, Arrow / polars
Binary, Parquet BYTE_ARRAY, Spark BINARY. Why 16 bytes and a BLOB, measured
(DEVELOPERS.md "Customer keys"): against the 64-character hex text it
replaced, the FCR look-back and key joins cost about half and the column half
the space; a 128-bit integer (UHUGEINT) is faster in DuckDB but cannot travel
(DuckDB writes it to Parquet as a DOUBLE and to Arrow as a decimal128(38, 0)
too narrow for it; polars and Spark have no unsigned 128-bit integer). 128
bits keep collisions out of reach: among N distinct customers the chance that
any two share a key is below N^2 / 2^129, 1.5e-21 for a billion.

Two forms give byte-identical keys (tests/ingestion/test_pii.py):
`salted_key` on a polars Series, `salted_key_sql` as a DuckDB SQL expression.
"""

from __future__ import annotations

import hashlib

import polars as pl

from ingestion.settings import Settings

KEY_BYTES = 16
SEPARATOR = "\x1f"  # between the salt and the value, so that ("ab", "c") and ("a", "bc") differ
# What polars' str.strip_chars() removes (Rust's char::is_whitespace, Unicode White_Space), for
# DuckDB's trim, which without a character list removes spaces only.
WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
              "\u2028\u2029\u202f\u205f\u3000")
SALT_VARIABLE = "bpo_pii_salt"  # the DuckDB variable salted_key_sql reads the salt from by default


def pii_salt(settings: Settings | None = None) -> str:
    """The salt in clear, for hashing only (from the environment when no settings are given)."""
    return (settings or Settings.from_env()).pii_salt.get_secret_value()


def using_demo_salt(settings: Settings | None = None) -> bool:
    return (settings or Settings.from_env()).using_demo_salt


def salted_key(values: pl.Series, salt: str) -> pl.Series:
    """The customer key of each value (Binary, KEY_BYTES bytes); blanks and nulls become null.

    Polars has no sha256, so each *distinct* value is hashed once in Python
    (customer keys repeat, which keeps this cheap) and mapped back.
    """
    cleaned = values.cast(pl.String).str.strip_chars()
    cleaned = pl.select(pl.when(cleaned.str.len_chars() > 0).then(cleaned)).to_series()
    distinct = cleaned.drop_nulls().unique()
    prefix = (salt + SEPARATOR).encode("utf-8")
    keys = [hashlib.sha256(prefix + v.encode("utf-8")).digest()[:KEY_BYTES] for v in distinct.to_list()]
    return cleaned.replace_strict(distinct, pl.Series(keys, dtype=pl.Binary), default=None,
                                  return_dtype=pl.Binary)


def salted_key_sql(expr_sql: str, salt_sql: str = f"getvariable('{SALT_VARIABLE}')") -> str:
    """The customer key of a SQL expression, as a DuckDB SQL expression (BLOB): byte-identical to `salted_key`.

    expr_sql: the value (cast to VARCHAR here); salt_sql: the salt, by default the connection's
    variable SALT_VARIABLE (`SET VARIABLE bpo_pii_salt = ?`), so that the secret never appears in SQL
    text; a prepared parameter (`$pii_salt`, `?`) works too. Blanks and nulls give null.
    """
    value = f"nullif(trim(cast({expr_sql} as varchar), '{WHITESPACE}'), '')"
    # sha256 gives 64 hex digits; the first 2 * KEY_BYTES are the key's bytes
    return f"unhex(left(sha256(cast({salt_sql} as varchar) || chr({ord(SEPARATOR)}) || {value}), {2 * KEY_BYTES}))"
