"""marts.cost_to_serve on hand-written invoices, interactions and cost bases.
Expected values worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, interaction, line, new_tables

JAN = date(2026, 1, 1)


def _raw():
    t = new_tables()

    # --- c_out: outsourcer, USD, UTC ------------------------------------------
    contract(t, "c_out", versions=[{"pricing": [
        {"category": "handled_contacts", "channel": "voice", "rate": D("50")},
        {"category": "productive_hours", "rate": D("40")},
    ]}])
    t["interactions"] += [
        # voice: 2 answered x 300 s = 600 s, 1 resolved; 1 abandoned (not handled)
        interaction("c_out", "voice", datetime(2026, 1, 5, 9), handle_seconds=300, resolved=True),
        interaction("c_out", "voice", datetime(2026, 1, 6, 9), handle_seconds=300, resolved=False),
        interaction("c_out", "voice", datetime(2026, 1, 7, 9)),
        # chat: 1 answered x 200 s, resolved
        interaction("c_out", "chat", datetime(2026, 1, 8, 9), handle_seconds=200, resolved=True),
    ]
    t["invoice_lines"] += [
        line("c_out", "I-1", "L001", "handled_contacts", 2, "50", "100", channel="voice"),
        # channel-less 400 -> by handle seconds 600:200 -> voice 300, chat 100
        line("c_out", "I-1", "L002", "productive_hours", 10, "40", "400"),
        # credit -40 -> voice -30, chat -10 (credits_amount 30 / 10)
        line("c_out", "I-1", "L003", "service_credit", 1, "-40", "-40"),
        # tax is not a cost to serve
        line("c_out", "I-1", "L004", "tax", None, None, "99"),
    ]

    # --- c_split: an allocation that does not divide evenly --------------------
    contract(t, "c_split")
    t["interactions"] += [
        interaction("c_split", "voice", datetime(2026, 1, 5, 9), handle_seconds=100),
        interaction("c_split", "chat", datetime(2026, 1, 5, 9), handle_seconds=200),
    ]
    # 100 x 100/300 = 33.33333333 (8 places) -> 33.3333; chat 66.66666667 -> 66.6667
    t["invoice_lines"] += [line("c_split", "S-1", "L001", "management_fee", 1, "100", "100")]

    # --- c_eur: EUR outsourcer in Mexico City time -----------------------------
    contract(t, "c_eur", currency="EUR", tz="America/Mexico_City")
    t["interactions"] += [
        # 2026-02-01 03:00 UTC = 2026-01-31 21:00 in Mexico City -> January
        interaction("c_eur", "voice", datetime(2026, 2, 1, 3), handle_seconds=120),
    ]
    # 100 EUR at the Friday 2026-01-30 rate 1.2345 (period_end Sat 31st) = 123.45 USD
    t["invoice_lines"] += [line("c_eur", "E-1", "L001", "handled_contacts", 1, "100", "100",
                                channel="voice", currency="EUR")]

    # --- c_home: in-house team, GBP cost base 10,000 a month -------------------
    contract(t, "c_home", currency="GBP", kind="in_house",
             versions=[{"monthly_cost_base": D("10000")}])
    t["interactions"] += [
        # voice 3 x 100 s = 300 s, chat 1 x 100 s: 10,000 -> voice 7,500, chat 2,500 GBP
        *[interaction("c_home", "voice", datetime(2026, 1, 10 + n, 9), handle_seconds=100) for n in range(3)],
        interaction("c_home", "chat", datetime(2026, 1, 20, 9), handle_seconds=100, resolved=False),
    ]

    # --- c_noinv: activity but no invoice yet -----------------------------------
    contract(t, "c_noinv")
    t["interactions"] += [interaction("c_noinv", "voice", datetime(2026, 1, 5, 9), handle_seconds=60)]

    t["fx_rates"] += [
        {"rate_date": date(2026, 1, 30), "currency": "EUR", "rate_to_reporting": D("1.2345")},
        {"rate_date": date(2026, 2, 2), "currency": "EUR", "rate_to_reporting": D("9")},
        # GBP cost base converts at the rate of the month's last day (or before)
        {"rate_date": date(2026, 1, 31), "currency": "GBP", "rate_to_reporting": D("1.25")},
    ]
    return t


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("cost") / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    dbt_build(warehouse, "--select", "+cost_to_serve")
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def rows(con, vendor_id):
    return {r["channel"]: r for r in query(
        con, "select * from marts.cost_to_serve where vendor_id = ? order by channel", [vendor_id])}


def test_channel_less_lines_allocated_by_handle_minutes(con):
    r = rows(con, "c_out")
    assert set(r) == {"voice", "chat"}
    v, c = r["voice"], r["chat"]
    # voice: 100 + 300 invoiced, 30 credits, net 370
    assert (v["invoiced_amount"], v["credits_amount"], v["credits_due_missing"], v["net_cost"]) == (
        D("400"), D("30"), D("0"), D("370"))
    assert v["net_cost_reporting"] == D("370") and v["currency"] == "USD"
    assert (v["handled_contacts"], v["resolved_contacts"]) == (2, 1)
    assert v["handle_hours"] == D("0.1667")                      # 600 / 3600
    assert v["cost_per_contact"] == D("185")                     # 370 / 2
    assert v["cost_per_resolved_contact"] == D("370")            # 370 / 1
    assert v["cost_per_handle_minute"] == D("37")                # 370 / 10 min
    # chat: 100 invoiced, 10 credits, net 90; 1 contact, 200 s = 3.333 min
    assert (c["invoiced_amount"], c["credits_amount"], c["net_cost"]) == (D("100"), D("10"), D("90"))
    assert c["cost_per_contact"] == D("90") and c["cost_per_handle_minute"] == D("27")  # 90*60/200


def test_uneven_allocation_rounds_half_even_at_the_end(con):
    r = rows(con, "c_split")
    assert r["voice"]["invoiced_amount"] == D("33.3333")
    assert r["chat"]["invoiced_amount"] == D("66.6667")


def test_vendor_timezone_month_and_fx(con):
    r = rows(con, "c_eur")
    v = r["voice"]
    assert v["period_month"] == date(2026, 1, 1) and v["handled_contacts"] == 1
    assert v["currency"] == "EUR" and v["net_cost"] == D("100")
    assert v["net_cost_reporting"] == D("123.45")
    assert v["cost_per_contact"] == D("123.45")


def test_in_house_cost_base_allocated_by_handle_minutes(con):
    r = rows(con, "c_home")
    v, c = r["voice"], r["chat"]
    assert v["cost_source"] == "cost_base" and v["currency"] == "GBP"
    assert v["invoiced_amount"] == D("7500") and c["invoiced_amount"] == D("2500")
    # 7,500 GBP x 1.25 = 9,375 USD over 3 contacts = 3,125; 300 s = 5 min -> 1,875 / min
    assert v["net_cost_reporting"] == D("9375") and v["cost_per_contact"] == D("3125")
    assert v["cost_per_handle_minute"] == D("1875")
    # chat: 2,500 x 1.25 = 3,125; no resolved contact -> null, not a division error
    assert c["net_cost_reporting"] == D("3125") and c["cost_per_resolved_contact"] is None


def test_no_cost_source_gives_null_costs(con):
    v = rows(con, "c_noinv")["voice"]
    assert v["handled_contacts"] == 1
    assert v["invoiced_amount"] is None and v["net_cost_reporting"] is None
    assert v["cost_per_contact"] is None and v["cost_source"] is None
