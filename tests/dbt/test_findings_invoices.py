"""marts.unforeseen_costs on hand-written invoices: one vendor per scenario in
one raw layer, built once for the module. Expected values are worked out by
hand in the comments (DEVELOPERS.md "Marts: shared semantics")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, line, new_tables

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


def _raw():
    t = new_tables()

    # --- v_tier: tiered pricing, tier edges, marginal vs whole, flat ---------
    contract(t, "v_tier", versions=[{"pricing": [
        {"category": "handled_contacts", "channel": "voice",
         "tiers": [(D(1000), D("2.00"), "marginal"), (None, D("1.50"), "marginal")]},
        {"category": "handled_contacts", "channel": "chat",
         "tiers": [(D(100), D("3.00"), "whole"), (None, D("2.50"), "whole")]},
        {"category": "productive_hours", "rate": D("20.00")},
    ]}])
    t["invoice_lines"] += [
        # Jan, voice Q=1000 exactly at the tier edge: tier 1 (up_to inclusive),
        # expected 1000 x 2.00 = 2000 = billed -> no finding
        line("v_tier", "T-JAN", "L001", "handled_contacts", 1000, "2.00", "2000.00", channel="voice"),
        # Jan, chat Q=100 at the edge of a whole tier: tier 1, 100 x 3.00 = 300
        # = billed -> no finding (had the edge gone to tier 2: 250, variance 50)
        line("v_tier", "T-JAN", "L002", "handled_contacts", 100, "3.00", "300.00", channel="chat"),
        # Jan, flat 20.00: billed 10 x 21 = 210, expected 200 -> rate_variance 10
        line("v_tier", "T-JAN", "L003", "productive_hours", 10, "21.00", "210.00"),
        # Feb, voice over two lines, Q = 1200: expected marginal
        # 1000 x 2.00 + 200 x 1.50 = 2300; billed 1000x2 + 200x2 = 2400
        # -> rate_variance 100 on the first line L001, contract rate 1.50 (tier 2 reached)
        line("v_tier", "T-FEB", "L001", "handled_contacts", 1000, "2.00", "2000.00", channel="voice", month=FEB),
        line("v_tier", "T-FEB", "L002", "handled_contacts", 200, "2.00", "400.00", channel="voice", month=FEB),
        # Feb, chat Q = 101 reaches whole tier 2: 101 x 2.50 = 252.50; billed 101 x 3 = 303
        # -> rate_variance 50.50
        line("v_tier", "T-FEB", "L003", "handled_contacts", 101, "3.00", "303.00", channel="chat", month=FEB),
        # Feb, flat: 10 x 20.05 = 200.50 vs 200 -> 0.50 <= tolerance 1.00 -> nothing
        line("v_tier", "T-FEB", "L004", "productive_hours", 10, "20.05", "200.50", month=FEB),
    ]

    # --- v_dup: duplicates within an invoice and across two invoices ----------
    contract(t, "v_dup", versions=[{"pricing": [
        {"category": "productive_hours", "rate": D("20.00")},
        {"category": "handled_contacts", "channel": "voice", "rate": D("2.00")},
    ]}])
    t["invoice_lines"] += [
        # Jan: L002 repeats L001 (same category, no channel, qty 10, amount 205).
        # L001: arithmetic_error 205 - 10 x 20 = 5. L002: duplicate_line 205 only
        # (excluded from arithmetic and rate checks). Rate group = L001 alone:
        # 10 x 20 - 10 x 20 = 0 -> no rate_variance.
        line("v_dup", "D-1", "L001", "productive_hours", 10, "20.00", "205.00"),
        line("v_dup", "D-1", "L002", "productive_hours", 10, "20.00", "205.00"),
        # Feb: the same voice line on two invoices of the same period; the later
        # invoice (invoice_date 2026-03-05) carries the duplicate, amount 200.
        line("v_dup", "D-2", "L001", "handled_contacts", 100, "2.00", "200.00", channel="voice",
             month=FEB, invoice_date=date(2026, 3, 1)),
        line("v_dup", "D-3", "L001", "handled_contacts", 100, "2.00", "200.00", channel="voice",
             month=FEB, invoice_date=date(2026, 3, 5)),
        # same category/channel/quantity but another amount: not a duplicate
        line("v_dup", "D-3", "L002", "handled_contacts", 100, "2.00", "200.40", channel="voice",
             month=FEB, invoice_date=date(2026, 3, 5)),
    ]

    # --- v_cap: pass-through cap and approvals --------------------------------
    contract(t, "v_cap", versions=[{"pricing": [
        {"category": "telecom_passthrough", "passthrough": True, "monthly_cap": D("1000")},
        {"category": "travel", "passthrough": True, "requires_approval": True},
    ]}])
    t["invoice_lines"] += [
        # running total 300, 700, 1200: L003 first exceeds the cap 1000;
        # excess 1200 - 1000 = 200. L004 duplicates L001 (300): duplicate_line 300,
        # left out of the sum (else the excess would be 500).
        line("v_cap", "C-1", "L001", "telecom_passthrough", 1, "300", "300"),
        line("v_cap", "C-1", "L002", "telecom_passthrough", 1, "400", "400"),
        line("v_cap", "C-1", "L003", "telecom_passthrough", 1, "500", "500"),
        line("v_cap", "C-1", "L004", "telecom_passthrough", 1, "300", "300"),
        # travel needs approval: L005 without approval_ref -> unapproved 150;
        # L006 approved -> nothing; L007 0.50 <= tolerance -> nothing
        line("v_cap", "C-1", "L005", "travel", 1, "150", "150"),
        line("v_cap", "C-1", "L006", "travel", 1, "80", "80", approval_ref="APR-1"),
        line("v_cap", "C-1", "L007", "travel", 1, "0.50", "0.50"),
    ]

    # --- v_off: off-contract items and periods outside the contract -----------
    contract(t, "v_off", versions=[{"effective_to": date(2026, 1, 31), "pricing": [
        {"category": "productive_hours", "rate": D("20.00")},
    ]}])
    t["invoice_lines"] += [
        # consulting_fee is not priced: off_contract_item 500 (its arithmetic
        # error 500 - 400 is not reported: off-contract lines get nothing else)
        line("v_off", "O-1", "L001", "consulting_fee", 1, "400", "500"),
        # the same off-contract line again: a duplicate first -> duplicate_line 500 only
        line("v_off", "O-1", "L002", "consulting_fee", 1, "400", "500"),
        # contract mechanisms are not off-contract
        line("v_off", "O-1", "L003", "tax", None, None, "50"),
        line("v_off", "O-1", "L004", "service_credit", 1, "-100", "-100"),
        # February is after effective_to: outside_contract_period 210, nothing else
        # (though 210 - 10 x 20 would be an arithmetic error)
        line("v_off", "O-2", "L001", "productive_hours", 10, "20", "210", month=FEB),
    ]

    # --- v_grp: one channel-less tiered pricing line prices all channels together
    contract(t, "v_grp", versions=[{"pricing": [
        {"category": "handle_minutes",
         "tiers": [(D(100), D("1.00"), "marginal"), (None, D("0.50"), "marginal")]},
    ]}])
    t["invoice_lines"] += [
        # Q = 80 + 80 = 160 over voice and chat: 100 x 1.00 + 60 x 0.50 = 130;
        # billed 160 x 1.00 = 160 -> rate_variance 30 on the first line (voice).
        # (Per-channel groups of 80 would each price at 80: no finding.)
        line("v_grp", "G-1", "L001", "handle_minutes", 80, "1.00", "80", channel="voice"),
        line("v_grp", "G-1", "L002", "handle_minutes", 80, "1.00", "80", channel="chat"),
    ]

    # --- v_rev: revision 1 replaces revision 0 whole ---------------------------
    contract(t, "v_rev", versions=[{"pricing": [
        {"category": "productive_hours", "rate": D("20.00")},
    ]}])
    t["invoice_lines"] += [
        # r0: L001 arithmetic error 210 - 200 = 10 -> fixed in r1 (disappears)
        line("v_rev", "R-1", "L001", "productive_hours", 10, "20", "210", revision=0),
        # r1: L001 fixed, L002 introduces an off-contract item 75 (appears)
        line("v_rev", "R-1", "L001", "productive_hours", 10, "20", "200", revision=1),
        line("v_rev", "R-1", "L002", "consulting_fee", 1, "75", "75", revision=1),
    ]

    # --- v_fx: EUR invoice, period_end Saturday 2026-01-31 ---------------------
    contract(t, "v_fx", currency="EUR", versions=[{"pricing": [
        {"category": "productive_hours", "rate": D("20.00")},
    ]}])
    t["invoice_lines"] += [
        # arithmetic error 210.10 - 10 x 20 = 10.10 EUR
        line("v_fx", "F-1", "L001", "productive_hours", 10, "20", "210.10", currency="EUR"),
    ]
    # rates: Thu 29th, Fri 30th, (weekend gap), Mon 2 Feb. period_end Sat 31st
    # -> Fri 30th: 1.2345. 10.10 x 1.2345 = 12.468450 -> half-even to 4 places 12.4684
    t["fx_rates"] += [
        {"rate_date": date(2026, 1, 29), "currency": "EUR", "rate_to_reporting": D("1.10")},
        {"rate_date": date(2026, 1, 30), "currency": "EUR", "rate_to_reporting": D("1.2345")},
        {"rate_date": date(2026, 2, 2), "currency": "EUR", "rate_to_reporting": D("1.50")},
    ]
    return t


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("findings")
    warehouse = tmp / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    dbt_build(warehouse, "--select", "+unforeseen_costs", "+int_monthly_fees")
    import duckdb
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def findings(con, vendor_id):
    # These vendors have no interactions, so every handled_contacts /
    # handle_minutes group is also a quantity_variance (observed 0); that
    # finding is tested with interaction logs in test_findings_credits_quantities.py.
    return query(con, "select * from marts.unforeseen_costs where vendor_id = ? "
                      "and finding <> 'quantity_variance' "
                      "order by period_month, invoice_id, line_id, finding", [vendor_id])


def keys(rows):
    return [(r["invoice_id"], r["line_id"], r["finding"], r["amount_at_risk"]) for r in rows]


def test_tier_edges_marginal_whole_and_flat(con):
    rows = findings(con, "v_tier")
    assert keys(rows) == [
        ("T-JAN", "L003", "rate_variance", D("10.0000")),
        ("T-FEB", "L001", "rate_variance", D("100.0000")),
        ("T-FEB", "L003", "rate_variance", D("50.5000")),
    ]
    voice = rows[1]
    assert voice["billed_amount"] == D("2400") and voice["expected_amount"] == D("2300")
    assert voice["contract_rate"] == D("1.50") and voice["tier_reached"] == 2
    assert voice["pricing_basis"] == "marginal" and voice["billed_quantity"] == D(1200)
    chat = rows[2]
    assert chat["expected_amount"] == D("252.50") and chat["contract_rate"] == D("2.50")
    assert chat["pricing_basis"] == "whole"
    assert rows[0]["pricing_basis"] == "flat" and rows[0]["contract_rate"] == D("20")
    assert rows[0]["version_id"] == "v_tier@2026-01-01"
    assert "overbilled by 100.00" in voice["detail"]


def test_quantity_at_tier_edge_stays_in_lower_tier(con):
    rows = query(con, "select channel, tier_reached, marginal_rate, expected_amount "
                      "from intermediate.int_pricing_expected_amounts "
                      "where vendor_id = 'v_tier' and period_month = '2026-01-01' "
                      "and category = 'handled_contacts' order by channel")
    assert rows == [
        {"channel": "chat", "tier_reached": 1, "marginal_rate": D("3.00"), "expected_amount": D("300")},
        {"channel": "voice", "tier_reached": 1, "marginal_rate": D("2.00"), "expected_amount": D("2000")},
    ]


def test_duplicates_within_and_across_invoices(con):
    assert keys(findings(con, "v_dup")) == [
        ("D-1", "L001", "arithmetic_error", D("5.0000")),
        ("D-1", "L002", "duplicate_line", D("205.0000")),
        ("D-3", "L001", "duplicate_line", D("200.0000")),
    ]
    dup = findings(con, "v_dup")[2]
    assert "line L001 on invoice D-2" in dup["detail"]


def test_passthrough_cap_and_approval(con):
    rows = findings(con, "v_cap")
    assert keys(rows) == [
        ("C-1", "L003", "passthrough_over_cap", D("200.0000")),
        ("C-1", "L004", "duplicate_line", D("300.0000")),
        ("C-1", "L005", "unapproved_passthrough", D("150.0000")),
    ]
    cap = rows[0]
    assert cap["billed_amount"] == D("1200") and cap["cap_applied"] == D("1000")
    assert cap["expected_amount"] == D("1000")


def test_off_contract_and_outside_period_get_no_other_finding(con):
    assert keys(findings(con, "v_off")) == [
        ("O-1", "L001", "off_contract_item", D("500.0000")),
        ("O-1", "L002", "duplicate_line", D("500.0000")),
        ("O-2", "L001", "outside_contract_period", D("210.0000")),
    ]


def test_channel_less_pricing_line_groups_all_channels(con):
    (row,) = findings(con, "v_grp")
    assert (row["line_id"], row["finding"], row["amount_at_risk"]) == ("L001", "rate_variance", D("30"))
    assert row["expected_amount"] == D("130") and row["billed_quantity"] == D("160")
    assert row["contract_rate"] == D("0.50") and row["tier_reached"] == 2


def test_revision_replaces_whole_invoice(con):
    rows = findings(con, "v_rev")
    assert keys(rows) == [("R-1", "L002", "off_contract_item", D("75.0000"))]
    assert rows[0]["revision"] == 1


def test_fx_uses_latest_rate_on_or_before_period_end(con):
    (row,) = findings(con, "v_fx")
    assert row["finding"] == "arithmetic_error" and row["amount_at_risk"] == D("10.1000")
    assert row["currency"] == "EUR" and row["reporting_currency"] == "USD"
    assert row["fx_rate_date"] == date(2026, 1, 30) and row["fx_rate"] == D("1.2345")
    assert row["amount_at_risk_reporting"] == D("12.4684")


def test_usd_converts_at_one_without_rate_rows(con):
    rows = findings(con, "v_tier")
    assert all(r["fx_rate"] == 1 and r["amount_at_risk_reporting"] == r["amount_at_risk"] for r in rows)


def test_money_columns_are_decimal(con):
    types = dict(con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'unforeseen_costs'").fetchall())
    for col in ("billed_amount", "expected_amount", "amount_at_risk", "amount_at_risk_reporting"):
        assert types[col] == "DECIMAL(18,4)", col
