"""Worked time by class (docs/domain.md "Worked time"): hand-worked cases, for the plain-Python reference and the
numpy implementation the ground truth uses.

Instants are written as local wall clock plus the zone, converted by zoneinfo (UTC offsets checked by hand:
Madrid CET +01:00 / CEST +02:00, Chicago CST -06:00 / CDT -05:00, Monterrey -06:00 all year since 2022).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from generator.worked import CLASSES, month_start_utc, worked_seconds, worked_seconds_reference


def t(tz: str, *wall) -> int:
    return int(datetime(*wall, tzinfo=ZoneInfo(tz)).timestamp())


def rec(rid, agent, cls, tz, start, end):
    return {"record_id": rid, "agent_id": agent, "cls": cls, "start": t(tz, *start), "end": t(tz, *end)}


def fast(records, tz, months):
    """The numpy implementation, reshaped like the reference's output."""
    agents = sorted({r["agent_id"] for r in records})
    rids = sorted(r["record_id"] for r in records)
    bounds = [month_start_utc(y, m, tz) for y, m in months]
    ny, nm = months[-1][0] + (months[-1][1] == 12), months[-1][1] % 12 + 1
    bounds.append(month_start_utc(ny, nm, tz))
    secs, over = worked_seconds(
        np.array([agents.index(r["agent_id"]) for r in records]), np.array([rids.index(r["record_id"]) for r in records]),
        np.array([CLASSES.index(r["cls"]) for r in records]), np.array([r["start"] for r in records]),
        np.array([r["end"] for r in records]), np.array(bounds))
    out = {}
    for ai, a in enumerate(agents):
        for mi, (y, m) in enumerate(months):
            cell = {c: int(secs[ai, mi, ci]) for ci, c in enumerate(CLASSES) if secs[ai, mi, ci]}
            if over[ai, mi]:
                cell["overlap"] = int(over[ai, mi])
            if cell:
                out[(a, f"{y:04d}-{m:02d}")] = cell
    return out


def reference(records, tz, months):
    return {k: {c: s for c, s in v.items() if s} for k, v in worked_seconds_reference(records, tz).items()}


IMPL = pytest.mark.parametrize("impl", [reference, fast], ids=["reference", "numpy"])


@IMPL
def test_dst_night_europe_spring(impl):
    # 2026-03-29 Madrid: 00:30 CET = 23:30Z (28th); 05:30 CEST = 03:30Z: 4 h elapsed for 5 h of wall clock
    tz = "Europe/Madrid"
    r = [rec("R1", "A", "productive", tz, (2026, 3, 29, 0, 30), (2026, 3, 29, 5, 30))]
    assert impl(r, tz, [(2026, 3)]) == {("A", "2026-03"): {"productive": 4 * 3600}}


@IMPL
def test_dst_night_america_spring_and_autumn(impl):
    # 2026-03-08 Chicago: 00:30 CST = 06:30Z, 05:30 CDT = 10:30Z -> 4 h.
    # 2026-11-01 Chicago: 00:30 CDT = 05:30Z, 05:30 CST = 11:30Z -> 6 h.
    tz = "America/Chicago"
    r = [rec("R1", "A", "training", tz, (2026, 3, 8, 0, 30), (2026, 3, 8, 5, 30)),
         rec("R2", "A", "productive", tz, (2026, 11, 1, 0, 30), (2026, 11, 1, 5, 30))]
    months = [(2026, m) for m in range(3, 12)]
    got = impl(r, tz, months)
    assert got == {("A", "2026-03"): {"training": 4 * 3600}, ("A", "2026-11"): {"productive": 6 * 3600}}


@IMPL
def test_month_end_split_at_local_midnight(impl):
    # Monterrey 2026-01-31 23:30 -> 2026-02-01 02:30 local: 30 min in January, 2 h 30 in February
    # (in UTC both parts fall on 1 February: the split is local, not UTC)
    tz = "America/Monterrey"
    r = [rec("R1", "A", "paid_other", tz, (2026, 1, 31, 23, 30), (2026, 2, 1, 2, 30))]
    assert impl(r, tz, [(2026, 1), (2026, 2)]) == {("A", "2026-01"): {"paid_other": 1800},
                                                  ("A", "2026-02"): {"paid_other": 9000}}


@IMPL
def test_overlap_tie_goes_to_the_lower_record_id(impl):
    # both start 10:00; training 10:00-10:20 and available 10:00-11:00:
    # 10:00-10:20 is training (lower id), 10:20-11:00 productive = 2400 s, overlap 1200 s
    tz = "Europe/Madrid"
    a = rec("R-001", "A", "training", tz, (2026, 2, 3, 10, 0), (2026, 2, 3, 10, 20))
    b = rec("R-002", "A", "productive", tz, (2026, 2, 3, 10, 0), (2026, 2, 3, 11, 0))
    assert impl([b, a], tz, [(2026, 2)]) == {("A", "2026-02"): {"training": 1200, "productive": 2400,
                                                                "overlap": 1200}}
    # swap the ids: the available interval wins the tie and covers the whole hour
    a2, b2 = dict(a, record_id="R-002"), dict(b, record_id="R-001")
    assert impl([a2, b2], tz, [(2026, 2)]) == {("A", "2026-02"): {"productive": 3600, "overlap": 1200}}


@IMPL
def test_overlap_counts_once_in_the_class_that_started_first(impl):
    # training 10:00-10:30 then productive 10:20-10:40: training 1800 s, productive 600 s, overlap 600 s;
    # another agent at the same time is independent
    tz = "Asia/Manila"
    r = [rec("R1", "A", "training", tz, (2026, 1, 5, 10, 0), (2026, 1, 5, 10, 30)),
         rec("R2", "A", "productive", tz, (2026, 1, 5, 10, 20), (2026, 1, 5, 10, 40)),
         rec("R3", "B", "productive", tz, (2026, 1, 5, 10, 10), (2026, 1, 5, 10, 25)),
         # nested in A's training: wholly overlap
         rec("R4", "A", "unpaid", tz, (2026, 1, 5, 10, 5), (2026, 1, 5, 10, 15))]
    assert impl(r, tz, [(2026, 1)]) == {("A", "2026-01"): {"training": 1800, "productive": 600, "overlap": 1200},
                                        ("B", "2026-01"): {"productive": 900}}


def latest_file_wins(files: list[list[dict]]) -> list[dict]:
    """Records of files in landing order; a record_id sent again in a later file replaces the earlier one."""
    final: dict[str, dict] = {}
    for rows in files:
        for r in rows:
            final[r["record_id"]] = r
    return list(final.values())


@IMPL
def test_a_correction_in_a_later_file_replaces_the_record(impl):
    # the month file says 10:00-14:00 available (4 h); the corrections file re-sends R1 as 10:00-12:00
    tz = "America/Chicago"
    month_file = [rec("R1", "A", "productive", tz, (2026, 1, 20, 10, 0), (2026, 1, 20, 14, 0)),
                  rec("R2", "A", "paid_other", tz, (2026, 1, 20, 14, 0), (2026, 1, 20, 14, 15))]
    corrections = [rec("R1", "A", "productive", tz, (2026, 1, 20, 10, 0), (2026, 1, 20, 12, 0))]
    got = impl(latest_file_wins([month_file, corrections]), tz, [(2026, 1)])
    assert got == {("A", "2026-01"): {"productive": 7200, "paid_other": 900}}


# ---------------------------------------------------------------- property: both implementations = brute force

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ZONES = ("Europe/Madrid", "America/Chicago", "America/Monterrey", "Asia/Manila")
# minute grid around the spring DST nights and the February/March month end of 2026
GRID_START = {tz: t(tz, 2026, 2, 27, 0, 0) for tz in ZONES}
GRID_MINUTES = 32 * 24 * 60  # through 31 March


def brute_force(records, tz):
    """Minute by minute: the covering interval that started first (then lower record_id) takes the minute."""
    out: dict = {}
    z = ZoneInfo(tz)
    for agent, minute in sorted({(r["agent_id"], m) for r in records for m in range(r["start"], r["end"], 60)}):
        cover = [r for r in records if r["agent_id"] == agent and r["start"] <= minute < r["end"]]
        win = min(cover, key=lambda r: (r["start"], r["record_id"]))
        month = datetime.fromtimestamp(minute, z).strftime("%Y-%m")
        cell = out.setdefault((agent, month), {})
        cell[win["cls"]] = cell.get(win["cls"], 0) + 60
        if len(cover) > 1:
            cell["overlap"] = cell.get("overlap", 0) + 60 * (len(cover) - 1)
    return out


@st.composite
def interval_sets(draw):
    tz = draw(st.sampled_from(ZONES))
    n = draw(st.integers(1, 8))
    recs = []
    for i in range(n):
        # start near the DST nights / month end most of the time
        anchor = draw(st.sampled_from([(2026, 2, 28, 22, 0), (2026, 3, 8, 0, 0), (2026, 3, 29, 0, 0),
                                       (2026, 3, 10, 9, 0)]))
        s = t(tz, *anchor) + 60 * draw(st.integers(0, 8 * 60))
        length = 60 * draw(st.integers(1, 6 * 60))
        recs.append({"record_id": f"R{draw(st.integers(0, 99)):03d}-{i}", "agent_id": draw(st.sampled_from("AB")),
                     "cls": draw(st.sampled_from(CLASSES)), "start": s, "end": s + length})
    return tz, recs


@settings(max_examples=150, deadline=None)
@given(interval_sets())
def test_reference_and_numpy_equal_a_minute_by_minute_count(case):
    # overlap here is intervals' time beyond the first cover: with three layers a minute counts twice, which is
    # what "interval duration minus the time it is counted" adds up to in both implementations
    tz, recs = case
    want = brute_force(recs, tz)
    months = [(2026, 2), (2026, 3), (2026, 4)]
    assert reference(recs, tz, months) == want
    assert fast(recs, tz, months) == want
