"""`FeedValidator.validate_relation`: GX's SQL engine on a relation staged in DuckDB gives the very report the
pandas engine gives on the same rows, and leaves the caller's connection and transaction as they were."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from expectations import runner
from ingestion.feeds import FEEDS

from . import frames as F
from .test_column_groups import _all_edits
from .test_runner import CASES, NOW, edited


def _vendor(feed: str) -> str | None:
    return None if feed == "fx_rates" else F.VENDOR


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    yield con
    con.close()


def _stage(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, name: str = "staged") -> str:
    """The frame as ingestion will stage a file: a temporary table on the file's connection."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    con.register("frame_rows", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM frame_rows")
    con.unregister("frame_rows")
    return name


def _same(validator, con, feed: str, frame: pd.DataFrame, vendor: str | None = "default") -> runner.ValidationReport:
    vendor = _vendor(feed) if vendor == "default" else vendor
    expected = validator.validate(feed, frame, vendor, now=NOW)
    got = validator.validate_relation(con, _stage(con, frame), feed, vendor, now=NOW)
    assert got.to_text() == expected.to_text()
    assert got.to_metadata() == expected.to_metadata()
    assert [f.to_dict() for f in got.failures] == [f.to_dict() for f in expected.failures]
    assert got.failures == expected.failures  # the example values themselves (types, time zones) too
    assert got.notes == expected.notes
    return got


@pytest.mark.parametrize("feed", list(FEEDS))
def test_valid_and_broken_files_report_the_same_on_both_engines(validator, con, feed):
    assert _same(validator, con, feed, F.frame(feed)).success
    broken = _same(validator, con, feed, edited(feed, _all_edits(feed)))
    assert not broken.success and broken.failures  # the edits do exercise failures
    required = next(c.name for c in FEEDS[feed].columns if c.required and c.pii is None)
    missing = _same(validator, con, feed, F.frame(feed).drop(columns=[required]))
    assert missing.failed_rules == [f"exists:{required}"]


@pytest.mark.parametrize("feed,rule,edits,expectation,column,count,rows", CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_each_rule_fails_alike_on_a_relation(validator, con, feed, rule, edits, expectation, column, count, rows):
    report = _same(validator, con, feed, edited(feed, edits))
    assert report.failed_rules == [rule]
    assert report.failures[0].row_numbers == rows


def test_another_vendor_absent_columns_and_missing_row_numbers(validator, con):
    _same(validator, con, "interactions", F.frame("interactions"), vendor="globex_ph")
    absent = _same(validator, con, "interactions", F.frame("interactions").drop(columns=["language", "updated_at"]))
    assert absent.success and absent.notes
    unnumbered = _same(validator, con, "interactions", edited("interactions", {4: {"channel": "fax"}})
                       .drop(columns=["_row_number"]))
    assert unnumbered.failures[0].row_numbers == [4]


@pytest.mark.parametrize("feed", ["interactions", "invoices"])
def test_an_empty_relation_passes(validator, con, feed):
    assert _same(validator, con, feed, F.frame(feed).iloc[0:0]).rows == 0


def test_examples_are_in_utc_whatever_the_session_time_zone(validator, con):
    con.execute("SET TimeZone = 'America/Mexico_City'")
    report = _same(validator, con, "interactions", edited("interactions", {3: {"answered_at": F.ts(3, 10, 1)}}))
    assert report.failures[0].examples[0]["answered_at"] == dt.datetime(2026, 3, 3, 10, 1, tzinfo=dt.timezone.utc)


def test_a_timestamp_past_the_year_9999_is_named_alike(validator, con):
    frame = edited("interactions", {})
    micros = pa.array(frame["arrived_at"].array).cast(pa.int64()).to_pylist()
    micros[2] = 253402318800 * 10**6  # 10000-01-01 05:00:00 UTC
    frame["arrived_at"] = pd.Series(pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                                    dtype=pd.ArrowDtype(pa.timestamp("us", tz="UTC")))
    report = _same(validator, con, "interactions", frame)
    assert "row 3: arrived_at='10000-01-01 05:00:00.000000Z'" in report.to_text()


def test_the_callers_transaction_and_catalog_are_left_alone(validator, con):
    con.execute("CREATE TABLE loaded (x INTEGER)")
    con.execute("BEGIN")
    con.execute("INSERT INTO loaded VALUES (1)")
    staged = _stage(con, edited("interactions", {2: {"talk_seconds": -1}}))
    report = validator.validate_relation(con, staged, "interactions", F.VENDOR, now=NOW)
    assert report.failed_rules == ["range:talk_seconds"]
    # still inside the caller's transaction: its insert is visible and can be rolled back
    assert con.execute("SELECT count(*) FROM loaded").fetchone() == (1,)
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM loaded").fetchone() == (0,)
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE view_name LIKE 'bpo_gx_%'").fetchall()
    assert views == []  # the validator's temporary view is gone


def test_a_second_connection_is_validated_on_its_own_rows(validator, con):
    other = duckdb.connect()
    try:
        bad = validator.validate_relation(other, _stage(other, edited("surveys", {2: {"csat": 6}})), "surveys",
                                          F.VENDOR, now=NOW)
        good = validator.validate_relation(con, _stage(con, F.frame("surveys")), "surveys", F.VENDOR, now=NOW)
    finally:
        other.close()
    assert bad.failed_rules == ["range:csat"] and good.success


def test_a_check_that_cannot_run_fails_the_file_and_leaves_the_connection_usable(validator, con):
    staged = _stage(con, F.frame("interactions"))
    # a staging bug upstream: talk_seconds as text DuckDB cannot compare with a number
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT * REPLACE ('n/a' AS talk_seconds) FROM {staged}")
    report = validator.validate_relation(con, staged, "interactions", F.VENDOR, now=NOW)
    assert not report.success
    failure = report.failures[report.failed_rules.index("range:talk_seconds")]
    assert "could not be evaluated" in failure.message and failure.unexpected_count is None
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'bpo_gx_%'").fetchone() == (0,)
