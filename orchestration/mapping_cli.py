"""`bpo mapping ...`: iterate on a vendor mapping before the vendor goes live (docs/onboarding.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

mapping_app = typer.Typer(help="Vendor mappings: read an outsourcer's own export as a canonical feed.",
                          no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@mapping_app.command("check")
def check(
    vendor: Annotated[str, typer.Argument(help="vendor_id (mapping folder and contract name)")],
    file: Annotated[Path, typer.Argument(help="a sample export from the vendor", exists=True, dir_okay=False)],
    mappings: Annotated[Path | None, typer.Option("--mappings", envvar="BPO_MAPPINGS",
                                                  help="mappings folder; default: <contracts>/../mappings")] = None,
    contracts: Annotated[Path, typer.Option("--contracts", envvar="BPO_CONTRACTS",
                                            help="contracts folder (for the vendor's timezone)")] = Path("contracts"),
    feed: Annotated[str | None, typer.Option("--feed", help="feed; default: the one mapping the vendor has, "
                                             "or interactions")] = None,
    preset: Annotated[str | None, typer.Option("--preset", help="try a shipped preset instead of the vendor's "
                                               "mapping file")] = None,
    rows: Annotated[int, typer.Option("--rows", min=1, help="rows to show")] = 10,
) -> None:
    """Show the first rows as the canonical feed would receive them, and the rows that would fail validation.

    Writes nothing. Exit 0 when the file would load, 1 when it would be quarantined.
    """
    from ingestion.contracts import ContractError
    from ingestion.mappings.check import check_file
    from ingestion.mappings.model import MappingError

    mappings_dir = mappings if mappings is not None else contracts.parent / "mappings"
    try:
        result = check_file(vendor, file, mappings_dir=mappings_dir, contracts_dir=contracts, feed=feed,
                            preset=preset)
    except (MappingError, ContractError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None

    used = result.mapping.version if result.mapping else "none (canonical file)"
    console.print(f"[bold]{file}[/] as vendor [bold]{vendor}[/], feed [bold]{result.feed}[/]; mapping: {used}")
    for note in result.notes:
        console.print(f"[dim]note: {note}[/]")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if result.rejected is not None:
        console.print(f"\n[red]would be quarantined:[/] {result.rejected.reason}")
        for line in result.rejected.details[1:] if result.rejected.details[:1] == [result.rejected.reason] \
                else result.rejected.details:
            console.print(f"  {line}", markup=False)
        raise typer.Exit(1)

    preview = result.preview(rows)
    source_rows = result.mapped.source_rows if result.mapped else list(range(1, preview.height + 1))
    shown = [c for c in preview.columns if c != "_row_number" and preview[c].null_count() < preview.height]
    empty = [c for c in preview.columns if c != "_row_number" and c not in shown]
    console.print(f"\nFirst {preview.height} of {result.normalised.frame.height:,} rows as the {result.feed} feed "
                  "receives them (timestamps in UTC, PII hashed):")
    per_table = 4  # records side by side: a column per record, a row per canonical column
    for start in range(0, preview.height, per_table):
        chunk = preview.slice(start, per_table)
        table = Table(show_lines=False)
        table.add_column("column", style="bold")
        for i in range(chunk.height):
            table.add_column(f"source row {source_rows[start + i]}", overflow="fold")
        for col in shown:
            hashed = col.endswith("_hash")
            table.add_row(col, *("" if v is None else (v.hex()[:12] + "…" if hashed else _short(v))
                                 for v in chunk[col].to_list()))
        console.print(table)
    if empty:
        console.print(f"[dim]null in every row shown: {', '.join(empty)}[/]")

    report = result.report
    if report.success:
        console.print(f"[green]validation passed[/]: {report.rows:,} rows, {report.evaluated} expectations")
        return
    console.print(f"\n[red]validation failed[/]: {len(report.failures)} of {report.evaluated} expectations")
    failures = Table(title="Rows that would fail validation (row = mapped row; see 'source row' above)")
    for col in ("check", "failing rows", "examples"):
        failures.add_column(col, overflow="fold")
    for f in report.failures:
        examples = "; ".join(", ".join(f"{k}={_short(v)}" for k, v in e.items()) for e in f.examples[:3])
        count = "" if f.unexpected_count is None else f"{f.unexpected_count:,}"
        failures.add_row(f.message, count, examples)
    console.print(failures)
    raise typer.Exit(1)


@mapping_app.command("presets")
def presets() -> None:
    """List the presets shipped with bpo-warehouse."""
    from ingestion.mappings.model import PRESETS_DIR, available_presets, load_preset

    table = Table(title=f"Presets ({PRESETS_DIR})")
    table.add_column("preset")
    table.add_column("feed")
    table.add_column("description")
    for name in available_presets():
        data, _, _ = load_preset(name)
        table.add_row(name, str(data.get("feed", "")), str(data.get("description", "")))
    console.print(table)


def _short(value: object) -> str:
    import datetime as dt

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        text = value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + "Z"
        return text
    text = str(value)
    return text if len(text) <= 28 else text[:25] + "..."
