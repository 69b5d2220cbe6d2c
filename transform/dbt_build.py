"""How the marts are built: the one `dbt build` command line, and running dbt without Dagster.

`build_marts` runs the build as a plain dbt subprocess (scripts and tests);
`run_dbt` runs dbt in this process (the robustness driver) and
`InProcessDbt` does so on a worker thread (the Dagster step, through
`compat.dagster_dbt_inprocess`), which saves the dbt subprocess's start and
~3 s of imports. All three take the same arguments (`project_args`). Every route uses
the warehouse's own target folder (`dbt_target_path`), so dbt's partial
parsing survives from one build to the next, and waits for the warehouse
lock first (dbt cannot wait for it itself: it fails at once with DuckDB's
"Could not set lock"), turning a lock failure into `WarehouseLocked` with
the same clear message as ingestion.

Marts are `table` models rebuilt whole from `raw` on every build, except the
scoped incremental models (DEVELOPERS.md "Incremental builds"), whose delete
and insert share one transaction; a build killed half-way leaves the
previous tables: dbt-duckdb swaps each table in one transaction and drops the
`__dbt_tmp` / `__dbt_backup` relations a killed build leaves behind at the
next build.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ingestion.settings import Settings
from ingestion.warehouse import WarehouseLocked, is_lock_error, lock_message, lock_wait_seconds, wait_for_lock

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# dbt from this environment, whether or not the venv is on PATH
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


class DbtBuildFailed(RuntimeError):
    """dbt build failed (a model or a test); the previous marts and published copy stay in place."""


def dbt_vars(warehouse: Path, reporting_currency: str = "USD", memory_limit: str | None = None) -> str:
    """The --vars of an invocation (JSON, which is YAML): the warehouse and DuckDB's memory limit
    reach dbt_project/profiles.yml here, explicitly, not through the process's environment.

    memory_limit: None = `Settings.duckdb_memory_limit` (BPO_DUCKDB_MEMORY_LIMIT).
    """
    return json.dumps({
        "reporting_currency": reporting_currency,
        "bpo_warehouse": str(Path(warehouse).resolve()),
        "bpo_duckdb_memory_limit": memory_limit or Settings.from_env().duckdb_memory_limit,
    })


def dbt_build_args(warehouse: Path, reporting_currency: str = "USD", *, memory_limit: str | None = None) -> list[str]:
    """Arguments of the build of one warehouse: every model and test of the project."""
    return ["build", "--vars", dbt_vars(warehouse, reporting_currency, memory_limit)]


def dbt_target_path(warehouse: Path) -> Path:
    """dbt's target (and log) folder for a warehouse, kept between builds for partial parsing.

    dbt re-parses the whole project when the profile or the --vars (which hold the warehouse path)
    differ from the last parse in the target folder, so each warehouse keeps its own folder beside it.
    """
    return Path(warehouse).resolve().parent / "dbt_target"


def raise_if_locked(warehouse: Path, dbt_output: str) -> None:
    """After a failed dbt run: raise WarehouseLocked when the failure was the file lock."""
    if is_lock_error(dbt_output):
        detail = next((line for line in dbt_output.splitlines() if is_lock_error(line)), dbt_output)
        raise WarehouseLocked(lock_message(warehouse, lock_wait_seconds(), detail))


def project_args(args: Sequence[str], target_path: Path, log_path: Path | None = None) -> list[str]:
    """`args` run on this project with its profile, writing to target_path (logs there too by default)."""
    return [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target_path), "--log-path", str(log_path or target_path)]


def build_marts(warehouse: Path, *, reporting_currency: str = "USD", target_path: Path | None = None,
                log_path: Path | None = None) -> subprocess.CompletedProcess:
    """`dbt build` against the warehouse as a subprocess; raise DbtBuildFailed / WarehouseLocked."""
    warehouse = Path(warehouse).resolve()
    wait_for_lock(warehouse)
    args = project_args(dbt_build_args(warehouse, reporting_currency), target_path or dbt_target_path(warehouse),
                        log_path or warehouse.parent / "dbt_logs")
    proc = subprocess.run([DBT_EXECUTABLE, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise_if_locked(warehouse, proc.stdout + proc.stderr)
        raise DbtBuildFailed(f"dbt build failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc


def run_dbt(args: Sequence[str], *, manifest=None, callbacks: Sequence = ()):
    """dbt in this process (`dbtRunner`), then the warehouse released; returns dbt's result.

    manifest: a parsed manifest to reuse (no parsing); callbacks: called with each dbt event.
    """
    from dbt.cli.main import dbtRunner

    try:
        return dbtRunner(manifest=manifest, callbacks=list(callbacks)).invoke(list(args))
    finally:
        from compat.dbt_duckdb import release_duckdb

        release_duckdb()  # dbt-duckdb keeps the file open for the process otherwise


DONE = object()


class InProcessDbt:
    """dbt run by `dbtRunner` on a worker thread of this process, its events queued as the dicts
    dbt's JSON log lines carry. Shaped like the `process` of dagster-dbt's DbtCliInvocation
    (the arguments, an exit code, wait()), which the Dagster step streams from."""

    def __init__(self, args: Sequence[str]):
        self.args = ["dbt", *args]
        # what the dbt CLI writes to stdout: info and up (debug goes to dbt.log); errors only with --quiet
        self.levels = {"error"} if {"-q", "--quiet"} & set(args) else {"info", "warn", "error"}
        self.returncode: int | None = None
        self.exception: BaseException | None = None
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="dbt", daemon=True)

    def start(self) -> InProcessDbt:
        self._thread.start()
        return self

    def _callback(self, msg) -> None:
        if msg.info.level in self.levels:
            from dbt_common.events.functions import msg_to_dict

            self.events.put(msg_to_dict(msg))

    def _run(self) -> None:
        try:
            result = run_dbt(self.args[1:], callbacks=[self._callback])
            self.exception = result.exception
            # the dbt CLI's exit codes: 0 success, 1 a node failed, 2 dbt itself failed
            self.returncode = 0 if result.success else (2 if result.exception is not None else 1)
        except BaseException as exc:  # noqa: BLE001 - reported through the invocation
            self.exception, self.returncode = exc, 2
        finally:
            self.events.put(DONE)

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def send_signal(self, sig) -> None:  # an interrupted step: dbt ends with the process
        pass
