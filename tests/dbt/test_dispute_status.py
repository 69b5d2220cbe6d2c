"""marts.dispute_status on a hand-worked register against built findings: the register is written as a
user would (disputes.csv), read through ingestion.disputes into raw.disputes, and the marts are built
(dispute_status and what it reads) with as_of fixed at 2026-06-30. Figures are worked out by hand below."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import duckdb
import pytest

from ingestion.disputes import load_register, register_rows
from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, line, new_tables

# One January invoice of vendor v_disp (USD, productive_hours at 20.00; nothing else priced):
#   L001 productive_hours 10 x 21.00 = 210.00 -> rate_variance 210 - 200 = 10
#   L002..L005 unpriced categories -> off_contract_item of their amounts 500, 300, 80, 1000
REGISTER = """\
vendor_id,invoice_id,line_id,finding,status,sent_on,resolved_on,amount_disputed,amount_accepted,amount_recovered,reference
v_disp,D-JAN,L001,rate_variance,sent,2026-05-01,,,,,FIN-1
v_disp,D-JAN,L002,off_contract_item,accepted,2026-03-01,2026-03-15,,400,150,FIN-2
v_disp,D-JAN,L003,off_contract_item,rejected,2026-02-10,2026-03-02,,,,FIN-3
v_disp,D-JAN,L004,off_contract_item,recovered,2026-04-01,2026-04-21,80,,60,FIN-4
v_disp,D-JAN,L005,off_contract_item,open,,,,,,
v_disp,D-JAN,L009,rate_variance,sent,2026-06-01,,5,,,typo: no such line
"""
# as_of 2026-06-30; (line, disputed, accepted, recovered, rejected, open, age_days, bucket):
EXPECTED = [
    # sent, no amount: the finding's 10, all open; May 1 -> Jun 30 = 30 + 30 = 60 days
    ("L001", D(10), D(0), D(0), D(0), D(10), 60, "31-60"),
    # accepted 400 of 500, 150 received: open 250, refused 100; Mar 1 -> Jun 30 = 31 + 30 + 31 + 29 = 121
    ("L002", D(500), D(400), D(150), D(100), D(250), 121, "over 90"),
    # rejected on Mar 2: closed; Feb 10 -> Mar 2 = 18 + 2 = 20 days (2026 is not a leap year)
    ("L003", D(300), D(0), D(0), D(300), D(0), 20, "closed"),
    # recovered 60 of a disputed 80 on Apr 21: accepted = recovered 60, refused 20; 20 days
    ("L004", D(80), D(60), D(60), D(20), D(0), 20, "closed"),
    # logged, not sent: the finding's 1000 open, no age
    ("L005", D(1000), D(0), D(0), D(0), D(1000), None, "not sent"),
    # no finding L009: kept, flagged, its own 5 open; Jun 1 -> Jun 30 = 29 days
    ("L009", D(5), D(0), D(0), D(0), D(5), 29, "0-30"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("disputes")
    t = new_tables()
    contract(t, "v_disp", versions=[{"pricing": [{"category": "productive_hours", "rate": D("20.00")}]}])
    t["invoice_lines"] += [
        line("v_disp", "D-JAN", "L001", "productive_hours", 10, "21.00", "210.00"),
        line("v_disp", "D-JAN", "L002", "travel", 1, "500.00", "500.00"),
        line("v_disp", "D-JAN", "L003", "consulting", 1, "300.00", "300.00"),
        line("v_disp", "D-JAN", "L004", "setup_fee", 1, "80.00", "80.00"),
        line("v_disp", "D-JAN", "L005", "equipment", 1, "1000.00", "1000.00"),
    ]
    contracts = work / "contracts"
    contracts.mkdir()
    (contracts / "disputes.csv").write_text(REGISTER)
    t["disputes"] = register_rows(contracts, load_register(contracts, {"v_disp"}))
    warehouse = work / "warehouse.duckdb"
    create_raw(warehouse, t)
    proc = dbt_build(warehouse, "--select", "+dispute_status", "+dispute_finding_not_found",
                     "--vars", "{dispute_as_of: '2026-06-30'}")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, proc.stdout
    con.close()


def test_each_dispute_row_is_hand_worked(built):
    con, _ = built
    rows = query(con, "select line_id, amount_disputed, amount_accepted, amount_recovered, amount_rejected, "
                      "open_amount, age_days, ageing_bucket from marts.dispute_status order by line_id")
    assert [tuple(r.values()) for r in rows] == EXPECTED


def test_finding_keys_amounts_and_flags(built):
    con, _ = built
    rows = {r["line_id"]: r for r in query(con, "select * from marts.dispute_status")}
    assert rows["L001"]["amount_at_risk"] == D(10) and rows["L001"]["finding_found"] is True
    assert rows["L002"]["currency"] == "USD" and rows["L002"]["period_month"] == date(2026, 1, 1)
    assert rows["L009"]["finding_found"] is False and rows["L009"]["amount_at_risk"] is None
    assert rows["L004"]["register_line"] == 5 and rows["L004"]["reference"] == "FIN-4"
    assert rows["L001"]["vendor_name"] == "V_DISP" and rows["L001"]["as_of"] == date(2026, 6, 30)


def test_vendor_position_sums(built):
    con, _ = built
    # open 10 + 250 + 0 + 0 + 1000 + 5 = 1265; disputed 10 + 500 + 300 + 80 + 1000 + 5 = 1895;
    # accepted 400 + 60 = 460; recovered 150 + 60 = 210; refused 100 + 300 + 20 = 420
    assert con.execute("select sum(open_amount), sum(amount_disputed), sum(amount_accepted), "
                       "sum(amount_recovered), sum(amount_rejected) from marts.dispute_status").fetchone() \
        == (D(1265), D(1895), D(460), D(210), D(420))


def test_an_entry_naming_no_finding_warns_without_failing_the_build(built):
    _, log = built
    warned = [ln for ln in log.splitlines() if "dispute_finding_not_found" in ln and "WARN 1" in ln]
    assert warned, log[-3000:]
