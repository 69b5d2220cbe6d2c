"""How the marts are built: the one `dbt build` command line, and running dbt without Dagster.

`build_marts` runs the build as a plain dbt subprocess (scripts and tests);
dbt in this process (`compat.dbt_duckdb.run_dbt`: the robustness driver, and
the Dagster step on a worker thread through `compat.dagster_dbt_inprocess`)
saves the dbt subprocess's start and ~3 s of imports. All take the same
arguments (`project_args`). Every route uses
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
import subprocess
import sys
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


def dbt_build_args(warehouse: Path, reporting_currency: str = "USD", *, memory_limit: str | None = None,
                   select: Sequence[str] | None = None) -> list[str]:
    """Arguments of the build of one warehouse: every model and test of the project, or the nodes of a
    dbt selection (`select`: transform/dbt_selection.py, what the raw tables that changed reach)."""
    return ["build", "--vars", dbt_vars(warehouse, reporting_currency, memory_limit),
            # one value, as dbt and dagster-dbt (`extract_runtime_selection_from_args`) both split it on spaces
            *(["--select", " ".join(select)] if select else [])]


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
                log_path: Path | None = None, select: Sequence[str] | None = None) -> subprocess.CompletedProcess:
    """`dbt build` against the warehouse as a subprocess; raise DbtBuildFailed / WarehouseLocked."""
    warehouse = Path(warehouse).resolve()
    wait_for_lock(warehouse)
    args = project_args(dbt_build_args(warehouse, reporting_currency, select=select),
                        target_path or dbt_target_path(warehouse),
                        log_path or warehouse.parent / "dbt_logs")
    proc = subprocess.run([DBT_EXECUTABLE, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise_if_locked(warehouse, proc.stdout + proc.stderr)
        raise DbtBuildFailed(f"dbt build failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc
