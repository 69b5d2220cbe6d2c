"""`bpo dispute`: a workbook (and CSVs) from a small hand-built warehouse whose
totals reconcile with marts.unforeseen_costs to the cent."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal as D

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from orchestration.cli import app
from serving.publish import publish_marts
from tests.dbt.harness import create_raw, dbt_build
from tests.dbt.money_fixtures import contract, line, new_tables

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
CENT = D("0.01")


def _raw():
    t = new_tables()
    contract(t, "d_eur", currency="EUR", versions=[{"pricing": [
        {"category": "productive_hours", "rate": D("20.00")},
        {"category": "travel", "passthrough": True, "requires_approval": True},
    ]}])
    eur = dict(currency="EUR")
    t["invoice_lines"] += [
        # rate_variance 10 x (21.0375 - 20) = 10.375 (and amount = qty x price: no arithmetic error)
        line("d_eur", "E-1", "L001", "productive_hours", 10, "21.0375", "210.375", **eur),
        # off_contract_item 99.9999, then its duplicate on another invoice: duplicate_line 99.9999
        line("d_eur", "E-1", "L002", "consulting_fee", 1, "99.9999", "99.9999", **eur),
        line("d_eur", "E-2", "L001", "consulting_fee", 1, "99.9999", "99.9999", invoice_date=date(2026, 2, 3), **eur),
        # unapproved travel 45.1234
        line("d_eur", "E-2", "L002", "travel", 1, "45.1234", "45.1234", invoice_date=date(2026, 2, 3), **eur),
        # February: one arithmetic error, must not appear in the January pack
        line("d_eur", "E-3", "L001", "productive_hours", 1, "20", "25", month=FEB, **eur),
    ]
    # period_end 2026-01-31 -> 1.2345; amounts x 1.2345 have more than 4 places: rounded per row
    t["fx_rates"] += [{"rate_date": date(2026, 1, 31), "currency": "EUR", "rate_to_reporting": D("1.2345")},
                      {"rate_date": date(2026, 2, 28), "currency": "EUR", "rate_to_reporting": D("1.5")}]
    return t


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("dispute") / "wh" / "warehouse.duckdb"
    wh.parent.mkdir(parents=True, exist_ok=True)
    create_raw(wh, _raw())
    dbt_build(wh, "--select", "+unforeseen_costs", "+invoice_revisions")
    return wh


def mart(warehouse, month=JAN):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute("select * from marts.unforeseen_costs where vendor_id = 'd_eur' and period_month = ?",
                          [month])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def run(*args):
    return CliRunner().invoke(app, ["dispute", *args])


def dec(value) -> D:
    """A workbook number back to Decimal (openpyxl reads floats; 4-place values survive str())."""
    return D(str(value))


def test_workbook_totals_equal_the_mart_to_the_cent(warehouse, tmp_path):
    result = run("--vendor", "d_eur", "--month", "2026-01", "--warehouse", str(warehouse),
                 "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    rows = mart(warehouse)
    assert sorted(r["finding"] for r in rows) == [
        "duplicate_line", "off_contract_item", "rate_variance", "unapproved_passthrough"]
    total = sum(r["amount_at_risk"] for r in rows)
    total_reporting = sum(r["amount_at_risk_reporting"] for r in rows)
    # 10.375 + 99.9999 + 99.9999 + 45.1234
    assert total == D("255.4982")

    path = tmp_path / "dispute_d_eur_2026-01.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == ["Cover", "Summary", "Findings"]

    findings = list(wb["Findings"].iter_rows(values_only=True))
    header, body = findings[0], findings[1:]
    assert len(body) == len(rows) == 4
    col = {h: n for n, h in enumerate(header)}
    assert sum(dec(r[col["Amount at risk"]]) for r in body) == total
    rv = next(r for r in body if r[col["Finding"]] == "rate_variance")
    assert (rv[col["Invoice"]], rv[col["Revision"]], rv[col["Line"]]) == ("E-1", 0, "L001")
    assert rv[col["Contract version"]] == "d_eur@2026-01-01" and dec(rv[col["Contract rate"]]) == D("20")
    assert dec(rv[col["Unit price"]]) == D("21.0375") and rv[col["Line description"]] == "productive_hours"
    assert rv[col["Contract clause"]] and rv[col["Evidence"]]

    summary = wb["Summary"]
    srows = list(summary.iter_rows(min_row=2, values_only=True))
    by_finding = {r[0]: r for r in srows if r[0] in {x["finding"] for x in rows}}
    for f, r in by_finding.items():
        mine = [x for x in rows if x["finding"] == f]
        assert r[2] == len(mine)
        assert dec(r[4]) == sum(x["amount_at_risk"] for x in mine)
        assert dec(r[5]) == sum(x["amount_at_risk_reporting"] for x in mine)
    grand = next(r for r in srows if r[0] == "Grand total")
    assert grand[2] == 4 and grand[3] == "EUR"
    assert dec(grand[4]).quantize(CENT) == total.quantize(CENT) and dec(grand[4]) == total
    grand_rep = next(r for r in srows if r[0] == "Grand total (reporting currency)")
    assert dec(grand_rep[5]) == total_reporting and grand_rep[3] == "USD"
    # totals are values, not formulas, shown with 2 decimals
    cell = next(c for row in summary.iter_rows() for c in row if c.value == grand[4] and c.column == 5)
    assert cell.data_type == "n" and cell.number_format == "#,##0.00"

    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert cover["Vendor"] == "D_EUR" and cover["Contract currency"] == "EUR"
    assert cover["Period"].startswith("2026-01") and "Generated at (UTC)" in cover
    assert dec(cover["Total amount at risk (EUR)"]) == total

    with (tmp_path / "dispute_d_eur_2026-01_summary.csv").open() as fh:
        summary_csv = list(csv.DictReader(fh))
    assert D(next(r for r in summary_csv if r["finding"] == "TOTAL")["amount_at_risk"]) == total
    with (tmp_path / "dispute_d_eur_2026-01_findings.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 4


def test_published_copy_is_read_when_present(warehouse, tmp_path):
    published = warehouse.parent / "published.duckdb"
    publish_marts(warehouse, published)
    result = run("--vendor", "d_eur", "--month", "2026-02", "--warehouse", str(warehouse), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "published.duckdb" in result.output.replace("\n", "")
    body = list(load_workbook(tmp_path / "dispute_d_eur_2026-02.xlsx")["Findings"].iter_rows(
        min_row=2, values_only=True))
    assert len(body) == len(mart(warehouse, FEB)) == 1


def test_no_invoice_for_the_month_exits_non_zero(warehouse, tmp_path):
    result = run("--vendor", "d_eur", "--month", "2026-03", "--warehouse", str(warehouse),
                 "--out", str(tmp_path), "--use-warehouse")
    assert result.exit_code == 1
    assert "no invoice of d_eur for period month 2026-03" in result.output.replace("\n", " ")
    assert not list(tmp_path.iterdir())
    unknown = run("--vendor", "nobody", "--month", "2026-01", "--warehouse", str(warehouse), "--out", str(tmp_path))
    assert unknown.exit_code == 1 and "no invoice" in unknown.output
    bad = run("--vendor", "d_eur", "--month", "Jan 2026", "--warehouse", str(warehouse), "--out", str(tmp_path))
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
