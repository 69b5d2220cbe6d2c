"""marts.dispute_status on a hand-worked register against built findings: the register is written as a
user would (disputes.csv), read through ingestion.disputes into raw.disputes, and the marts are built
(dispute_status and what it reads) with as_of fixed at 2026-06-30. Figures are worked out by hand below.
The dispute workbook and the report card's Disputes section are checked on the same warehouse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import duckdb
import pytest

from openpyxl import load_workbook

from ingestion.disputes import load_register, register_rows
from serving.dispute import build_dispute_pack, report_section
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
    proc = dbt_build(warehouse, "--select", "+dispute_status", "+dispute_finding_not_found", "+invoice_revisions",
                     "--vars", "{dispute_as_of: '2026-06-30'}")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, proc.stdout, warehouse
    con.close()


def test_each_dispute_row_is_hand_worked(built):
    con, *_ = built
    rows = query(con, "select line_id, amount_disputed, amount_accepted, amount_recovered, amount_rejected, "
                      "open_amount, age_days, ageing_bucket from marts.dispute_status order by line_id")
    assert [tuple(r.values()) for r in rows] == EXPECTED


def test_finding_keys_amounts_and_flags(built):
    con, *_ = built
    rows = {r["line_id"]: r for r in query(con, "select * from marts.dispute_status")}
    assert rows["L001"]["amount_at_risk"] == D(10) and rows["L001"]["finding_found"] is True
    assert rows["L002"]["currency"] == "USD" and rows["L002"]["period_month"] == date(2026, 1, 1)
    assert rows["L009"]["finding_found"] is False and rows["L009"]["amount_at_risk"] is None
    assert rows["L004"]["register_line"] == 5 and rows["L004"]["reference"] == "FIN-4"
    assert rows["L001"]["vendor_name"] == "V_DISP" and rows["L001"]["as_of"] == date(2026, 6, 30)


def test_vendor_position_sums(built):
    con, *_ = built
    # open 10 + 250 + 0 + 0 + 1000 + 5 = 1265; disputed 10 + 500 + 300 + 80 + 1000 + 5 = 1895;
    # accepted 400 + 60 = 460; recovered 150 + 60 = 210; refused 100 + 300 + 20 = 420
    assert con.execute("select sum(open_amount), sum(amount_disputed), sum(amount_accepted), "
                       "sum(amount_recovered), sum(amount_rejected) from marts.dispute_status").fetchone() \
        == (D(1265), D(1895), D(460), D(210), D(420))


def test_an_entry_naming_no_finding_warns_without_failing_the_build(built):
    _, log, _ = built
    warned = [ln for ln in log.splitlines() if "dispute_finding_not_found" in ln and "WARN 1" in ln]
    assert warned, log[-3000:]


def test_workbook_shows_each_finding_dispute_status(built, tmp_path):
    _, _, warehouse = built
    pack = build_dispute_pack(warehouse, "v_disp", "2026-01", tmp_path)
    rows = list(load_workbook(pack.xlsx)["Findings"].iter_rows(values_only=True))
    col = {h: n for n, h in enumerate(rows[0])}
    by_line = {r[col["Line"]]: r for r in rows[1:]}
    # five findings, each in the register (L009 names none, so it has no Findings row)
    assert sorted(by_line) == ["L001", "L002", "L003", "L004", "L005"]
    assert {k: r[col["Dispute status"]] for k, r in by_line.items()} == {
        "L001": "sent", "L002": "accepted", "L003": "rejected", "L004": "recovered", "L005": "open"}
    l2 = by_line["L002"]
    assert (D(str(l2[col["Accepted"]])), D(str(l2[col["Recovered"]])), D(str(l2[col["Still open"]]))) \
        == (D(400), D(150), D(250))
    assert l2[col["Dispute sent on"]].date() == date(2026, 3, 1)
    assert by_line["L005"][col["Dispute sent on"]] is None
    csv_header = pack.csv_files[0].read_text().splitlines()[0].split(",")
    assert csv_header[-5:] == ["dispute_status", "dispute_sent_on", "dispute_amount_accepted",
                               "dispute_amount_recovered", "dispute_open_amount"]


def test_report_card_disputes_section(built):
    con, *_ = built
    section = report_section(con, {"vendor": None})
    # the USD findings, and the entry naming no finding (no currency) on its own row
    usd, unknown = section["rows"]
    assert (usd["currency"], usd["entries"], usd["not_found"]) == ("USD", 5, 0)
    amounts = {key: f.text for key, _, f in usd["amounts"]}
    # from EXPECTED: open 10 + 250 + 1000 = 1260; over 90: L002's 250; 31-60: L001's 10; not sent: L005
    assert amounts["open_amount"] == "1,260.00 USD" and amounts["open_over_90"] == "250.00 USD"
    assert amounts["open_31_60"] == "10.00 USD" and amounts["open_not_sent"] == "1,000.00 USD"
    assert amounts["open_0_30"] == "—" and amounts["recovered"] == "210.00 USD"
    assert usd["oldest_open_days"] == 121 and section["as_of"] == date(2026, 6, 30)
    assert (unknown["currency"], unknown["entries"], unknown["not_found"]) == (None, 1, 1)
    assert report_section(con, {"vendor": "someone_else"})["rows"] == []


def test_report_card_section_renders(built):
    import jinja2  # a dependency of dbt and of the report card: never skipped

    con, *_ = built
    env = jinja2.Environment(loader=jinja2.PackageLoader("serving", "templates"), autoescape=True)
    html = env.get_template("section_disputes.html.j2").render(disputes=report_section(con, {"vendor": None}))
    assert 'data-vendor="v_disp"' in html and "1,260.00 USD" in html and "2026-06-30" in html
    empty = env.get_template("section_disputes.html.j2").render(disputes={"rows": []})
    assert "No dispute register yet" in empty
