"""dbt-duckdb internals: the process-wide DuckDB database its connection manager keeps open, and
running dbt in this process, which must release it after every invocation."""

from __future__ import annotations

from collections.abc import Sequence

from compat import check_versions

check_versions("dbt-duckdb", "dbt-core")


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process (it only forgets it).

    dbt-duckdb holds the file in the class attribute `DuckDBConnectionManager._ENV` after an
    in-process invocation; until it is closed, no other process (publish, the next run, a
    reader) can open the warehouse.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None:
            env.close()


def run_dbt(args: Sequence[str], *, manifest=None, callbacks: Sequence = ()):
    """dbt in this process (`dbtRunner`), then the warehouse released; returns dbt's result.

    manifest: a parsed manifest to reuse (no parsing); callbacks: called with each dbt event.
    """
    from dbt.cli.main import dbtRunner

    try:
        return dbtRunner(manifest=manifest, callbacks=list(callbacks)).invoke(list(args))
    finally:
        release_duckdb()  # dbt-duckdb keeps the file open for the process otherwise
