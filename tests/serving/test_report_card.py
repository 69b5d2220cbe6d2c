"""`bpo report`: the vendor report card, looked at in headless Chromium as a person sees it.

A small generated data set goes through `bpo run`; the report is opened via file:// and the
vendor names, a rank and each vendor's amount at risk (the mart's value rounded to cents, with
its currency) must be visible. A screenshot is saved to docs/screenshots/report-card.png.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from generator import generate
from serving.report_card import DASH, ReportError, collect, money, percent, write_report
from tests.browser import browser_page  # noqa: F401  (pytest fixture)

BPO = str(Path(sys.executable).with_name("bpo"))
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "report-card.png"


def test_formatting_of_money_ratios_and_nulls():
    # hand-worked: 1234.565 rounds half up to 1,234.57; 0.8437 -> 84.4%
    assert money(Decimal("1234.565"), "USD").text == "1,234.57 USD"
    assert percent(0.84375).text == "84.4%"
    missing = percent(None, "no survey sample")
    assert missing.text == DASH and missing.why == "no survey sample"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    generate(out / "data", outsourcers=2, months=2, seed=11, scale=3000, evidence=False)
    warehouse = out / "wh" / "warehouse.duckdb"
    run = subprocess.run([BPO, "run", "--landing", str(out / "data" / "landing"), "--contracts",
                          str(out / "data" / "contracts"), "--warehouse", str(warehouse)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = subprocess.run([BPO, "report", "--warehouse", str(warehouse), "--out", str(out / "report")],
                            capture_output=True, text=True)
    assert report.returncode == 0, report.stdout + report.stderr
    html = out / "report" / "index.html"  # no --month/--vendor: the current card, under the name the pipeline uses
    assert str(html.name) in report.stdout.replace("\n", "")
    return {"warehouse": warehouse, "published": warehouse.parent / "published.duckdb", "html": html}


def _scorecard(published: Path, month: str) -> list[tuple]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        return con.execute("select vendor_id, vendor_name, rank, amount_at_risk, reporting_currency "
                           "from marts.vendor_scorecard where strftime(period_month, '%Y-%m') = ?",
                           [month]).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_report_card_in_chromium_shows_the_marts(built, browser_page):
    html = built["html"]
    month = max(m for (m,) in duckdb.connect(str(built["published"]), read_only=True).execute(
        "select distinct strftime(period_month, '%Y-%m') from marts.vendor_scorecard").fetchall())
    rows = _scorecard(built["published"], month)
    assert rows
    assert b"<script" not in html.read_bytes() and b"http://" not in html.read_bytes().replace(
        b"http://www.w3.org", b"")  # offline: no script, no remote resource
    page = browser_page
    page.goto(html.as_uri())
    text = page.inner_text("body")
    for vendor_id, name, rank, at_risk, currency in rows:
        card = page.locator(f'section[data-vendor="{vendor_id}"]')
        assert card.count() == 1
        assert name in card.inner_text()
        if rank is not None:
            assert card.locator("[data-rank]").inner_text().startswith(f"#{rank}")
        shown = card.locator("[data-amount-at-risk]").inner_text()
        if at_risk is None:
            assert shown == DASH
        else:
            cents = Decimal(at_risk).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert shown == f"{cents:,.2f} {currency}"
    assert any(r[2] is not None for r in rows), "no vendor ranked"
    assert f"Vendor report card — {month}" in text
    # every chart is a non-empty SVG
    assert page.locator("svg").count() > 0
    assert page.locator("svg polyline, svg rect").count() > 0
    assert page.console_errors == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_unknown_vendor_or_month_is_one_clear_error(built):
    with pytest.raises(ReportError, match="no vendor 'nobody'"):
        collect(built["published"], vendor="nobody")
    with pytest.raises(ReportError, match="no scorecard for 1999-01"):
        collect(built["published"], month="1999-01")
    bad = subprocess.run([BPO, "report", "--month", "Jan", "--warehouse", str(built["warehouse"])],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "YYYY-MM" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr


def test_report_reads_a_scorecard_without_the_newer_columns(built, tmp_path):
    """Columns are selected defensively: an older scorecard (no QA, containment, component scores) renders,
    and the absent figures show the dash with a reason."""
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute(f"attach '{built['published']}' as p (read_only)")
    con.execute("create schema marts")
    con.execute("create table marts.vendor_scorecard as select vendor_id, vendor_name, kind, period_month, "
                "sla_met, sla_total, csat_top2box, cost_per_contact, amount_at_risk, reporting_currency "
                "from p.marts.vendor_scorecard")
    con.execute("create table marts.sla_compliance as select * from p.marts.sla_compliance")
    con.close()
    path = write_report(old, tmp_path / "out")
    body = path.read_text(encoding="utf-8")
    assert 'title="no QA evaluation">—' in body and "Component scores" not in body
