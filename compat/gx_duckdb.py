"""Great Expectations' SQL execution engine on DuckDB (duckdb-engine through SQLAlchemy): the fix of its empty
metric results, and an engine that runs GX's queries on a DuckDB connection the caller owns.

Why every metric failed ("list index out of range", GX #10738 / #11579): `SqlAlchemyExecutionEngine.execute_query`
runs the query inside `with self.get_connection()` and *returns the un-fetched result*; the caller then calls
`.fetchall()`. For dialects outside `_PERSISTED_CONNECTION_DIALECTS` (sqlite, mssql, bigquery, databricks),
leaving that block closes the SQLAlchemy connection, whose pool reset rolls back (`dbapi_connection.rollback()`).
duckdb-engine's cursor is not a cursor of its own: `CursorWrapper.execute` runs on the DuckDB connection itself,
and a DuckDB connection holds one pending result, which any later statement, ROLLBACK included, replaces
(duckdb/duckdb #13705). So the SELECT's rows are gone before GX fetches them: `fetchall()` gives `[]` and
`res[0]` in `resolve_metric_bundle` raises IndexError. (sqlite or psycopg2 cursors keep their rows after a
rollback, which is why the same GX code works there.) GX PR #12084 sidesteps SQLAlchemy with a native DuckDB
engine (not in 1.24.1); here the one method is fixed: on DuckDB, `execute_query` buffers the rows
(`Result.freeze()`) while the connection is still open.

The second part lets GX validate a relation staged on the caller's DuckDB connection (a temp table or view is
visible only there): `caller_engine()` is a SQLAlchemy engine whose every connection is that DuckDB connection,
wrapped so that SQLAlchemy's BEGIN / COMMIT / ROLLBACK / close never reach it; the caller's transaction (the
file's load) stays the caller's.

Private uses, written for great-expectations 1.24.1, duckdb-engine 0.17.0, SQLAlchemy 2.1.x:
- `SqlAlchemyExecutionEngine.execute_query` replaced (`get_connection`, `_execute_query_with_recovery`, `dialect_name`);
- `SqlAlchemyExecutionEngine.dialect_module` set, `._inspector` reset per validation (`prepare_execution_engine`);
- `duckdb_engine.ConnectionWrapper` subclassed (its constructor and its name-mangled connection).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from compat import check_versions

check_versions("great-expectations", "duckdb-engine", "sqlalchemy")


def fetch_rows_before_release() -> None:
    """Make GX's `execute_query` read a DuckDB result before the connection goes back to the pool (idempotent)."""
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

    if getattr(SqlAlchemyExecutionEngine, "_bpo_duckdb_buffered", False):
        return
    original = SqlAlchemyExecutionEngine.execute_query

    def execute_query(self, query):
        if self.dialect_name != "duckdb":
            return original(self, query)
        with self.get_connection() as connection:
            result = self._execute_query_with_recovery(connection, query)
            # rows buffered now: closing the connection below runs a ROLLBACK on the DuckDB connection
            return result.freeze()() if result.returns_rows else result

    SqlAlchemyExecutionEngine.execute_query = execute_query
    SqlAlchemyExecutionEngine._bpo_duckdb_buffered = True


def prepare_execution_engine(execution_engine: Any) -> None:
    """Before each validation on DuckDB (idempotent, cheap):

    - GX names no SQLAlchemy dialect module for DuckDB (`dialect_module` None), so its regex metric finds no
      operator ("Regex is not supported for dialect duckdb"). duckdb-engine's dialect *is* SQLAlchemy's
      PostgreSQL dialect (it subclasses PGDialect_psycopg2), so GX is given that module: a regex becomes
      `column ~ 'pattern'`. DuckDB's `~` matches the whole string (PostgreSQL's and pandas' `str.contains` find
      a match anywhere), so a pattern gives the same verdict on every engine only when anchored (^...$).
    - GX keeps one SQLAlchemy inspector per engine, and the inspector caches each table's columns: the staged
      view of the next file may have other columns (a missing one must be reported), so reflect anew.
    """
    from sqlalchemy.dialects import postgresql

    execution_engine.dialect_module = postgresql
    execution_engine._inspector = None


class CallerConnection:
    """The DuckDB connection a SQLAlchemy engine runs on, set per validation by its owner (thread-safe handover)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def using(self, con: Any) -> Iterator[None]:
        self._local.con = con
        try:
            yield
        finally:
            self._local.con = None

    def current(self) -> Any:
        con = getattr(self._local, "con", None)
        if con is None:
            raise RuntimeError("no DuckDB connection was handed to the validator for this thread")
        return con


def caller_engine(caller: CallerConnection) -> dict[str, Any]:
    """`create_engine` keyword arguments (for GX's `add_sql(kwargs=...)`) of an engine on `caller.current()`."""
    import duckdb_engine
    from sqlalchemy.pool import NullPool

    class _Borrowed(duckdb_engine.ConnectionWrapper):
        """The caller's connection: SQLAlchemy's transaction handling and close must not touch it."""

        def begin(self) -> None:
            pass

        def commit(self) -> None:
            pass

        def rollback(self) -> None:
            pass

        def close(self) -> None:
            pass

    # NullPool: each SQLAlchemy connection wraps whatever connection the current validation handed over
    return {"creator": lambda: _Borrowed(caller.current()), "poolclass": NullPool}
