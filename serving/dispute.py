"""The dispute pack: invoice findings for one month, of one vendor or of every
vendor, as an Excel workbook (and CSV) a finance analyst can send.

Everything comes from the marts (`marts.unforeseen_costs`,
`marts.invoice_revisions`), read-only: by default from the published copy
(BI's file, never locked by a running pipeline), else from the warehouse.
Money stays Decimal from the mart to the cells; the workbook's totals are
Excel formulas (SUMIFS / SUM over the Findings rows), so an analyst who edits
or filters the rows sees totals that follow them. The cover names the
publication (build_id, published_at), never a file path. Cells hold the mart's
4-place values and are shown with two decimals.

"The month" is the invoice's period_month (date_trunc('month', period_start));
a missing service credit for an SLA miss in month M sits on the invoice of
month M + 1, so it is in the M + 1 pack.

When the user keeps a dispute register (disputes.csv beside the contracts, `marts.dispute_status`), the
Findings rows of a vendor it lists also show each finding's dispute status, date sent, accepted, recovered
and still-open amounts ("not disputed" for a finding it does not list); `report_section` and
`dispute_positions` give the report card its Disputes section.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb

FINDING_ORDER = (
    "rate_variance", "quantity_variance", "off_contract_item", "passthrough_over_cap",
    "unapproved_passthrough", "duplicate_line", "arithmetic_error", "outside_contract_period",
    "missing_service_credit", "minimum_commitment_misbilled",
)
FINDING_LABELS = {
    "rate_variance": "Unit price above the contract rate",
    "quantity_variance": "Quantity above what the interaction logs support",
    "off_contract_item": "Item not priced in the contract",
    "passthrough_over_cap": "Pass-through costs above the monthly cap",
    "unapproved_passthrough": "Pass-through cost without the required approval",
    "duplicate_line": "Line billed twice",
    "arithmetic_error": "Line amount differs from quantity x unit price",
    "outside_contract_period": "Period not covered by the contract",
    "missing_service_credit": "Service credit due for missed SLAs not applied",
    "minimum_commitment_misbilled": "Minimum commitment shortfall billed wrongly",
}
MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.####"
RATE_FORMAT = "#,##0.00##"

# (header, mart column, number format or None) of the Findings sheet and CSV
FINDING_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("Vendor", "vendor_id", None),
    ("Invoice", "invoice_id", None),
    ("Revision", "revision", None),
    ("Invoice date", "invoice_date", None),
    ("Line", "line_id", None),
    ("Finding", "finding", None),
    ("Category", "category", None),
    ("Channel", "channel", None),
    ("Line description", "line_description", None),
    ("Quantity", "quantity", QUANTITY_FORMAT),
    ("Unit price", "unit_price", RATE_FORMAT),
    ("Line amount", "line_amount", MONEY_FORMAT),
    ("Contract version", "version_id", None),
    ("Contract rate", "contract_rate", RATE_FORMAT),
    ("Cap", "cap_applied", MONEY_FORMAT),
    ("Contract clause", "contract_clause", None),
    ("Billed quantity", "billed_quantity", QUANTITY_FORMAT),
    ("Observed quantity", "observed_quantity", QUANTITY_FORMAT),
    ("Observed quantity source", "observed_quantity_source", None),
    ("Evidence", "evidence", None),
    ("Billed (checked)", "billed_amount", MONEY_FORMAT),
    ("Expected", "expected_amount", MONEY_FORMAT),
    ("Amount at risk", "amount_at_risk", MONEY_FORMAT),
    ("Currency", "currency", None),
    ("FX rate", "fx_rate", "0.00######"),
    ("Amount at risk (reporting)", "amount_at_risk_reporting", MONEY_FORMAT),
    ("Reporting currency", "reporting_currency", None),
    ("Explanation", "detail", None),
)
# shown after them when the user keeps a dispute register (marts.dispute_status has rows for the pack)
DISPUTE_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("Dispute status", "dispute_status", None),
    ("Dispute sent on", "dispute_sent_on", None),
    ("Accepted", "dispute_amount_accepted", MONEY_FORMAT),
    ("Recovered", "dispute_amount_recovered", MONEY_FORMAT),
    ("Still open", "dispute_open_amount", MONEY_FORMAT),
)
NOT_DISPUTED = "not disputed"  # a finding the register does not list


class DisputeError(Exception):
    """The pack cannot be written (no invoice for the vendor-month, bad month, no marts)."""


@dataclass
class SummaryRow:
    finding: str
    currency: str
    count: int
    amount: Decimal
    amount_reporting: Decimal | None  # None when a finding's FX rate is missing


@dataclass
class DisputePack:
    vendor_id: str
    month: str
    source: Path
    xlsx: Path
    csv_files: list[Path]
    findings: list[dict]
    summary: list[SummaryRow]
    totals: dict[str, Decimal]  # invoice currency -> Σ amount_at_risk
    total_reporting: Decimal | None
    reporting_currency: str | None
    invoices: list[dict] = field(default_factory=list)
    fx_rate_missing: bool = False
    publication: dict = field(default_factory=dict)  # build_id, published_at of the source
    disputes: bool = False  # the register lists findings of this vendor: the dispute columns are shown


def parse_month(month: str) -> date:
    m = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise DisputeError(f"--month must be YYYY-MM (the invoice period month), got {month!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def choose_source(warehouse: Path, published: Path | None = None, use_warehouse: bool = False) -> Path:
    """The published copy when it exists (never locked by the pipeline), else the warehouse."""
    if not use_warehouse and published is not None and published.exists():
        return published
    if warehouse.exists():
        return warehouse
    raise DisputeError(f"no warehouse at {warehouse}" + (f" and no published copy at {published}" if published else "")
                       + "; run `bpo run` first")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def read_marts(db: Path, vendor_id: str, month: date) -> tuple[list[dict], list[dict]]:
    """(current invoices of the vendor-month, their findings) from the marts, read-only."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise DisputeError(f"cannot open {db} read-only ({exc}); while the pipeline writes, use the published copy") from None
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
        missing = {"unforeseen_costs", "invoice_revisions"} - tables
        if missing:
            raise DisputeError(f"{db} has no marts.{', marts.'.join(sorted(missing))}; run `bpo run` first")
        invoices = _rows(con, "select * from marts.invoice_revisions where vendor_id = ? and period_month = ? "
                              "and not superseded order by invoice_date, invoice_id", [vendor_id, month])
        findings = _rows(con, "select * from marts.unforeseen_costs where vendor_id = ? and period_month = ? "
                              "order by invoice_date nulls last, invoice_id, line_id, finding", [vendor_id, month])
        disputes = _dispute_statuses(con, tables, vendor_id, month)
        for f in findings:
            f.update(disputes.get((f["invoice_id"], f["line_id"], f["finding"]),
                                  {"dispute_status": NOT_DISPUTED} if disputes else {}))
        if not invoices:
            known = con.execute("select count(*) from marts.invoice_revisions where vendor_id = ?",
                                [vendor_id]).fetchone()[0]
            hint = (f"vendor {vendor_id!r} has invoices for other months" if known
                    else f"no invoice of vendor {vendor_id!r} at all")
            raise DisputeError(f"no invoice of {vendor_id} for period month {month:%Y-%m} in {db} ({hint})")
    finally:
        con.close()
    return invoices, findings


def _dispute_statuses(con: duckdb.DuckDBPyConnection, tables: set[str], vendor_id: str,
                      month: date) -> dict[tuple, dict]:
    """(invoice_id, line_id, finding) -> the dispute columns, from the register's mart; empty without one."""
    if "dispute_status" not in tables:
        return {}
    rows = _rows(con, "select invoice_id, line_id, finding, status as dispute_status, sent_on as dispute_sent_on, "
                      "amount_accepted as dispute_amount_accepted, amount_recovered as dispute_amount_recovered, "
                      "open_amount as dispute_open_amount from marts.dispute_status "
                      "where vendor_id = ? and period_month = ?", [vendor_id, month])
    return {(r.pop("invoice_id"), r.pop("line_id"), r.pop("finding")): r for r in rows}


def dispute_positions(con: duckdb.DuckDBPyConnection, vendor_id: str | None = None) -> list[dict]:
    """Per vendor and currency, the register's position from marts.dispute_status: entries, amounts
    disputed / accepted / recovered / rejected / open, open amount by age bucket, the oldest open dispute
    and the entries naming no finding. Empty when the mart is absent or the register empty."""
    if not con.execute("select count(*) from duckdb_tables() where schema_name = 'marts' "
                       "and table_name = 'dispute_status'").fetchone()[0]:
        return []
    return _rows(con, """
        select vendor_id, any_value(vendor_name) as vendor_name, currency, count(*) as entries,
               sum(amount_disputed) as disputed, sum(amount_accepted) as accepted,
               sum(amount_recovered) as recovered, sum(amount_rejected) as rejected,
               sum(open_amount) as open_amount,
               sum(open_amount) filter (where ageing_bucket = 'not sent') as open_not_sent,
               sum(open_amount) filter (where ageing_bucket = '0-30') as open_0_30,
               sum(open_amount) filter (where ageing_bucket = '31-60') as open_31_60,
               sum(open_amount) filter (where ageing_bucket = '61-90') as open_61_90,
               sum(open_amount) filter (where ageing_bucket = 'over 90') as open_over_90,
               max(age_days) filter (where open_amount > 0) as oldest_open_days,
               count(*) filter (where not finding_found) as not_found,
               max(as_of) as as_of
        from marts.dispute_status
        where ? is null or vendor_id = ?
        group by vendor_id, currency
        order by vendor_id, currency nulls last""", [vendor_id, vendor_id])


DISPUTE_AMOUNTS = (  # (key of dispute_positions, heading) of the report card's Disputes section
    ("disputed", "Disputed"), ("accepted", "Accepted"), ("recovered", "Recovered"), ("rejected", "Rejected"),
    ("open_amount", "Open"), ("open_not_sent", "Open, not sent"), ("open_0_30", "Open 0–30 days"),
    ("open_31_60", "Open 31–60 days"), ("open_61_90", "Open 61–90 days"), ("open_over_90", "Open over 90 days"),
)


def report_section(con: duckdb.DuckDBPyConnection, ctx: dict) -> dict:
    """The report card's Disputes section (template section_disputes.html.j2): dispute_positions of the
    report's vendor (or every vendor), amounts as the card shows money."""
    from serving.report_card import money  # the card's own money format (lazy: the card imports this module)

    rows = dispute_positions(con, ctx.get("vendor"))
    for r in rows:
        r["amounts"] = [(key, title, money(r[key], r["currency"], "none" if key != "disputed" else "no amount"))
                        for key, title in DISPUTE_AMOUNTS]
    return {"rows": rows, "headings": [t for _, t in DISPUTE_AMOUNTS],
            "as_of": max((r["as_of"] for r in rows if r["as_of"]), default=None)}


def read_publication(db: Path) -> dict:
    """build_id and published_at of the copy (empty when `db` is the warehouse, which has no publication)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        if not con.execute("select count(*) from duckdb_tables() where schema_name = 'main' "
                           "and table_name = 'publication'").fetchone()[0]:
            return {}
        rows = _rows(con, "select build_id, published_at from publication order by published_at desc limit 1", [])
        return rows[0] if rows else {}
    finally:
        con.close()


def vendors_of_month(db: Path, month: date) -> list[str]:
    """vendor_ids with a current invoice for the period month."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise DisputeError(f"cannot open {db} read-only ({exc})") from None
    try:
        if not con.execute("select count(*) from duckdb_tables() where schema_name = 'marts' "
                           "and table_name = 'invoice_revisions'").fetchone()[0]:
            raise DisputeError(f"{db} has no marts.invoice_revisions; run `bpo run` first")
        return [r[0] for r in con.execute(
            "select distinct vendor_id from marts.invoice_revisions where period_month = ? and not superseded "
            "order by 1", [month]).fetchall()]
    finally:
        con.close()


def summarise(findings: list[dict]) -> tuple[list[SummaryRow], dict[str, Decimal], Decimal | None]:
    """Counts and Decimal sums by finding and currency, the grand totals (per invoice currency, reporting)."""
    groups: dict[tuple[str, str], SummaryRow] = {}
    for f in findings:
        key = (f["finding"], f["currency"])
        row = groups.setdefault(key, SummaryRow(f["finding"], f["currency"], 0, Decimal(0), Decimal(0)))
        row.count += 1
        row.amount += f["amount_at_risk"]
        if row.amount_reporting is not None:
            rep = f["amount_at_risk_reporting"]
            row.amount_reporting = None if rep is None else row.amount_reporting + rep
    order = {name: n for n, name in enumerate(FINDING_ORDER)}
    summary = sorted(groups.values(), key=lambda r: (order.get(r.finding, 99), r.finding, r.currency))
    totals: dict[str, Decimal] = {}
    for r in summary:
        totals[r.currency] = totals.get(r.currency, Decimal(0)) + r.amount
    total_reporting: Decimal | None = Decimal(0)
    for r in summary:
        total_reporting = None if total_reporting is None or r.amount_reporting is None \
            else total_reporting + r.amount_reporting
    return summary, totals, total_reporting


def _cell_value(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _write_workbook(path: Path, packs: list[DisputePack], generated_at: datetime) -> None:
    """One workbook for the packs (one vendor each): Cover, Summary (one block per vendor and month, totals
    as SUMIFS formulas over Findings), Findings (every vendor's rows, with evidence)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE5F0")
    columns = _finding_columns(packs)
    pub = packs[0].publication
    reporting = next((p.reporting_currency for p in packs if p.reporting_currency), None)
    n_findings = sum(len(p.findings) for p in packs)
    wb = Workbook()

    def landscape(ws, title_rows: str) -> None:
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_title_rows = title_rows

    # --- findings first (the summary's formulas point at its columns) --------
    fs = wb.active
    fs.title = "Findings"
    for col, (h, _, _) in enumerate(columns, start=1):
        c = fs.cell(1, col, h)
        c.font, c.fill = bold, head_fill
        c.alignment = Alignment(wrap_text=True, vertical="top")
    r = 2
    for pack in packs:
        for f in pack.findings:
            for col, (_, key, fmt) in enumerate(columns, start=1):
                c = fs.cell(r, col, _cell_value(f.get(key)))
                if fmt:
                    c.number_format = fmt
                elif key in ("invoice_date", "dispute_sent_on"):
                    c.number_format = "yyyy-mm-dd"
            r += 1
    last = max(2, r - 1)
    fs.freeze_panes = "A2"
    fs.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    for col, (h, key, _) in enumerate(columns, start=1):
        wide = key in ("contract_clause", "evidence", "detail", "observed_quantity_source", "line_description")
        fs.column_dimensions[get_column_letter(col)].width = 48 if wide else max(10, len(h) + 2)
    landscape(fs, "1:1")

    def rng(key: str) -> str:
        col = get_column_letter(next(n for n, (_, k, _) in enumerate(columns, start=1) if k == key))
        return f"Findings!${col}$2:${col}${last}"

    vendor_r, finding_r, cur_r = rng("vendor_id"), rng("finding"), rng("currency")
    amount_r, rep_r = rng("amount_at_risk"), rng("amount_at_risk_reporting")

    # --- summary -------------------------------------------------------------
    summ = wb.create_sheet("Summary", 0)
    headers = ["Vendor", "Month", "Finding", "Meaning", "Count", "Currency", "Amount at risk",
               f"Amount at risk ({reporting or 'reporting'})"]
    for col, h in enumerate(headers, start=1):
        c = summ.cell(1, col, h)
        c.font, c.fill = bold, head_fill
    r = 2
    total_rows: list[int] = []  # rows of the per-vendor reporting totals, summed into the grand total
    for pack in packs:
        first = r
        for row in pack.summary:
            v, fnd, cur = f"A{r}", f"C{r}", f"F{r}"
            summ.cell(r, 1, pack.vendor_id)
            summ.cell(r, 2, pack.month)
            summ.cell(r, 3, row.finding)
            summ.cell(r, 4, FINDING_LABELS.get(row.finding, ""))
            summ.cell(r, 5, f"=COUNTIFS({vendor_r},{v},{finding_r},{fnd},{cur_r},{cur})")
            summ.cell(r, 6, row.currency)
            summ.cell(r, 7, f"=SUMIFS({amount_r},{vendor_r},{v},{finding_r},{fnd},{cur_r},{cur})"
                      ).number_format = MONEY_FORMAT
            # a blank reporting amount (FX rate missing) must not be summed as zero
            summ.cell(r, 8, f'=IF(COUNTIFS({vendor_r},{v},{finding_r},{fnd},{cur_r},{cur},{rep_r},"")>0,'
                            f'"FX rate missing",SUMIFS({rep_r},{vendor_r},{v},{finding_r},{fnd},{cur_r},{cur}))'
                      ).number_format = MONEY_FORMAT
            r += 1
        for cur in sorted(pack.totals):
            summ.cell(r, 1, pack.vendor_id).font = bold
            summ.cell(r, 2, pack.month).font = bold
            summ.cell(r, 3, "Total").font = bold
            summ.cell(r, 5, f'=SUMIFS(E{first}:E{max(first, r - 1)},F{first}:F{max(first, r - 1)},"{cur}")').font = bold
            summ.cell(r, 6, cur).font = bold
            c = summ.cell(r, 7, f'=SUMIFS(G{first}:G{max(first, r - 1)},F{first}:F{max(first, r - 1)},"{cur}")')
            c.number_format, c.font = MONEY_FORMAT, bold
            r += 1
        summ.cell(r, 1, pack.vendor_id).font = bold
        summ.cell(r, 2, pack.month).font = bold
        summ.cell(r, 3, "Total (reporting currency)").font = bold
        summ.cell(r, 6, pack.reporting_currency).font = bold
        rows_end = first + len(pack.summary) - 1
        c = summ.cell(r, 8, f'=IF(COUNTIF(H{first}:H{rows_end},"FX rate missing")>0,"FX rate missing",'
                            f'SUM(H{first}:H{rows_end}))' if pack.summary else 0)
        c.number_format, c.font = MONEY_FORMAT, bold
        total_rows.append(r)
        r += 2
    if len(packs) > 1:
        summ.cell(r, 1, "All vendors").font = bold
        summ.cell(r, 3, "Total (reporting currency)").font = bold
        summ.cell(r, 6, reporting).font = bold
        refs = ",".join(f"H{t}" for t in total_rows)
        c = summ.cell(r, 8, f'=IF(COUNTIF(H2:H{r - 1},"FX rate missing")>0,"FX rate missing",SUM({refs}))')
        c.number_format, c.font = MONEY_FORMAT, bold
    for col, width in zip("ABCDEFGH", (16, 9, 28, 48, 8, 10, 18, 22)):
        summ.column_dimensions[col].width = width
    summ.freeze_panes = "A2"
    landscape(summ, "1:1")

    # --- cover ---------------------------------------------------------------
    cover = wb.create_sheet("Cover", 0)
    wb.active = 0
    cover["A1"] = "Invoice dispute pack"
    cover["A1"].font = Font(bold=True, size=14)
    invoices = [i for p in packs for i in p.invoices]
    published_at = pub.get("published_at")
    rows: list[tuple[str, object]] = [
        ("Vendors", ", ".join(f"{(p.invoices[0].get('vendor_name') or p.vendor_id)} ({p.vendor_id})"
                              for p in packs)),
        ("Period month", packs[0].month),
        ("Invoice currency", ", ".join(sorted({i["currency"] for i in invoices}))),
        ("Invoices", ", ".join(f"{i['invoice_id']} rev {i['revision']}" for i in invoices)),
        ("Findings", n_findings),
        ("Totals", "see the Summary sheet (formulas over the Findings rows)"),
        ("Data build", pub.get("build_id") or "warehouse (not a published build)"),
        ("Published at (UTC)", published_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
         if published_at else ""),
        ("Generated at (UTC)", generated_at.strftime("%Y-%m-%d %H:%M:%S")),
    ]
    for n, (label, value) in enumerate(rows, start=3):
        cover.cell(n, 1, label).font = bold
        cover.cell(n, 2, value).alignment = Alignment(wrap_text=True, vertical="top")
    note = len(rows) + 4
    cover.cell(note, 1, "Amounts are those of the warehouse's marts.unforeseen_costs (4 decimal places, "
                        "shown with 2); totals are formulas over them.")
    if any(p.fx_rate_missing for p in packs):
        cover.cell(note + 1, 1, "fx_rate_missing: some findings have no FX rate for their period end; their "
                                "reporting-currency amounts are blank.").font = Font(bold=True, color="C00000")
    cover.column_dimensions["A"].width = 34
    cover.column_dimensions["B"].width = 80

    wb.save(path)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _finding_columns(packs: list[DisputePack]) -> tuple[tuple[str, str, str | None], ...]:
    return FINDING_COLUMNS + (DISPUTE_COLUMNS if any(p.disputes for p in packs) else ())


def _write_csvs(out: Path, stem: str, pack: DisputePack) -> list[Path]:
    findings_csv = out / f"{stem}_findings.csv"
    columns = _finding_columns([pack])
    with findings_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([key for _, key, _ in columns])
        for f in pack.findings:
            w.writerow([_csv_value(f.get(key)) for _, key, _ in columns])
    summary_csv = out / f"{stem}_summary.csv"
    with summary_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["finding", "count", "currency", "amount_at_risk", "reporting_currency", "amount_at_risk_reporting"])
        for s in pack.summary:
            w.writerow([s.finding, s.count, s.currency, s.amount, pack.reporting_currency,
                        _csv_value(s.amount_reporting)])
        for cur, total in sorted(pack.totals.items()):
            w.writerow(["TOTAL", sum(s.count for s in pack.summary if s.currency == cur), cur, total,
                        pack.reporting_currency, ""])
        w.writerow(["TOTAL_REPORTING", len(pack.findings), "", "", pack.reporting_currency,
                    _csv_value(pack.total_reporting)])
    return [findings_csv, summary_csv]


def _pack(db: Path, vendor_id: str, period: date, out: Path, stem: str, publication: dict) -> DisputePack:
    invoices, findings = read_marts(db, vendor_id, period)
    summary, totals, total_reporting = summarise(findings)
    reporting = next((f["reporting_currency"] for f in findings if f.get("reporting_currency")), None)
    return DisputePack(
        vendor_id=vendor_id, month=f"{period:%Y-%m}", source=db, xlsx=out / f"{stem}.xlsx", csv_files=[],
        findings=findings, summary=summary, totals=totals, total_reporting=total_reporting,
        reporting_currency=reporting, invoices=invoices,
        fx_rate_missing=any(f.get("fx_rate_missing") for f in findings), publication=publication,
        disputes=any(f.get("dispute_status", NOT_DISPUTED) != NOT_DISPUTED for f in findings),
    )


def build_dispute_pack(db: Path, vendor_id: str, month: str, out: Path,
                       generated_at: datetime | None = None) -> DisputePack:
    """Write <out>/dispute_<vendor>_<YYYY-MM>.xlsx and its CSVs from the marts in `db`."""
    period = parse_month(month)
    stem = f"dispute_{vendor_id}_{period:%Y-%m}"
    out.mkdir(parents=True, exist_ok=True)
    pack = _pack(db, vendor_id, period, out, stem, read_publication(db))
    _write_workbook(pack.xlsx, [pack], generated_at or datetime.now(timezone.utc))
    pack.csv_files = _write_csvs(out, stem, pack)
    return pack


def build_all_vendors_pack(db: Path, month: str, out: Path,
                           generated_at: datetime | None = None) -> list[DisputePack]:
    """Write <out>/dispute_all_<YYYY-MM>.xlsx (every vendor with an invoice that month) and per-vendor CSVs."""
    period = parse_month(month)
    vendors = vendors_of_month(db, period)
    if not vendors:
        raise DisputeError(f"no invoice of any vendor for period month {period:%Y-%m} in {db}")
    out.mkdir(parents=True, exist_ok=True)
    publication = read_publication(db)
    packs = [_pack(db, v, period, out, f"dispute_all_{period:%Y-%m}", publication) for v in vendors]
    _write_workbook(packs[0].xlsx, packs, generated_at or datetime.now(timezone.utc))
    for pack in packs:
        pack.csv_files = _write_csvs(out, f"dispute_{pack.vendor_id}_{period:%Y-%m}", pack)
    return packs
