from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from generator import generate

from ._helpers import TIMEZONES, interactions, read_rows

NAIVE_SPACE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
OFFSET_PH = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
NAIVE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _check_format(values, pattern):
    vals = [v for v in values if v not in (None, "")]
    assert vals and all(pattern.match(v) for v in vals), vals[:3]


def test_timestamp_formats(default_out):
    land = default_out / "landing"
    acme = read_rows(land / "acme_mx/interactions/interactions_2026-01.csv")
    pac = read_rows(land / "pacific_ph/interactions/interactions_2026-01.csv.gz")
    us = read_rows(land / "inhouse_us/interactions/interactions_2026-01.jsonl")
    for col in ("arrived_at", "answered_at", "ended_at"):
        _check_format([r[col] for r in acme], NAIVE_SPACE)
        _check_format([r[col] for r in pac], OFFSET_PH)
        _check_format([r[col] for r in us], UTC_Z)
    _check_format([r["updated_at"] for r in pac], OFFSET_PH)
    schema = pq.read_schema(land / "iberia_es/interactions/interactions_2026-01.parquet")
    for col in ("arrived_at", "answered_at", "ended_at"):
        assert pa.types.is_timestamp(schema.field(col).type) and schema.field(col).type.tz is None
    assert schema.field("transferred").type == pa.bool_()
    # booleans: Y/N (acme), 1/0 (pacific), JSON true/false (in-house)
    assert {r["resolved"] for r in acme} == {"Y", "N"}
    assert {r["resolved"] for r in pac} == {"1", "0"}
    assert {r["resolved"] for r in us} == {True, False}
    # the CSV side files follow each vendor's style
    _check_format([r["responded_at"] for r in read_rows(land / "acme_mx/surveys/surveys_2026-01.csv")], NAIVE_SPACE)
    _check_format([r["responded_at"] for r in read_rows(land / "pacific_ph/surveys/surveys_2026-01.csv")], OFFSET_PH)
    _check_format([r["responded_at"] for r in read_rows(land / "iberia_es/surveys/surveys_2026-01.csv")], NAIVE_ISO)
    _check_format([r["responded_at"] for r in read_rows(land / "inhouse_us/agent_surveys/agent_surveys_2026-01.csv")], UTC_Z)


def test_ordering_and_local_month(default_out):
    for vendor, tzname in TIMEZONES.items():
        tz = ZoneInfo(tzname)
        for month in ("2026-01", "2026-03"):
            rows = interactions(default_out, vendor, month)
            for r in rows:
                assert r["ended_at"] >= r["arrived_at"]
                if r["answered_at"] is not None:
                    assert r["ended_at"] >= r["answered_at"] >= r["arrived_at"]
                    assert r["talk_seconds"] is not None and r["agent_id"]
                else:
                    assert r["talk_seconds"] is None and r["hold_seconds"] is None and r["wrap_seconds"] is None
                    assert r["agent_id"] in (None, "")
                assert r["arrived_at"].astimezone(tz).strftime("%Y-%m") == month
            short = [r for r in rows if r["answered_at"] is None and (r["ended_at"] - r["arrived_at"]).total_seconds() < 5]
            assert short, "short abandons exist"


def _wall_clock_problem(naive: datetime, tz: ZoneInfo) -> bool:
    """True if a naive local time is ambiguous or does not exist in tz."""
    a, b = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if a.utcoffset() != b.utcoffset():
        return True
    back = a.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    return back != naive


def test_dst_months_have_no_ambiguous_or_missing_wall_clock(tmp_path):
    for start in ("2026-03", "2026-10"):
        out = tmp_path / start
        generate(out, outsourcers=3, months=1, start=start, scale=12000)
        tz = ZoneInfo("Europe/Madrid")
        table = pq.read_table(next((out / "landing/iberia_es/interactions").iterdir())).to_pylist()
        for r in table:
            for col in ("arrived_at", "answered_at", "ended_at"):
                if r[col] is not None:
                    assert not _wall_clock_problem(r[col], tz), (col, r[col])
        for r in read_rows(next((out / "landing/iberia_es/surveys").iterdir())):
            assert not _wall_clock_problem(datetime.fromisoformat(r["responded_at"]), tz)


def test_ambiguous_hour_rows_are_moved(monkeypatch):
    """Unit check of the fall-back handling on a large October month for Madrid."""
    from generator import interactions as gi
    from generator.people import CustomerPool
    from generator.periods import Month
    from generator.timeconv import ambiguous_wall_clock, to_local_naive
    from generator.vendors import IBERIA

    seen = []
    original = gi._avoid_ambiguous_wall_clock

    def spy(p, month, arrays):
        seen.append(int(ambiguous_wall_clock(arrays["arrived"], p.timezone).sum()
                        + ambiguous_wall_clock(arrays["ended"], p.timezone).sum()))
        original(p, month, arrays)

    monkeypatch.setattr(gi, "_avoid_ambiguous_wall_clock", spy)
    rng = np.random.default_rng(1)
    pool = CustomerPool("es", 1000, rng, 0)
    rows = gi.generate_month(IBERIA, Month(2026, 10), 150_000, rng, pool, 50, {"voice": 1.0, "chat": 1.0})
    assert seen and seen[0] > 0  # the raw draw did hit the repeated hour ...
    a = rows.arrays
    for k in ("arrived", "ended"):  # ... and nothing is left in it
        assert not ambiguous_wall_clock(a[k], "Europe/Madrid").any()
    assert not ambiguous_wall_clock(a["answered_at"][a["answered"]], "Europe/Madrid").any()
    local = to_local_naive(a["arrived"], "Europe/Madrid")
    first = int(datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp())
    last = int(datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp())
    assert local.min() >= first and local.max() < last
    assert np.all(np.diff(a["arrived"]) >= 0)
    assert rows.n == 150_000
