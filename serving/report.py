"""A short, readable summary of each mart, read from the published copy."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

# mart -> query giving a small summary table (all marts are listed; missing ones are reported)
SUMMARIES: dict[str, str] = {
    "sla_compliance": """
        select vendor_id, strftime(period_month, '%Y-%m') as month,
               count(*) filter (where met) as met, count(*) filter (where not met) as missed,
               count(*) filter (where met is null) as no_data,
               round(sum(credit_due_amount), 2) as credit_due, any_value(currency) as currency
        from marts.sla_compliance group by all order by all""",
    "sla_interval": """
        select vendor_id, channel, count(*) as intervals, sum(offered) as offered,
               round(sum(answered_within_threshold) / nullif(sum(offered), 0), 3) as answered_within_share
        from marts.sla_interval group by all order by all""",
    "cost_to_serve": """
        select vendor_id, channel, strftime(period_month, '%Y-%m') as month, handled_contacts,
               round(net_cost_reporting, 2) as net_cost_usd, round(cost_per_contact, 2) as per_contact_usd
        from marts.cost_to_serve order by all""",
    "unforeseen_costs": """
        select vendor_id, finding, count(*) as findings, round(sum(amount_at_risk_reporting), 2) as at_risk_usd
        from marts.unforeseen_costs group by all order by all""",
    "billed_vs_worked": """
        select vendor_id, strftime(period_month, '%Y-%m') as month, category, billed_quantity,
               round(evidenced_quantity, 4) as evidenced, coalesce(evidence, 'none loaded') as evidence,
               round(variance_pct, 4) as variance_pct, amount_at_risk, currency
        from marts.billed_vs_worked order by all""",
    "workforce": """
        select vendor_id, strftime(period_month, '%Y-%m') as month, sum(agents) as agents,
               round(sum(paid_hours), 1) as paid_hours, round(sum(productive_hours), 1) as productive_hours,
               round(sum(delivered_fte), 2) as delivered_fte,
               round(1 - sum(productive_seconds) / nullif(sum(paid_seconds), 0), 3) as shrinkage,
               round(sum(handle_seconds) / nullif(sum(productive_seconds), 0), 3) as occupancy,
               sum(agents_without_contacts) as agents_without_contacts, round(sum(overlap_hours), 2) as overlap_hours
        from marts.workforce group by all order by all""",
    "self_service": """
        select vendor_id, channel, strftime(period_month, '%Y-%m') as month, sessions, contained,
               round(containment_rate, 3) as containment_rate, round(self_service_share, 3) as self_service_share
        from marts.self_service order by all""",
    "quality": """
        select vendor_id, strftime(period_month, '%Y-%m') as month, evaluations, round(qa_score, 3) as qa_score,
               round(auto_fail_rate, 3) as auto_fail_rate, calibration_pairs, round(calibration_gap, 3) as calib_gap,
               complaints, round(complaint_rate, 2) as complaints_per_1000
        from marts.quality where grain = 'vendor' order by all""",
    "esat_csat": """
        select vendor_id, strftime(period_month, '%Y-%m') as month, esat_responses, round(esat_top2box, 3) as esat,
               round(enps, 1) as enps, csat_responses, round(csat_top2box, 3) as csat, round(nps, 1) as nps
        from marts.esat_csat where grain = 'vendor' order by all""",
    "invoice_revisions": """
        select vendor_id, invoice_id, revision, strftime(period_month, '%Y-%m') as month,
               case when superseded then 'superseded' else 'counts' end as state, lines,
               total_amount, currency, findings, amount_at_risk
        from marts.invoice_revisions order by all""",
    "dispute_status": """
        select vendor_id, status, count(*) as findings, round(sum(amount_at_risk), 2) as at_risk,
               round(sum(amount_recovered), 2) as recovered, round(sum(open_amount), 2) as open_amount,
               any_value(currency) as currency, max(age_days) as oldest_days
        from marts.dispute_status group by all order by all""",
    "vendor_scorecard": """
        select strftime(period_month, '%Y-%m') as month, rank, vendor_id, kind, round(score, 3) as score,
               sla_met || '/' || sla_total as slas_met, round(csat_top2box, 3) as csat,
               round(qa_score, 3) as qa_score, round(cost_per_contact, 2) as per_contact_usd,
               round(amount_at_risk, 2) as at_risk_usd
        from marts.vendor_scorecard order by month, rank""",
}


# leading columns repeated in every part when a summary is too wide for the terminal
KEY_COLUMNS = {"vendor_id", "month", "channel", "category", "finding", "rank", "invoice_id", "revision", "status"}
MAX_ROWS = 24


def print_mart_summary(console: Console, database: Path) -> None:
    """Every summary whole, never a column cut: a table wider than the terminal is printed in parts, each
    repeating the key columns (vendor, month, ...); when even that cannot fit (a narrow terminal), each row
    is printed as `column: value` lines (transposed), folding values longer than a line."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        for mart, sql in SUMMARIES.items():
            try:
                cur = con.execute(sql)
            except duckdb.Error as exc:
                console.print(f"[yellow]marts.{mart}: not available ({str(exc).splitlines()[0]})[/]")
                continue
            names = [d[0] for d in cur.description]
            all_rows = cur.fetchall()
            rows = [["" if v is None else str(v) for v in r] for r in all_rows[:MAX_ROWS]]
            more = f"... {len(all_rows) - MAX_ROWS} more rows" if len(all_rows) > MAX_ROWS else None
            parts = _column_parts(console, names, rows)
            if parts is None:
                _print_transposed(console, f"marts.{mart}", names, rows, more)
                continue
            for i, columns in enumerate(parts):
                title = f"marts.{mart}" + (f" ({i + 1}/{len(parts)})" if len(parts) > 1 else "")
                table = _table(names, rows, columns, title)
                if i == len(parts) - 1 and more:
                    table.caption = more
                console.print(table)
    finally:
        con.close()


def _table(names: list[str], rows: list[list[str]], columns: list[int], title: str = "") -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for c in columns:
        table.add_column(names[c], no_wrap=True)
    for r in rows:
        table.add_row(*[r[c] for c in columns])
    return table


def _print_transposed(console: Console, title: str, names: list[str], rows: list[list[str]],
                      more: str | None) -> None:
    """One block per row, one `column: value` line per column: any width of terminal shows every value."""
    console.print(f"[italic]{title}[/]", highlight=False)
    longest = max(len(n) for n in names)
    label = longest if longest <= console.width // 2 else 0  # aligned values only while they keep room
    for r in rows:
        for name, value in zip(names, r):
            console.print(Text(f"{name:>{label}}: {value}", overflow="fold"), soft_wrap=False)
        console.print()
    if not rows:
        console.print("(no rows)", highlight=False)
    if more:
        console.print(more, highlight=False)


def _column_parts(console: Console, names: list[str], rows: list[list[str]]) -> list[list[int]] | None:
    """Column indexes per printed part: leading key columns in each, the others packed to fit the console;
    None when a part of the key columns and one other column does not fit (print it transposed)."""
    def fits(columns: list[int]) -> bool:
        return Measurement.get(console, console.options.update_width(10_000), _table(names, rows, columns)).maximum <= console.width

    keys = []
    for i, name in enumerate(names):
        if name not in KEY_COLUMNS:
            break
        keys.append(i)
    parts: list[list[int]] = []
    current: list[int] = []
    for i in range(len(keys), len(names)):
        if current and not fits(keys + current + [i]):
            parts.append(keys + current)
            current = []
        current.append(i)
    if current or not parts:
        parts.append(keys + current)
    return parts if all(fits(part) for part in parts) else None


def defects_found(database: Path, ground_truth: Path) -> dict:
    """How many of the generator's injected invoice defects the marts found (ground_truth.json "defects").

    A defect counts as found when marts.unforeseen_costs has its (vendor, invoice, line, finding) with the
    same amount at risk, to the cent; `unexpected` are findings the generator did not inject.
    """
    import json
    from decimal import Decimal

    truth = json.loads(Path(ground_truth).read_text())
    expected = {(d["vendor_id"], d["invoice_id"], d["line_id"], d["finding"]): Decimal(str(d["amount_at_risk"]))
                for d in truth.get("defects", [])}
    with duckdb.connect(str(database), read_only=True) as con:
        found = {(v, i, line, f): amount for v, i, line, f, amount in con.execute(
            "select vendor_id, invoice_id, line_id, finding, amount_at_risk from marts.unforeseen_costs").fetchall()}
    exact = sum(1 for k, amount in expected.items() if k in found and found[k] == amount)
    return {"injected": len(expected), "found": exact,
            "wrong_amount": sum(1 for k, amount in expected.items() if k in found and found[k] != amount),
            "unexpected": sum(1 for k in found if k not in expected)}
