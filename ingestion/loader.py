"""The one place that writes `raw`: contracts, and landed files with their manifest.

A landed file is read and normalised by DuckDB in a private staging connection
(ingestion/readers.py), validated there (GX suite of its feed, GX's SQL engine on
the staged relation), then written (one INSERT ... SELECT from its Arrow rows)
with its load-manifest row in ONE transaction; or, when anything is
wrong, copied to quarantine with a reason file and recorded as quarantined,
with none of its rows written. A file whose sha256 is already in the
manifest is not processed again.

Isolation: whatever goes wrong with one file ends as that file's result, never
as an exception for the batch. A problem of the file (unreadable content,
values the warehouse cannot store, a validator or loader error on its rows)
quarantines it; when even that is impossible (the landed file cannot be read,
the quarantine folder cannot be written) or the warehouse fails for a reason
that is not the file's (I/O, memory), the result is `failed`: nothing is
recorded in the manifest, so the next run tries the file again.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from ingestion.admission import ready_to_load
from ingestion.contracts import Contract, contract_rows
from ingestion.disputes import load_register, register_rows
from ingestion.feeds import FEEDS, Feed, stored_columns
from ingestion.landing import LandedFile
from ingestion.manifest import SETTLED
from ingestion.mappings import mapping_connection, read_landed
from ingestion.pii import pii_salt
from ingestion.preflight import load_run_contracts, require_contracts_for_loaded_vendors
from ingestion.readers import FileRejected, normalise_staged

STAGED = "bpo_staged"  # the normalised rows as a table on the file's staging connection: what GX validates


@dataclass
class StagedRows:
    """A file's normalised rows as the table `name` on its private staging connection `con`."""

    con: duckdb.DuckDBPyConnection
    name: str = STAGED


# (feed, staged rows, vendor_id) -> report with .success, .to_text(), .to_metadata()
Validate = Callable[[str, StagedRows, str | None], Any]


def gx_validate(feed: str, staged: StagedRows, vendor_id: str | None) -> Any:
    """The Validate of the pipeline: the process's GX validator (built once) on the staged relation."""
    from expectations.runner import get_validator

    return get_validator().validate_relation(staged.con, staged.name, feed, vendor_id)


@dataclass
class IngestResult:
    file: str
    vendor_id: str | None
    feed: str | None
    sha256: str  # "" when the landed file could not be read (status failed)
    status: str  # loaded | quarantined | duplicate | failed (not recorded: tried again by the next run)
    rows: int = 0
    load_id: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    validation: dict[str, Any] | None = None
    quarantine_path: str | None = None
    mapping_version: str | None = None  # vendor mapping used (file + sha256); None = canonical file


def sync_contracts(con: duckdb.DuckDBPyConnection, contracts_dir: Path) -> dict[str, Contract]:
    """Validate every contract file (and the dispute register) and replace raw.contract* and raw.disputes with
    them, in one transaction.

    Refused (nothing replaced) when the folder is empty or lacks the contract of a vendor with loaded data.
    """
    contracts = load_run_contracts(contracts_dir)
    require_contracts_for_loaded_vendors(con, contracts, contracts_dir)
    rows = contract_rows(contracts, contracts_dir)
    # the dispute register beside the contracts (optional) is replaced with them, in their transaction
    rows["disputes"] = register_rows(contracts_dir, load_register(contracts_dir, set(contracts)))
    con.begin()
    try:
        for table, table_rows in rows.items():
            con.execute(f"delete from raw.{table}")
            if table_rows:
                frame = pl.DataFrame(table_rows, infer_schema_length=None)
                con.register("contract_batch", frame.to_arrow())
                cols = ", ".join(frame.columns)
                con.execute(f"insert into raw.{table} ({cols}) select {cols} from contract_batch")
                con.unregister("contract_batch")
        con.commit()
    except Exception:
        con.rollback()
        raise
    return contracts


def already_processed(con: duckdb.DuckDBPyConnection, sha256: str) -> dict[str, Any] | None:
    row = con.execute(
        "select load_id, file_path, status from raw.load_manifest where sha256 = ? and status in ? "
        "order by processed_at desc limit 1", [sha256, list(SETTLED)]
    ).fetchone()
    return None if row is None else {"load_id": row[0], "file_path": row[1], "status": row[2]}


@dataclass
class PreparedFile:
    """A landed file read, normalised and staged for validation, or why it cannot be loaded.

    Needs no warehouse connection (it is staged in a private in-memory DuckDB), so the next file can be
    prepared while the current one is validated and loaded (`ingestion.batch`). Holds that connection
    open until `close()` (ingest_file closes it once the file is done).
    """

    feed: Feed | None = None
    rows: pa.Table | None = None  # stored columns + _row_number: what is loaded
    staged: StagedRows | None = None  # the same rows as a DuckDB table: what is validated
    warnings: list[str] = field(default_factory=list)
    mapping_version: str | None = None
    rejected: FileRejected | None = None

    def close(self) -> None:
        """Let the staging connection (and the rows staged in it) go; idempotent."""
        if self.staged is not None:
            self.staged.con.close()
            self.staged = None


def prepare_file(landed: LandedFile, contracts: dict[str, Contract], *,
                 mappings_dir: Path | None = None, salt: str | None = None) -> PreparedFile:
    """Everything before validation: layout and contract checks; DuckDB reads the file (through its
    mapping, the identity for a canonical file) and normalises it in SQL; the rows come out as Arrow.

    `salt`: the PII salt; None = `Settings.pii_salt` from the environment.

    Never raises: any problem, foreseen or not, is `prepared.rejected` (the file is quarantined).
    """
    prepared = PreparedFile()
    con = None
    try:
        feed, vendor_tz = _check_layout_and_contract(landed, contracts)
        con = mapping_connection()  # private: the staged text never leaves it
        # A vendor with a mapping file (<mappings>/<vendor>/<feed>.yaml) sends its own format: map it first.
        source = read_landed(con, landed.local_path, feed.name, vendor_id=landed.vendor_id, timezone=vendor_tz,
                             mappings_dir=mappings_dir)
        prepared.mapping_version = source.mapping_version
        normalised = normalise_staged(con, feed, vendor_id=landed.vendor_id, timezone=source.timezone,
                                      salt=pii_salt() if salt is None else salt, table=source.table)
        prepared.warnings = source.warnings + normalised.warnings
        _check_against_contract(normalised.frame, feed, landed, contracts)
        stage_rows(con, normalised.frame)
    except Exception as exc:  # noqa: BLE001 - sorted below; the connection goes with the file
        if con is not None:
            con.close()
        if isinstance(exc, FileRejected):
            prepared.mapping_version = prepared.mapping_version or getattr(exc, "mapping_version", None)
            prepared.rejected = exc
        elif isinstance(exc, MemoryError):
            raise  # not the file's fault: the batch reports it as failed and the next run tries again
        else:  # an unforeseen failure on this file's content: quarantine it
            prepared.rejected = FileRejected(f"the file could not be read: {one_line(exc)}")
        return prepared
    prepared.feed, prepared.rows, prepared.staged = feed, normalised.frame, StagedRows(con)
    return prepared


def stage_rows(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """The normalised rows as the table STAGED on their staging connection, for validation.

    A DuckDB table rather than a view over the Arrow rows: GX's SQL engine runs ~50 queries per file, and
    on a native table they cost less and use both cores (1.2M rows: validation 3.0-3.3 s wall, 1.5-1.6 s CPU,
    against 4.9-6.5 s, 2.2-2.3 s over the Arrow view; the copy costs 0.7 s CPU, in the prefetch thread)."""
    con.register("bpo_normalised", rows)
    try:
        con.execute(f"CREATE TEMP TABLE {STAGED} AS SELECT * FROM bpo_normalised")
    finally:
        con.unregister("bpo_normalised")


def one_line(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message (DuckDB's without
    the SQL excerpt it appends)."""
    lines = str(exc).split("\n\nLINE", 1)[0].strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    landed: LandedFile,
    contracts: dict[str, Contract],
    quarantine_dir: Path,
    validate: Validate,
    *,
    replay: bool = False,
    mappings_dir: Path | None = None,
    prepared: PreparedFile | None = None,
    replay_hint: str | None = None,
) -> IngestResult:
    """Load one landed file whole, or quarantine it whole. Never half, and never raises for the file's sake:
    what cannot be quarantined is returned as status `failed` (see the module doc).

    `prepared`: the file already prepared (`prepare_file`), e.g. in the background; None = prepare it here.
    Either way it is closed (its staging connection let go) when this returns.
    `replay_hint`: the whole `bpo replay ...` command for this file, printed in the quarantine reason.
    """
    result = IngestResult(file=landed.source, vendor_id=landed.vendor_id, feed=landed.feed, sha256="",
                          status="loaded")
    try:
        return _ingest(con, landed, contracts, quarantine_dir, validate, result, replay=replay,
                       mappings_dir=mappings_dir, prepared=prepared, replay_hint=replay_hint)
    finally:
        if prepared is not None:
            prepared.close()


def _ingest(con: duckdb.DuckDBPyConnection, landed: LandedFile, contracts: dict[str, Contract],
            quarantine_dir: Path, validate: Validate, result: IngestResult, *, replay: bool,
            mappings_dir: Path | None, prepared: PreparedFile | None, replay_hint: str | None) -> IngestResult:
    try:
        sha = landed.sha256
    except OSError as exc:
        return _failed(result, f"the landed file cannot be read ({_os_error(exc)}): fix its permissions or "
                               "re-land it; nothing was loaded, the next run tries it again")
    result.sha256 = sha
    seen = already_processed(con, sha)
    if seen and not (replay and seen["status"] == "quarantined"):
        result.status = "duplicate"
        result.reason = f"same bytes already {seen['status']} from {seen['file_path']}"
        return result

    if prepared is not None:
        return _validate_and_load(con, landed, prepared, quarantine_dir, validate, result, replay_hint)
    prepared = prepare_file(landed, contracts, mappings_dir=mappings_dir)
    try:
        return _validate_and_load(con, landed, prepared, quarantine_dir, validate, result, replay_hint)
    finally:
        prepared.close()


def _validate_and_load(con: duckdb.DuckDBPyConnection, landed: LandedFile, prepared: PreparedFile,
                       quarantine_dir: Path, validate: Validate, result: IngestResult,
                       replay_hint: str | None) -> IngestResult:
    result.mapping_version = prepared.mapping_version
    result.warnings = prepared.warnings
    try:
        if not ready_to_load(con, landed, prepared, result):  # changed while read: pending; a re-sent revision raises
            return result
        if prepared.rejected is not None:
            raise prepared.rejected
        feed = prepared.feed
        try:
            # on the staging connection, before the load transaction (which it must not touch)
            report = validate(feed.name, prepared.staged, landed.vendor_id if feed.vendor_scoped else None)
            result.validation = report.to_metadata()
        except MemoryError:
            raise  # failed (see the module doc), not quarantined
        except Exception as exc:  # noqa: BLE001 - the validator failed on this file: quarantine it
            raise FileRejected(f"validation could not run on this file ({one_line(exc)}); "
                               "replay it once the cause is fixed") from None
        if not report.success:
            raise FileRejected(_summary_of(report), [report.to_text()])
    except FileRejected as rejected:
        return _quarantine(con, landed, result, rejected, quarantine_dir, replay_hint)
    finally:
        prepared.close()  # validated: the staged copy goes before the load needs memory

    try:
        _load(con, landed, feed, prepared.rows, result)
    except (duckdb.DataError, duckdb.IntegrityError, duckdb.InvalidInputException) as exc:
        # the warehouse refused these rows (a value it cannot store that no check caught): the file's fault
        refused = FileRejected(f"the warehouse refused the file's rows ({one_line(exc)})")
        return _quarantine(con, landed, result, refused, quarantine_dir, replay_hint)
    except Exception as exc:  # noqa: BLE001 - I/O, memory, a schema or connection problem: not the file's fault
        return _failed(result, f"loading failed ({one_line(exc)}); nothing of it was kept, "
                               "the next run tries it again")
    return result


def _failed(result: IngestResult, reason: str) -> IngestResult:
    result.status = "failed"
    result.reason = reason
    result.rows = 0
    result.load_id = None
    return result


def _os_error(exc: OSError) -> str:
    return f"{exc.strerror or type(exc).__name__}: {exc.filename}" if exc.filename else one_line(exc)


def _load(con: duckdb.DuckDBPyConnection, landed: LandedFile, feed: Feed, rows: pa.Table,
          result: IngestResult) -> None:
    """Write the file's rows and its manifest row in one transaction."""
    load_id = uuid.uuid4().hex
    now = datetime.now(timezone.utc)
    cols = stored_columns(feed)
    con.begin()
    try:
        con.register("landed_batch", rows)
        try:
            con.execute(
                f"insert into raw.{feed.table} ({', '.join(cols)}, _load_id, _row_number, _loaded_at) "
                f"select {', '.join(cols)}, ?, _row_number, ? from landed_batch",
                [load_id, now],
            )
        finally:
            con.unregister("landed_batch")
        _write_manifest(con, landed, load_id, "loaded", rows.num_rows, None, result.warnings, now,
                        result.mapping_version)
        con.commit()
    except Exception:
        con.rollback()
        raise
    result.rows = rows.num_rows
    result.load_id = load_id


def _summary_of(report: Any) -> str:
    """One line: the first three failures, the first with its first offending row and values."""
    failures = list(getattr(report, "failures", []))
    failed = [f.message for f in failures]
    if failed and getattr(failures[0], "examples", None):
        example = failures[0].examples[0]
        values = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                           for k, v in example.items() if k != "_row_number")
        failed[0] += f" (first: row {example.get('_row_number')}: {values})"
    head = "; ".join(failed[:3]) + (f"; and {len(failed) - 3} more" if len(failed) > 3 else "")
    return f"failed validation: {head}" if head else "failed validation"


def _check_layout_and_contract(landed: LandedFile, contracts: dict[str, Contract]) -> tuple[Feed, str | None]:
    problem = landed.layout_problem()
    if problem:
        raise FileRejected(problem)
    feed = FEEDS[landed.feed]
    if not feed.vendor_scoped:
        return feed, "UTC"
    contract = contracts.get(landed.vendor_id)
    if contract is None:
        raise FileRejected(
            f"no contract for vendor {landed.vendor_id!r}: add contracts/{landed.vendor_id}.yaml "
            "(its timezone is needed to read local timestamps), then replay the file"
        )
    return feed, contract.timezone


def _check_against_contract(rows: pa.Table, feed: Feed, landed: LandedFile,
                            contracts: dict[str, Contract]) -> None:
    if feed.name not in ("agent_time", "invoices"):
        return
    frame = pl.from_arrow(rows.select(["_row_number", "state", "started_at", "ended_at"] if feed.name == "agent_time"
                                      else ["currency"]))
    assert isinstance(frame, pl.DataFrame)
    if feed.name == "agent_time":
        _check_worked_time_states(frame, landed.vendor_id, contracts[landed.vendor_id])
    if feed.name != "invoices":
        return
    contract = contracts[landed.vendor_id]
    if contract.kind == "in_house":
        raise FileRejected(f"{landed.vendor_id} is an in-house team (kind: in_house): it sends no invoices")
    other = frame.filter(pl.col("currency") != contract.currency)["currency"].unique().to_list()
    if other:
        raise FileRejected(
            f"invoice currency {', '.join(map(str, other))} differs from the contract currency {contract.currency}"
        )


SHOWN_ROWS = 10  # row numbers named in a reason; the rest are counted


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
    more = f" and {len(rows) - SHOWN_ROWS:,} more" if len(rows) > SHOWN_ROWS else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _check_worked_time_states(frame: pl.DataFrame, vendor_id: str, contract: Contract) -> None:
    """Every agent_time state must be classified by the contract: never guessed (docs/domain.md).

    A row is checked against every contract version that could classify (part of) its interval: those in
    force on a local day from the first day of its start's month to the day it ends, in the vendor's
    timezone. That covers the version in force on the interval's own days and the version in force for
    its months (the one covering the month's first day, the project's month rule). Rows no version
    covers are not checked (nothing is priced against them). Rows without both timestamps are left to
    the validation, which rejects them.
    """
    edit = (f"contracts/{vendor_id}.yaml (worked_time.states: each state the vendor sends -> productive, "
            "training, paid_other or unpaid)")
    if all(v.worked_time is None for v in contract.versions):
        raise FileRejected(
            f"the contract of {vendor_id} has no worked_time section, so its agent states cannot be "
            f"classified: add one to {edit}, then replay the file")
    sent = set(frame["state"].drop_nulls().unique().to_list())
    if all(v.worked_time is not None and sent <= v.worked_time.states.keys() for v in contract.versions):
        return  # every version knows every state: no need to find each row's versions (0.8 s per 1M rows)
    tz = contract.timezone
    started = pl.col("started_at").dt.convert_time_zone(tz)
    # the last instant inside [started_at, ended_at): an interval ending at local midnight stays in its day
    ended = pl.max_horizontal(pl.col("ended_at") - pl.duration(microseconds=1), pl.col("started_at"))
    days = frame.select(
        "_row_number", "state",
        started.dt.month_start().dt.date().alias("first_day"),
        ended.dt.convert_time_zone(tz).dt.date().alias("last_day"),
    ).drop_nulls(["first_day", "last_day"])
    without: list[str] = []  # versions the rows fall in that have no worked_time section
    unknown: dict[str, set[int]] = {}
    for version in contract.versions:
        in_force = pl.col("last_day") >= version.effective_from
        if version.effective_to is not None:
            in_force &= pl.col("first_day") <= version.effective_to
        if version.worked_time is None:
            rows = days.filter(in_force)["_row_number"].sort().to_list()
            if rows:
                without.append(f"contract version {contract.version_id(version)} has no worked_time section "
                               f"but {_rows_text(rows)} fall{'s' if len(rows) == 1 else ''} in it")
            continue
        bad = days.filter(in_force & ~pl.col("state").is_in(list(version.worked_time.states)))
        for state, row in bad.select("state", "_row_number").iter_rows():
            unknown.setdefault(state, set()).add(row)
    problems = [f"state {state!r} is not in the contract's worked_time.states ({_rows_text(sorted(rows))})"
                for state, rows in sorted(unknown.items(), key=lambda item: min(item[1]))]
    if problems or without:
        what = "add what is missing" if without else "add them" if len(unknown) > 1 else "add it"
        raise FileRejected(f"{'; '.join(problems + without)}: {what} to {edit}, then replay the file")


def _write_manifest(con: duckdb.DuckDBPyConnection, landed: LandedFile, load_id: str, status: str, rows: int,
                    reason: str | None, warnings: list[str], now: datetime,
                    mapping_version: str | None = None) -> None:
    con.execute(
        "insert into raw.load_manifest (load_id, file_path, file_name, sha256, vendor_id, feed, rows, status,"
        " reason, warnings, file_mtime, processed_at, mapping_version) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, landed.source, landed.name, landed.sha256, landed.vendor_id, landed.feed, rows, status,
         reason, "; ".join(warnings) or None, landed.mtime, now, mapping_version],
    )


def _quarantine(con: duckdb.DuckDBPyConnection, landed: LandedFile, result: IngestResult,
                rejected: FileRejected, quarantine_dir: Path, replay_hint: str | None = None) -> IngestResult:
    """Copy the file beside a reason file, and record it: nothing of it is loaded.

    When that is impossible (the quarantine folder cannot be written, the landed file cannot be read,
    the manifest row cannot be written), the file is `failed` with both reasons, and not recorded.
    """
    try:
        return _copy_and_record(con, landed, result, rejected, quarantine_dir, replay_hint)
    except Exception as exc:  # noqa: BLE001
        problem = _os_error(exc) if isinstance(exc, OSError) else one_line(exc)
        return _failed(result, f"{rejected.reason} -- but it could not be quarantined ({problem}); "
                               "nothing was loaded, the next run tries it again")


def _copy_and_record(con: duckdb.DuckDBPyConnection, landed: LandedFile, result: IngestResult,
                     rejected: FileRejected, quarantine_dir: Path, replay_hint: str | None) -> IngestResult:
    target_dir = quarantine_dir / Path(*landed.parts[:-1]) if len(landed.parts) > 1 else quarantine_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / landed.name
    if landed.escaping_link is not None:
        pass  # a link out of the landing zone: never read or copied, only the reason is written
    else:  # local_path: the bytes hashed (for an s3:// landing zone, the local copy that was read)
        if target.exists() and target.read_bytes() != landed.local_path.read_bytes():
            target = target_dir / f"{landed.sha256[:12]}_{landed.name}"
        shutil.copy2(landed.local_path, target)
    now = datetime.now(timezone.utc)
    reason_text = "\n".join([
        f"File:      {landed.source}",
        f"sha256:    {landed.sha256}",
        f"Vendor:    {landed.vendor_id}",
        f"Feed:      {landed.feed}",
        f"When:      {now.isoformat(timespec='seconds')}",
        "",
        f"Why it was quarantined: {rejected.reason}",
        "",
        *rejected.details,
        "",
        "Nothing from this file was loaded. Fix the file (or the contract) and land the corrected file",
        "under a new name, or, after correcting a contract or a mapping, run:",
        f"  {replay_hint or f'bpo replay {landed.source}'}",
    ])
    (target_dir / f"{target.name}.reason.txt").write_text(reason_text + "\n", encoding="utf-8")
    load_id = uuid.uuid4().hex
    con.begin()
    try:
        _write_manifest(con, landed, load_id, "quarantined", 0, rejected.reason, result.warnings, now,
                        result.mapping_version)
        con.commit()
    except Exception:
        con.rollback()
        raise
    result.status = "quarantined"
    result.reason = rejected.reason
    result.load_id = load_id
    result.quarantine_path = str(target)
    return result
