"""The marts do not depend on the time zone of the DuckDB session that builds them.

DuckDB's default TimeZone is the machine's local zone (the TZ variable): a user in New York who runs dbt
gets an America/New_York session. Instants are TIMESTAMPTZ, so anything computed through the session's
calendar (TIMESTAMPTZ - TIMESTAMPTZ, a cast to DATE or VARCHAR, date_trunc on TIMESTAMPTZ) would move by
the DST hour. `seconds_between` once was `epoch(end - start)`: in a New York session the seven days from
2 to 9 March 2026 came out an hour longer, and a repeat contact 6 days 23.5 hours later fell out of a
7-day FCR window. The same raw layer is built three times, with TZ=UTC, America/New_York and
Europe/London (each with its own DST night in the data), and every mart must be equal; the FCR answers of
the DST weeks are worked out by hand, so the three builds are not merely equally wrong.

The raw layer: test_sla_compliance's scenarios (March-April, both DST nights of March in the window) plus
- `dst_us` (America/New_York, clocks forward 8 March 07:00 UTC, back 1 November 06:00 UTC) and
- `dst_uk` (Europe/London, forward 29 March 01:00 UTC, back 25 October 01:00 UTC),
each with repeat contacts 7 days +/- 30 minutes apart across their DST changes (7-day window) and agent
time across both DST nights.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from tests.dbt import test_sla_compliance as sla_scenarios
from tests.dbt.compare_marts import compare
from tests.dbt.harness import create_raw, dbt_build, query

# three whole dbt builds: among the long files the suite starts first (tests/conftest.py)
pytestmark = pytest.mark.slow

UTC = timezone.utc
ZONES = ("UTC", "America/New_York", "Europe/London")
STATES = {"available": "productive", "lunch": "unpaid"}


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def dst_vendor(t: dict, vendor_id: str, tz: str, contacts: list[tuple[str, datetime, str]],
               intervals: list[tuple[str, datetime, datetime]]) -> None:
    """A vendor with a voice SL line and a 7-day FCR line; contacts (id, arrival, customer) answered in
    10 s and resolved; agent time (record id, start, end) in state `available`."""
    version_id = f"{vendor_id}@2026-01-01"
    t["contracts"].append(dict(vendor_id=vendor_id, name=vendor_id.upper(), kind="outsourcer", timezone=tz,
                               currency="USD"))
    t["contract_versions"].append(sla_scenarios.version(vendor_id, "2026-01-01"))
    t["contract_versions"][-1]["fte_hours_per_month"] = 160
    t["contract_sla"] += [
        sla_scenarios.sla(vendor_id, version_id, 1, "service_level", 0.8, 0, channel="voice", threshold_seconds=20),
        sla_scenarios.sla(vendor_id, version_id, 2, "fcr_rate", 0.5, 0, repeat_window_days=7),
    ]
    for state, cls in STATES.items():
        t["contract_worked_time_states"].append(
            dict(vendor_id=vendor_id, version_id=version_id, state=state, work_class=cls))
    for iid, arrived, customer in contacts:
        t["interactions"].append(sla_scenarios.contact(vendor_id, iid, arrived, 10, customer_ref_hash=customer,
                                                       resolved=True))
    load_id = f"{vendor_id}_agent_time"
    t["load_manifest"].append(dict(
        load_id=load_id, file_path=f"/landing/{vendor_id}/agent_time/{load_id}.csv", file_name=f"{load_id}.csv",
        sha256=load_id, vendor_id=vendor_id, feed="agent_time", rows=len(intervals), status="loaded",
        processed_at=utc(2026, 12, 1)))
    for n, (record_id, start, end) in enumerate(intervals, start=1):
        t["agent_time"].append(dict(vendor_id=vendor_id, record_id=record_id, agent_id="ag1", site="S1",
                                    state="available", started_at=start, ended_at=end, _load_id=load_id,
                                    _row_number=n, _loaded_at=utc(2026, 12, 1)))


def raw_tables() -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = defaultdict(list, sla_scenarios.raw_tables())
    half_hour = timedelta(minutes=30)
    dst_vendor(t, "dst_us", "America/New_York", [
        # 2 Mar 07:00 EST -> 9 Mar 07:30 EDT: 6 d 23.5 h (7 d 0.5 h on New York's wall clock): a repeat,
        # so u1 is not FCR; u2 is (no later contact). March: 1 / 2.
        ("u1", utc(2026, 3, 2, 12), "c1"),
        ("u2", utc(2026, 3, 9, 12) - half_hour, "c1"),
        # 29 Oct 08:00 EDT -> 5 Nov 07:30 EST: 7 d 0.5 h (6 d 23.5 h on the wall clock): no repeat, u3 is
        # FCR. October 1 / 1, November (u4) 1 / 1.
        ("u3", utc(2026, 10, 29, 12), "c2"),
        ("u4", utc(2026, 11, 5, 12) + half_hour, "c2"),
    ], [
        # 8 Mar 01:00 EST -> 04:00 EDT: 2 h (3 h of wall clock); 1 Nov 01:00 EDT -> 01:00 EST: 2 h (0 h)
        ("N-1", utc(2026, 3, 8, 6), utc(2026, 3, 8, 8)),
        ("N-2", utc(2026, 11, 1, 5), utc(2026, 11, 1, 7)),
    ])
    dst_vendor(t, "dst_uk", "Europe/London", [
        # 23 Mar 12:00 GMT -> 30 Mar 12:30 BST: 6 d 23.5 h: a repeat. March: 1 / 2.
        ("l1", utc(2026, 3, 23, 12), "c1"),
        ("l2", utc(2026, 3, 30, 12) - half_hour, "c1"),
        # 20 Oct 13:00 BST -> 27 Oct 12:30 GMT: 7 d 0.5 h: no repeat. October: 2 / 2.
        ("l3", utc(2026, 10, 20, 12), "c2"),
        ("l4", utc(2026, 10, 27, 12) + half_hour, "c2"),
    ], [
        # 29 Mar 00:30 GMT -> 02:30 BST: 1 h (2 h of wall clock); 25 Oct 00:30 BST -> 01:30 GMT: 2 h (1 h)
        ("K-1", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)),
        ("K-2", utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 1, 30)),
    ])
    return dict(t)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> dict[str, Path]:
    """zone -> the warehouse built (every model and test) by dbt started with TZ=zone."""
    tables = raw_tables()
    built = {}
    for zone in ZONES:
        warehouse = tmp_path_factory.mktemp("tz_" + zone.replace("/", "_")) / "warehouse.duckdb"
        create_raw(warehouse, tables)
        # dbt's process (and so DuckDB's default TimeZone) takes TZ from the environment harness passes on
        with mock.patch.dict(os.environ, {"TZ": zone}):
            dbt_build(warehouse)
        built[zone] = warehouse
    return built


def test_a_duckdb_started_with_tz_has_that_session_zone():
    # the premise: a DuckDB started with TZ=<zone> has that session zone (else the builds prove nothing)
    for zone in ZONES:
        out = subprocess.run([sys.executable, "-c", "import duckdb; print(duckdb.connect().execute("
                              "\"select current_setting('TimeZone')\").fetchone()[0])"],
                             env={**os.environ, "TZ": zone}, capture_output=True, text=True, check=True).stdout
        assert out.strip() == zone


@pytest.mark.parametrize("zone", [z for z in ZONES if z != "UTC"])
def test_every_mart_equals_the_utc_build(warehouses, zone):
    result = compare(warehouses["UTC"], warehouses[zone])
    assert result, "no marts compared"
    differing = {table: e for table, e in result.items()
                 if e["columns_changed"] or e["only_base"] or e["only_new"] or e["base_rows"] != e["new_rows"]}
    assert not differing, f"marts built with TZ={zone} differ from TZ=UTC: {differing}"
    assert result["sla_compliance"]["base_rows"] > 0 and result["workforce"]["base_rows"] > 0


@pytest.mark.parametrize("zone", ZONES)
def test_fcr_and_worked_time_across_dst_changes_by_hand(warehouses, zone):
    con = duckdb.connect(str(warehouses[zone]), read_only=True)
    try:
        fcr = {(r["vendor_id"], str(r["period_month"])): (r["actual"], r["sample_size"]) for r in query(
            con, "select vendor_id, period_month, actual, sample_size from marts.sla_compliance"
                 " where vendor_id like 'dst_%' and metric = 'fcr_rate'")}
        assert fcr == {("dst_us", "2026-03-01"): (0.5, 2), ("dst_us", "2026-10-01"): (1.0, 1),
                       ("dst_us", "2026-11-01"): (1.0, 1),
                       ("dst_uk", "2026-03-01"): (0.5, 2), ("dst_uk", "2026-10-01"): (1.0, 2)}
        worked = {(r["vendor_id"], str(r["period_month"])): r["productive_seconds"] for r in query(
            con, "select vendor_id, period_month, productive_seconds from marts.workforce"
                 " where vendor_id like 'dst_%'")}
        assert worked == {("dst_us", "2026-03-01"): 7200, ("dst_us", "2026-11-01"): 7200,
                          ("dst_uk", "2026-03-01"): 3600, ("dst_uk", "2026-10-01"): 7200}
    finally:
        con.close()
