"""QA rules on hand-worked rows (docs/domain.md "quality"): marts.quality at vendor, site and agent
grain, and the qa_score / qa_auto_fail_rate / qa_calibration_gap lines of marts.sla_compliance.

One vendor in America/Chicago (UTC-6 in winter), two agents: ag1 (site north), ag2 (site south).
Evaluations (max_score 100 unless said; value = score / max_score, 0 where auto_fail):

  id  interaction agent side    score       flags        evaluated_at (UTC)   local month
  E1  i1          ag1   vendor  80                       Jan 10 15:00         Jan   0.8
  E2  i1          ag1   client  60                       Jan 12 15:00         Jan   0.6
  E3  i1          ag1   client  90          auto_fail    Feb  1 03:00         Jan   0   (Jan 31 21:00 local)
  E4  i2          ag1   vendor  45 / 50     calibration  Jan 15 15:00         Jan   0.9
  E5  i2          ag1   client  40 / 50                  Feb  2 12:00         Feb   0.8
  E6  i3          ag2   vendor  70 (a later load; the first said 10)  Jan 20  Jan   0.7
  E7  i3          ag2   client  100         calibration  Jan 21 15:00         Jan   1.0
  E8  -           ag2   vendor  50                       Jan 22 15:00         Jan   0.5
  E9  -           ag2   client  30                       Feb  1 06:30         Feb   0.3 (00:30 local)

January, calibration false: E1 E2 E3 E6 E8 -> 5 evaluations, score (0.8+0.6+0+0.7+0.5)/5 = 0.52,
auto-fail 1/5 = 0.2. ag1: E1 E2 E3 -> 1.4/3, 1/3; ag2: E6 E8 -> 0.6, 0.
Calibration pairs (calibration flag ignored; month of the latest client evaluation):
  i1 vendor 0.8, client mean(0.6, 0) = 0.3 -> gap 0.5, latest client E3 -> January, ag1
  i2 vendor 0.9 (E4 is a calibration evaluation: still pairs), client 0.8 -> gap 0.1, E5 -> February, ag1
  i3 vendor 0.7, client 1.0 -> gap 0.3, January, ag2
  January: 2 pairs, gap 0.4; February: 1 pair, gap 0.1.
February, calibration false: E5 (0.8, max 50) and E9 (0.3, max 100) -> 2 evaluations, 0.55, auto-fail 0.
Contacts (January): i1 ag1 complaint, i2 ag1, i3 ag2, i4 ag2 -> 4 handled, 1 complaint (250 per 1,000);
ag1 2 handled 1 complaint (500), ag2 2 handled 0 (0). February: no contact -> complaint rate null.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, line, new_tables

UTC = timezone.utc
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
V = "q_chi"


def _at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _contact(n, agent, complaint=False):
    arrived = _at(1, 5 + n, 15)
    return dict(vendor_id=V, interaction_id=f"i{n}", channel="voice", queue="q1", arrived_at=arrived,
                answered_at=arrived + timedelta(seconds=10), ended_at=arrived + timedelta(seconds=310),
                talk_seconds=300, hold_seconds=0, wrap_seconds=0, agent_id=agent, transferred=False,
                resolved=True, complaint=complaint)


def _evaluation(eid, interaction, agent, side, score, at, *, max_score=100, auto_fail=False, calibration=False):
    return dict(vendor_id=V, evaluation_id=eid, interaction_id=interaction, agent_id=agent, evaluated_at=at,
                evaluator_side=side, form="f", score=D(score), max_score=D(max_score), auto_fail=auto_fail,
                calibration=calibration)


# (metric, evaluator_side, target, credit_pct)
SLA_LINES = [
    ("qa_score", None, "0.52", "0.02"),           # 1: both sides, target exactly January's 0.52 -> met (≥)
    ("qa_score", "client", "0.5", "0.03"),        # 2: Jan E2 E3 -> 0.3 missed; Feb E5 E9 -> 0.55 met
    ("qa_score", "vendor", "0.6", "0.04"),        # 3: Jan E1 E6 E8 -> 2/3 met; Feb none -> no sample
    ("qa_auto_fail_rate", None, "0.1", "0.01"),   # 4: Jan 0.2 missed; Feb 0 met
    ("qa_calibration_gap", None, "0.35", "0.02"),  # 5: Jan 0.4 missed; Feb 0.1 met
]


def _raw():
    t = new_tables()
    contract(t, V, tz="America/Chicago",
             versions=[{"pricing": [{"category": "handled_contacts", "channel": "voice", "rate": D("250")}]}])
    for n, (metric, side, target, credit) in enumerate(SLA_LINES, start=1):
        t["contract_sla"].append(dict(vendor_id=V, version_id=f"{V}@2026-01-01", sla_line=n, metric=metric,
                                      target=D(target), credit_pct=D(credit), evaluator_side=side))
    t["interactions"] += [_contact(1, "ag1", complaint=True), _contact(2, "ag1"), _contact(3, "ag2"),
                          _contact(4, "ag2")]
    # January fees 4 x 250 = 1,000 -> credits of the missed January lines: 30 + 10 + 20 = 60 (cap 100)
    t["invoice_lines"].append(line(V, "INV-1", "L001", "handled_contacts", 4, "250", "1000", channel="voice"))
    t["agent_surveys"] += [
        dict(vendor_id=V, response_id="R1", agent_id="ag1", site="north", responded_at=_at(1, 25, 15), esat=4),
        dict(vendor_id=V, response_id="R2", agent_id="ag2", site="south", responded_at=_at(1, 25, 15), esat=2),
    ]
    t["qa_evaluations"] += [
        _evaluation("E1", "i1", "ag1", "vendor", 80, _at(1, 10, 15)),
        _evaluation("E2", "i1", "ag1", "client", 60, _at(1, 12, 15)),
        _evaluation("E3", "i1", "ag1", "client", 90, _at(2, 1, 3), auto_fail=True),
        _evaluation("E4", "i2", "ag1", "vendor", 45, _at(1, 15, 15), max_score=50, calibration=True),
        _evaluation("E5", "i2", "ag1", "client", 40, _at(2, 2, 12), max_score=50),
        _evaluation("E6", "i3", "ag2", "vendor", 10, _at(1, 20, 15)),   # corrected by a later load below
        _evaluation("E7", "i3", "ag2", "client", 100, _at(1, 21, 15), calibration=True),
        _evaluation("E8", None, "ag2", "vendor", 50, _at(1, 22, 15)),
        _evaluation("E9", None, "ag2", "client", 30, _at(2, 1, 6, 30)),
    ]
    return t


def _load_correction(warehouse):
    """A later file re-sends E6 with score 70: the latest load wins."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("insert into raw.load_manifest (load_id, file_path, file_name, sha256, vendor_id, feed, rows,"
                    " status, processed_at) values ('load_qa_2', '/landing/qa2', 'qa2', 'qa2', ?, 'qa_evaluations',"
                    " 1, 'loaded', ?)", [V, datetime(2026, 6, 2, tzinfo=UTC)])
        row = _evaluation("E6", "i3", "ag2", "vendor", 70, _at(1, 20, 15))
        row.update(_load_id="load_qa_2", _row_number=1, _loaded_at=datetime(2026, 6, 2, tzinfo=UTC))
        con.execute(f"insert into raw.qa_evaluations ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
                    list(row.values()))
    finally:
        con.close()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("quality") / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    _load_correction(warehouse)
    dbt_build(warehouse, "--select", "+quality", "+sla_compliance")
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def _quality(con):
    return {(r["period_month"], r["grain"], r["site"], r["agent_id"]): r
            for r in query(con, "select * from marts.quality where vendor_id = ?", [V])}


def _check(row, evaluations, qa_score, auto_fail_rate, pairs, gap, complaints, handled, complaint_rate):
    assert row["evaluations"] == evaluations
    for name, want in (("qa_score", qa_score), ("auto_fail_rate", auto_fail_rate), ("calibration_gap", gap),
                       ("complaint_rate", complaint_rate)):
        assert (row[name] is None) if want is None else row[name] == pytest.approx(want, abs=1e-12), name
    assert (row["calibration_pairs"], row["complaints"], row["handled_contacts"]) == (pairs, complaints, handled)


def test_quality_vendor_grain(con):
    q = _quality(con)
    _check(q[(JAN, "vendor", None, None)], 5, 0.52, 0.2, 2, 0.4, 1, 4, 250)
    _check(q[(FEB, "vendor", None, None)], 2, 0.55, 0, 1, 0.1, 0, 0, None)


def test_quality_agent_and_site_grain(con):
    q = _quality(con)
    _check(q[(JAN, "agent", "north", "ag1")], 3, 1.4 / 3, 1 / 3, 1, 0.5, 1, 2, 500)
    _check(q[(JAN, "agent", "south", "ag2")], 2, 0.6, 0, 1, 0.3, 0, 2, 0)
    _check(q[(FEB, "agent", "north", "ag1")], 1, 0.8, 0, 1, 0.1, 0, 0, None)
    _check(q[(FEB, "agent", "south", "ag2")], 1, 0.3, 0, 0, None, 0, 0, None)
    # one agent per site here: the site rows equal the agent rows
    _check(q[(JAN, "site", "north", None)], 3, 1.4 / 3, 1 / 3, 1, 0.5, 1, 2, 500)
    _check(q[(JAN, "site", "south", None)], 2, 0.6, 0, 1, 0.3, 0, 2, 0)
    assert len(q) == 2 * (1 + 2 + 2)


def test_latest_load_of_an_evaluation_wins(con):
    assert query(con, "select score from staging.stg_qa_evaluations where evaluation_id = 'E6'") == [
        {"score": D("70.0000")}]


def test_qa_sla_lines(con):
    rows = {(r["period_month"], r["sla_line"]): r for r in query(
        con, "select * from marts.sla_compliance where vendor_id = ? order by period_month, sla_line", [V])}
    want = {
        # (month, line): (actual, met, sample_size, credit_due)
        (JAN, 1): (0.52, True, 5, "0"),          # exactly at target: met
        (JAN, 2): (0.3, False, 2, "30"),          # client side only: E2 0.6, E3 auto-fail 0
        (JAN, 3): (2 / 3, True, 3, "0"),          # vendor side only: E1 E6 E8
        (JAN, 4): (0.2, False, 5, "10"),
        (JAN, 5): (0.4, False, 2, "20"),
        (FEB, 1): (0.55, True, 2, "0"),
        (FEB, 2): (0.55, True, 2, "0"),
        (FEB, 3): (None, None, 0, "0"),           # no vendor-side evaluation in February: no sample
        (FEB, 4): (0.0, True, 2, "0"),
        (FEB, 5): (0.1, True, 1, "0"),
    }
    assert set(rows) == set(want)
    for key, (actual, met, n, credit) in want.items():
        r = rows[key]
        assert (r["met"], r["sample_size"], r["credit_due_amount"]) == (met, n, D(credit)), key
        assert (r["actual"] is None) if actual is None else r["actual"] == pytest.approx(actual, abs=1e-12), key
    assert [rows[(JAN, n)]["evaluator_side"] for n in range(1, 6)] == [None, "client", "vendor", None, None]
    # the at-target line must be met on the exact value, not a float that lands a hair below
    assert rows[(JAN, 1)]["actual"] >= 0.52
