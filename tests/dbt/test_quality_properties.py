"""Property test: the QA rules of marts.quality and of the qa_* lines of marts.sla_compliance
recomputed from raw rows in plain Python (docs/domain.md "quality").

Hypothesis draws several vendors per example (one example = one dbt build). Each vendor gets a
random timezone, a pivot instant at a month end, a pool of answered contacts (agent, complaint,
arrival around the pivot) and random QA evaluations of them (or of no interaction): side, score in
half points of a form (max 10, 50 or 100; one or several forms per vendor), auto_fail, calibration,
evaluated around the pivot (so local and UTC months differ). Its contract has five QA lines: qa_score
for both sides, the client and the vendor, qa_auto_fail_rate and qa_calibration_gap.

`reference()` works in Fractions: value = score / max_score, 0 where auto_fail; score and auto-fail
rate over the month's evaluations with calibration false (evaluated_at in the vendor's zone, from
zoneinfo); calibration pairs = interactions with both sides, each side's mean, the calibration flag
ignored, in the month of the latest client evaluation; complaints per 1,000 answered contacts of the
month of arrival. The marts must equal it (to 1e-9), vendor and agent grain.

`met` is compared with the exact Fraction: targets sit on the half-point grid, so means exactly at the
target are frequent (sums of floating-point quotients land a hair on either side of it; the SLA actuals
are rounded to 12 places for that, int_sla_qa_counts).

CI stability: derandomize=True, no example database, no shrinking (each step is a dbt build).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from fractions import Fraction as F
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.dbt.harness import create_raw, dbt_build, query

UTC = timezone.utc
TIMEZONES = ("Europe/Madrid", "America/Chicago", "Asia/Kathmandu", "Asia/Manila", "UTC")
PIVOTS = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, 6, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
HALF_WINDOW = 3 * 86400
AGENTS = ("a1", "a2", "a3")
# (metric, evaluator_side, target): targets on the half-point grid so that exact ties happen
LINES = (("qa_score", None, "0.5"), ("qa_score", "client", "0.75"), ("qa_score", "vendor", "0.6"),
         ("qa_auto_fail_rate", None, "0.25"), ("qa_calibration_gap", None, "0.1"))


@dataclass
class Contact:
    agent: str
    offset: int
    complaint: bool


@dataclass
class Evaluation:
    contact: int | None       # index in the vendor's contacts, None = no interaction_id
    side: str
    form: int                 # max_score
    half_points: int          # score = half_points / 2, ≤ max_score
    auto_fail: bool
    calibration: bool
    offset: int


@dataclass
class Vendor:
    vendor_id: str
    tz: str
    pivot: datetime
    contacts: list[Contact] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)

    def at(self, offset: int) -> datetime:
        return self.pivot + timedelta(seconds=offset)

    def month(self, offset: int) -> date:
        return self.at(offset).astimezone(ZoneInfo(self.tz)).date().replace(day=1)


offsets = st.one_of(st.integers(-HALF_WINDOW, HALF_WINDOW), st.integers(-7200, 7200))


@st.composite
def vendor_st(draw, i: int) -> Vendor:
    v = Vendor(f"qp{i:02d}", draw(st.sampled_from(TIMEZONES)), draw(st.sampled_from(PIVOTS)))
    v.contacts = draw(st.lists(st.builds(Contact, st.sampled_from(AGENTS), offsets, st.booleans()),
                               min_size=1, max_size=12))
    forms = draw(st.sampled_from(((100,), (10,), (50, 100), (10, 50, 100))))
    n = draw(st.integers(0, 25))
    for _ in range(n):
        form = draw(st.sampled_from(forms))
        v.evaluations.append(Evaluation(
            # the first contacts often, so that both sides score the same interaction
            contact=draw(st.one_of(st.none(), st.integers(0, len(v.contacts) - 1),
                                   st.integers(0, min(2, len(v.contacts) - 1)))),
            side=draw(st.sampled_from(("vendor", "client"))),
            form=form,
            half_points=draw(st.integers(0, 2 * form)),
            auto_fail=draw(st.integers(0, 3)) == 0,
            calibration=draw(st.integers(0, 3)) == 0,
            offset=draw(offsets),
        ))
    return v


@st.composite
def vendors_st(draw) -> list[Vendor]:
    return [draw(vendor_st(i)) for i in range(draw(st.integers(4, 8)))]


def raw_tables(vendors: list[Vendor]) -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = defaultdict(list)
    for v in vendors:
        vid, ver = v.vendor_id, f"{v.vendor_id}@2025-01-01"
        t["contracts"].append(dict(vendor_id=vid, name=vid, kind="outsourcer", timezone=v.tz, currency="EUR"))
        t["contract_versions"].append(dict(vendor_id=vid, version_id=ver, effective_from=date(2025, 1, 1),
                                           tolerance_quantity_pct=0.02, tolerance_amount_abs=1))
        for n, (metric, side, target) in enumerate(LINES, start=1):
            t["contract_sla"].append(dict(vendor_id=vid, version_id=ver, sla_line=n, metric=metric,
                                          evaluator_side=side, target=D(target), credit_pct=0))
        for k, c in enumerate(v.contacts):
            arrived = v.at(c.offset)
            t["interactions"].append(dict(
                vendor_id=vid, interaction_id=f"{vid}-i{k}", channel="voice", queue="q1", arrived_at=arrived,
                answered_at=arrived + timedelta(seconds=5), ended_at=arrived + timedelta(seconds=65),
                talk_seconds=60, hold_seconds=0, wrap_seconds=0, agent_id=c.agent, transferred=False,
                resolved=True, complaint=c.complaint))
        for k, e in enumerate(v.evaluations):
            agent = v.contacts[e.contact].agent if e.contact is not None else AGENTS[k % len(AGENTS)]
            t["qa_evaluations"].append(dict(
                vendor_id=vid, evaluation_id=f"{vid}-e{k}",
                interaction_id=None if e.contact is None else f"{vid}-i{e.contact}", agent_id=agent,
                evaluated_at=v.at(e.offset), evaluator_side=e.side, form=f"f{e.form}",
                score=D(e.half_points) / 2, max_score=D(e.form), auto_fail=e.auto_fail,
                calibration=e.calibration))
    return t


def value(e: Evaluation) -> F:
    return F(0) if e.auto_fail else F(e.half_points, 2 * e.form)


def agent_of(v: Vendor, k: int, e: Evaluation) -> str:
    return v.contacts[e.contact].agent if e.contact is not None else AGENTS[k % len(AGENTS)]


def pairs(v: Vendor) -> list[tuple[date, str, F]]:
    """(month, agent, gap) per interaction scored by both sides."""
    by_contact: dict[int, list[Evaluation]] = defaultdict(list)
    for e in v.evaluations:
        if e.contact is not None:
            by_contact[e.contact].append(e)
    out = []
    for c, es in by_contact.items():
        vs = [value(e) for e in es if e.side == "vendor"]
        cs = [e for e in es if e.side == "client"]
        if vs and cs:
            gap = abs(sum(vs) / len(vs) - sum(value(e) for e in cs) / len(cs))
            out.append((v.month(max(e.offset for e in cs)), v.contacts[c].agent, gap))
    return out


def reference(v: Vendor) -> tuple[dict, dict]:
    """(quality rows by (month, agent or None), SLA rows by (month, line))."""
    acc: dict[tuple, dict] = defaultdict(lambda: dict(n=0, total=F(0), af=0, pairs=0, gap=F(0), complaints=0,
                                                       handled=0, forms=set()))
    for k, e in enumerate(v.evaluations):
        if not e.calibration:
            for key in ((v.month(e.offset), agent_of(v, k, e)), (v.month(e.offset), None)):
                a = acc[key]
                a["n"] += 1
                a["total"] += value(e)
                a["af"] += e.auto_fail
    for month, agent, gap in pairs(v):
        for key in ((month, agent), (month, None)):
            acc[key]["pairs"] += 1
            acc[key]["gap"] += gap
    for c in v.contacts:
        for key in ((v.month(c.offset), c.agent), (v.month(c.offset), None)):
            acc[key]["handled"] += 1
            acc[key]["complaints"] += c.complaint
    quality = {key: dict(
        evaluations=a["n"], qa_score=a["total"] / a["n"] if a["n"] else None,
        auto_fail_rate=F(a["af"], a["n"]) if a["n"] else None, calibration_pairs=a["pairs"],
        calibration_gap=a["gap"] / a["pairs"] if a["pairs"] else None, complaints=a["complaints"],
        handled_contacts=a["handled"], complaint_rate=F(1000 * a["complaints"], a["handled"]) if a["handled"]
        else None) for key, a in acc.items()}
    sla = {}
    for month in {m for m, _ in acc}:
        for n, (metric, side, target) in enumerate(LINES, start=1):
            if metric == "qa_calibration_gap":
                gaps = [g for m, _, g in pairs(v) if m == month]
                size, actual = len(gaps), (sum(gaps) / len(gaps) if gaps else None)
            else:
                es = [e for e in v.evaluations if v.month(e.offset) == month and not e.calibration
                      and (side is None or e.side == side)]
                size = len(es)
                if not es:
                    actual = None
                elif metric == "qa_score":
                    actual = sum(value(e) for e in es) / size
                else:
                    actual = F(sum(e.auto_fail for e in es), size)
            t = F(target)
            met = None if actual is None else (actual >= t if metric == "qa_score" else actual <= t)
            sla[(month, n)] = dict(actual=actual, sample_size=size, met=met, at_target=actual == t)
    return quality, sla


def close(got, want) -> bool:
    return (got is None) if want is None else (got is not None and abs(got - float(want)) < 1e-9)


@pytest.mark.slow
@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(vendors=vendors_st())
def test_quality_marts_equal_the_reference(tmp_path_factory, vendors):
    warehouse = tmp_path_factory.mktemp("qa_prop") / "warehouse.duckdb"
    create_raw(warehouse, raw_tables(vendors))
    dbt_build(warehouse, "--select", "+quality", "+sla_compliance")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        mart = query(con, "select * from marts.quality where grain in ('vendor', 'agent')")
        sla = query(con, "select vendor_id, period_month, sla_line, actual, met, sample_size from marts.sla_compliance")
    finally:
        con.close()
    checked = at_target = 0
    for v in vendors:
        want_q, want_s = reference(v)
        got_q = {(r["period_month"], r["agent_id"]): r for r in mart if r["vendor_id"] == v.vendor_id}
        assert set(got_q) == set(want_q), (v, sorted(got_q), sorted(want_q))
        for key, want in want_q.items():
            got = got_q[key]
            for col in ("evaluations", "calibration_pairs", "complaints", "handled_contacts"):
                assert got[col] == want[col], (v, key, col, got, want)
            for col in ("qa_score", "auto_fail_rate", "calibration_gap", "complaint_rate"):
                assert close(got[col], want[col]), (v, key, col, got, want)
        got_s = {(r["period_month"], r["sla_line"]): r for r in sla if r["vendor_id"] == v.vendor_id}
        assert set(got_s) == set(want_s), (v, sorted(got_s), sorted(want_s))
        for key, want in want_s.items():
            got = got_s[key]
            assert got["sample_size"] == want["sample_size"] and close(got["actual"], want["actual"]), (
                v, key, got, want)
            assert got["met"] == want["met"], (v, key, got, want)
            checked += 1
            at_target += want["at_target"]
    assert checked > 0
