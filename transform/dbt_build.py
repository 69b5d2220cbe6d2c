"""How the marts are built: the one `dbt build` command line, and running it without Dagster.

The Dagster asset (`orchestration.assets.dbt_models`) runs the same arguments
through dagster-dbt's events with dbt in the step's own process
(`orchestration.dbt_inprocess`); `build_marts` runs them as a plain subprocess
for scripts and tests. Both use the warehouse's own target folder
(`dbt_target_path`), so dbt's partial parsing survives from one build to the
next. Both wait for the warehouse lock first (dbt cannot wait for it
itself: it fails at once with DuckDB's "Could not set lock") and turn a lock
failure into `WarehouseLocked` with the same clear message as ingestion.

Marts are `table` models rebuilt whole from `raw` on every build (no
incremental models), so late and corrected data restate every affected month
on the next build, and a build killed half-way leaves the previous tables:
dbt-duckdb swaps each table in one transaction and drops the `__dbt_tmp` /
`__dbt_backup` relations a killed build leaves behind at the next build.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingestion.warehouse import WarehouseLocked, is_lock_error, lock_message, lock_wait_seconds, wait_for_lock

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# dbt from this environment, whether or not the venv is on PATH
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


class DbtBuildFailed(RuntimeError):
    """dbt build failed (a model or a test); the previous marts and published copy stay in place."""


def dbt_build_args(reporting_currency: str = "USD") -> list[str]:
    """Arguments of the build: every model and test of the project."""
    return ["build", "--vars", f"{{reporting_currency: {reporting_currency}}}"]


def dbt_target_path(warehouse: Path) -> Path:
    """dbt's target (and log) folder for a warehouse, kept between builds for partial parsing.

    dbt re-parses the whole project when the profile (the warehouse path) or the --vars differ
    from the last parse in the target folder, so each warehouse keeps its own folder beside it.
    """
    return Path(warehouse).resolve().parent / "dbt_target"


def raise_if_locked(warehouse: Path, dbt_output: str) -> None:
    """After a failed dbt run: raise WarehouseLocked when the failure was the file lock."""
    if is_lock_error(dbt_output):
        detail = next((line for line in dbt_output.splitlines() if is_lock_error(line)), dbt_output)
        raise WarehouseLocked(lock_message(warehouse, lock_wait_seconds(), detail))


def build_marts(warehouse: Path, *, reporting_currency: str = "USD", target_path: Path | None = None,
                log_path: Path | None = None) -> subprocess.CompletedProcess:
    """`dbt build` against the warehouse as a subprocess; raise DbtBuildFailed / WarehouseLocked."""
    warehouse = Path(warehouse).resolve()
    wait_for_lock(warehouse)
    target_path = target_path or dbt_target_path(warehouse)
    log_path = log_path or warehouse.parent / "dbt_logs"
    proc = subprocess.run(
        [DBT_EXECUTABLE, *dbt_build_args(reporting_currency), "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target_path), "--log-path", str(log_path)],
        env={**os.environ, "BPO_WAREHOUSE": str(warehouse)}, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise_if_locked(warehouse, proc.stdout + proc.stderr)
        raise DbtBuildFailed(f"dbt build failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc
