"""Import what later steps of a run need on a background thread, while earlier work runs.

`bpo run` imports Dagster and the definitions on its main thread; the
contracts step then needs `pyarrow.dataset` (DuckDB imports it when a frame is
registered, ~1.5 s of mostly shared-library loading) and the dbt step needs
dbt's CLI, task and DuckDB adapter modules (~0.7 s). Importing them on a
second thread overlaps them with the main thread's imports and with
ingestion (polars, DuckDB and GX release the GIL for most of their work).
An import the main thread reaches first simply waits for the module lock;
nothing is imported twice, and a failure here is ignored (the step that
needs the module imports it again and reports the error itself).
"""

from __future__ import annotations

import importlib
import threading

MODULES = (
    "pyarrow.dataset",  # first: the contracts step needs it
    "dbt.cli.main",
    "dbt.task.build",
    "dbt.adapters.duckdb",
    "dbt.adapters.duckdb.impl",
)

_started: list[threading.Thread] = []


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the step that needs it reports the error
            pass


def start(modules: tuple[str, ...] = MODULES) -> threading.Thread:
    """Start the background imports once per process; return the thread."""
    if not _started:
        thread = threading.Thread(target=_import_all, args=(modules,), name="bpo-warmup", daemon=True)
        thread.start()
        _started.append(thread)
    return _started[0]
