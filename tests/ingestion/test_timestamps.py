"""Text timestamps: the canonical fast path gives exactly what the general parser gives."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from ingestion import readers
from ingestion.feeds import FEEDS
from ingestion.readers import FileRejected, normalise

# Canonical shapes (fast path) next to look-alikes strptime would accept
# leniently, and every shape only the general parser reads.
TRICKY = [
    "2026-01-05 09:14:03",  # canonical local
    "  2026-01-05 09:14:03 ",  # padded
    "2026-01-05T09:14:03Z",  # canonical ISO, UTC
    "2026-01-05T09:14:03+08:00",
    "2026-01-05T09:14:03-05:30",
    "2026-01-05T09:14:03+0530",  # offset without colon
    "2026-01-05 09:14:03+05:30",  # space and offset
    "2026-01-05T09:14:03z",  # lower-case z
    "2026-01-05T09:14:03",  # T, no offset: local
    "2026-01-05T09:14:03.250Z",  # fraction
    "2026-01-05 09:14:03.5",
    "2026-01-05 09:14",  # no seconds
    "2026-01-05T09:14+01:00",
    "2026-01-05",  # date only
    "2026-1-5 09:14:03",  # one-digit fields
    "2026-01-05 9:14:03",
    "+2026-01-05 09:14:03",  # signed year
    "2026-01-05  09:14:03",  # double space
    "2026-01-05 09:14:60",  # leap second
    "2026-02-30 09:14:03",  # no such day
    "2026-01-05 24:00:00",
    "2026-01-05T09:14:03+99:99",
    "yesterday",
    "",
    None,
    "2026-11-01 01:30:00",  # America/Chicago: ambiguous (clocks go back), earliest
    "2026-03-08 02:30:00",  # America/Chicago: does not exist
    "2026-03-08T02:30:00Z",  # an instant: exists
]


@pytest.mark.parametrize("tz", ["America/Chicago", "Asia/Kolkata", "UTC"])
def test_fast_path_equals_general_parser_on_every_value(tz):
    raw = pl.DataFrame({"arrived_at": TRICKY}, schema={"arrived_at": pl.String})
    fast = raw.select(readers._timestamp(pl.col("arrived_at"), pl.String, tz).alias("t"))
    fast = readers._parse_remaining_timestamps(raw, fast.rename({"t": "arrived_at"}), FEEDS["interactions"], tz)
    general = raw.select(readers._timestamp_from_any_text(pl.col("arrived_at"), tz).alias("arrived_at"))
    assert fast.schema == general.schema == {"arrived_at": pl.Datetime("us", "UTC")}
    assert fast["arrived_at"].to_list() == general["arrived_at"].to_list()
    # the fast path alone handled the canonical values (the general parser was not needed for them)
    alone = raw.select(readers._timestamp(pl.col("arrived_at"), pl.String, tz).alias("t"))["t"]
    assert alone[0] is not None and alone[2] is not None and alone[5] is None


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
