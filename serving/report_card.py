"""The vendor report card: one self-contained HTML file (inline CSS and SVG, no
network) read from the published copy's marts.

Columns are read defensively (`describe` first, select what exists) because the
scorecard gains columns over time; a figure whose column is absent or null is
shown as "—" with a tooltip saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

DASH = "—"


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


def collect(db: Path, month: str | None = None, vendor: str | None = None) -> dict:
    """Everything the template shows, read-only from `db` (the published copy)."""
    if not db.exists():
        raise ReportError(f"no published copy at {db}; run `bpo run` first")
    period = _month(month)
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = _tables(con)
        if "marts.vendor_scorecard" not in tables:
            raise ReportError(f"{db} has no marts.vendor_scorecard; run `bpo run` first")
        pub = {}
        if "main.publication" in tables:
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
        have = _columns(con, "marts.vendor_scorecard")
        all_rows = _select(con, "marts.vendor_scorecard", wanted, order="order by period_month, vendor_id")
        if vendor is not None and not any(r["vendor_id"] == vendor for r in all_rows):
            raise ReportError(f"no vendor {vendor!r} in marts.vendor_scorecard")
        sla = _select(con, "marts.sla_compliance",
                      ["vendor_id", "channel", "queue", "sla_line", "metric", "target", "actual", "met",
                       "sample_size", "credit_due_amount", "currency"],
                      where="where period_month = ?", params=[period], order="order by vendor_id, sla_line, channel")
        findings = []
        if "marts.unforeseen_costs" in tables:
            findings = _select(con, "marts.unforeseen_costs",
                               ["vendor_id", "invoice_id", "line_id", "finding", "detail", "amount_at_risk",
                                "currency", "amount_at_risk_reporting", "reporting_currency"],
                               where="where period_month = ?", params=[period],
                               order="order by amount_at_risk_reporting desc nulls last, invoice_id, line_id")
    finally:
        con.close()

    vendors = []
    for r in (x for x in all_rows if x["period_month"] == period and (vendor is None or x["vendor_id"] == vendor)):
        vid, cur = r["vendor_id"], r["reporting_currency"]
        no_sla = "no SLA line with a sample this month" if not r["sla_total"] else "no data"
        history = [x for x in all_rows if x["vendor_id"] == vid]
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
                           for c in SCORE_COLUMNS if f"score_{c}" in have],
            "trend": [(f"{x['period_month']:%Y-%m}", x) for x in history],
            "spark_sla": _sparkline([float(x["sla_met_share"]) if x["sla_met_share"] is not None else None
                                     for x in history]),
            "spark_cost": _sparkline([float(x["cost_per_contact"]) if x["cost_per_contact"] is not None else None
                                      for x in history]),
            "spark_risk": _sparkline([float(x["amount_at_risk"]) if x["amount_at_risk"] is not None else None
                                      for x in history]),
            "sla_lines": [dict(line, credit=money(line["credit_due_amount"], line["currency"], "no credit"),
                               actual_fig=number(line["actual"], "{:.3f}", "no sample"))
                          for line in sla if line["vendor_id"] == vid],
            "findings": [dict(f, amount=money(f["amount_at_risk"], f["currency"]),
                              amount_rep=money(f["amount_at_risk_reporting"], f["reporting_currency"],
                                               "FX rate missing"))
                         for f in findings if f["vendor_id"] == vid][:10],
        })
    vendors.sort(key=lambda v: (v["rank"].raw is None, v["rank"].raw or 0, v["id"]))
    return {"month": f"{period:%Y-%m}", "vendors": vendors, "build_id": pub.get("build_id"),
            "published_at": pub.get("published_at"), "months": [f"{m:%Y-%m}" for m in months]}


def render(data: dict) -> str:
    env = Environment(loader=PackageLoader("serving", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("report_card.html.j2").render(
        **data, generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def write_report(db: Path, out: Path, month: str | None = None, vendor: str | None = None) -> Path:
    """Write <out>/report_card_<YYYY-MM>.html from the published copy `db`; returns its path."""
    data = collect(db, month, vendor)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"report_card_{data['month']}{'_' + vendor if vendor else ''}.html"
    path.write_text(render(data), encoding="utf-8")
    return path
