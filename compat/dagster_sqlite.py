"""Dagster's SQLite event log kept open for the life of a process (`bpo run`).

Private uses (dagster 1.13): `SqliteEventLogStorage._connect`, `_db_lock`, `_initdb`,
`_initialized_dbs`, `conn_string_for_shard` and `has_table`, replaced on one storage object.

Dagster's SQLite event log creates a SQLAlchemy engine (NullPool) for every event it stores and
disposes of it again. In WAL mode, closing the last connection to a database checkpoints it, so
each event cost an engine, a connection, a commit with an fsync, and a checkpoint with more
fsyncs, two or three times over (the run's shard and the cross-run index). A `bpo run` stores
about a thousand events (before its first step alone: one "planned" event per asset and check,
~300), which took 3.2 CPU seconds and 23 s on a busy disk before the first step.

`keep_event_log_open` gives the storage one pooled engine per shard instead, whose connections
stay open (no checkpoint per event; SQLite checkpoints every 1,000 pages by itself), with
`synchronous=NORMAL` on them: in WAL mode a commit then skips its fsync. The database stays
consistent; what a power cut (not a killed process) may lose is the run history's last events,
and a run left "started" that way is marked failed by the next `bpo run` (orchestration/instance.py
`fail_abandoned_runs`). The runs themselves (run storage), sensor cursors and the warehouse are
not touched. Other processes on the same home (`dg dev`) keep Dagster's own behaviour; both
write the same tables, SQLite's locking serialises them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from compat import check_versions

check_versions("dagster")

_ENGINES = "_bpo_engines"


def keep_event_log_open(instance) -> bool:
    """Give this instance's SQLite event log pooled, open connections (see the module docstring).

    Returns False, changing nothing, when the instance's event log is not Dagster's per-run
    SQLite storage (another storage configured in dagster.yaml)."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    storage = instance.event_log_storage
    if type(storage) is not SqliteEventLogStorage or hasattr(storage, _ENGINES):
        return hasattr(storage, _ENGINES)
    engines: dict = {}
    setattr(storage, _ENGINES, engines)
    known_tables: set[str] = set()
    base_dispose = storage.dispose

    def engine_for(shard: str):
        engine = engines.get(shard)
        if engine is None:
            engine = engines[shard] = _open_engine(storage.conn_string_for_shard(shard))
        return engine

    @contextlib.contextmanager
    def _connect(shard: str) -> Iterator:
        # as SqliteEventLogStorage._connect, with the shard's engine kept instead of made and disposed
        with storage._db_lock:
            engine = engine_for(shard)
            if shard not in storage._initialized_dbs:
                storage._initdb(engine)
                storage._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(table_name: str) -> bool:
        # asked before most asset and check events; a table, once there, stays (migrations only add)
        if table_name not in known_tables:
            engine = engine_for("index")
            with engine.connect() as conn:
                if engine.dialect.has_table(conn, table_name):
                    known_tables.add(table_name)
        return table_name in known_tables

    def dispose() -> None:
        base_dispose()
        while engines:
            engines.popitem()[1].dispose()

    storage._connect = _connect
    storage.has_table = has_table
    storage.dispose = dispose
    return True


def _open_engine(conn_string: str):
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    # the storage's lock serialises its own use; the watcher thread of `dg dev` is not started here
    engine = create_engine(conn_string, poolclass=QueuePool, pool_size=1,
                           connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _no_fsync_per_commit(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return engine
