"""`bpo dispute`: a workbook (and CSVs) from a small hand-built warehouse whose
totals - Excel formulas over the Findings rows - reconcile with
marts.unforeseen_costs to the cent, for one vendor or every vendor."""

from __future__ import annotations

import csv
import re
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
    # a second vendor (every-vendor pack): rate_variance 4 x (12.5 - 10) = 10
    contract(t, "d_usd", currency="USD", versions=[{"pricing": [{"category": "productive_hours", "rate": D("10")}]}])
    t["invoice_lines"] += [line("d_usd", "U-1", "L001", "productive_hours", 4, "12.5", "50")]
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


def mart(warehouse, month=JAN, vendor="d_eur"):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute("select * from marts.unforeseen_costs where vendor_id = ? and period_month = ?",
                          [vendor, month])
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
    srows = [r for r in summary.iter_rows(min_row=2, values_only=True)]
    by_finding = {r[2]: r for r in srows if r[2] in {x["finding"] for x in rows}}
    for f, r in by_finding.items():
        mine = [x for x in rows if x["finding"] == f]
        assert evaluate(wb, r[4]) == len(mine)
        assert evaluate(wb, r[6]) == sum(x["amount_at_risk"] for x in mine)
        assert evaluate(wb, r[7]) == sum(x["amount_at_risk_reporting"] for x in mine)
    total_row = next(r for r in srows if r[2] == "Total")
    assert total_row[5] == "EUR" and evaluate(wb, total_row[4]) == 4
    assert evaluate(wb, total_row[6]) == total
    rep_row = next(r for r in srows if r[2] == "Total (reporting currency)")
    assert evaluate(wb, rep_row[7]) == total_reporting and rep_row[5] == "USD"
    # totals are formulas over the rows (not typed-in numbers), shown with 2 decimals
    cells = [c for row in summary.iter_rows(min_row=2) for c in row if c.column in (5, 7, 8) and c.value is not None]
    assert cells and all(c.data_type == "f" for c in cells)
    assert all(c.number_format == "#,##0.00" for c in cells if c.column in (7, 8))

    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert cover["Vendors"] == "D_EUR (d_eur)" and cover["Period month"] == "2026-01"
    assert "Generated at (UTC)" in cover and cover["Data build"] == "warehouse (not a published build)"
    # nothing on the cover names a file
    assert not any(str(tmp_path) in str(v) or str(warehouse.parent) in str(v) or ".duckdb" in str(v)
                   for v in cover.values())

    with (tmp_path / "dispute_d_eur_2026-01_summary.csv").open() as fh:
        summary_csv = list(csv.DictReader(fh))
    assert D(next(r for r in summary_csv if r["finding"] == "TOTAL")["amount_at_risk"]) == total
    with (tmp_path / "dispute_d_eur_2026-01_findings.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 4


_SUMIFS = re.compile(r"(SUMIFS|COUNTIFS|SUM)\(([^()]*)\)")


def _range(wb, ref: str, here) -> list:
    sheet, _, cells = ref.rpartition("!")
    ws = wb[sheet] if sheet else here
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def evaluate(wb, formula: str, sheet: str = "Summary"):
    """The value of the workbook's formula, computed in Decimal from the cells it names (the few functions the
    pack writes: SUMIFS, COUNTIFS, COUNTIF, SUM, IF); this is how the test checks the formulas add the rows."""
    here = wb[sheet]
    assert isinstance(formula, str) and formula.startswith("="), formula

    def cell(ref):
        return here[ref].value if not ref.startswith('"') else ref.strip('"')

    def resolve(value):
        return evaluate(wb, value, sheet) if isinstance(value, str) and value.startswith("=") else value

    body = formula[1:]
    m = re.fullmatch(r'IF\(COUNTIFS?\((.*)\)>0,"FX rate missing",(.*)\)', body)
    if m:
        args = m.group(1).split(",")
        pairs = list(zip(args[0::2], args[1::2]))
        crit_rows = zip(*[_range(wb, r, here) for r, _ in pairs])
        hit = 0
        for vals in crit_rows:
            ok = True
            for v, (_, c) in zip(vals, pairs):
                target = c.strip('"') if c.startswith('"') else cell(c)
                v = resolve(v)
                ok &= (v in (None, "") if target == "" else v == target)
            hit += ok
        return "FX rate missing" if hit else evaluate(wb, "=" + m.group(2), sheet)
    fn, args = _SUMIFS.fullmatch(body).groups()
    args = args.split(",")
    if fn == "SUM":
        values = [v for a in args for v in (_range(wb, a, here) if ":" in a else [here[a].value])]
        return sum((D(str(resolve(v))) for v in values if v is not None), D(0))
    values = _range(wb, args[0], here) if fn == "SUMIFS" else None
    crit = args[1:] if fn == "SUMIFS" else args
    pairs = list(zip(crit[0::2], crit[1::2]))
    cols = [_range(wb, r, here) for r, _ in pairs]
    targets = [cell(c) for _, c in pairs]
    n = len(cols[0])
    match = [all(resolve(col[i]) == t for col, t in zip(cols, targets)) for i in range(n)]
    if fn == "COUNTIFS":
        return sum(match)
    return sum((D(str(resolve(values[i]))) for i in range(n) if match[i] and values[i] is not None), D(0))


def test_every_vendor_in_one_workbook_totals_are_formulas_equal_to_the_mart(warehouse, tmp_path):
    result = run("--month", "2026-01", "--warehouse", str(warehouse), "--out", str(tmp_path), "--use-warehouse")
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / "dispute_all_2026-01.xlsx")
    assert wb.sheetnames == ["Cover", "Summary", "Findings"]
    findings = list(wb["Findings"].iter_rows(values_only=True))
    header, body = findings[0], findings[1:]
    col = {h: n for n, h in enumerate(header)}
    assert {r[col["Vendor"]] for r in body} == {"d_eur", "d_usd"}
    srows = list(wb["Summary"].iter_rows(min_row=2, values_only=True))
    for vendor, currency, hand in (("d_eur", "EUR", D("255.4982")), ("d_usd", "USD", D("10"))):
        rows = mart(warehouse, vendor=vendor)
        assert sum(r["amount_at_risk"] for r in rows) == hand
        total_row = next(r for r in srows if r[0] == vendor and r[2] == "Total")
        assert total_row[5] == currency and evaluate(wb, total_row[6]) == hand
        # the rows of this vendor on the Findings sheet add up to the same
        assert sum(dec(r[col["Amount at risk"]]) for r in body if r[col["Vendor"]] == vendor) == hand
        rep = next(r for r in srows if r[0] == vendor and r[2] == "Total (reporting currency)")
        assert evaluate(wb, rep[7]) == sum(r["amount_at_risk_reporting"] for r in rows)
    every = next(r for r in srows if r[0] == "All vendors")
    assert evaluate(wb, every[7]) == sum(r["amount_at_risk_reporting"] for v in ("d_eur", "d_usd")
                                         for r in mart(warehouse, vendor=v))
    assert "d_eur" in result.output and "d_usd" in result.output
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert "d_eur" in cover["Vendors"] and "d_usd" in cover["Vendors"]


def test_published_copy_is_read_when_present(warehouse, tmp_path):
    published = warehouse.parent / "published.duckdb"
    publish_marts(warehouse, published)
    result = run("--vendor", "d_eur", "--month", "2026-02", "--warehouse", str(warehouse), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / "dispute_d_eur_2026-02.xlsx")
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=3, values_only=True) if r[0]}
    con = duckdb.connect(str(published), read_only=True)
    build_id, published_at = con.execute("select build_id, published_at from publication").fetchone()
    con.close()
    # the cover names the publication, not the file it came from
    assert cover["Data build"] == build_id and cover["Published at (UTC)"].startswith(f"{published_at:%Y-%m-%d}")
    assert not any(".duckdb" in str(v) for v in cover.values())
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
