"""Opening the DuckDB warehouse: schema creation and the single-writer lock.

DuckDB lets one process at a time open the file for writing (readers of the
warehouse file are blocked too while it is held). `connect` waits for the
lock a bounded time, `BPO_LOCK_WAIT_SECONDS` (default 30), then raises
`WarehouseLocked` naming the process that holds it, so a stuck process
produces a clear error instead of a hang. Opening it for writing also creates
the raw schema and brings an older warehouse up to date (`migrate_customer_keys`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingestion.feeds import FEEDS, stored_name
from ingestion.pii import KEY_BYTES
from ingestion.settings import Settings
from ingestion.sql_text import sql_literal

SCHEMA_SQL = (Path(__file__).parent / "warehouse_schema.sql").read_text()
# the customer-key columns (every hashed PII column of every feed)
KEY_COLUMNS = tuple(sorted({stored_name(c) for f in FEEDS.values() for c in f.columns if c.pii == "hash"}))
_RETRY_SECONDS = 0.25


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file for writing."""


def lock_wait_seconds() -> float:
    """How long to wait for another process's lock: `Settings.lock_wait_seconds` (BPO_LOCK_WAIT_SECONDS, 30)."""
    return Settings.from_env().lock_wait_seconds


def is_lock_error(message: str) -> bool:
    """True for DuckDB's "Could not set lock on file" / "Conflicting lock" errors."""
    low = message.lower()
    return "could not set lock" in low or "conflicting lock" in low


def lock_message(path: Path | str, waited: float, detail: str) -> str:
    """The one clear message for a warehouse held by another process."""
    holder = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", detail)
    who = f"process {holder.group(2)} ({holder.group(1)})" if holder else "another process"
    return (f"the warehouse {path} is locked by {who} - a running load, dbt build, or a stuck process - "
            f"and stayed locked for {waited:.0f} s (BPO_LOCK_WAIT_SECONDS). Wait for it to finish, or stop "
            f"that process if it is stuck, then run again.")


@contextmanager
def connect(path: Path, *, read_only: bool = False,
            wait_seconds: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; retry while another process holds it, then fail clearly.

    wait_seconds: None = BPO_LOCK_WAIT_SECONDS (default 30).
    """
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path} yet: run `bpo run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env()
    wait = settings.lock_wait_seconds if wait_seconds is None else wait_seconds
    started = time.monotonic()
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not is_lock_error(str(exc)):
                raise
            waited = time.monotonic() - started
            if waited >= wait:
                raise WarehouseLocked(lock_message(path, waited, str(exc))) from None
            time.sleep(min(_RETRY_SECONDS, max(0.0, wait - waited)))
    try:
        if not read_only:
            # a SET, not a connect() config: another connection of this process to the same file
            # (dbt in-process, a test's reader) must not meet "different configuration"
            # a literal, not a bound parameter: binding one makes DuckDB's Python client import pandas
            # (~0.4 CPU s of every `bpo run`'s start, which reads no frame)
            con.execute(f"set memory_limit = {sql_literal(settings.ingest_memory_limit)}")
            con.execute(SCHEMA_SQL)
            migrate_customer_keys(con)
        yield con
    finally:
        con.close()


def migrate_customer_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Convert customer keys stored as 64-character hex text (warehouses from before the BLOB key,
    ingestion/pii.py) to the key itself, in place; the columns converted (`schema.table.column`).

    Every table of the warehouse is converted, the raw layer and the tables dbt built from it
    (int_interaction_facts is incremental: its kept rows are joined with new raw rows), in one
    transaction, so a failure leaves the old warehouse as it was. The key is the digest's first
    bytes, so unhex(left(hex, 2 * KEY_BYTES)) is exactly the key ingestion computes now: the marts
    do not change. Idempotent: a column that is already a BLOB is left alone.
    """
    old = con.execute(
        "select c.schema_name, c.table_name, c.column_name from duckdb_columns() as c "
        "join duckdb_tables() as t on t.database_name = c.database_name and t.schema_name = c.schema_name "
        "and t.table_name = c.table_name "
        "where c.database_name = current_database() and c.data_type = 'VARCHAR' and c.column_name in "
        f"({', '.join(sql_literal(c) for c in KEY_COLUMNS)}) order by all").fetchall()
    if not old:
        return []
    con.execute("begin transaction")
    try:
        for schema, table, column in old:
            name = f'"{schema}"."{table}"'
            # the value itself is not shown: a column that is not what it should be may hold clear text
            (bad,) = con.execute(f'select count(*) from {name} where "{column}" is not null '
                                 f"and not regexp_full_match(\"{column}\", '[0-9a-fA-F]{{64}}')").fetchone()
            if bad:
                raise ValueError(f"{schema}.{table}.{column} holds {bad} value(s) that are not 64-character hex "
                                 "sha256 keys: the warehouse was left as it was, its customer keys not converted")
            con.execute(f'alter table {name} alter column "{column}" set data type blob '
                        f'using unhex(left("{column}", {2 * KEY_BYTES}))')
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return [".".join(o) for o in old]


def wait_for_lock(path: Path, wait_seconds: float | None = None) -> None:
    """Block until no other process holds the warehouse (or raise WarehouseLocked).

    For callers that hand the file to another program (dbt): it cannot wait
    for the lock itself, so we wait here first and fail with the same message.
    """
    if not Path(path).exists():
        return
    with connect(Path(path), wait_seconds=wait_seconds):
        pass
