"""Property test: worked time per agent, local month and class (int_agent_time_month_parts, marts.workforce)
recomputed from the raw intervals in plain Python.

Hypothesis draws many vendors per example (a dbt build costs seconds). Each vendor gets a random timezone and
a pivot instant (a month end, a DST change, or both at once: Chicago's autumn change is hours after the
October month end), and agents with random intervals near it: random states of the four classes, random
lengths (one second to 30 hours), starts that often coincide (ties go to the lower record_id) and intervals
that overlap, nest or repeat.

`reference()` applies docs/domain.md "Worked time" one second range at a time: per agent, intervals in order
of (start, record_id); the part already covered by an earlier interval is overlap; the rest is cut at local
midnight of each month's first day (zoneinfo) and counted as real elapsed seconds in its class.

CI stability as in test_sla_properties.py: derandomize=True, no example database, no shrinking.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.dbt.harness import create_raw, dbt_build, query

UTC = timezone.utc
SELECT = "+int_agent_time_month_parts +workforce"
TIMEZONES = ("Europe/Madrid", "America/Chicago", "Asia/Kathmandu", "America/Sao_Paulo", "UTC", "Asia/Manila")
PIVOTS = (
    datetime(2026, 3, 8, 8, tzinfo=UTC),      # Chicago spring-forward
    datetime(2026, 3, 29, 1, tzinfo=UTC),     # Madrid spring-forward
    datetime(2026, 4, 1, tzinfo=UTC),         # March end (local month ends are hours around it)
    datetime(2026, 10, 25, 1, tzinfo=UTC),    # Madrid fall-back
    datetime(2026, 11, 1, 4, tzinfo=UTC),     # October end in Chicago (05:00 UTC), fall-back at 07:00 UTC
)
STATES = {"avail": "productive", "talk": "productive", "train": "training", "brk": "paid_other", "off": "unpaid"}
CLASSES = ("productive", "training", "paid_other", "unpaid")

interval_st = st.fixed_dictionaries({
    "agent": st.sampled_from(("a1", "a2", "a3")),
    # starts on a 15-minute grid half the time, so ties are common
    "offset": st.one_of(st.integers(-40, 40).map(lambda k: k * 900), st.integers(-36 * 3600, 36 * 3600)),
    "length": st.one_of(st.integers(1, 4 * 3600), st.integers(1, 30 * 3600), st.sampled_from((900, 3600))),
    "state": st.sampled_from(tuple(STATES)),
})


@st.composite
def vendors_st(draw):
    return [dict(vendor_id=f"v{i}", tz=draw(st.sampled_from(TIMEZONES)), pivot=draw(st.sampled_from(PIVOTS)),
                 intervals=draw(st.lists(interval_st, min_size=1, max_size=25)))
            for i in range(draw(st.integers(6, 10)))]


def records(v) -> list[dict]:
    out = []
    for n, iv in enumerate(v["intervals"]):
        start = v["pivot"] + timedelta(seconds=iv["offset"])
        # record ids in an order unrelated to the start, so the tie rule is what orders ties
        out.append(dict(record_id=f"R{(n * 7) % 101:03d}-{n}", agent_id=iv["agent"], state=iv["state"],
                        started_at=start, ended_at=start + timedelta(seconds=iv["length"])))
    return out


def month_start(year: int, month: int, tz: str) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def split(a: datetime, e: datetime, tz: str):
    """[a, e) cut at local month starts: (first day of the month, seconds)."""
    while a < e:
        local = a.astimezone(ZoneInfo(tz))
        nxt = month_start(local.year + (local.month == 12), local.month % 12 + 1, tz)
        cut = min(e, nxt)
        yield date(local.year, local.month, 1), int((cut - a).total_seconds())
        a = cut


def reference(v) -> dict[tuple, dict[str, int]]:
    """(agent, month) -> seconds per class and 'overlap'."""
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_agent = defaultdict(list)
    for r in records(v):
        by_agent[r["agent_id"]].append(r)
    for agent, rs in by_agent.items():
        cover = None
        for r in sorted(rs, key=lambda r: (r["started_at"], r["record_id"])):
            s, e = r["started_at"], r["ended_at"]
            counted_from = s if cover is None else min(max(s, cover), e)
            for m, sec in split(s, counted_from, v["tz"]):
                out[(agent, m)]["overlap"] += sec
            for m, sec in split(counted_from, e, v["tz"]):
                out[(agent, m)][STATES[r["state"]]] += sec
            cover = e if cover is None else max(cover, e)
    return out


def raw_tables(vendors) -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = defaultdict(list)
    loaded = datetime(2026, 12, 1, tzinfo=UTC)
    for v in vendors:
        vid, version_id = v["vendor_id"], f"{v['vendor_id']}@2025-01-01"
        t["contracts"].append(dict(vendor_id=vid, name=vid, kind="outsourcer", timezone=v["tz"], currency="USD"))
        t["contract_versions"].append(dict(vendor_id=vid, version_id=version_id, effective_from=date(2025, 1, 1),
                                           tolerance_quantity_pct=D("0.02"), tolerance_amount_abs=D(1),
                                           fte_hours_per_month=D(160)))
        for state, cls in STATES.items():
            t["contract_worked_time_states"].append(dict(vendor_id=vid, version_id=version_id, state=state,
                                                         work_class=cls))
        load_id = f"at_{vid}"
        t["load_manifest"].append(dict(load_id=load_id, file_path=f"/l/{vid}", file_name=f"{vid}.csv", sha256=load_id,
                                       vendor_id=vid, feed="agent_time", rows=1, status="loaded", processed_at=loaded))
        for n, r in enumerate(records(v), start=1):
            t["agent_time"].append(dict(vendor_id=vid, site="S", _load_id=load_id, _row_number=n, _loaded_at=loaded,
                                        **r))
    return t


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return tmp_path_factory.mktemp("worked_time_props") / "warehouse.duckdb"


@settings(max_examples=4, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(vendors=vendors_st())
def test_worked_time_equals_a_recomputation_from_raw(warehouse, vendors):
    warehouse.unlink(missing_ok=True)
    create_raw(warehouse, raw_tables(vendors))
    dbt_build(warehouse, "--select", SELECT)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        parts = query(con, "select vendor_id, agent_id, period_month, work_class, part, sum(seconds) as seconds "
                           "from intermediate.int_agent_time_month_parts group by all")
        workforce = query(con, "select * from marts.workforce")
    finally:
        con.close()
    got: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in parts:
        key = "overlap" if p["part"] == "overlap" else p["work_class"]
        got[(p["vendor_id"], p["agent_id"], p["period_month"])][key] += int(p["seconds"])
    for v in vendors:
        ref = reference(v)
        mine = {(a, m): dict(c) for (vid, a, m), c in got.items() if vid == v["vendor_id"]}
        expected = {k: {c: s for c, s in cells.items() if s} for k, cells in ref.items()}
        expected = {k: c for k, c in expected.items() if c}
        assert {k: {c: s for c, s in cells.items() if s} for k, cells in mine.items()} == expected, (
            f"{v['vendor_id']} ({v['tz']}, pivot {v['pivot']}):\n" + "\n".join(map(str, records(v))))
        # the mart sums the same seconds per month (one site) and counts agents with paid time
        for row in (w for w in workforce if w["vendor_id"] == v["vendor_id"]):
            month = row["period_month"]
            cells = [c for (a, m), c in ref.items() if m == month]
            for cls in CLASSES:
                assert row[f"{cls}_seconds"] == sum(c.get(cls, 0) for c in cells)
            assert row["overlap_seconds"] == sum(c.get("overlap", 0) for c in cells)
            assert row["agents"] == sum(1 for c in cells if any(c.get(k, 0) for k in CLASSES[:3]))
