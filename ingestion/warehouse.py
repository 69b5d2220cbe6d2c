"""Opening the DuckDB warehouse: schema creation and the single-writer lock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

SCHEMA_SQL = (Path(__file__).parent / "warehouse_schema.sql").read_text()


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file for writing."""


@contextmanager
def connect(path: Path, *, read_only: bool = False, wait_seconds: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; retry briefly while another writer holds it, then fail clearly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"the warehouse {path} is locked by another process (a running load or dbt build?) "
                    f"and stayed locked for {wait_seconds:.0f} s: {str(exc).splitlines()[0]}"
                ) from None
            time.sleep(0.5)
    try:
        if not read_only:
            con.execute(SCHEMA_SQL)
        yield con
    finally:
        con.close()
