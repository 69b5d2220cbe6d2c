"""Checks before a run touches anything: the folders, the warehouse path, the contracts.

A run that would publish wrong money, or silently do nothing, is refused here
with one line naming what to fix (`ConfigurationError`): a landing or
contracts folder that is missing or unreadable (an s3:// landing zone whose
bucket is missing or refuses access), a warehouse path that is a
folder, not a DuckDB file, or the published copy for BI, an empty contracts
folder, and a contracts folder that lacks the contract of a vendor whose data
is already loaded (its SLA rows would vanish and every invoice line would
become an `outside_contract_period` finding).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ingestion.contracts import Contract, ContractError, load_contracts
from ingestion.feeds import SHARED_VENDOR

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


class ConfigurationError(ValueError):
    """The run's settings cannot work; the message says what to fix, in one line."""


def check_folder(path: Path, what: str, option: str) -> None:
    """`path` exists, is a folder, and can be listed."""
    if not path.exists():
        raise ConfigurationError(f"{what} {path} does not exist (check {option})")
    if not path.is_dir():
        raise ConfigurationError(f"{what} {path} is a file, not a folder (check {option})")
    try:
        with os.scandir(path):
            pass
    except PermissionError:
        raise ConfigurationError(f"{what} {path} cannot be read (permission denied)") from None


def check_landing(landing: Path | str) -> None:
    """The landing root and every vendor and feed folder in it can be listed.

    A folder that cannot be listed would otherwise be skipped without a word,
    and its files would never load. An ``s3://bucket/prefix`` landing zone: the
    bucket exists and the prefix can be listed with the AWS credentials in force
    (one line naming what to check otherwise: ingestion/storage.py).
    """
    from ingestion.storage import S3Landing, is_remote

    if is_remote(landing):
        S3Landing(landing).check()
        return
    check_folder(landing, "landing folder", "--landing / BPO_LANDING")
    for vendor in _subfolders(landing):
        for feed in _subfolders(vendor):
            _subfolders(feed)


def _subfolders(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            return [Path(e.path) for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
    except PermissionError:
        raise ConfigurationError(
            f"landing folder {folder} cannot be read (permission denied): its files would never load; "
            "fix its permissions") from None


def check_warehouse_path(warehouse: Path, published: Path) -> None:
    """The warehouse path names a DuckDB file we may write, not a folder and not the published copy."""
    if warehouse.resolve() == published.resolve():
        raise ConfigurationError(
            f"--warehouse {warehouse} is the published read-only copy for BI; give the warehouse file itself")
    if warehouse.is_dir():
        raise ConfigurationError(
            f"--warehouse {warehouse} is a folder; give a file, e.g. {warehouse / 'warehouse.duckdb'}")
    parent = warehouse.parent
    if parent.exists() and not parent.is_dir():
        raise ConfigurationError(f"--warehouse {warehouse}: {parent} is a file, not a folder")
    if not warehouse.exists():
        return
    try:
        with warehouse.open("rb") as fh:
            header = fh.read(12)
    except PermissionError:
        raise ConfigurationError(f"--warehouse {warehouse} cannot be read (permission denied)") from None
    if header[8:12] != DUCKDB_MAGIC:
        raise ConfigurationError(f"--warehouse {warehouse} is not a DuckDB database file")
    if _is_published_copy(warehouse):
        raise ConfigurationError(
            f"--warehouse {warehouse} is a published read-only copy for BI, not a warehouse; "
            f"give the warehouse file it was published from")


def _is_published_copy(path: Path) -> bool:
    """A published copy has `main.publication` and no `raw` schema (publish_marts writes it so)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False  # locked by a writer: a published copy never is; the lock wait reports it later
    try:
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_schemas()").fetchall()}
        tables = {t for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
    finally:
        con.close()
    return "publication" in tables and "raw" not in schemas


def load_run_contracts(contracts_dir: Path) -> dict[str, Contract]:
    """Every contract of the folder; refuses a missing, unreadable or empty folder."""
    check_folder(contracts_dir, "contracts folder", "--contracts / BPO_CONTRACTS")
    contracts = load_contracts(contracts_dir)
    if not contracts:
        raise ConfigurationError(
            f"contracts folder {contracts_dir} holds no contract (<vendor_id>.yaml): refusing to build marts "
            "without contracts (check --contracts / BPO_CONTRACTS)")
    return contracts


def vendors_without_contract(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract]) -> list[str]:
    """Vendors with data loaded in the warehouse whose contract is not among `contracts`."""
    # no bound parameter: DuckDB's Python client imports pandas (~0.4 CPU s) to bind the first one
    loaded = con.execute(
        "select distinct vendor_id from raw.load_manifest where status = 'loaded' and vendor_id is not null "
        "order by vendor_id").fetchall()
    return [v for (v,) in loaded if v != SHARED_VENDOR and v not in contracts]


def require_contracts_for_loaded_vendors(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract],
                                         contracts_dir: Path) -> None:
    """Refuse to replace the contracts when a vendor with loaded data would lose its contract."""
    missing = vendors_without_contract(con, contracts)
    if missing:
        raise ContractError(
            f"contracts folder {contracts_dir} has no contract for {', '.join(missing)}, whose data is loaded: "
            "refusing to build or publish (the marts would drop their SLAs and flag every invoice line); "
            f"restore {', '.join(f'{v}.yaml' for v in missing)} or point --contracts at the right folder")
