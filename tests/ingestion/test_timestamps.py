"""Text timestamps: the canonical fast path gives exactly what the general parser gives."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from ingestion import readers
from ingestion.feeds import FEEDS
from ingestion.readers import FileRejected, normalise

U = timezone.utc
# Each accepted shape next to look-alikes that are not ISO 8601, read in America/Chicago (CST, UTC-6 in
# January): the instant, or None (a type error). Worked by hand from the offsets.
SHAPES = [
    ("2026-01-05 09:14:03", datetime(2026, 1, 5, 15, 14, 3, tzinfo=U)),  # canonical local (fast path)
    ("  2026-01-05 09:14:03 ", datetime(2026, 1, 5, 15, 14, 3, tzinfo=U)),  # padded
    ("2026-01-05T09:14:03Z", datetime(2026, 1, 5, 9, 14, 3, tzinfo=U)),  # canonical ISO (fast path)
    ("2026-01-05T09:14:03+08:00", datetime(2026, 1, 5, 1, 14, 3, tzinfo=U)),
    ("2026-01-05T09:14:03-05:30", datetime(2026, 1, 5, 14, 44, 3, tzinfo=U)),
    ("2026-01-05T09:14:03+0530", datetime(2026, 1, 5, 3, 44, 3, tzinfo=U)),  # offset without colon
    ("2026-01-05 09:14:03+05:30", datetime(2026, 1, 5, 3, 44, 3, tzinfo=U)),  # space and offset
    ("2026-01-05T09:14:03z", datetime(2026, 1, 5, 9, 14, 3, tzinfo=U)),  # lower-case z
    ("2026-01-05T09:14:03", datetime(2026, 1, 5, 15, 14, 3, tzinfo=U)),  # T, no offset: local
    ("2026-01-05T09:14:03.250Z", datetime(2026, 1, 5, 9, 14, 3, 250000, tzinfo=U)),  # fraction
    ("2026-01-05 09:14:03.5", datetime(2026, 1, 5, 15, 14, 3, 500000, tzinfo=U)),
    ("2026-01-05 09:14", datetime(2026, 1, 5, 15, 14, tzinfo=U)),  # no seconds
    ("2026-01-05T09:14+01:00", datetime(2026, 1, 5, 8, 14, tzinfo=U)),
    ("2026-01-05", datetime(2026, 1, 5, 6, 0, tzinfo=U)),  # date only: local midnight
    ("2026-1-5 09:14:03", datetime(2026, 1, 5, 15, 14, 3, tzinfo=U)),  # one-digit fields
    ("2026-01-05 9:14:03", datetime(2026, 1, 5, 15, 14, 3, tzinfo=U)),
    ("2026-01-05  09:14:03", datetime(2026, 1, 5, 15, 14, 3, tzinfo=U)),  # double space
    ("+2026-01-05 09:14:03", None),  # signed year: not ISO 8601's basic shape
    ("2026-01-05 09:14:60", None),  # leap second: not taken as the next minute
    ("2026-02-30 09:14:03", None),  # no such day
    ("2026-01-05 24:00:00", None),  # DuckDB's cast would take it as the next midnight
    ("2026-01-05T09:14:03+99:99", None),  # no such offset
    ("yesterday", None),
    ("", None),
    (None, None),
    ("2026-11-01 01:30:00", datetime(2026, 11, 1, 6, 30, tzinfo=U)),  # ambiguous: the first (CDT, UTC-5)
    ("2026-03-08 02:30:00", None),  # skipped by the change to CDT: does not exist
    ("2026-03-08T02:30:00Z", datetime(2026, 3, 8, 2, 30, tzinfo=U)),  # an instant: exists
]


def test_every_text_shape_reads_to_its_instant_or_to_null():
    con = readers.staging_connection()
    con.execute("CREATE TABLE t (i INTEGER, a VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [[i, a] for i, (a, _) in enumerate(SHAPES)])
    got = con.execute(readers.timestamps_from_text_sql("t", "a", "America/Chicago")).fetchall()
    assert [(a, v) for (a, _), (v,) in zip(SHAPES, got)] == SHAPES


def test_in_utc_and_east_of_it_a_local_time_is_shifted_by_the_zone_offset():
    con = readers.staging_connection()
    con.execute("CREATE TABLE t AS SELECT '2026-01-05T09:14:03' AS a")
    for tz, expected in (("UTC", datetime(2026, 1, 5, 9, 14, 3, tzinfo=U)),
                         ("Asia/Kolkata", datetime(2026, 1, 5, 3, 44, 3, tzinfo=U))):  # UTC+5:30
        assert con.execute(readers.timestamps_from_text_sql("t", "a", tz)).fetchone()[0] == expected


def _interactions(arrived: list[str]) -> pl.DataFrame:
    n = len(arrived)
    return pl.DataFrame({
        "interaction_id": [f"i{i}" for i in range(n)], "channel": ["voice"] * n, "queue": ["q"] * n,
        "arrived_at": arrived, "answered_at": [None] * n, "ended_at": arrived,
    }, schema_overrides={"answered_at": pl.String})


def test_normalise_reads_each_shape_to_the_same_instant():
    arrived = ["2026-01-05 03:44:03", "2026-01-05T09:14:03+05:30", "2026-01-05T03:44:03Z",
               "2026-01-05 09:14:03+0530", "2026-01-05T03:44:03.000z"]
    out = normalise(_interactions(arrived), FEEDS["interactions"], vendor_id="v", timezone="UTC", salt="s").frame
    assert out["arrived_at"].to_list() == [datetime(2026, 1, 5, 3, 44, 3, tzinfo=timezone.utc)] * 5


def test_ambiguous_local_time_takes_the_first_occurrence():
    out = normalise(_interactions(["2026-11-01 01:30:00"]), FEEDS["interactions"], vendor_id="v",
                    timezone="America/Chicago", salt="s").frame
    assert out["arrived_at"][0] == datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)  # CDT, UTC-5


def test_a_local_time_that_does_not_exist_is_a_type_error():
    with pytest.raises(FileRejected) as err:
        normalise(_interactions(["2026-03-08 01:30:00", "2026-03-08 02:30:00"]), FEEDS["interactions"],
                  vendor_id="v", timezone="America/Chicago", salt="s")
    assert "arrived_at" in err.value.reason
    assert "row 2: '2026-03-08 02:30:00'" in err.value.details[0]


def test_local_times_read_as_icu_reads_each_one_around_every_dst_change():
    """The offsets looked up per local day (readers._steady_offsets) give what asking ICU for each value
    gives: every 7 minutes (and 13 s) of three years, in zones with hour and half-hour DST changes, one
    that left DST (America/Monterrey, 2022) and one without."""
    con = readers.staging_connection()
    con.execute("CREATE TABLE t AS SELECT strftime(TIMESTAMP '2021-01-01 00:00:13' + to_minutes(7 * i), "
                "'%Y-%m-%d %H:%M:%S') AS a FROM range(3 * 365 * 24 * 60 // 7) r(i) ORDER BY i")
    for tz in ("America/Chicago", "Australia/Lord_Howe", "America/Monterrey", "Asia/Kolkata"):
        z = f"'{tz}'"
        # ICU per value: the offset 3 hours before / after; where they differ, the one that round-trips
        expected = con.execute(
            f"SELECT CASE WHEN b = a THEN b WHEN timezone({z}, b) = n THEN b WHEN timezone({z}, a) = n THEN a END AS ts "
            f"FROM (SELECT n, r, timezone({z}, n - INTERVAL 3 HOUR) + INTERVAL 3 HOUR AS b, "
            f"timezone({z}, n + INTERVAL 3 HOUR) - INTERVAL 3 HOUR AS a "
            f"FROM (SELECT CAST(a AS TIMESTAMP) AS n, rowid AS r FROM t)) ORDER BY r").to_arrow_table()["ts"]
        got = con.execute(readers.timestamps_from_text_sql("t", "a", tz)).to_arrow_table()["ts"]
        assert got.equals(expected), tz
        assert (expected.null_count > 0) == (tz != "Asia/Kolkata"), tz  # skipped local times were read
