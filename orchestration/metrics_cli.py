"""`bpo metrics ...`: the semantic layer's metrics on the published copy (serving/metrics.py, docs/metrics.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestration.cli import friendly_errors

metrics_app = typer.Typer(help="Metrics (dbt semantic layer, MetricFlow) on the published marts.",
                          no_args_is_help=True)
console = Console()
err = Console(stderr=True)

WarehouseOpt = Annotated[Path | None, typer.Option(
    "--warehouse", envvar="BPO_WAREHOUSE", help="DuckDB warehouse file; its published copy is read")]


def _split(values: list[str] | None) -> list[str]:
    """`-m a,b -m c` and `-m "a, b"` both give [a, b, c] (mf query takes comma-separated lists)."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _store(warehouse: Path | None):
    from ingestion.settings import Settings
    from serving.metrics import MetricStore

    settings = Settings(**({"warehouse": warehouse} if warehouse is not None else {}))
    return MetricStore.for_warehouse(settings.warehouse, settings.published_path)


def _refuse(exc: Exception) -> None:
    err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()  # metric_time and months: a day, not midnight
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


@metrics_app.command("list")
@friendly_errors
def list_metrics(warehouse: WarehouseOpt = None) -> None:
    """Every metric with its description."""
    from serving.metrics import MetricsError

    try:
        with _store(warehouse) as store:
            metrics = store.list_metrics()
    except MetricsError as exc:
        _refuse(exc)
    table = Table(show_lines=False, expand=False)
    for column in ("metric", "type", "description"):
        table.add_column(column, overflow="fold")
    for m in metrics:
        table.add_row(m.name, m.type, m.description)
    console.print(table)


@metrics_app.command("dimensions")
@friendly_errors
def dimensions(
    metrics: Annotated[list[str], typer.Argument(help="metric names; the group-bys they all accept")],
    warehouse: WarehouseOpt = None,
) -> None:
    """What the metrics can be grouped and filtered by (add __month, __quarter, __year to metric_time)."""
    from serving.metrics import MetricsError

    try:
        with _store(warehouse) as store:
            names = store.group_bys(_split(metrics))
    except MetricsError as exc:
        _refuse(exc)
    for name in names:
        console.print(name, highlight=False)


@metrics_app.command("query")
@friendly_errors
def query(
    metrics: Annotated[list[str], typer.Option("--metrics", "-m", help="metric names, comma-separated")],
    group_by: Annotated[list[str] | None, typer.Option(
        "--group-by", "-g", help="e.g. vendor,metric_time__month (or __quarter); comma-separated")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="filter, e.g. \"{{ Dimension('vendor__kind') }} = 'outsourcer'\"; repeatable")] = None,
    order: Annotated[list[str] | None, typer.Option(
        "--order", help="metric or group-by names, '-' first for descending; comma-separated")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="at most this many rows")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write the result as CSV to this file ('-' = stdout)")]
    = None,
    explain: Annotated[bool, typer.Option("--explain", help="print the SQL MetricFlow wrote, too")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Query metrics, like `mf query`, on the published copy (read-only)."""
    from serving.metrics import MetricsError

    try:
        with _store(warehouse) as store:
            result = store.query(_split(metrics), _split(group_by), where or [], _split(order), limit)
    except MetricsError as exc:
        _refuse(exc)
    if explain:
        console.print(result.sql, highlight=False, soft_wrap=True)
    if csv_out is not None and str(csv_out) == "-":
        typer.echo(result.to_csv(), nl=False)
        return
    if csv_out is not None:
        csv_out.write_text(result.to_csv())
        console.print(f"{len(result.rows)} rows written to {csv_out}", highlight=False)
        return
    table = Table()
    numbers = set(_split(metrics))
    for column in result.columns:
        table.add_column(column, justify="right" if column in numbers else "left", overflow="fold")
    for row in result.rows:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    console.print(f"{len(result.rows)} rows", style="dim", highlight=False)
