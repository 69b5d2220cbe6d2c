"""One bad file never stops the others (issue 14, isolation).

Each known crash is tried between two good files: the batch returns one result per file, never
raises, the good files load, and the bad one is quarantined with a reason naming row and value,
or, when even quarantining it is impossible, reported `failed` and left unrecorded so that the next
run tries it again. The last test runs the whole pipeline (`bpo run`) and reads the published marts.
"""

from __future__ import annotations

import errno
import os
import pathlib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ingestion import batch, readers
from ingestion.batch import file_statuses, ingest, pending_files
from tests.robustness.corpus import YEAR_9999, interactions, invoice
from tests.robustness.helpers import set_arrival_order


def land_between_two_good_files(settings, name: str, content: bytes, feed: str = "interactions") -> list[Path]:
    """good_1.csv, then the file under test, then good_2.csv (arrival order = this order)."""
    paths = []
    for n, (file_name, data) in enumerate([("good_1.csv", interactions(3, start=10)), (name, content),
                                           ("good_2.csv", interactions(3, start=20))]):
        path = settings.landing / "acme_mx" / (feed if n == 1 else "interactions") / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return set_arrival_order(paths)


def outcome(results) -> list[tuple[str, str]]:
    return [(Path(r.file).name, r.status) for r in results]


def manifest(settings) -> list[tuple[str, str, int]]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute("select file_name, status, rows from raw.load_manifest order by processed_at").fetchall()
    finally:
        con.close()


def loaded_ids(settings) -> list[str]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return [r[0] for r in con.execute("select interaction_id from raw.interactions order by 1").fetchall()]
    finally:
        con.close()


GOOD_IDS = ["i10", "i11", "i12", "i20", "i21", "i22"]


def test_a_year_9999_timestamp_is_quarantined_with_row_and_value_and_the_batch_goes_on(settings, validate):
    # 9999-12-31 23:00 in Monterrey is 10000-01-01 05:00 UTC: it crashed the quarantine report (OverflowError)
    land_between_two_good_files(settings, "y9999.csv", interactions(3, start=30, **YEAR_9999))
    results = ingest(settings, validate)
    assert outcome(results) == [("good_1.csv", "loaded"), ("y9999.csv", "quarantined"), ("good_2.csv", "loaded")]
    assert results[1].reason == (
        "values the warehouse cannot store in column(s) arrived_at, answered_at, ended_at (first: column "
        "arrived_at, row 3: '9999-12-31 23:00:00' is outside the years 0001..9999 (UTC) once read in "
        "America/Monterrey)")
    assert manifest(settings) == [("good_1.csv", "loaded", 3), ("y9999.csv", "quarantined", 0),
                                  ("good_2.csv", "loaded", 3)]
    assert loaded_ids(settings) == GOOD_IDS


def test_seconds_beyond_the_integer_column_are_quarantined_not_a_failed_load(settings, validate):
    land_between_two_good_files(settings, "talk.csv", interactions(3, start=30, talk=99999999999999))
    results = ingest(settings, validate)
    assert outcome(results) == [("good_1.csv", "loaded"), ("talk.csv", "quarantined"), ("good_2.csv", "loaded")]
    assert "column talk_seconds, row 3: '99999999999999' is too large for an INTEGER column " \
           "(-2,147,483,648..2,147,483,647)" in results[1].reason
    assert loaded_ids(settings) == GOOD_IDS


def test_a_value_the_warehouse_refuses_at_load_quarantines_that_file_only(settings, validate, monkeypatch):
    """Were a value to slip past the checks, DuckDB's refusal quarantines the file (it used to stop the batch)."""
    monkeypatch.setattr(readers, "_value_problems", lambda *args: [])  # the checks miss it
    land_between_two_good_files(settings, "talk.csv", interactions(3, start=30, talk=99999999999999))
    results = ingest(settings, validate)
    assert outcome(results) == [("good_1.csv", "loaded"), ("talk.csv", "quarantined"), ("good_2.csv", "loaded")]
    assert results[1].reason.startswith("the warehouse refused the file's rows (ConversionException: ")
    assert "99999999999999" in results[1].reason and "\n" not in results[1].reason
    assert manifest(settings)[1] == ("talk.csv", "quarantined", 0)
    assert loaded_ids(settings) == GOOD_IDS  # nothing of the refused file, both good files whole


def test_a_validator_crash_quarantines_that_file_only(settings, validate):
    def crashing(feed, staged, vendor_id):
        if staged.con.execute(f"select count(*) from {staged.name} where interaction_id = 'i31'").fetchone()[0]:
            raise OverflowError("date value out of range")
        return validate(feed, staged, vendor_id)

    land_between_two_good_files(settings, "odd.csv", interactions(3, start=30))
    results = ingest(settings, crashing)
    assert outcome(results) == [("good_1.csv", "loaded"), ("odd.csv", "quarantined"), ("good_2.csv", "loaded")]
    assert results[1].reason == ("validation could not run on this file (OverflowError: date value out of range); "
                                 "replay it once the cause is fixed")
    reason_file = settings.quarantine_dir / "acme_mx" / "interactions" / "odd.csv.reason.txt"
    assert "OverflowError" in reason_file.read_text()


@pytest.fixture
def make_unreadable(monkeypatch):
    """chmod 000; as root (which reads any file whatever its mode) opening it is made to fail the same way."""
    def make(path: Path) -> None:
        path.chmod(0)
        if os.geteuid() == 0:
            real_open = pathlib.Path.open

            def refusing_open(self, *args, **kwargs):
                if Path(self) == path:
                    raise PermissionError(errno.EACCES, "Permission denied", str(self))
                return real_open(self, *args, **kwargs)

            monkeypatch.setattr(pathlib.Path, "open", refusing_open)
    return make


def test_an_unreadable_landed_file_fails_is_not_recorded_and_is_retried(settings, validate, make_unreadable,
                                                                        monkeypatch):
    locked = land_between_two_good_files(settings, "locked.csv", interactions(3, start=30))[1]
    make_unreadable(locked)
    results = ingest(settings, validate)
    assert outcome(results) == [("good_1.csv", "loaded"), ("locked.csv", "failed"), ("good_2.csv", "loaded")]
    assert results[1].sha256 == "" and results[1].rows == 0
    assert results[1].reason == (f"the landed file cannot be read (Permission denied: {locked}): fix its "
                                 "permissions or re-land it; nothing was loaded, the next run tries it again")
    assert [m[0] for m in manifest(settings)] == ["good_1.csv", "good_2.csv"]  # not recorded: not hidden
    status = {Path(e["file"]).name: e for e in file_statuses(settings.warehouse, settings.landing)}
    assert status["locked.csv"]["status"] == "pending" and "cannot be read" in status["locked.csv"]["reason"]
    assert [f.path.name for f in pending_files(settings)] == ["locked.csv"]

    monkeypatch.undo()
    locked.chmod(0o644)
    again = ingest(settings, validate)  # the next run takes it
    assert outcome(again) == [("good_1.csv", "duplicate"), ("locked.csv", "loaded"), ("good_2.csv", "duplicate")]
    assert loaded_ids(settings) == sorted(GOOD_IDS + ["i30", "i31", "i32"])


def test_an_unusable_quarantine_folder_fails_the_bad_file_and_loads_the_good_ones(settings, validate):
    # a regular file where the quarantine folder should be: mkdir fails, for root too
    settings.quarantine_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.quarantine_dir.write_text("not a folder\n")
    land_between_two_good_files(settings, "bad.csv", interactions(3, start=30, channel="fax"))
    results = ingest(settings, validate)
    assert outcome(results) == [("good_1.csv", "loaded"), ("bad.csv", "failed"), ("good_2.csv", "loaded")]
    reason = results[1].reason
    assert reason.startswith("failed validation: channel is not one of voice, chat, email in 1 of 3 rows")
    assert " -- but it could not be quarantined (" in reason and str(settings.quarantine_dir) in reason
    assert reason.endswith("nothing was loaded, the next run tries it again") and "\n" not in reason
    assert [m[0] for m in manifest(settings)] == ["good_1.csv", "good_2.csv"]

    settings.quarantine_dir.unlink()  # fixed: the next run quarantines it
    again = ingest(settings, validate)
    assert outcome(again) == [("good_1.csv", "duplicate"), ("bad.csv", "quarantined"), ("good_2.csv", "duplicate")]
    assert (settings.quarantine_dir / "acme_mx" / "interactions" / "bad.csv.reason.txt").is_file()
    assert loaded_ids(settings) == GOOD_IDS


def test_ingest_never_raises_because_of_one_file(settings, validate, monkeypatch):
    real = batch.ingest_file

    def broken_for_one(con, landed, *args, **kwargs):
        if landed.path.name == "odd.csv":
            raise RuntimeError("something nobody foresaw")
        return real(con, landed, *args, **kwargs)

    monkeypatch.setattr(batch, "ingest_file", broken_for_one)
    land_between_two_good_files(settings, "odd.csv", interactions(3, start=30))
    results = ingest(settings, validate)
    assert outcome(results) == [("good_1.csv", "loaded"), ("odd.csv", "failed"), ("good_2.csv", "loaded")]
    assert results[1].reason == ("processing failed (RuntimeError: something nobody foresaw); nothing was "
                                 "recorded, the next run tries it again")
    assert results[1].sha256  # readable: identified
    assert [m[0] for m in manifest(settings)] == ["good_1.csv", "good_2.csv"]


@pytest.mark.slow
def test_a_year_9999_file_between_two_good_files_through_bpo_run(settings):
    """The whole pipeline: both good files reach the published marts, the bad one is quarantined with
    its row and value, and the run exits 0 (no --fail-on-quarantine). An upper-case header and a
    16-digit amount landed after them are quarantined with their own one-line reasons."""
    from orchestration.cli import app

    land_between_two_good_files(settings, "y9999.csv", interactions(3, start=30, **YEAR_9999))
    upper = interactions(3, start=40)
    (settings.landing / "acme_mx" / "interactions" / "upper.csv").write_bytes(upper.replace(b"queue", b"QUEUE", 1))
    (settings.landing / "acme_mx" / "invoices").mkdir(parents=True)
    (settings.landing / "acme_mx" / "invoices" / "big.csv").write_bytes(
        invoice("L001,handled_contacts,voice,Voice contacts,1200,contact,10.00,1234567890123456.00,1920.00,"))
    run = CliRunner().invoke(app, ["run", "--landing", str(settings.landing), "--contracts", str(settings.contracts),
                                   "--warehouse", str(settings.warehouse)],
                             env={"BPO_PII_SALT": "a-test-secret", "COLUMNS": "250"})
    assert run.exit_code == 0, run.output
    assert "y9999.csv" in run.output
    assert "row 3: '9999-12-31 23:00:00' is outside the years 0001..9999" in run.output
    assert "column QUEUE: expected queue" in run.output
    assert "'1234567890123456.00' is too large for DECIMAL(18,4)" in run.output
    assert "Traceback" not in run.output

    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        # 3 + 3 answered voice contacts of 2026-01-05 (good_1 and good_2), none of y9999.csv
        assert con.execute("select sum(offered), sum(answered) from marts.sla_interval").fetchone() == (6, 6)
        assert con.execute("select count(*) from marts.invoice_revisions").fetchone() == (0,)
    finally:
        con.close()
    assert manifest(settings) == [("good_1.csv", "loaded", 3), ("y9999.csv", "quarantined", 0),
                                  ("good_2.csv", "loaded", 3), ("upper.csv", "quarantined", 0),
                                  ("big.csv", "quarantined", 0)]
