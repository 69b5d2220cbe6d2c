"""marts.vendor_scorecard: two outsourcers and an in-house team in one month.
Expected values worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, interaction, line, new_tables

JAN = date(2026, 1, 1)


def _sla(vendor_id, *extra):
    lines = [
        # every contact here waits 10 s -> service level 2/2 = 1.0 >= 0.8: met
        dict(metric="service_level", channel="voice", target=D("0.8"), threshold_seconds=20,
             abandons="exclude_short", credit_pct=D("0")),
        # AHT 300 s: met at 300, missed at 400
        dict(metric="aht_seconds", channel="voice", target=D("300"), credit_pct=D("0")),
        *extra,
    ]
    return [dict(vendor_id=vendor_id, version_id=f"{vendor_id}@2026-01-01", sla_line=n, **l)
            for n, l in enumerate(lines, start=1)]


def _raw():
    t = new_tables()
    pricing = [{"category": "handled_contacts", "channel": "voice", "rate": D("30")}]

    # s_a: 3/3 SLAs met (service level, AHT 300, FCR by disposition 2/2 = 1.0 >= 0.5);
    # invoice 100 for 2 contacts -> 50 per contact
    contract(t, "s_a", versions=[{"pricing": [{"category": "handled_contacts", "channel": "voice",
                                               "rate": D("50")}]}])
    t["contract_sla"] += _sla("s_a", dict(metric="fcr_rate", target=D("0.5"), repeat_window_days=7,
                                         credit_pct=D("0")))
    t["interactions"] += [interaction("s_a", "voice", datetime(2026, 1, 5 + n, 9), handle_seconds=300)
                          for n in range(2)]
    t["invoice_lines"] += [line("s_a", "A-1", "L001", "handled_contacts", 2, "50", "100", channel="voice")]
    # CSAT 5 and 3 -> top-2-box 1/2 = 0.5; NPS 10 and 5 -> (1 - 1) / 2 = 0
    t["surveys"] += [
        dict(vendor_id="s_a", survey_id="S1", interaction_id="s_a-1",
             responded_at=datetime(2026, 1, 6, tzinfo=timezone.utc), csat=5, nps=10),
        dict(vendor_id="s_a", survey_id="S2", interaction_id="s_a-2",
             responded_at=datetime(2026, 1, 7, tzinfo=timezone.utc), csat=3, nps=5),
    ]
    # ESAT 4 and 5 -> top-2-box 1.0
    t["agent_surveys"] += [
        dict(vendor_id="s_a", response_id=f"E{n}", agent_id="a1", site="x",
             responded_at=datetime(2026, 1, 10, tzinfo=timezone.utc), esat=e)
        for n, e in enumerate((4, 5))
    ]

    # s_b: AHT 400 > 300 missed -> 1/2; invoice 62 = 2 x 30 + 2 (arithmetic_error 2)
    # -> 62 / 2 = 31 per contact, amount at risk 2
    contract(t, "s_b", versions=[{"pricing": pricing}])
    t["contract_sla"] += _sla("s_b")
    t["interactions"] += [interaction("s_b", "voice", datetime(2026, 1, 5 + n, 9), handle_seconds=400)
                          for n in range(2)]
    t["invoice_lines"] += [line("s_b", "B-1", "L001", "handled_contacts", 2, "30", "62", channel="voice")]
    # ... and an invoice for February with no interactions: a scorecard row without SLA data
    t["invoice_lines"] += [line("s_b", "B-2", "L001", "handled_contacts", 1, "30", "30", channel="voice",
                                month=date(2026, 2, 1))]

    # s_h: in-house, 2/2 met, cost base 200 USD / 2 contacts = 100 per contact
    contract(t, "s_h", kind="in_house", versions=[{"monthly_cost_base": D("200")}])
    t["contract_sla"] += _sla("s_h")
    t["interactions"] += [interaction("s_h", "voice", datetime(2026, 1, 5 + n, 9), handle_seconds=300)
                          for n in range(2)]
    return t


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("scorecard") / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    dbt_build(warehouse, "--select", "+vendor_scorecard")
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def test_scorecard_rows_and_rank(con):
    rows = {r["vendor_id"]: r for r in query(con, "select * from marts.vendor_scorecard where period_month = ?",
                                             [JAN])}
    a, b, h = rows["s_a"], rows["s_b"], rows["s_h"]
    assert (a["sla_met"], a["sla_total"], b["sla_met"], b["sla_total"], h["sla_met"], h["sla_total"]) == (
        3, 3, 1, 2, 2, 2)
    assert a["cost_per_contact"] == D("50") and b["cost_per_contact"] == D("31")
    assert h["cost_per_contact"] == D("100") and h["kind"] == "in_house"
    assert b["amount_at_risk"] == D("2") and a["amount_at_risk"] == D("0")
    assert a["csat_top2box"] == pytest.approx(0.5) and a["nps"] == pytest.approx(0)
    assert a["esat"] == pytest.approx(1.0) and a["fcr_rate"] == pytest.approx(1.0)
    assert b["fcr_rate"] is None and b["csat_top2box"] is None
    # share met desc, then cost per contact asc: s_a (1.0, 50), s_h (1.0, 100), s_b (0.5, 31)
    assert (a["rank"], h["rank"], b["rank"]) == (1, 2, 3)
    assert a["period_month"] == JAN and a["vendor_name"] == "S_A"


def test_a_month_without_sla_data_is_not_ranked(con):
    # s_b's February: an invoice, no interactions, no surveys -> no SLA evaluated, so no rank
    # (it used to share rank 1 with 0/0 SLAs met)
    feb = query(con, "select * from marts.vendor_scorecard where period_month = ?", [date(2026, 2, 1)])
    assert [(r["vendor_id"], r["sla_total"], r["rank"]) for r in feb] == [("s_b", 0, None)]
