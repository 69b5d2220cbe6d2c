"""The vendor report card: one self-contained HTML file (inline CSS and SVG, no
network) read from the published copy's marts, and nothing else.

Columns are read defensively (`describe` first, select what exists) because the
scorecard gains columns over time; a figure whose column is absent or null is
shown as "—" with a tooltip saying why.

The page is a list of sections (`SECTIONS`): each has a collector here, which
reads its marts into the context under the section's name, and a template
`templates/section_<name>.html.j2` (with its CSS in `section_<name>.css.j2`,
optional). Adding a section touches neither the others' collectors nor their
templates.

Where it is written: the pipeline refreshes `<published folder>/report/index.html`
after every publish (`write_report` with no month or vendor, from the Dagster asset `report_card`);
`bpo report` writes the same file by default, or `report_card_<month>[_<vendor>].html`
for a chosen month or vendor.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from serving.dispute import report_section as dispute_report_section

DASH = "—"
REPORT_FILE = "index.html"  # the current report card, in report_folder()


class ReportError(Exception):
    """The report cannot be written (no published copy, no scorecard, unknown vendor or month)."""


@dataclass
class Figure:
    """One displayed value: text, and why it is missing when it is."""
    text: str
    why: str | None = None
    raw: object = None


def _missing(why: str) -> Figure:
    return Figure(DASH, why)


def money(value, currency: str | None, why: str = "no data") -> Figure:
    if value is None:
        return _missing(why)
    q = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Figure(f"{q:,.2f} {currency or ''}".strip(), raw=q)


def percent(value, why: str = "no data") -> Figure:
    if value is None:
        return _missing(why)
    return Figure(f"{float(value) * 100:.1f}%", raw=value)


def number(value, fmt: str = "{:.1f}", why: str = "no data", suffix: str = "") -> Figure:
    if value is None:
        return _missing(why)
    return Figure(fmt.format(float(value)) + suffix, raw=value)


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(f"describe {table}").fetchall()}


def _tables(con) -> set[str]:
    return {f"{s}.{t}" for s, t in con.execute(
        "select schema_name, table_name from duckdb_tables()").fetchall()}


def _rows(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _select(con, table: str, wanted: list[str], where: str = "", params: list | None = None,
            order: str = "") -> list[dict]:
    """Rows of `table` with the wanted columns that exist; absent ones come back as None."""
    have = _columns(con, table)
    cols = [c for c in wanted if c in have]
    rows = _rows(con, f"select {', '.join(cols)} from {table} {where} {order}", params)
    return [{c: r.get(c) for c in wanted} for r in rows]


# marts.sla_interval's service-level numerator (what its service_level divides by service_level_sample_size)
WITHIN_THRESHOLD = ("t.answered_within_threshold + case when t.abandons = 'count_for_within' "
                    "then t.abandoned_within_threshold else 0 end")
# the sums service level and ASA re-aggregate from, over any group of interval rows; ASA of the real-time
# channels only: an email's wait is its response time, hours rather than seconds
INTERVAL_SUMS = f"""
    sum({WITHIN_THRESHOLD}) as within,
    sum(t.service_level_sample_size) as sample,
    sum(t.asa_seconds * t.answered) filter (where t.channel in ('voice', 'chat')) as wait,
    sum(t.answered) filter (where t.channel in ('voice', 'chat')) as answered"""

SCORE_COLUMNS = ["sla_met_share", "qa_score", "auto_fail_rate", "complaint_rate", "csat_top2box", "esat",
                 "fcr_rate", "containment_rate", "cost_per_contact"]


def _sparkline(values: list[float | None], width: int = 120, height: int = 28) -> str:
    """A small inline SVG polyline of the month trend (None values are skipped)."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(pts) < 1:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span = (hi - lo) or 1.0
    step = width / max(1, len(values) - 1)
    xy = [(2 + i * step * (width - 4) / width, height - 3 - (v - lo) / span * (height - 6)) for i, v in pts]
    poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2"/>' for x, y in xy)
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f'<polyline points="{poly}" fill="none" stroke="#2b6cb0" stroke-width="1.5"/>'
            f'<g fill="#2b6cb0">{dots}</g></svg>')


def _bar(met: int, total: int, width: int = 160) -> str:
    """SLA met/missed as a two-colour inline SVG bar."""
    if not total:
        return ""
    w = round(width * met / total)
    return (f'<svg class="bar" width="{width}" height="12" role="img">'
            f'<rect width="{width}" height="12" fill="#e53e3e"/><rect width="{w}" height="12" fill="#38a169"/></svg>')


def _month(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ReportError(f"--month must be YYYY-MM, got {value!r}") from None


def _open(db: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """A read-only connection to the published copy and the context every section starts from."""
    if not db.exists():
        raise ReportError(f"no published copy at {db}; run `bpo run` first")
    con = duckdb.connect(str(db), read_only=True)
    tables = _tables(con)
    if "marts.vendor_scorecard" not in tables:
        con.close()
        raise ReportError(f"{db} has no marts.vendor_scorecard; run `bpo run` first")
    return con, {"tables": tables}


def collect(db: Path, month: str | None = None, vendor: str | None = None) -> dict:
    """Everything the template shows, read-only from `db` (the published copy)."""
    period = _month(month)
    con, ctx = _open(db)
    try:
        pub = {}
        if "main.publication" in ctx["tables"]:
            pub = (_rows(con, "select build_id, published_at from publication order by published_at desc limit 1")
                   or [{}])[0]
        months = [r[0] for r in con.execute(
            "select distinct period_month from marts.vendor_scorecard order by 1").fetchall()]
        if not months:
            raise ReportError(f"{db}: marts.vendor_scorecard is empty")
        if period is None:
            period = months[-1]
        elif period not in months:
            raise ReportError(f"no scorecard for {period:%Y-%m}; months: "
                              + ", ".join(f"{m:%Y-%m}" for m in months))
        wanted = ["vendor_id", "vendor_name", "kind", "period_month", "rank", "score", "sla_met", "sla_total",
                  "sla_no_sample", "qa_evaluations", "handled_contacts", "self_service_sessions", "findings",
                  "amount_at_risk", "reporting_currency", "nps"] + SCORE_COLUMNS \
            + [f"score_{c}" for c in SCORE_COLUMNS] + ["score_weight"]
        scorecard = _select(con, "marts.vendor_scorecard", wanted, order="order by period_month, vendor_id")
        if vendor is not None and not any(r["vendor_id"] == vendor for r in scorecard):
            raise ReportError(f"no vendor {vendor!r} in marts.vendor_scorecard")
        ctx.update(period=period, month=f"{period:%Y-%m}", months=[f"{m:%Y-%m}" for m in months], vendor=vendor,
                   scorecard=scorecard, scorecard_columns=_columns(con, "marts.vendor_scorecard"),
                   build_id=pub.get("build_id"), published_at=pub.get("published_at"))
        for name, collector in SECTIONS.items():
            ctx[name] = collector(con, ctx)
    finally:
        con.close()
    ctx["sections"] = list(SECTIONS)
    return ctx


# ---- section: one card per vendor -------------------------------------------------------------

def _vendor_cards(con, ctx: dict) -> list[dict]:
    period, vendor, all_rows = ctx["period"], ctx["vendor"], ctx["scorecard"]
    sla = _select(con, "marts.sla_compliance",
                  ["vendor_id", "channel", "queue", "sla_line", "metric", "target", "actual", "met",
                   "sample_size", "credit_due_amount", "currency"],
                  where="where period_month = ?", params=[period], order="order by vendor_id, sla_line, channel")
    findings = []
    if "marts.unforeseen_costs" in ctx["tables"]:
        findings = _select(con, "marts.unforeseen_costs",
                           ["vendor_id", "invoice_id", "line_id", "finding", "detail", "amount_at_risk",
                            "currency", "amount_at_risk_reporting", "reporting_currency"],
                           where="where period_month = ?", params=[period],
                           order="order by amount_at_risk_reporting desc nulls last, invoice_id, line_id")
    intervals = {}
    if "marts.sla_interval" in ctx["tables"]:
        intervals = {(r.pop("vendor_id"), r.pop("period_month")): r for r in _rows(con, f"""
            select t.vendor_id, t.period_month, {INTERVAL_SUMS}
            from marts.sla_interval as t where t.period_month <= ? group by all""", [period])}
    by_type = []
    if "marts.unforeseen_costs" in ctx["tables"]:
        by_type = _rows(con, """
            select vendor_id, finding, count(*) as findings,
                   -- null when a finding has no FX rate: never a partial sum
                   case when bool_or(amount_at_risk_reporting is null) then null
                        else sum(amount_at_risk_reporting) end as amount,
                   any_value(reporting_currency) as currency
            from marts.unforeseen_costs where period_month = ?
            group by all order by amount desc nulls first, finding""", [period])
    vendors = []
    for r in (x for x in all_rows if x["period_month"] == period and (vendor is None or x["vendor_id"] == vendor)):
        vid, cur = r["vendor_id"], r["reporting_currency"]
        no_sla = "no SLA line with a sample this month" if not r["sla_total"] else "no data"
        history = [x for x in all_rows if x["vendor_id"] == vid and x["period_month"] <= period]
        vendors.append({
            "id": vid, "name": r["vendor_name"] or vid, "kind": r["kind"],
            "rank": number(r["rank"], "{:.0f}", why="not ranked (no score)"),
            "score": number(r["score"], "{:.2f}", why="no component score"),
            "sla": Figure(f"{r['sla_met']}/{r['sla_total']}" if r["sla_total"] else DASH,
                          None if r["sla_total"] else no_sla),
            "sla_bar": _bar(r["sla_met"] or 0, r["sla_total"] or 0),
            "figures": [
                ("SLA met", percent(r["sla_met_share"], no_sla)),
                ("CSAT (top-2 box)", percent(r["csat_top2box"], "no survey sample")),
                ("ESAT", percent(r["esat"], "no employee survey sample")),
                ("FCR", percent(r["fcr_rate"], "no sample")),
                ("QA score", percent(r["qa_score"], "no QA evaluation")),
                ("Auto-fail rate", percent(r["auto_fail_rate"], "no QA evaluation")),
                ("Complaints per 1,000 contacts", number(r["complaint_rate"], "{:.2f}", "no handled contacts")),
                ("Containment", percent(r["containment_rate"], "no self-service sessions")),
                ("Cost per contact", money(r["cost_per_contact"], cur, "no handled contacts or no cost")),
                ("Amount at risk", money(r["amount_at_risk"], cur, "no invoice")),
            ],
            "components": [(c, number(r[f"score_{c}"], "{:.2f}", "no data for this component"))
                           for c in SCORE_COLUMNS if f"score_{c}" in ctx["scorecard_columns"]],
            "trend": _trend(history, intervals, cur),
            "risk_by_type": _risk_by_type([t for t in by_type if t["vendor_id"] == vid]),
            "sla_lines": [dict(line, credit=money(line["credit_due_amount"], line["currency"], "no credit"),
                               actual_fig=number(line["actual"], "{:.3f}", "no sample"))
                          for line in sla if line["vendor_id"] == vid],
            "findings": [dict(f, amount=money(f["amount_at_risk"], f["currency"]),
                              amount_rep=money(f["amount_at_risk_reporting"], f["reporting_currency"],
                                               "FX rate missing"))
                         for f in findings if f["vendor_id"] == vid][:10],
        })
    vendors.sort(key=lambda v: (v["rank"].raw is None, v["rank"].raw or 0, v["id"]))
    return vendors


TREND_MONTHS = 6  # months shown as figures; the sparkline covers every month up to the report's


def _trend(history: list[dict], intervals: dict, currency: str | None) -> dict:
    """The vendor's months up to the report's: service level and ASA (from marts.sla_interval), CSAT, cost per
    contact, SLA met share and amount at risk (the scorecard's), as figures and a sparkline per measure."""
    def interval(x, key):
        return intervals.get((x["vendor_id"], x["period_month"]), {}).get(key)

    measures = [
        ("service_level", "Service level", [percent(_ratio(interval(x, "within"), interval(x, "sample")),
                                                    "no contact measured") for x in history]),
        ("asa_seconds", "ASA, voice and chat", [number(_ratio(interval(x, "wait"), interval(x, "answered")),
                                                       "{:.1f}", "no answered contact", " s") for x in history]),
        ("csat_top2box", "CSAT (top-2 box)", [percent(x["csat_top2box"], "no survey sample") for x in history]),
        ("cost_per_contact", "Cost per contact", [money(x["cost_per_contact"], currency, "no handled contacts or no cost")
                                                  for x in history]),
        ("sla_met_share", "SLA met share", [percent(x["sla_met_share"], "no SLA line with a sample")
                                            for x in history]),
        ("amount_at_risk", "Amount at risk", [money(x["amount_at_risk"], currency, "no invoice") for x in history]),
    ]
    return {"months": [f"{x['period_month']:%Y-%m}" for x in history][-TREND_MONTHS:],
            "rows": [{"key": key, "label": label, "figures": figs[-TREND_MONTHS:],
                      "spark": _sparkline([None if f.raw is None else float(f.raw) for f in figs])}
                     for key, label, figs in measures]}


def _risk_by_type(rows: list[dict]) -> dict:
    """Money at risk of the month by finding type: horizontal bars (reporting currency) with their figures."""
    label_w, bar_w, row_h = 215, 180, 18  # the longest type, minimum commitment misbilled, fits at 12 px
    top = max((float(r["amount"]) for r in rows if r["amount"] is not None), default=0.0) or 1.0
    bars = [{"y": i * row_h, "label": (r["finding"] or "").replace("_", " "), "finding": r["finding"],
             "w": 0.0 if r["amount"] is None else round(bar_w * float(r["amount"]) / top, 1),
             "amount": money(r["amount"], r["currency"], "FX rate missing"), "findings": r["findings"]}
            for i, r in enumerate(rows)]
    return {"bars": bars, "label_w": label_w, "bar_w": bar_w, "row_h": row_h,
            "width": label_w + bar_w + 120, "height": max(1, len(rows)) * row_h}


# ---- section: service-level heatmap, 30-minute interval x weekday --------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # DuckDB isodow 1..7
SLOTS = 48  # half hours of the local day
# (upper bound, exclusive; fill; text colour; legend label): ColorBrewer RdYlBu, readable without red/green
HEAT_BINS = ((Fraction(6, 10), "#d7191c", "#ffffff", "below 60%"),
             (Fraction(7, 10), "#fdae61", "#1a202c", "60–70%"),
             (Fraction(8, 10), "#ffffbf", "#1a202c", "70–80%"),
             (Fraction(9, 10), "#abd9e9", "#1a202c", "80–90%"),
             (None, "#2c7bb6", "#ffffff", "90% and above"))
NO_SAMPLE_FILL = "#edf2f7"
HEAT = {"cell_w": 22, "cell_h": 20, "label_w": 40, "head_h": 18}


def _slot_label(slot: int) -> str:
    return f"{slot // 2:02d}:{slot % 2 * 30:02d}"


def _heat_bin(level: Fraction) -> tuple:
    return next(b for b in HEAT_BINS if b[0] is None or level < b[0])


def _heatmap(con, ctx: dict) -> dict:
    """Per vendor, service level of the month's contacts by local weekday x half hour, over every channel
    with a threshold (each against its own) and every queue: Σ within threshold / Σ sample of
    marts.sla_interval, the same numerator and denominator as its service_level column."""
    vendors = sorted({r["vendor_id"]: r for r in ctx["scorecard"] if r["period_month"] == ctx["period"]
                      and ctx["vendor"] in (None, r["vendor_id"])}.values(), key=lambda r: r["vendor_id"])
    cells: dict[tuple[str, int, int], dict] = {}
    if "marts.sla_interval" in ctx["tables"]:
        for r in _rows(con, f"""
                select t.vendor_id, isodow(t.interval_start_local) as weekday,
                       hour(t.interval_start_local) * 2 + minute(t.interval_start_local) // 30 as slot,
                       sum({WITHIN_THRESHOLD}) as within,
                       sum(t.service_level_sample_size) as sample
                from marts.sla_interval as t
                where t.period_month = ? and t.service_level_sample_size is not null
                group by all""", [ctx["period"]]):
            cells[r["vendor_id"], r["weekday"], r["slot"]] = r
    g = HEAT
    out = []
    for v in vendors:
        grid = []
        for day in range(1, 8):
            for slot in range(SLOTS):
                c = cells.get((v["vendor_id"], day, slot))
                where = f"{WEEKDAYS[day - 1]} {_slot_label(slot)}–{_slot_label((slot + 1) % SLOTS)}"
                cell = {"x": g["label_w"] + slot * g["cell_w"], "y": g["head_h"] + (day - 1) * g["cell_h"],
                        "weekday": WEEKDAYS[day - 1], "slot": _slot_label(slot), "text": "", "ink": "",
                        "fill": NO_SAMPLE_FILL, "title": f"{where}: no contact measured"}
                if c is not None and c["sample"]:
                    level = Fraction(int(c["within"]), int(c["sample"]))
                    pct = Decimal(level.numerator * 100) / Decimal(level.denominator)
                    _, fill, ink, _ = _heat_bin(level)
                    cell.update(fill=fill, ink=ink, text=f"{pct.quantize(Decimal(1), ROUND_HALF_UP)}",
                                title=f"{where}: service level {pct.quantize(Decimal('0.1'), ROUND_HALF_UP)}% "
                                      f"({c['within']} of {c['sample']} contacts within threshold)")
                grid.append(cell)
        out.append({"id": v["vendor_id"], "name": v["vendor_name"] or v["vendor_id"], "kind": v["kind"],
                    "cells": grid, "measured": sum(1 for c in grid if c["text"])})
    geometry = dict(g, width=g["label_w"] + SLOTS * g["cell_w"], height=g["head_h"] + 7 * g["cell_h"],
                    rows=[(WEEKDAYS[d], g["head_h"] + d * g["cell_h"]) for d in range(7)],
                    hours=[(f"{h:02d}", g["label_w"] + 2 * h * g["cell_w"]) for h in range(24)])
    legend = [{"fill": fill, "label": label} for _, fill, _, label in HEAT_BINS] \
        + [{"fill": NO_SAMPLE_FILL, "label": "no contact measured"}]
    return {"vendors": out, "geometry": geometry, "legend": legend}


# ---- section: in-house vs outsourced, per month ----------------------------------------------

KIND_LABELS = {"in_house": "In-house", "outsourcer": "Outsourced"}
KIND_COLOURS = {"in_house": "#2b6cb0", "outsourcer": "#dd6b20"}
COMPARISON_METRICS = (  # key, chart heading ({currency} filled in), bars' scale (fixed 0-1 for shares), bar label
    ("service_level", "Service level (%)", 1.0, lambda v: f"{v * 100:.1f}"),
    ("asa_seconds", "ASA, voice and chat (s, lower is better)", None, lambda v: f"{v:.0f}"),
    ("csat_top2box", "CSAT, top-2 box (%)", 1.0, lambda v: f"{v * 100:.1f}"),
    ("cost_per_contact", "Cost per contact ({currency}, lower is better)", None, lambda v: f"{v:.2f}"),
    ("qa_score", "QA score (%)", 1.0, lambda v: f"{v * 100:.1f}"),
)
COMPARISON_COLUMNS = {"service_level": "Service level", "asa_seconds": "ASA", "csat_top2box": "CSAT",
                      "cost_per_contact": "Cost per contact", "qa_score": "QA score"}  # the table's headings


def _kind_sums(con, ctx: dict, table: str, sums: str, where: str = "") -> dict[tuple[str, date], dict]:
    """Σ over vendors of one kind per month: `table` joined to the vendor-month's kind in the scorecard."""
    if table not in ctx["tables"]:
        return {}
    rows = _rows(con, f"""
        select k.kind, t.period_month, {sums}
        from {table} as t
        join marts.vendor_scorecard as k on k.vendor_id = t.vendor_id and k.period_month = t.period_month
        where t.period_month <= ? {where}
        group by k.kind, t.period_month""", [ctx["period"]])
    return {(r.pop("kind"), r.pop("period_month")): r for r in rows}


def _ratio(num, den) -> float | None:
    return None if num is None or not den else float(num) / float(den)


def _comparison(con, ctx: dict) -> dict:
    """In-house team vs the outsourcers pooled, per month up to the report's: each ratio re-aggregated from
    its mart's numerator and denominator (never an average of vendors' ratios)."""
    sl = _kind_sums(con, ctx, "marts.sla_interval", INTERVAL_SUMS)
    csat = _kind_sums(con, ctx, "marts.esat_csat",
                      "sum(t.csat_top2box * t.csat_responses) as top2, sum(t.csat_responses) as responses",
                      "and t.grain = 'vendor' and t.csat_top2box is not null")
    cost = _kind_sums(con, ctx, "marts.cost_to_serve",
                      "sum(t.net_cost_reporting) as cost, sum(t.handled_contacts) as handled, "
                      "bool_or(coalesce(t.fx_rate_missing, false)) as fx_missing, "
                      "any_value(t.reporting_currency) as currency")
    qa = _kind_sums(con, ctx, "marts.quality",
                    "sum(t.qa_score * t.evaluations) as scored, sum(t.evaluations) as evaluations",
                    "and t.grain = 'vendor' and t.qa_score is not null")
    months = [m for m in sorted({r["period_month"] for r in ctx["scorecard"]}) if m <= ctx["period"]]
    kinds = [k for k in KIND_LABELS if any(r["kind"] == k for r in ctx["scorecard"])]
    vendor_counts = {k: len({r["vendor_id"] for r in ctx["scorecard"] if r["kind"] == k
                             and r["period_month"] in months}) for k in kinds}
    currency = next((r["reporting_currency"] for r in ctx["scorecard"] if r["reporting_currency"]), None) or ""
    rows = []
    for m in months:
        row = {"month": f"{m:%Y-%m}", "values": {}}
        for k in kinds:
            s, c, k_cost, q = (d.get((k, m), {}) for d in (sl, csat, cost, qa))
            cpc = None
            if k_cost.get("handled") and k_cost.get("cost") is not None and not k_cost.get("fx_missing"):
                # as the scorecard: half-even to 4 places, then shown to the cent
                cpc = (Decimal(k_cost["cost"]) / Decimal(k_cost["handled"])).quantize(Decimal("0.0001"))
            row["values"][k] = {
                "service_level": percent(_ratio(s.get("within"), s.get("sample")), "no contact measured"),
                "asa_seconds": number(_ratio(s.get("wait"), s.get("answered")), "{:.1f}", "no answered contact",
                                      " s"),
                "csat_top2box": percent(_ratio(c.get("top2"), c.get("responses")), "no survey response"),
                "cost_per_contact": money(cpc, k_cost.get("currency"),
                                          "FX rate missing" if k_cost.get("fx_missing") else "no cost or contacts"),
                "qa_score": percent(_ratio(q.get("scored"), q.get("evaluations")), "no QA evaluation"),
            }
        if any(f.why is None for values in row["values"].values() for f in values.values()):
            rows.append(row)  # a month with an invoice but no KPI data compares nothing
    metrics = [(key, title.format(currency=currency).replace(" (, ", " ("), scale, label)
               for key, title, scale, label in COMPARISON_METRICS]
    charts = [dict(key=key, title=title, svg=_grouped_bars(rows, kinds, key, scale, label))
              for key, title, scale, label in metrics]
    return {"kinds": [{"id": k, "label": KIND_LABELS[k], "colour": KIND_COLOURS[k], "vendors": vendor_counts[k]}
                      for k in kinds],
            "metrics": [(key, COMPARISON_COLUMNS[key]) for key, *_ in metrics], "rows": rows, "charts": charts}


def _grouped_bars(rows: list[dict], kinds: list[str], key: str, scale: float | None,
                  label: Callable[[float], str]) -> dict:
    """Geometry of one small bar chart: per month one bar per kind, its value printed above it."""
    bar, gap, pad, height, top, bottom = 30, 4, 14, 150, 18, 20
    group = len(kinds) * (bar + gap) + pad
    width = max(200, 8 + len(rows) * group)
    values = [float(r["values"][k][key].raw) for r in rows for k in kinds if r["values"][k][key].raw is not None]
    top_value = scale or (max(values) * 1.15 if values and max(values) > 0 else 1.0)
    bars, labels = [], []
    for i, r in enumerate(rows):
        left = (width - len(rows) * group) / 2 + i * group + pad / 2
        labels.append({"x": left + len(kinds) * (bar + gap) / 2, "text": r["month"]})
        for j, k in enumerate(kinds):
            f = r["values"][k][key]
            h = 0.0 if f.raw is None else (height - top - bottom) * min(1.0, float(f.raw) / top_value)
            x = left + j * (bar + gap)
            bars.append({"x": round(x, 1), "w": bar, "y": round(height - bottom - h, 1), "h": round(h, 1),
                         "colour": KIND_COLOURS[k], "kind": k, "month": r["month"],
                         "text": DASH if f.raw is None else label(float(f.raw)),
                         "title": f"{KIND_LABELS[k]} {r['month']}: {f.text}" + (f" ({f.why})" if f.why else "")})
    return {"width": width, "height": height, "baseline": height - bottom, "bars": bars, "labels": labels,
            "empty": not values}


# name -> collector(con, ctx) whose result the template section_<name>.html.j2 reads as `<name>`;
# the page shows them in this order
SECTIONS: dict[str, Callable] = {
    "vendors": _vendor_cards,
    "heatmap": _heatmap,
    "comparison": _comparison,
    "disputes": dispute_report_section,  # the dispute register's position per vendor (marts.dispute_status)
}


def render(data: dict) -> str:
    env = Environment(loader=PackageLoader("serving", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("report_card.html.j2").render(
        **data, generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def report_folder(published: Path) -> Path:
    """Where the current report card of a published copy is kept: `<published folder>/report/` (beside docs/)."""
    return Path(published).resolve().parent / "report"


def write_report(db: Path, out: Path | None = None, month: str | None = None, vendor: str | None = None) -> Path:
    """Write the report card from the published copy `db`; returns its path.

    Into `out` (default `report_folder(db)`), as `index.html` for the latest month and every vendor,
    else `report_card_<YYYY-MM>[_<vendor>].html`. Written to a temporary file and renamed into place,
    so a browser never opens half a page.
    """
    data = collect(db, month, vendor)
    out = report_folder(db) if out is None else out
    out.mkdir(parents=True, exist_ok=True)
    name = REPORT_FILE if month is None and vendor is None else \
        f"report_card_{data['month']}{'_' + vendor if vendor else ''}.html"
    path = out / name
    tmp = out / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.write_text(render(data), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
