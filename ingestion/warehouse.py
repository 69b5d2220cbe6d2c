"""Opening the DuckDB warehouse: schema creation and the single-writer lock.

DuckDB lets one process at a time open the file for writing (readers of the
warehouse file are blocked too while it is held). `connect` waits for the
lock a bounded time, `BPO_LOCK_WAIT_SECONDS` (default 30), then raises
`WarehouseLocked` naming the process that holds it, so a stuck process
produces a clear error instead of a hang.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingestion.settings import Settings

SCHEMA_SQL = (Path(__file__).parent / "warehouse_schema.sql").read_text()
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
            con.execute("set memory_limit = ?", [settings.ingest_memory_limit])
            con.execute(SCHEMA_SQL)
        yield con
    finally:
        con.close()


def wait_for_lock(path: Path, wait_seconds: float | None = None) -> None:
    """Block until no other process holds the warehouse (or raise WarehouseLocked).

    For callers that hand the file to another program (dbt): it cannot wait
    for the lock itself, so we wait here first and fail with the same message.
    """
    if not Path(path).exists():
        return
    with connect(Path(path), wait_seconds=wait_seconds):
        pass
