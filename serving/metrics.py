"""Metrics (the dbt semantic layer, MetricFlow) queried on the published copy: `bpo metrics`.

The metrics are defined in dbt_project/models/marts/semantic/ (docs/metrics.md). MetricFlow turns a
request (metrics, group-by items, filters) into one SQL query; this module runs that query on the
published copy opened read-only, so a reader never takes the warehouse's writer lock and never sees
a half-built mart (serving/publish.py). The SQL is rendered by MetricFlow's own engine; only the
connection is ours: `mf query` would go through a dbt adapter that opens the warehouse for writing.

The semantic manifest (`semantic_manifest.json`) is the one dbt wrote when it parsed the project for
the build that made the marts (`<warehouse folder>/dbt_target/`), else the docs step's parse of the
published copy (`dbt_docs_target/`). Relations in it are named after the database file dbt built
(`warehouse.marts.x`), so the published copy is attached under that catalog name.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import duckdb

MANIFEST_NAME = "semantic_manifest.json"


class MetricsError(Exception):
    """A metrics request that cannot be answered; the message is one line for the user."""


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str | None
    type: str
    description: str
    group_bys: tuple[str, ...]


@dataclass(frozen=True)
class MetricsResult:
    columns: list[str]
    rows: list[tuple]
    sql: str

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def manifest_candidates(warehouse: Path, published: Path) -> list[Path]:
    """Where a semantic manifest for the published marts may be, best first."""
    from transform.dbt_build import dbt_target_path

    return [dbt_target_path(warehouse) / MANIFEST_NAME,
            Path(published).resolve().parent / "dbt_docs_target" / MANIFEST_NAME]


def find_manifest(warehouse: Path, published: Path) -> Path:
    for path in manifest_candidates(warehouse, published):
        if path.exists():
            return path
    raise MetricsError(f"no metric definitions found beside {published} (dbt_target/{MANIFEST_NAME}): "
                       "run `bpo run` first")


class _ReadOnlyDuckDbClient:
    """MetricFlow's SqlClient protocol on a DuckDB connection to the published copy, read-only."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self._con = con
        self._engine = SqlEngine.DUCKDB
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self):
        return self._engine

    @property
    def sql_plan_renderer(self):
        return self._renderer

    @staticmethod
    def _params(bind) -> dict:
        return {key: value.value if hasattr(value, "value") else value for key, value in bind.param_dict.items()}

    def query(self, stmt: str, sql_bind_parameter_set=None):
        from metricflow.data_table.mf_table import MetricFlowDataTable

        cur = self._con.execute(stmt, self._params(sql_bind_parameter_set) if sql_bind_parameter_set else None)
        return MetricFlowDataTable.create_from_rows(column_names=[d[0] for d in cur.description],
                                                    rows=cur.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._con.execute(stmt, self._params(sql_bind_parameter_set) if sql_bind_parameter_set else None)

    def dry_run(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._con.execute(f"explain {stmt}")

    def close(self) -> None:
        self._con.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


class MetricStore:
    """The metrics of one published copy. Use as a context manager (closes the read-only connection)."""

    def __init__(self, published: Path, manifest: Path):
        published = Path(published)
        if not published.exists():
            raise MetricsError(f"no published warehouse at {published}: run `bpo run` first")
        # MetricFlow logs every query at INFO to the root logger; the command prints results only
        logging.getLogger("metricflow").setLevel(logging.WARNING)
        logging.getLogger("metricflow_semantics").setLevel(logging.WARNING)
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        try:
            semantic_manifest = parse_manifest_from_dbt_generated_manifest(manifest.read_text())
        except Exception as exc:  # noqa: BLE001 - a damaged or foreign file: say which
            raise MetricsError(f"cannot read the metric definitions in {manifest}: {exc}") from None
        catalogs = {sm.node_relation.database for sm in semantic_manifest.semantic_models}
        catalogs |= {ts.node_relation.database for ts in semantic_manifest.project_configuration.time_spines}
        catalogs.discard(None)
        self._con = duckdb.connect()
        try:
            for catalog in sorted(catalogs) or ["published"]:
                self._con.execute(f"attach {_literal(str(published))} as {_identifier(catalog)} (read_only)")
        except duckdb.Error as exc:
            self._con.close()
            raise MetricsError(f"cannot open the published warehouse {published}: {str(exc).splitlines()[0]}") from None
        self._engine = MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(semantic_manifest),
                                        sql_client=_ReadOnlyDuckDbClient(self._con))

    @classmethod
    def for_warehouse(cls, warehouse: Path, published: Path) -> MetricStore:
        if not Path(published).exists():
            raise MetricsError(f"no published warehouse at {published}: run `bpo run` first")
        return cls(published, find_manifest(warehouse, published))

    def __enter__(self) -> MetricStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def list_metrics(self) -> list[MetricInfo]:
        metrics = self._engine.list_metrics(include_dimensions=False)
        return sorted((MetricInfo(name=m.name, label=m.label, type=str(m.type.value),
                                  description=" ".join((m.description or "").split()),
                                  group_bys=()) for m in metrics), key=lambda m: m.name)

    def group_bys(self, metrics: Sequence[str]) -> list[str]:
        """The group-by names every one of `metrics` accepts (dimensions, entities, metric_time)."""
        self._check_metrics(metrics)
        items = self._engine.list_group_bys(metric_names=list(metrics))
        return sorted({_qualified_name(item) for item in items})

    def _check_metrics(self, metrics: Sequence[str]) -> None:
        known = {m.name for m in self._engine.list_metrics(include_dimensions=False)}
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise MetricsError(f"unknown metric {', '.join(unknown)}: `bpo metrics list` shows them")
        if not metrics:
            raise MetricsError("name at least one metric (`bpo metrics list` shows them)")

    def query(self, metrics: Sequence[str], group_by: Sequence[str] = (), where: Sequence[str] = (),
              order_by: Sequence[str] = (), limit: int | None = None) -> MetricsResult:
        """Run one MetricFlow query; values keep their SQL types (money stays Decimal)."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        self._check_metrics(metrics)
        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics), group_by_names=list(group_by) or None,
            where_constraints=list(where) or None, order_by_names=list(order_by) or None, limit=limit)
        try:
            statement = self._engine.explain(request).sql_statement
        except Exception as exc:  # noqa: BLE001 - MetricFlow's query errors are pages long: keep the gist
            raise MetricsError(_query_error(exc, metrics)) from None
        params = _ReadOnlyDuckDbClient._params(statement.bind_parameter_set)
        try:
            cur = self._con.execute(statement.sql, params or None)
        except duckdb.Error as exc:
            raise MetricsError(f"the metric query failed on the published warehouse: {_first_line(exc)}") from None
        return MetricsResult(columns=[d[0] for d in cur.description], rows=cur.fetchall(), sql=statement.sql)


def _qualified_name(item) -> str:
    return getattr(item, "dunder_name", None) or item.name


def _query_error(exc: Exception, metrics: Sequence[str]) -> str:
    """One line from MetricFlow's multi-page resolution error: the input it rejected and what would do."""
    text = str(exc)
    rejected = re.search(r"Query Input:\s+(.+)", text)
    if rejected and "available group-by-items" in text:
        suggestions = re.search(r"Suggestions:\s*\[(.*?)\]", text, re.S)
        valid = ", ".join(s.strip().strip("'\",") for s in suggestions.group(1).split(",")
                          if s.strip().strip("'\",")) if suggestions else ""
        builder = re.search(r"Object Builder Input:\s+(.+)", text)
        if builder:  # a --where filter named something the metrics do not have
            return (f"the filter's {builder.group(1).strip()} is not available for {', '.join(metrics)}"
                    + (f"; possible: {valid}" if valid else ""))
        return (f"cannot group {', '.join(metrics)} by {rejected.group(1).strip()}"
                + (f"; possible: {valid}" if valid else "") + " (`bpo metrics dimensions METRIC` lists them)")
    if rejected:
        return f"{_first_line(exc)} {rejected.group(1).strip()}"
    messages = re.search(r"Message:\s+(.+?)(?:\n\s*\n|$)", text, re.S)
    return " ".join(messages.group(1).split()) if messages else _first_line(exc)


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
