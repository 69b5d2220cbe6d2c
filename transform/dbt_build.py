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

import hashlib
import json
import os
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


def dbt_vars(reporting_currency: str = "USD") -> str:
    """The --vars of an invocation (JSON, which is YAML): only what the parsed project depends on.

    dbt parses the whole project again whenever the vars change (its partial parsing keys on them),
    so the warehouse's path and DuckDB's memory limit reach dbt through the warehouse's profile
    (`warehouse_profile`), not here: the vars are the same for every warehouse.
    """
    return json.dumps({"reporting_currency": reporting_currency})


PROFILE_NAME = "bpo_warehouse"  # dbt_project.yml `profile:`


def warehouse_profile(warehouse: Path, memory_limit: str | None = None) -> Path:
    """Write this warehouse's dbt profile (`profiles.yml` in its target folder) when it differs; return its folder.

    The project's `default` output (dbt_project/profiles.yml: threads, settings) with the warehouse's
    path and the memory limit written in (memory_limit None = `Settings.duckdb_memory_limit`,
    BPO_DUCKDB_MEMORY_LIMIT). In-process dbt leaves the path out of its partial-parse check
    (compat.dbt_duckdb `ignore_path_in_parse_check`; the catalog name, the file's stem, stays in), so
    a parse made for another warehouse stays valid. Written explicitly per warehouse, never through a
    process-wide environment variable set at run time.
    """
    import yaml

    warehouse = Path(warehouse).resolve()
    project = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))[PROFILE_NAME]
    output = dict(project["outputs"][project["target"]])
    output["path"] = str(warehouse)
    output["settings"] = {**output.get("settings", {}),
                          "memory_limit": memory_limit or Settings.from_env().duckdb_memory_limit}
    text = ("# written by transform/dbt_build.py warehouse_profile for this warehouse; edits are replaced\n"
            + yaml.safe_dump({PROFILE_NAME: {"target": "default", "outputs": {"default": output}}}, sort_keys=False))
    folder = dbt_target_path(warehouse)
    profile = folder / "profiles.yml"
    if not profile.is_file() or profile.read_text(encoding="utf-8") != text:
        folder.mkdir(parents=True, exist_ok=True)
        _replace_file(profile, text.encode())
    return folder


def dbt_build_args(warehouse: Path, reporting_currency: str = "USD", *, memory_limit: str | None = None,
                   select: Sequence[str] | None = None) -> list[str]:
    """Arguments of the build of one warehouse (its vars and its profile): every model and test of the project,
    or the nodes of a dbt selection (`select`: transform/dbt_selection.py, what the raw tables that changed reach)."""
    return ["build", "--vars", dbt_vars(reporting_currency),
            "--profiles-dir", str(warehouse_profile(warehouse, memory_limit)),
            # one value, as dbt and dagster-dbt (`extract_runtime_selection_from_args`) both split it on spaces
            *(["--select", " ".join(select)] if select else [])]


def dbt_target_path(warehouse: Path) -> Path:
    """dbt's target (and log) folder for a warehouse, kept between builds for partial parsing, with its profile."""
    return Path(warehouse).resolve().parent / "dbt_target"


# Shared partial-parse states: a warehouse's first build (or a published copy's first docs) starts from the
# state the last invocation with the same vars, profile and target left, instead of parsing the whole project.
PARSE_SEEDS = DBT_PROJECT_DIR / "target" / "parse_seeds"
PARTIAL_PARSE = "partial_parse.msgpack"


def _flag(args: Sequence[str], name: str) -> str | None:
    args = list(args)
    return args[args.index(name) + 1] if name in args[:-1] else None


def parse_seed(args: Sequence[str]) -> Path | None:
    """The shared partial-parse state for an invocation with these arguments (None: no --target-path).

    Keyed by the vars, the --profile / --target given and the profile with its outputs' paths left
    out (as in-process dbt checks it). dbt still checks everything when it reads the state (its
    version, the vars, the profile's connection values but the path, dbt_project.yml, the env vars
    it uses, each file's checksum), so a stale or foreign state costs a re-parse of what changed,
    never a wrong manifest.
    """
    import yaml

    target = _flag(args, "--target-path")
    if target is None:
        return None
    profiles = yaml.safe_load((Path(_flag(args, "--profiles-dir") or DBT_PROJECT_DIR) / "profiles.yml")
                              .read_text(encoding="utf-8"))
    for profile in profiles.values():
        for output in (profile.get("outputs") or {}).values():
            output.pop("path", None)
    key = json.dumps({"project": _flag(args, "--project-dir"), "profiles": profiles,
                      "vars": yaml.safe_load(_flag(args, "--vars") or "{}") or {},
                      "profile": _flag(args, "--profile"), "target": _flag(args, "--target")},
                     sort_keys=True, default=str)
    return PARSE_SEEDS / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.msgpack"


def reuse_shared_parse(args: Sequence[str]) -> bool:
    """Before an invocation: a target folder without a partial-parse state gets the shared one; True if it did."""
    seed = parse_seed(args)
    own = Path(_flag(args, "--target-path") or ".") / PARTIAL_PARSE
    if seed is None or own.exists():
        return False
    try:
        state = seed.read_bytes()
    except OSError:  # none yet, or pruned by another process just now
        return False
    own.parent.mkdir(parents=True, exist_ok=True)
    _replace_file(own, state)
    return True


def share_parse(args: Sequence[str]) -> None:
    """After a successful invocation: its partial-parse state becomes the shared one for the same arguments.

    Copied whole under a temporary name and renamed, so a reader never sees half a file (dbt itself
    writes its state in place; a state it cannot read makes it parse in full)."""
    seed = parse_seed(args)
    own = Path(_flag(args, "--target-path") or ".") / PARTIAL_PARSE
    if seed is None or not own.is_file():
        return
    PARSE_SEEDS.mkdir(parents=True, exist_ok=True)
    _replace_file(seed, own.read_bytes())
    # vars naming temporary folders (Spark's) make a state per invocation: keep the latest few (~2 MB each)
    for stale in sorted(PARSE_SEEDS.glob("*.msgpack"), key=_mtime, reverse=True)[KEEP_SEEDS:]:
        stale.unlink(missing_ok=True)


KEEP_SEEDS = 8


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _replace_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def raise_if_locked(warehouse: Path, dbt_output: str) -> None:
    """After a failed dbt run: raise WarehouseLocked when the failure was the file lock."""
    if is_lock_error(dbt_output):
        detail = next((line for line in dbt_output.splitlines() if is_lock_error(line)), dbt_output)
        raise WarehouseLocked(lock_message(warehouse, lock_wait_seconds(), detail))


def project_args(args: Sequence[str], target_path: Path, log_path: Path | None = None) -> list[str]:
    """`args` run on this project, writing to target_path (logs there too by default), with the project's
    profile unless `args` name one (`dbt_build_args`: the warehouse's)."""
    profile = [] if "--profiles-dir" in args else ["--profiles-dir", str(DBT_PROJECT_DIR)]
    return [*args, "--project-dir", str(DBT_PROJECT_DIR), *profile,
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
