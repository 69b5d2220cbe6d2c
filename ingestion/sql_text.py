"""SQL text for values and names written into a statement rather than bound.

Imports nothing: the start of `bpo run` uses it (binding a parameter makes DuckDB's Python client import
pandas), as do the readers and the serving side.
"""

from __future__ import annotations

from typing import Any


def sql_literal(value: Any) -> str:
    """A SQL literal: NULL, TRUE/FALSE, a number, or a quoted string."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
