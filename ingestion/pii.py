"""Salted hashing of customer identifiers.

Clear-text PII never reaches the warehouse: identifiers are replaced by a
salted sha256 so that repeat contacts can still be matched, and free text is
dropped. The salt is a secret setting (`Settings.pii_salt`, BPO_PII_SALT); the
built-in default exists only so the demo runs, and `bpo run` warns when it is
in use.
"""

from __future__ import annotations

import hashlib

import polars as pl

from ingestion.settings import Settings


def pii_salt(settings: Settings | None = None) -> str:
    """The salt in clear, for hashing only (from the environment when no settings are given)."""
    return (settings or Settings.from_env()).pii_salt.get_secret_value()


def using_demo_salt(settings: Settings | None = None) -> bool:
    return (settings or Settings.from_env()).using_demo_salt


def salted_sha256(values: pl.Series, salt: str) -> pl.Series:
    """sha256(salt, value) as hex per value; blanks and nulls become null.

    Polars has no sha256, so each *distinct* value is hashed once in Python
    (customer keys repeat, which keeps this cheap) and mapped back.
    """
    cleaned = values.cast(pl.String).str.strip_chars()
    cleaned = pl.select(pl.when(cleaned.str.len_chars() > 0).then(cleaned)).to_series()
    distinct = cleaned.drop_nulls().unique()
    prefix = (salt + "\x1f").encode("utf-8")
    hashed = [hashlib.sha256(prefix + v.encode("utf-8")).hexdigest() for v in distinct.to_list()]
    return cleaned.replace_strict(distinct, hashed, default=None, return_dtype=pl.String)


# What polars' str.strip_chars() removes (Rust's char::is_whitespace, Unicode White_Space), for
# DuckDB's trim, which without a character list removes spaces only.
WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
              "\u2028\u2029\u202f\u205f\u3000")


SALT_VARIABLE = "bpo_pii_salt"


def salted_sha256_sql(expr_sql: str, salt_sql: str = f"getvariable('{SALT_VARIABLE}')") -> str:
    """`salted_sha256` as a DuckDB SQL expression: byte-identical hex text (tests/ingestion/test_pii_sql.py).

    expr_sql: the value (cast to VARCHAR here); salt_sql: the salt, by default the connection's variable
    SALT_VARIABLE (set it with `SET VARIABLE bpo_pii_salt = ?`), so that the secret never appears in SQL
    text. (A prepared parameter instead makes DuckDB re-evaluate the expression's constant parts on
    every row: 100 times slower, measured.) Blanks and nulls give null.
    """
    value = f"nullif(trim(CAST({expr_sql} AS VARCHAR), '{WHITESPACE}'), '')"
    return f"sha256(CAST({salt_sql} AS VARCHAR) || chr(31) || {value})"
