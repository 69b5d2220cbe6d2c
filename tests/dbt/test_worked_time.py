"""Worked time, self-service and evidence billing on hand-written raw rows (docs/domain.md "Worked time").

One dbt build; each vendor holds one scenario. Every expected value is worked out by hand in the comments.
- `mad` (Europe/Madrid): an interval across the January month end, the spring and autumn DST nights, a start
  tie and a duplicated overlapping interval, a record corrected in a later file, occupancy.
- `chi` (America/Chicago): both DST nights, and an interval across the October month end that also crosses
  the autumn DST night.
- `fte` (UTC): delivered FTE, tiered FTE pricing (the marginal rate of the tier reached), hours within
  tolerance, hours billed with no time of that class, a month billed with no agent time loaded (no evidence,
  no finding), containment_rate as an SLA with its credit, a contained_sessions line in cost_to_serve.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal as D

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, interaction, line

UTC = timezone.utc
PROCESSED_1 = datetime(2026, 2, 1, 6, tzinfo=UTC)
PROCESSED_2 = datetime(2026, 2, 4, 6, tzinfo=UTC)  # the corrections file, processed later
STATES = {"available": "productive", "training": "training", "break": "paid_other", "lunch": "unpaid"}


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def manifest(load_id: str, vendor_id: str, feed: str, processed_at: datetime) -> dict:
    return dict(load_id=load_id, file_path=f"/landing/{vendor_id}/{feed}/{load_id}", file_name=f"{load_id}.csv",
                sha256=load_id, vendor_id=vendor_id, feed=feed, rows=1, status="loaded", processed_at=processed_at)


def evidence_contract(tables, vendor_id, tz, *, fte_hours=D(160), pricing=(), sla=()):
    contract(tables, vendor_id, tz=tz, versions=[{"pricing": list(pricing), "service_credit_cap_pct": D("1")}])
    version_id = f"{vendor_id}@2026-01-01"
    tables["contract_versions"][-1]["fte_hours_per_month"] = fte_hours
    for state, cls in STATES.items():
        tables["contract_worked_time_states"].append(
            dict(vendor_id=vendor_id, version_id=version_id, state=state, work_class=cls))
    for n, s in enumerate(sla, start=1):
        tables["contract_sla"].append(dict(vendor_id=vendor_id, version_id=version_id, sla_line=n, **s))


class Rows:
    """agent_time / self_service rows with their own loads (the harness only fills the invoice-era feeds)."""

    def __init__(self, tables):
        self.tables, self.n = tables, defaultdict(int)

    def load(self, vendor_id, feed, load_id, processed_at=PROCESSED_1):
        self.tables["load_manifest"].append(manifest(load_id, vendor_id, feed, processed_at))
        return load_id

    def add(self, table, load_id, **row):
        self.n[load_id] += 1
        self.tables[table].append(dict(row, _load_id=load_id, _row_number=self.n[load_id],
                                       _loaded_at=PROCESSED_1))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    t = defaultdict(list)
    r = Rows(t)

    # --- mad: Europe/Madrid (CET +1, CEST +2) -------------------------------------------------------------
    evidence_contract(t, "mad", "Europe/Madrid")
    m1 = r.load("mad", "agent_time", "mad_at_1")
    m2 = r.load("mad", "agent_time", "mad_at_2", PROCESSED_2)

    def at(load, rec, agent, state, start, end, site="MAD1"):
        r.add("agent_time", load, vendor_id="mad", record_id=rec, agent_id=agent, site=site, state=state,
              started_at=start, ended_at=end)

    # a1: 31 Jan 23:30 -> 1 Feb 02:30 local (22:30 -> 01:30 UTC): 1,800 s in January, 9,000 s in February
    at(m1, "A1-1", "a1", "available", utc(2026, 1, 31, 22, 30), utc(2026, 2, 1, 1, 30))
    # a2: spring night 29 Mar 00:30 -> 05:30 local = 28 Mar 23:30 -> 29 Mar 03:30 UTC: 4 h = 14,400 s (5 h wall)
    at(m1, "A2-1", "a2", "available", utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 3, 30), site="MAD2")
    # a3: autumn night 25 Oct 00:30 CEST -> 05:30 CET = 24 Oct 22:30 -> 25 Oct 04:30 UTC: 6 h = 21,600 s
    at(m1, "A3-1", "a3", "available", utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 4, 30), site="MAD2")
    # a4 (10 Jan): start tie - T-0 available 09:00-10:00 and T-1 training 09:00-11:00 start at the same
    # second; T-0 (lower record_id) counts 3,600 productive, T-1 counts 10:00-11:00 = 3,600 training and
    # 3,600 of overlap. Duplicate: D-1 available 12:00-13:00, D-2 available 12:10-13:10 counts 13:00-13:10 =
    # 600 productive, 3,000 overlap. Break 14:00-14:30 = 1,800 paid_other, lunch 14:30-15:00 = 1,800 unpaid.
    # a4: productive 3,600 + 3,600 + 600 = 7,800; training 3,600; overlap 6,600.
    at(m1, "T-1", "a4", "training", utc(2026, 1, 10, 8), utc(2026, 1, 10, 10))
    at(m1, "T-0", "a4", "available", utc(2026, 1, 10, 8), utc(2026, 1, 10, 9))
    at(m1, "D-1", "a4", "available", utc(2026, 1, 10, 11), utc(2026, 1, 10, 12))
    at(m1, "D-2", "a4", "available", utc(2026, 1, 10, 11, 10), utc(2026, 1, 10, 12, 10))
    at(m1, "B-1", "a4", "break", utc(2026, 1, 10, 13), utc(2026, 1, 10, 13, 30))
    at(m1, "L-1", "a4", "lunch", utc(2026, 1, 10, 13, 30), utc(2026, 1, 10, 14))
    # a5: C-1 sent as 09:00-13:00, corrected in a later file to 09:00-11:00 (latest file wins): 7,200 s
    at(m1, "C-1", "a5", "available", utc(2026, 1, 12, 8), utc(2026, 1, 12, 12))
    at(m2, "C-1", "a5", "available", utc(2026, 1, 12, 8), utc(2026, 1, 12, 10))
    # a4 answers one January contact: handle 3,900 s (occupancy)
    t["interactions"].append(interaction("mad", "voice", utc(2026, 1, 10, 8, 30), handle_seconds=3900))
    t["interactions"][-1]["agent_id"] = "a4"

    # --- chi: America/Chicago (CST -6, CDT -5) ------------------------------------------------------------
    evidence_contract(t, "chi", "America/Chicago")
    c1 = r.load("chi", "agent_time", "chi_at_1")
    # c1: 8 Mar 00:30 CST -> 05:30 CDT = 06:30 -> 10:30 UTC: 4 h = 14,400 s
    r.add("agent_time", c1, vendor_id="chi", record_id="S-1", agent_id="c1", site="CHI", state="available",
          started_at=utc(2026, 3, 8, 6, 30), ended_at=utc(2026, 3, 8, 10, 30))
    # c1: 1 Nov 00:30 CDT -> 05:30 CST = 05:30 -> 11:30 UTC: 6 h = 21,600 s
    r.add("agent_time", c1, vendor_id="chi", record_id="S-2", agent_id="c1", site="CHI", state="available",
          started_at=utc(2026, 11, 1, 5, 30), ended_at=utc(2026, 11, 1, 11, 30))
    # c2: 31 Oct 23:00 CDT -> 1 Nov 03:00 CST = 04:00 -> 09:00 UTC: October 23:00-24:00 = 3,600 s; November
    # 00:00 CDT -> 03:00 CST = 05:00 -> 09:00 UTC = 14,400 s (the wall clock says 3 h)
    r.add("agent_time", c1, vendor_id="chi", record_id="S-3", agent_id="c2", site="CHI", state="training",
          started_at=utc(2026, 11, 1, 4), ended_at=utc(2026, 11, 1, 9))

    # --- fte: UTC, 100 h per FTE --------------------------------------------------------------------------
    evidence_contract(t, "fte", "UTC", fte_hours=D(100), pricing=[
        {"category": "fte_months", "unit": "fte_month", "tiers": [(D(1), D(1000), "marginal"), (None, D(800), "marginal")]},
        {"category": "productive_hours", "unit": "hour", "rate": D(10)},
        {"category": "training_hours", "unit": "hour", "rate": D(8)},
        {"category": "contained_sessions", "channel": "ivr", "unit": "session", "rate": D(2)},
    ], sla=[dict(metric="containment_rate", target=D("0.62"), credit_pct=D("0.01"))])
    f1 = r.load("fte", "agent_time", "fte_at_1")
    # two agents x 100 h productive in January (5 Jan 00:00 -> 9 Jan 04:00): paid 200 h = 2 FTE
    for agent in ("f1", "f2"):
        r.add("agent_time", f1, vendor_id="fte", record_id=f"{agent}-1", agent_id=agent, site="S", state="available",
              started_at=utc(2026, 1, 5), ended_at=utc(2026, 1, 9, 4))
    t["interactions"].append(interaction("fte", "voice", utc(2026, 1, 6, 10), handle_seconds=600))
    t["interactions"][-1]["agent_id"] = "f1"
    # January self-service: ivr 3 contained, 1 transferred, 1 abandoned -> containment 0.6 < 0.62: missed
    s1 = r.load("fte", "self_service", "fte_ss_1")
    for n, outcome in enumerate(["contained", "contained", "contained", "transferred", "abandoned"]):
        r.add("self_service", s1, vendor_id="fte", session_id=f"s{n}", channel="ivr", started_at=utc(2026, 1, 7, 9, n),
              ended_at=utc(2026, 1, 7, 9, n, 30), outcome=outcome)
    # January invoice: fte_months 2.5 priced 1 x 1,000 + 1.5 x 800 = 2,200 (no rate variance) against 2 FTE
    # delivered: beyond 2 x 1.02; the excess 0.5 at tier 2's 800 = 400.00. productive_hours 201 vs 200 h:
    # within 204, no finding. training_hours 5 against 0 training hours worked: 5 x 8 = 40.00.
    # contained_sessions 3 x 2 = 6 against 3 contained: no finding.
    t["invoice_lines"] += [
        line("fte", "F-01", "L001", "fte_months", "2.5", "880", "2200"),
        line("fte", "F-01", "L002", "productive_hours", "201", "10", "2010"),
        line("fte", "F-01", "L003", "training_hours", "5", "8", "40"),
        line("fte", "F-01", "L004", "contained_sessions", "3", "2", "6", channel="ivr"),
    ]
    # February: productive_hours billed, no agent time loaded for February: no evidence, no finding
    t["invoice_lines"].append(line("fte", "F-02", "L001", "productive_hours", "50", "10", "500", month=date(2026, 2, 1)))

    warehouse = tmp_path_factory.mktemp("worked_time") / "warehouse.duckdb"
    create_raw(warehouse, t)
    dbt_build(warehouse, "--select", "+workforce +billed_vs_worked +self_service +sla_compliance +cost_to_serve +unforeseen_costs")
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def workforce(con, vendor_id):
    return {(r["site"], str(r["period_month"])): r for r in
            query(con, "select * from marts.workforce where vendor_id = ? order by all", [vendor_id])}


def test_month_end_split_dst_nights_overlaps_and_correction_in_madrid(con):
    w = workforce(con, "mad")
    jan = w[("MAD1", "2026-01-01")]
    # a1 1,800 + a4 7,800 + a5 7,200 (corrected) productive
    assert jan["productive_seconds"] == 16800
    assert jan["training_seconds"] == 3600
    assert jan["paid_other_seconds"] == 1800
    assert jan["unpaid_seconds"] == 1800
    assert jan["paid_seconds"] == 22200
    assert jan["overlap_seconds"] == 6600
    assert jan["overlap_hours"] == D("1.8333333333")  # 6,600 / 3,600, half-even to 10 places
    assert (jan["agents"], jan["handled_contacts"], jan["handle_seconds"]) == (3, 1, 3900)
    assert jan["agents_without_contacts"] == 2  # a1 and a5
    assert jan["shrinkage"] == D("0.2432432432")  # 1 - 16,800 / 22,200 = 5,400 / 22,200
    assert jan["occupancy"] == D("0.2321428571")  # 3,900 / 16,800
    assert jan["delivered_fte"] == D("0.0385416667")  # 22,200 / (160 x 3,600)
    assert w[("MAD1", "2026-02-01")]["productive_seconds"] == 9000
    assert w[("MAD2", "2026-03-01")]["productive_seconds"] == 14400  # spring night: 4 h for 5 h of wall clock
    assert w[("MAD2", "2026-10-01")]["productive_seconds"] == 21600  # autumn night: 6 h
    assert set(w) == {("MAD1", "2026-01-01"), ("MAD1", "2026-02-01"), ("MAD2", "2026-03-01"),
                      ("MAD2", "2026-10-01")}


def test_the_earlier_start_and_the_lower_record_id_win_the_overlap(con):
    parts = {(r["record_id"], r["part"]): (r["work_class"], r["seconds"]) for r in query(
        con, "select * from intermediate.int_agent_time_month_parts where agent_id = 'a4'")}
    assert parts[("T-0", "counted")] == ("productive", 3600)
    assert parts[("T-1", "counted")] == ("training", 3600)
    assert parts[("T-1", "overlap")] == ("training", 3600)
    assert parts[("D-2", "counted")] == ("productive", 600)
    assert parts[("D-2", "overlap")] == ("productive", 3000)
    assert ("T-0", "overlap") not in parts and ("D-1", "overlap") not in parts


def test_dst_nights_and_a_month_end_on_the_autumn_night_in_chicago(con):
    parts = {(r["record_id"], str(r["period_month"])): r["seconds"] for r in query(
        con, "select * from intermediate.int_agent_time_month_parts where vendor_id = 'chi' and part = 'counted'")}
    assert parts == {("S-1", "2026-03-01"): 14400, ("S-2", "2026-11-01"): 21600,
                     ("S-3", "2026-10-01"): 3600, ("S-3", "2026-11-01"): 14400}
    w = workforce(con, "chi")
    assert w[("CHI", "2026-11-01")]["productive_seconds"] == 21600
    assert w[("CHI", "2026-11-01")]["training_seconds"] == 14400
    assert w[("CHI", "2026-11-01")]["agents"] == 2


def test_fte_and_hours_billed_against_worked_time(con):
    rows = {(r["category"], str(r["period_month"])): r for r in query(
        con, "select * from marts.billed_vs_worked where vendor_id = 'fte'")}
    fte = rows[("fte_months", "2026-01-01")]
    assert (fte["billed_quantity"], fte["evidenced_quantity"], fte["evidence"]) == (D("2.5"), D(2), "agent_time")
    assert fte["variance_quantity"] == D("0.5") and fte["variance_pct"] == D("0.25")
    assert fte["contract_rate"] == D(800)  # the marginal rate of the tier 2.5 FTE reaches
    assert (fte["finding"], fte["amount_at_risk"]) == (True, D("400.00"))
    hours = rows[("productive_hours", "2026-01-01")]
    assert (hours["evidenced_quantity"], hours["finding"], hours["amount_at_risk"]) == (D(200), False, D(0))
    training = rows[("training_hours", "2026-01-01")]
    assert (training["evidenced_quantity"], training["amount_at_risk"]) == (D(0), D("40.00"))
    sessions = rows[("contained_sessions", "2026-01-01")]
    assert (sessions["channel"], sessions["evidence"], sessions["evidenced_quantity"]) == ("ivr", "self_service", D(3))
    feb = rows[("productive_hours", "2026-02-01")]
    assert (feb["billed_quantity"], feb["evidence"], feb["evidenced_quantity"], feb["finding"],
            feb["amount_at_risk"]) == (D(50), None, None, False, None)

    findings = {(r["invoice_id"], r["line_id"], r["finding"]): r["amount_at_risk"] for r in query(
        con, "select * from marts.unforeseen_costs where vendor_id = 'fte'")}
    # February's invoice also omits January's containment credit (test_containment_rate_sla_and_its_credit)
    assert findings == {("F-01", "L001", "quantity_variance"): D("400.00"),
                        ("F-01", "L003", "quantity_variance"): D("40.00"),
                        ("F-02", "L001", "missing_service_credit"): D("42.56")}


def test_containment_rate_sla_and_its_credit(con):
    (sla,) = query(con, "select * from marts.sla_compliance where vendor_id = 'fte' and metric = 'containment_rate'")
    assert (sla["sample_size"], sla["met"]) == (5, False)
    assert sla["actual"] == pytest.approx(0.6)
    # fees 2,200 + 2,010 + 40 + 6 = 4,256; 1 % = 42.56
    assert sla["credit_due_amount"] == D("42.56")


def test_self_service_lines_stay_on_their_channel_in_cost_to_serve(con):
    rows = {r["channel"]: r for r in query(con, "select * from marts.cost_to_serve where vendor_id = 'fte' "
                                                "and period_month = date '2026-01-01'")}
    assert set(rows) == {"voice", "ivr"}
    ivr = rows["ivr"]
    assert (ivr["invoiced_amount"], ivr["handled_contacts"], ivr["contained_sessions"]) == (D(6), 0, 3)
    assert ivr["cost_per_contained_session"] == D(2)
    assert rows["voice"]["invoiced_amount"] == D(4250)  # the channel-less lines go to the agent channel
    ss = query(con, "select * from marts.self_service where vendor_id = 'fte'")
    assert [(r["channel"], r["sessions"], r["contained"], r["containment_rate"], r["self_service_share"])
            for r in ss] == [("ivr", 5, 3, D("0.6"), D("0.75"))]  # 3 / (3 + 1 handled contact)
