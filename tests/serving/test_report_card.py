"""`bpo report`: the vendor report card, looked at in headless Chromium as a person sees it.

A small generated data set (with the evidence feeds, so QA scores exist) goes through `bpo run` (the session's
shared evidence warehouse, tests/conftest.py `evidence_warehouse`, which these tests only read), which runs
the Dagster job in-process: its `report_card` asset must leave <warehouse folder>/report/index.html of the
build it just published. The page is opened via file:// and what it shows is compared with SQL on the
published copy written here: vendor names, rank and amount at risk, heatmap cells, and the in-house vs
outsourced figures. A screenshot is saved to docs/screenshots/report-card.png.
"""

from __future__ import annotations

import re
import subprocess
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from serving.report_card import DASH, ReportError, collect, money, percent, write_report
from tests.browser import browser_page  # noqa: F401  (pytest fixture)
from tests.warehouses import BPO

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "report-card.png"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def test_formatting_of_money_ratios_and_nulls():
    # hand-worked: 1234.565 rounds half up to 1,234.57; 0.8437 -> 84.4%
    assert money(Decimal("1234.565"), "USD").text == "1,234.57 USD"
    assert percent(0.84375).text == "84.4%"
    missing = percent(None, "no survey sample")
    assert missing.text == DASH and missing.why == "no survey sample"


@pytest.fixture(scope="module")
def built(tmp_path_factory, evidence_warehouse):
    """The session's shared evidence warehouse (tests/conftest.py), read only; `bpo report` writes here."""
    out = tmp_path_factory.mktemp("report")
    warehouse = evidence_warehouse.warehouse
    pipeline_report = warehouse.parent / "report" / "index.html"
    pipeline_html = pipeline_report.read_text(encoding="utf-8") if pipeline_report.exists() else None
    report = subprocess.run([BPO, "report", "--warehouse", str(warehouse), "--out", str(out / "report")],
                            capture_output=True, text=True)
    assert report.returncode == 0, report.stdout + report.stderr
    html = out / "report" / "index.html"  # no --month/--vendor: the current card, under the name the pipeline uses
    assert str(html.name) in report.stdout.replace("\n", "")
    return {"warehouse": warehouse, "published": warehouse.parent / "published.duckdb", "html": html,
            "pipeline_report": pipeline_report, "pipeline_html": pipeline_html, "shared": evidence_warehouse}


def _query(published: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _build_id(published: Path) -> str:
    return _query(published, "select build_id from publication")[0][0]


def _latest_month(published: Path) -> str:
    return _query(published, "select strftime(max(period_month), '%Y-%m') from marts.vendor_scorecard")[0][0]


@pytest.mark.slow
def test_the_pipeline_run_leaves_the_report_of_the_build_it_published(built):
    assert built["pipeline_html"] is not None, f"{built['pipeline_report']} not written by `bpo run`"
    build_id = _build_id(built["published"])
    assert f"Build {build_id}" in built["pipeline_html"]
    assert f"Vendor report card — {_latest_month(built['published'])}" in built["pipeline_html"]


@pytest.mark.slow
def test_the_report_asset_replaces_a_stale_page_and_says_where_it_is(built, tmp_path):
    """The Dagster asset alone (as a run executes it after published_marts), over the built warehouse."""
    import dagster as dg

    from ingestion.settings import Settings
    from orchestration.assets import report_card
    from orchestration.resources import WarehouseResource

    own = built["shared"].copy_to(tmp_path / "built")  # this test writes the page: its own copy
    settings = Settings(landing=tmp_path / "landing", contracts=tmp_path / "contracts", warehouse=own.warehouse)
    page = own.warehouse.parent / "report" / "index.html"
    page.write_text("stale", encoding="utf-8")
    result = dg.materialize([report_card], resources={"warehouse": WarehouseResource.from_settings(settings)})
    assert result.success
    (materialization,) = result.asset_materializations_for_node("report_card")
    assert materialization.metadata["path"].value == str(page)
    assert f"Build {_build_id(own.published)}" in page.read_text(encoding="utf-8")
    assert not list(page.parent.glob(".*.tmp"))  # written beside and renamed into place


def _heatmap_cells(published: Path, month: str) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(vendor, weekday, hh:mm) -> (contacts within threshold, contacts measured), from the mart's own
    service_level column weighted by its sample: an independent route to the cards' numerator."""
    rows = _query(published, """
        select vendor_id, isodow(interval_start_local), strftime(interval_start_local, '%H:%M'),
               cast(round(sum(service_level * service_level_sample_size)) as bigint),
               sum(service_level_sample_size)
        from marts.sla_interval
        where strftime(period_month, '%Y-%m') = ? and service_level is not null
        group by all""", [month])
    cells: dict[tuple[str, str, str], list[int]] = {}
    for vendor, dow, hhmm, within, sample in rows:
        # an interval's start is hh:00 or hh:30 of the local clock
        assert hhmm[3:] in ("00", "30")
        cells[vendor, WEEKDAYS[dow - 1], hhmm] = [within, sample]
    return {k: tuple(v) for k, v in cells.items()}


def _pct(numerator: int, denominator: int, places: str) -> str:
    return str((Decimal(numerator * 100) / Decimal(denominator)).quantize(Decimal(places), ROUND_HALF_UP))


def _comparison_expected(published: Path, month: str) -> dict[tuple[str, str, str], str]:
    """(kind, month, metric) -> the text the comparison table must show, pooled over the kind's vendors."""
    join = ("join marts.vendor_scorecard as k on k.vendor_id = t.vendor_id and k.period_month = t.period_month "
            "where t.period_month <= (select max(period_month) from marts.vendor_scorecard "
            "where strftime(period_month, '%Y-%m') = ?)")
    expected = {}
    for kind, m, within, sample, wait, answered in _query(published, f"""
            select k.kind, strftime(t.period_month, '%Y-%m'),
                   cast(round(sum(t.service_level * t.service_level_sample_size)) as bigint),
                   sum(t.service_level_sample_size) filter (where t.service_level is not null),
                   sum(t.asa_seconds * t.answered) filter (where t.channel in ('voice', 'chat')),
                   sum(t.answered) filter (where t.channel in ('voice', 'chat'))
            from marts.sla_interval as t {join} group by all""", [month]):
        if sample:
            expected[kind, m, "service_level"] = f"{within / sample * 100:.1f}%"
        if answered:
            expected[kind, m, "asa_seconds"] = f"{wait / answered:.1f} s"
    for kind, m, top2, responses in _query(published, f"""
            select k.kind, strftime(t.period_month, '%Y-%m'), sum(t.csat_top2box * t.csat_responses),
                   sum(t.csat_responses)
            from marts.esat_csat as t {join} and t.grain = 'vendor' and t.csat_responses > 0 group by all""", [month]):
        expected[kind, m, "csat_top2box"] = f"{top2 / responses * 100:.1f}%"
    for kind, m, cost, handled, currency in _query(published, f"""
            select k.kind, strftime(t.period_month, '%Y-%m'), sum(t.net_cost_reporting), sum(t.handled_contacts),
                   any_value(t.reporting_currency)
            from marts.cost_to_serve as t {join} group by all""", [month]):
        if handled:
            cpc = (Decimal(cost) / Decimal(handled)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
            expected[kind, m, "cost_per_contact"] = f"{cpc.quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f} {currency}"
    for kind, m, points, evaluations in _query(published, f"""
            select k.kind, strftime(t.period_month, '%Y-%m'), sum(t.qa_score * t.evaluations), sum(t.evaluations)
            from marts.quality as t {join} and t.grain = 'vendor' and t.evaluations > 0 group by all""", [month]):
        expected[kind, m, "qa_score"] = f"{points / evaluations * 100:.1f}%"
    return expected


@pytest.mark.slow
def test_report_card_in_chromium_shows_the_marts(built, browser_page):
    html = built["html"]
    published = built["published"]
    month = _latest_month(published)
    rows = _query(published, "select vendor_id, vendor_name, rank, amount_at_risk, reporting_currency "
                              "from marts.vendor_scorecard where strftime(period_month, '%Y-%m') = ?", [month])
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

    # each card's trend: service level per month (the mart's service_level weighted by its sample) and CSAT
    trend = _query(published, """
        select vendor_id, strftime(period_month, '%Y-%m'),
               cast(round(sum(service_level * service_level_sample_size)) as bigint),
               sum(service_level_sample_size) filter (where service_level is not null)
        from marts.sla_interval where strftime(period_month, '%Y-%m') <= ? group by all""", [month])
    assert {v for v, *_ in trend} == {r[0] for r in rows}
    for vendor_id, m, within, sample in trend:
        shown = page.locator(f'section[data-vendor="{vendor_id}"] tr[data-trend="service_level"] td[data-month="{m}"]')
        assert shown.inner_text() == (f"{within / sample * 100:.1f}%" if sample else DASH), (vendor_id, m)
    for vendor_id, m, csat in _query(published, "select vendor_id, strftime(period_month, '%Y-%m'), csat_top2box "
                                                "from marts.vendor_scorecard where csat_top2box is not null"):
        shown = page.locator(f'section[data-vendor="{vendor_id}"] tr[data-trend="csat_top2box"] td[data-month="{m}"]')
        assert shown.inner_text() == f"{csat * 100:.1f}%"
    # money at risk by finding type, reporting currency: the month's findings summed per type
    by_type = _query(published, """
        select vendor_id, finding, sum(amount_at_risk_reporting), any_value(reporting_currency)
        from marts.unforeseen_costs where strftime(period_month, '%Y-%m') = ? group by all""", [month])
    assert len({f for _, f, *_ in by_type}) >= 3, "the data set should have several finding types"
    for vendor_id, finding, amount, currency in by_type:
        bar = page.locator(f'section[data-vendor="{vendor_id}"] svg.risk-types g[data-finding="{finding}"]')
        cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert bar.locator("text.amount").text_content() == f"{cents:,.2f} {currency}"

    # every chart rendered: each SVG has a drawn shape and a size on the page
    charts = page.locator("svg")
    assert charts.count() >= len(rows) + 5  # a heatmap per vendor, five comparison charts, the vendors' own
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator("rect, polyline, circle, path, polygon").count() > 0, \
            chart.evaluate("e => e.outerHTML")[:300]
        box = chart.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0

    # the heatmap: one per vendor, 7 x 48 cells; measured cells show the mart's service level
    cells = _heatmap_cells(published, month)
    assert cells
    for vendor_id, *_ in rows:
        heatmap = page.locator(f'[data-heatmap="{vendor_id}"]')
        assert heatmap.count() == 1
        assert heatmap.locator("g.cell").count() == 7 * 48
        mine = sorted(((k, v) for k, v in cells.items() if k[0] == vendor_id), key=lambda kv: (-kv[1][1], kv[0]))
        lowest = min(mine, key=lambda kv: (kv[1][0] / kv[1][1], kv[0]))
        for (_, weekday, hhmm), (within, sample) in [*mine[:4], lowest]:  # the busiest cells and the worst
            cell = heatmap.locator(f'g.cell[data-weekday="{weekday}"][data-slot="{hhmm}"]')
            assert cell.locator("text").text_content() == _pct(within, sample, "1")
            title = cell.locator("title").text_content()
            assert f"service level {_pct(within, sample, '0.1')}% ({within} of {sample} contacts" in title
        quiet = next((WEEKDAYS[d], f"{s // 2:02d}:{s % 2 * 30:02d}") for d in range(7) for s in range(48)
                     if (vendor_id, WEEKDAYS[d], f"{s // 2:02d}:{s % 2 * 30:02d}") not in cells)
        empty = heatmap.locator(f'g.cell[data-weekday="{quiet[0]}"][data-slot="{quiet[1]}"]')
        assert empty.locator("text").count() == 0 and "no contact measured" in empty.locator("title").text_content()
    # the colour follows the legend: a cell below 60% is red, one at 90% or more dark blue
    fills = {k: page.locator(f'[data-heatmap="{k[0]}"] g.cell[data-weekday="{k[1]}"][data-slot="{k[2]}"] rect')
             .get_attribute("fill") for k in [min(cells, key=lambda k: cells[k][0] / cells[k][1]),
                                              max(cells, key=lambda k: cells[k][0] / cells[k][1])]}
    low, high = sorted(cells[k][0] / cells[k][1] for k in fills)
    assert low < 0.6 and high >= 0.9, "the data set should have cells at both ends of the scale"
    assert sorted(fills.values()) == ["#2c7bb6", "#d7191c"]

    # in-house vs outsourced: every figure of the table equals the pooled SQL on the published copy
    expected = _comparison_expected(published, month)
    assert {k[0] for k in expected} == {"in_house", "outsourcer"}
    assert {k[2] for k in expected} == {"service_level", "asa_seconds", "csat_top2box", "cost_per_contact", "qa_score"}
    for (kind, m, metric), want in expected.items():
        shown = page.locator(f'table.comparison td[data-kind="{kind}"][data-month="{m}"][data-metric="{metric}"]')
        assert shown.inner_text() == want, (kind, m, metric)
    # the in-house team is one vendor: its pooled figures are the scorecard's own
    for m, csat, qa, cpc in _query(published, "select strftime(period_month, '%Y-%m'), csat_top2box, qa_score, "
                                              "cost_per_contact from marts.vendor_scorecard where kind = 'in_house'"):
        cell = 'table.comparison td[data-kind="in_house"][data-month="{}"][data-metric="{}"]'
        if csat is not None:
            assert page.locator(cell.format(m, "csat_top2box")).inner_text() == f"{csat * 100:.1f}%"
        if qa is not None:
            assert page.locator(cell.format(m, "qa_score")).inner_text() == f"{qa * 100:.1f}%"
        if cpc is not None:
            assert page.locator(cell.format(m, "cost_per_contact")).inner_text().startswith(
                f"{cpc.quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f} ")
    # five bar charts, each with a drawn bar per kind and month; the bars carry the same figures as the table
    months_shown = len({k[1] for k in expected})
    for metric in ("service_level", "asa_seconds", "csat_top2box", "cost_per_contact", "qa_score"):
        heights = [float(h) for h in page.locator(f'[data-chart="{metric}"] rect').evaluate_all(
            "rects => rects.map(r => r.getAttribute('height'))")]
        assert len(heights) == 2 * months_shown and max(heights) > 0, metric
    sl_bars = page.locator('[data-chart="service_level"] g[data-kind]')
    assert sl_bars.count() == 2 * months_shown
    for i in range(sl_bars.count()):
        bar = sl_bars.nth(i)
        want = expected.get((bar.get_attribute("data-kind"), bar.get_attribute("data-month"), "service_level"))
        assert bar.locator("text").text_content() == (want.removesuffix("%") if want else DASH)

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


def test_a_chosen_month_or_vendor_gets_its_own_file(built, tmp_path):
    month = _query(built["published"], "select strftime(min(period_month), '%Y-%m') from marts.vendor_scorecard "
                                       "where kind = 'in_house'")[0][0]
    path = write_report(built["published"], tmp_path, month=month, vendor="inhouse_us")
    assert path == tmp_path / f"report_card_{month}_inhouse_us.html"
    body = path.read_text(encoding="utf-8")
    assert f"Vendor report card — {month}" in body and 'data-heatmap="inhouse_us"' in body
    assert re.findall(r'data-heatmap="([^"]+)"', body) == ["inhouse_us"]


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


def _hand_published(path: Path) -> Path:
    """A published copy with only the mart rows the heatmap and the comparison read, worked by hand."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("""create table marts.vendor_scorecard as select * from (values
        ('v1', 'In-house', 'in_house', date '2026-03-01', 1, 1, 'USD'),
        ('v2', 'Out two', 'outsourcer', date '2026-03-01', 1, 1, 'USD'),
        ('v3', 'Out three', 'outsourcer', date '2026-03-01', 0, 1, 'USD'))
        t(vendor_id, vendor_name, kind, period_month, sla_met, sla_total, reporting_currency)""")
    con.execute("create table marts.sla_compliance (vendor_id varchar, period_month date, channel varchar, "
                "queue varchar, sla_line int, metric varchar, target double, actual double, met boolean, "
                "sample_size bigint, credit_due_amount decimal(18,4), currency varchar)")
    # 2026-03-02 and 03-09 are Mondays, 03-03 a Tuesday
    con.execute("""create table marts.sla_interval as select vendor_id, channel, cast(s as timestamp) as interval_start_local,
            date '2026-03-01' as period_month, abandoned_within as abandoned_within_threshold,
            within_answered as answered_within_threshold, abandons, sample as service_level_sample_size,
            answered, asa as asa_seconds
        from (values
        ('v1', 'voice', '2026-03-02 09:00', 9, 1, 8, 'count_for_within', 10, 9, 12.0),
        ('v1', 'chat',  '2026-03-09 09:00', 5, 2, 5, 'exclude_short', 6, 6, 20.0),
        ('v1', 'email', '2026-03-02 09:30', null, null, null, 'exclude_short', null, 3, 3600.0),
        ('v2', 'voice', '2026-03-03 10:30', 3, 0, 3, 'exclude_short', 5, 5, 30.0),
        ('v3', 'voice', '2026-03-03 10:30', 1, 0, 1, 'exclude_short', 5, 4, 10.0))
        t(vendor_id, channel, s, within, abandoned_within, within_answered, abandons, sample, answered, asa)""")
    con.execute("""create table marts.cost_to_serve as select * from (values
        ('v1', 'voice', date '2026-03-01', 70.0000::decimal(18,4), 21, false, 'USD'),
        ('v2', 'voice', date '2026-03-01', 100.0000::decimal(18,4), 30, false, 'USD'),
        ('v3', 'voice', date '2026-03-01', 50.0000::decimal(18,4), 20, false, 'USD'),
        ('v3', 'email', date '2026-03-01', 10.0000::decimal(18,4), 10, false, 'USD'))
        t(vendor_id, channel, period_month, net_cost_reporting, handled_contacts, fx_rate_missing, reporting_currency)""")
    con.execute("""create table marts.esat_csat as select * from (values
        ('v2', date '2026-03-01', 'vendor', 0.5, 10), ('v3', date '2026-03-01', 'vendor', 0.8, 40),
        ('v3', date '2026-03-01', 'queue', 0.0, 40))
        t(vendor_id, period_month, grain, csat_top2box, csat_responses)""")
    con.execute("""create table marts.quality as select * from (values
        ('v2', date '2026-03-01', 'vendor', 0.9, 10), ('v3', date '2026-03-01', 'vendor', 0.7, 30),
        ('v2', date '2026-03-01', 'agent', 0.1, 100))
        t(vendor_id, period_month, grain, qa_score, evaluations)""")
    con.close()
    return path


def test_pooled_figures_re_aggregate_numerators_and_denominators(tmp_path):
    data = collect(_hand_published(tmp_path / "hand.duckdb"))
    heat = {v["id"]: {(c["weekday"], c["slot"]): c for c in v["cells"]} for v in data["heatmap"]["vendors"]}
    # v1 Monday 09:00, two Mondays and two channels: (8 answered + 1 abandoned within, count_for_within) + 5
    # within over 10 + 6 measured = 14/16 = 87.5 %, shown 88 (half up), in the 80-90 % band
    cell = heat["v1"]["Mon", "09:00"]
    assert (cell["text"], cell["fill"]) == ("88", "#abd9e9")
    assert "service level 87.5% (14 of 16 contacts within threshold)" in cell["title"]
    # email without a threshold is not measured: Monday 09:30 stays empty
    assert heat["v1"]["Mon", "09:30"]["text"] == "" and "no contact measured" in heat["v1"]["Mon", "09:30"]["title"]
    # 3/5 = 60 % is the 60-70 % band's lower edge; 1/5 = 20 % below 60 %
    assert (heat["v2"]["Tue", "10:30"]["text"], heat["v2"]["Tue", "10:30"]["fill"]) == ("60", "#fdae61")
    assert (heat["v3"]["Tue", "10:30"]["text"], heat["v3"]["Tue", "10:30"]["fill"]) == ("20", "#d7191c")

    (row,) = data["comparison"]["rows"]
    shown = {(k, m): f.text for k, values in row["values"].items() for m, f in values.items()}
    assert shown == {
        # in-house: 14/16; ASA (12 s x 9 + 20 s x 6) / 15 = 15.2 s (email's hour left out); 70 / 21 = 3.3333
        ("in_house", "service_level"): "87.5%", ("in_house", "asa_seconds"): "15.2 s",
        ("in_house", "csat_top2box"): DASH, ("in_house", "cost_per_contact"): "3.33 USD",
        ("in_house", "qa_score"): DASH,
        # outsourcers pooled: (3 + 1) / (5 + 5); (30 x 5 + 10 x 4) / 9 = 21.1 s; (100 + 50 + 10) / 60 = 2.6667;
        # CSAT (5 + 32) / 50 = 74 % (the mean of the two vendors' would be 65 %); QA (9 + 21) / 40 = 75 %
        ("outsourcer", "service_level"): "40.0%", ("outsourcer", "asa_seconds"): "21.1 s",
        ("outsourcer", "csat_top2box"): "74.0%", ("outsourcer", "cost_per_contact"): "2.67 USD",
        ("outsourcer", "qa_score"): "75.0%",
    }
    assert [k["vendors"] for k in data["comparison"]["kinds"]] == [1, 2]
