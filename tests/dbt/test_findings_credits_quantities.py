"""quantity_variance, missing_service_credit, minimum_commitment_misbilled,
revisions and missing FX rates in marts.unforeseen_costs (and their effect on
marts.cost_to_serve / marts.invoice_revisions), on hand-written raw rows: one
vendor per scenario, one full `dbt build` for the module. Expected values are
worked out by hand in the comments (DEVELOPERS.md "Marts: shared semantics").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN
from decimal import Decimal as D

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, interaction, line, new_tables

JAN, FEB, MAR, APR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)


def _answered(t, vendor, channel, day: datetime, n, handle_seconds=300):
    t["interactions"] += [interaction(vendor, channel, day + timedelta(hours=k), handle_seconds=handle_seconds)
                          for k in range(n)]


def _sla(vendor, *lines):
    return [dict(vendor_id=vendor, version_id=f"{vendor}@2026-01-01", sla_line=n, **sla)
            for n, sla in enumerate(lines, start=1)]


def _raw():
    t = new_tables()

    # --- q_tier: quantity_variance on tiers, America/Monterrey (UTC-6) ---------
    contract(t, "q_tier", tz="America/Monterrey", versions=[{"pricing": [
        {"category": "handled_contacts", "channel": "voice",
         "tiers": [(D(10), D("2.00"), "marginal"), (None, D("1.50"), "marginal")]},
        {"category": "handle_minutes", "channel": "chat",
         "tiers": [(D(10), D("3.00"), "whole"), (None, D("2.50"), "whole")]},
    ]}])  # tolerance quantity_pct 0.02, amount_abs 1.00
    # Jan voice: 7 answered on 2 Jan + one on 2026-02-01 03:00 UTC = 31 Jan 21:00 local
    # -> 8 observed in January; one abandoned contact is not handled.
    _answered(t, "q_tier", "voice", datetime(2026, 1, 2, 9), 7)
    t["interactions"].append(interaction("q_tier", "voice", datetime(2026, 2, 1, 3), handle_seconds=60))
    t["interactions"].append(interaction("q_tier", "voice", datetime(2026, 1, 3, 9)))
    # Jan chat: 2 x 250 s = 500 s = 8.33333... min -> 8.3333 (half-even, 4 places)
    _answered(t, "q_tier", "chat", datetime(2026, 1, 4, 9), 2, handle_seconds=250)
    # Feb voice: 9 answered, one of them later updated to abandoned -> 8 observed
    _answered(t, "q_tier", "voice", datetime(2026, 2, 2, 9), 9)
    upd = dict(t["interactions"][-1])
    upd.update(answered_at=None, talk_seconds=None, hold_seconds=None, wrap_seconds=None, agent_id=None,
               updated_at=datetime(2026, 2, 10, tzinfo=timezone.utc))
    t["interactions"].append(upd)
    # Feb chat: 1 x 420 s = 7 min
    _answered(t, "q_tier", "chat", datetime(2026, 2, 4, 9), 1, handle_seconds=420)
    # Mar voice: 50 answered
    _answered(t, "q_tier", "voice", datetime(2026, 3, 2, 9), 50, handle_seconds=60)
    t["invoice_lines"] += [
        # Jan voice billed 10 = exactly the tier-1 edge (up_to inclusive): rate 2.00, priced right
        # (10 x 2.00 = 20, no rate_variance). 10 > 8 x 1.02 = 8.16 -> quantity_variance
        # (10 - 8) x 2.00 = 4.00
        line("q_tier", "Q-JAN", "L001", "handled_contacts", 10, "2.00", "20.00", channel="voice"),
        # Jan chat minutes billed 11 > 10 -> whole tier 2: 11 x 2.50 = 27.50 (no rate_variance);
        # 11 > 8.3333 x 1.02 = 8.499966 -> (11 - 8.3333) x 2.50 = 2.6667 x 2.50 = 6.66675
        # -> half-even to 4 places: 6.6668 (7 is odd)
        line("q_tier", "Q-JAN", "L002", "handle_minutes", 11, "2.50", "27.50", channel="chat"),
        # Feb voice over two lines, Q = 11 -> marginal tier 2 reached, rate 1.50;
        # 10 x 2.00 + 1 x 1.50 = 21.50 priced right; (11 - 8) x 1.50 = 4.50 on L001
        line("q_tier", "Q-FEB", "L001", "handled_contacts", 10, "2.00", "20.00", channel="voice", month=FEB),
        line("q_tier", "Q-FEB", "L002", "handled_contacts", 1, "1.50", "1.50", channel="voice", month=FEB),
        # Feb chat minutes billed 10 = the edge of whole tier 1: rate 3.00 (not 2.50);
        # 10 x 3.00 = 30 priced right; (10 - 7) x 3.00 = 9.00
        line("q_tier", "Q-FEB", "L003", "handle_minutes", 10, "3.00", "30.00", channel="chat", month=FEB),
        # Mar voice billed 51 = 50 x 1.02 exactly: not beyond the tolerance -> no finding
        # (it would be (51 - 50) x 1.50 = 1.50 > amount_abs). 10 x 2 + 41 x 1.50 = 81.50 priced right.
        line("q_tier", "Q-MAR-A", "L001", "handled_contacts", 10, "2.00", "20.00", channel="voice", month=MAR,
             invoice_date=date(2026, 4, 1)),
        line("q_tier", "Q-MAR-A", "L002", "handled_contacts", 41, "1.50", "61.50", channel="voice", month=MAR,
             invoice_date=date(2026, 4, 1)),
        # ... and L002 billed again on a second invoice for March: duplicate_line 61.50, left
        # out of the billed quantity (else 92 vs 50 would be a quantity_variance)
        line("q_tier", "Q-MAR-B", "L001", "handled_contacts", 41, "1.50", "61.50", channel="voice", month=MAR,
             invoice_date=date(2026, 4, 2)),
    ]

    # --- q_all: a channel-less pricing line observes all channels ---------------
    contract(t, "q_all", versions=[{"pricing": [{"category": "handled_contacts", "rate": D("1.00")}]}])
    _answered(t, "q_all", "voice", datetime(2026, 1, 5, 9), 3)
    _answered(t, "q_all", "chat", datetime(2026, 1, 5, 9), 2)
    t["invoice_lines"] += [
        # billed 4 + 4 = 8 against 3 + 2 = 5 answered -> (8 - 5) x 1.00 = 3.00 on L001
        line("q_all", "A-1", "L001", "handled_contacts", 4, "1.00", "4.00", channel="voice"),
        line("q_all", "A-1", "L002", "handled_contacts", 4, "1.00", "4.00", channel="chat"),
    ]

    # --- c_cred: a missed SLA, its credit applied partially on the next invoice --
    contract(t, "c_cred", versions=[{"pricing": [
        {"category": "handled_contacts", "channel": "voice", "rate": D("100.0125")},
    ]}])
    t["contract_sla"] += _sla(
        "c_cred",
        # every contact is answered after 10 s: ASA 10 > 5 -> missed, 3 %
        dict(metric="asa_seconds", channel="voice", target=D("5"), credit_pct=D("0.03")),
        # AHT 300 <= 1000 -> met, no credit
        dict(metric="aht_seconds", channel="voice", target=D("1000"), credit_pct=D("0.02")),
    )
    for month in (JAN, FEB):
        _answered(t, "c_cred", "voice", datetime(month.year, month.month, 5, 9), 10)
    t["invoice_lines"] += [
        # fees Jan = 10 x 100.0125 = 1000.125; credit due 0.03 x 1000.125 = 30.00375
        # -> half-even 30.0038 (cap 10 % = 100.0125 does not bite)
        line("c_cred", "K-JAN", "L001", "handled_contacts", 10, "100.0125", "1000.125", channel="voice"),
        # Feb invoice applies 12.50 of it: missing_service_credit 30.0038 - 12.50 = 17.5038 on L002.
        # Feb misses too (credit due 30.0038) but there is no March invoice yet: nothing.
        line("c_cred", "K-FEB", "L001", "handled_contacts", 10, "100.0125", "1000.125", channel="voice",
             month=FEB),
        line("c_cred", "K-FEB", "L002", "service_credit", 1, "-12.50", "-12.50", month=FEB),
    ]

    # --- c_cap: two misses above the credit cap, no credit applied at all --------
    contract(t, "c_cap", versions=[{"pricing": [
        {"category": "handled_contacts", "channel": "voice", "rate": D("100.01")},
    ]}])
    t["contract_sla"] += _sla(
        "c_cap",
        dict(metric="asa_seconds", channel="voice", target=D("5"), credit_pct=D("0.08")),   # 10 > 5 missed
        dict(metric="aht_seconds", channel="voice", target=D("100"), credit_pct=D("0.05")),  # 300 > 100 missed
    )
    _answered(t, "c_cap", "voice", datetime(2026, 1, 5, 9), 10)
    # Feb: voice 10 x 300 s = 3000 s, chat 1 x 1000 s: the missing credit is allocated 3:1
    _answered(t, "c_cap", "voice", datetime(2026, 2, 5, 9), 10)
    _answered(t, "c_cap", "chat", datetime(2026, 2, 5, 9), 1, handle_seconds=1000)
    t["invoice_lines"] += [
        # fees 10 x 100.01 = 1000.10: 0.08 x 1000.10 = 80.008 and 0.05 x 1000.10 = 50.005,
        # sum 130.013 > cap 0.10 x 1000.10 = 100.01 -> due 100.01
        line("c_cap", "P-JAN", "L001", "handled_contacts", 10, "100.01", "1000.10", channel="voice"),
        # Feb invoice has no service_credit line: missing 100.01 on its first line L001
        line("c_cap", "P-FEB", "L001", "handled_contacts", 10, "100.01", "1000.10", channel="voice", month=FEB),
    ]

    # --- m_min: take-or-pay minimum commitment 1000 ----------------------------
    contract(t, "m_min", versions=[{"minimum_monthly_commitment": D("1000"), "pricing": [
        {"category": "productive_hours", "rate": D("20.00")},
    ]}])
    t["invoice_lines"] += [
        # Jan: fees 10 x 20 = 200 -> shortfall 1000 - 200 = 800; billed 900 -> misbilled 100
        line("m_min", "M-JAN", "L001", "productive_hours", 10, "20", "200"),
        line("m_min", "M-JAN", "L002", "minimum_commitment_shortfall", 1, "900", "900"),
        # Feb: fees 60 x 20 = 1200 >= 1000 -> shortfall 0; billed 200 + 100 -> 300 on L002
        line("m_min", "M-FEB", "L001", "productive_hours", 60, "20", "1200", month=FEB),
        line("m_min", "M-FEB", "L002", "minimum_commitment_shortfall", 1, "200", "200", month=FEB),
        line("m_min", "M-FEB", "L003", "minimum_commitment_shortfall", 1, "100", "100", month=FEB),
        # Mar: a mispriced line still counts as fees: 10 x 25 = 250 (rate_variance 50);
        # shortfall 1000 - 250 = 750 = billed -> no misbilling
        line("m_min", "M-MAR", "L001", "productive_hours", 10, "25", "250", month=MAR),
        line("m_min", "M-MAR", "L002", "minimum_commitment_shortfall", 1, "750", "750", month=MAR),
        # Apr: a duplicated line still counts as fees: 200 + 200 = 400 (duplicate_line 200);
        # shortfall 600 = billed -> no misbilling
        line("m_min", "M-APR", "L001", "productive_hours", 10, "20", "200", month=APR),
        line("m_min", "M-APR", "L002", "productive_hours", 10, "20", "200", month=APR),
        line("m_min", "M-APR", "L003", "minimum_commitment_shortfall", 1, "600", "600", month=APR),
    ]

    # --- r_rev: revision 1 fixes a quantity_variance and introduces a rate_variance
    contract(t, "r_rev", versions=[{"pricing": [
        {"category": "handled_contacts", "channel": "voice", "rate": D("5.00")},
    ]}])
    _answered(t, "r_rev", "voice", datetime(2026, 1, 5, 9), 10)
    t["invoice_lines"] += [
        # r0: billed 14 contacts > 10 x 1.02 -> quantity_variance (14 - 10) x 5 = 20 (gone in r1)
        line("r_rev", "V-1", "L001", "handled_contacts", 14, "5.00", "70.00", channel="voice", revision=0),
        line("r_rev", "V-1", "L002", "management_fee", 1, "10", "10", revision=0),
        # r1: 10 contacts (right) at 5.50 -> rate_variance 55 - 50 = 5; one line only
        line("r_rev", "V-1", "L001", "handled_contacts", 10, "5.50", "55.00", channel="voice", revision=1),
    ]
    for row in (r for r in t["invoice_lines"] if r["invoice_id"] == "V-1"):
        row["_loaded_at"] = datetime(2026, 2, 1 + row["revision"], tzinfo=timezone.utc)

    # --- f_miss: GBP invoice without any GBP rate ------------------------------
    contract(t, "f_miss", currency="GBP", versions=[{"pricing": [
        {"category": "productive_hours", "rate": D("20.00")},
    ]}])
    _answered(t, "f_miss", "voice", datetime(2026, 1, 5, 9), 1)
    # arithmetic error 210 - 200 = 10 GBP, no rate -> fx_rate_missing, reporting amount null
    t["invoice_lines"] += [line("f_miss", "G-1", "L001", "productive_hours", 10, "20", "210", currency="GBP")]
    t["fx_rates"] += [{"rate_date": date(2026, 1, 30), "currency": "EUR", "rate_to_reporting": D("1.10")}]
    return t


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("findings_more") / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    proc = dbt_build(warehouse)  # the whole project: a missing FX rate must not fail the build
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, proc
    con.close()


@pytest.fixture(scope="module")
def con(built):
    return built[0]


def findings(con, vendor_id, finding=None):
    sql = "select * from marts.unforeseen_costs where vendor_id = ?"
    params = [vendor_id]
    if finding:
        sql += " and finding = ?"
        params.append(finding)
    return query(con, sql + " order by period_month, invoice_id, line_id, finding", params)


def keys(rows):
    return [(r["invoice_id"], r["line_id"], r["finding"], r["amount_at_risk"]) for r in rows]


def test_quantity_variance_at_tier_edges_marginal_and_whole(con):
    rows = findings(con, "q_tier")
    assert keys(rows) == [
        ("Q-JAN", "L001", "quantity_variance", D("4.0000")),
        ("Q-JAN", "L002", "quantity_variance", D("6.6668")),
        ("Q-FEB", "L001", "quantity_variance", D("4.5000")),
        ("Q-FEB", "L003", "quantity_variance", D("9.0000")),
        ("Q-MAR-B", "L001", "duplicate_line", D("61.5000")),
    ]
    jan_voice, jan_chat, feb_voice, feb_chat = rows[:4]
    # exactly at the marginal tier edge: tier 1, rate 2.00
    assert (jan_voice["tier_reached"], jan_voice["contract_rate"], jan_voice["pricing_basis"]) == (1, D("2"), "marginal")
    assert jan_voice["observed_quantity"] == D(8) and jan_voice["billed_quantity"] == D(10)
    assert jan_voice["observed_quantity_source"] == (
        "raw.interactions: answered voice contacts in 2026-01 (America/Monterrey)")
    assert jan_voice["version_id"] == "q_tier@2026-01-01" and jan_voice["tolerance_quantity_pct"] == D("0.02")
    assert jan_voice["billed_amount"] == D("20") and jan_voice["expected_amount"] == D("16")
    # whole tier 2 reached; minutes half-even to 4 places; the tie 6.66675 rounds to even
    assert (D(11) - D(500) / D(60)).quantize(D("0.0001")) == D("2.6667")
    assert (D("2.6667") * D("2.50")).quantize(D("0.0001"), ROUND_HALF_EVEN) == D("6.6668")
    assert jan_chat["observed_quantity"] == D("8.3333") and jan_chat["contract_rate"] == D("2.50")
    assert jan_chat["pricing_basis"] == "whole" and jan_chat["tier_reached"] == 2
    assert "handle minutes" in jan_chat["observed_quantity_source"]
    # beyond the marginal edge: rate of the tier the billed quantity reaches (1.50)
    assert feb_voice["contract_rate"] == D("1.50") and feb_voice["observed_quantity"] == D(8)  # update applied
    # whole tier edge: rate 3.00 of tier 1
    assert feb_chat["contract_rate"] == D("3.00") and feb_chat["observed_quantity"] == D(7)
    assert all(r["evidence"] and r["contract_clause"] for r in rows)


def test_channel_less_pricing_line_observes_all_channels(con):
    (row,) = findings(con, "q_all")
    assert (row["line_id"], row["finding"], row["amount_at_risk"]) == ("L001", "quantity_variance", D("3"))
    assert row["observed_quantity"] == D(5) and row["billed_quantity"] == D(8)
    assert "all-channel" in row["observed_quantity_source"]


def test_missing_service_credit_applied_partially(con):
    (row,) = findings(con, "c_cred")
    due = (D("0.03") * D("1000.125")).quantize(D("0.0001"), ROUND_HALF_EVEN)
    assert due == D("30.0038")
    assert (row["invoice_id"], row["line_id"], row["finding"]) == ("K-FEB", "L002", "missing_service_credit")
    assert row["amount_at_risk"] == due - D("12.50") == D("17.5038")
    assert row["period_month"] == FEB and row["credit_period_month"] == JAN
    assert row["credit_due_amount"] == due and row["credit_applied_amount"] == D("12.50")
    assert row["billed_amount"] == D("-12.50") and row["expected_amount"] == -due
    assert row["fees_amount"] == D("1000.125") and row["cap_applied"] == D("100.0125")
    assert row["version_id"] == "c_cred@2026-01-01"
    assert "asa_seconds voice" in row["evidence"] and "sla_compliance 2026-01" in row["evidence"]


def test_credit_due_equals_sla_compliance_month_total(con):
    (total,) = con.execute("select sum(credit_due_amount) from marts.sla_compliance "
                           "where vendor_id = 'c_cred' and period_month = '2026-01-01'").fetchone()
    assert total == D("30.0038")


def test_no_finding_before_the_next_invoice_arrives(con):
    # February's misses of c_cred and c_cap owe credits, but no March invoice exists yet
    assert [r for r in findings(con, "c_cred") if r["credit_period_month"] == FEB] == []
    assert all(r["credit_period_month"] == JAN for r in findings(con, "c_cap"))


def test_credit_cap_and_no_credit_line(con):
    (row,) = findings(con, "c_cap")
    assert D("0.08") * D("1000.10") + D("0.05") * D("1000.10") == D("130.0130")  # > cap
    assert (row["invoice_id"], row["line_id"], row["finding"]) == ("P-FEB", "L001", "missing_service_credit")
    assert row["amount_at_risk"] == D("100.01") and row["cap_applied"] == D("100.01")
    assert row["credit_applied_amount"] == 0


def test_cost_to_serve_nets_missing_credits_allocated_by_handle_time(con):
    rows = {r["channel"]: r for r in query(
        con, "select * from marts.cost_to_serve where vendor_id = 'c_cap' and period_month = '2026-02-01'")}
    # 100.01 over voice 3000 s : chat 1000 s -> 75.0075 / 25.0025
    assert rows["voice"]["credits_due_missing"] == D("75.0075")
    assert rows["chat"]["credits_due_missing"] == D("25.0025")
    # voice: invoiced 1000.10 - credits 0 - missing 75.0075 = 925.0925
    assert rows["voice"]["net_cost"] == D("925.0925") and rows["voice"]["net_cost_reporting"] == D("925.0925")
    assert rows["chat"]["net_cost"] == D("-25.0025")
    (c,) = query(con, "select * from marts.cost_to_serve where vendor_id = 'c_cred' and period_month = '2026-02-01'")
    # 1000.125 - 12.50 - 17.5038 = 970.1212
    assert (c["invoiced_amount"], c["credits_amount"], c["credits_due_missing"]) == (
        D("1000.125"), D("12.50"), D("17.5038"))
    assert c["net_cost"] == D("970.1212") and c["fx_rate_missing"] is False


def test_minimum_commitment_misbilled(con):
    rows = findings(con, "m_min")
    assert keys(rows) == [
        ("M-JAN", "L002", "minimum_commitment_misbilled", D("100.0000")),
        ("M-FEB", "L002", "minimum_commitment_misbilled", D("300.0000")),
        ("M-MAR", "L001", "rate_variance", D("50.0000")),
        ("M-APR", "L002", "duplicate_line", D("200.0000")),
    ]
    jan, feb = rows[0], rows[1]
    assert (jan["billed_amount"], jan["expected_amount"], jan["fees_amount"], jan["minimum_commitment"]) == (
        D("900"), D("800"), D("200"), D("1000"))
    assert (feb["billed_amount"], feb["expected_amount"], feb["fees_amount"]) == (D("300"), D("0"), D("1200"))


def test_revision_fixes_one_defect_and_introduces_another(con):
    rows = findings(con, "r_rev")
    assert keys(rows) == [("V-1", "L001", "rate_variance", D("5.0000"))]
    assert rows[0]["revision"] == 1


def test_invoice_revisions_keep_the_history(con):
    rows = query(con, "select * from marts.invoice_revisions where vendor_id = 'r_rev' order by revision")
    assert [(r["revision"], r["superseded"], r["lines"], r["total_amount"], r["findings"]) for r in rows] == [
        (0, True, 2, D("80"), 0),
        (1, False, 1, D("55"), 1),
    ]
    assert rows[0]["latest_revision"] == 1 and rows[1]["amount_at_risk"] == D("5")
    assert rows[0]["loaded_at"] < rows[1]["loaded_at"]
    # only the latest revision feeds the other marts
    (n,) = con.execute("select count(*) from marts.unforeseen_costs where vendor_id = 'r_rev' "
                       "and revision = 0").fetchone()
    assert n == 0


def test_missing_fx_rate_is_flagged_not_silent(built):
    con, proc = built
    (row,) = findings(con, "f_miss")
    assert row["finding"] == "arithmetic_error" and row["amount_at_risk"] == D("10")
    assert row["fx_rate_missing"] is True
    assert row["fx_rate"] is None and row["amount_at_risk_reporting"] is None
    # the dbt test warns by name (a failed WARN asset check in Dagster), the build goes on
    assert "fx_rate_missing_for_invoice" in proc.stdout and "WARN" in proc.stdout
    (card,) = query(con, "select * from marts.vendor_scorecard where vendor_id = 'f_miss'")
    assert card["fx_rate_missing"] is True and card["amount_at_risk"] is None
    (cost,) = query(con, "select * from marts.cost_to_serve where vendor_id = 'f_miss'")
    assert cost["fx_rate_missing"] is True and cost["net_cost_reporting"] is None
    assert cost["cost_per_contact"] is None
    others = con.execute("select count(*) from marts.unforeseen_costs where fx_rate_missing "
                         "and vendor_id <> 'f_miss'").fetchone()[0]
    assert others == 0


def test_fx_rate_missing_test_is_a_dagster_asset_check():
    """The warn-severity dbt test shows in Dagster as a check on the FX rates model
    (dagster-dbt reports a WARN test result as a failed check of severity WARN)."""
    from orchestration.assets import dbt_models

    checks = {(k.asset_key.to_user_string(), k.name) for k in dbt_models.check_keys}
    assert ("intermediate/int_fx_invoice_rates", "fx_rate_missing_for_invoice") in checks
    assert ("intermediate/int_cost_sources", "fx_rate_missing_for_cost_base") in checks
