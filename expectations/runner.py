"""Validate one landed file (as a pandas frame) against its feed's GX suite.

    from expectations.runner import get_validator
    report = get_validator().validate(feed="interactions", frame=pdf, vendor_id="acme_mx")
    if not report.success:
        quarantine(reason=report.to_text())

The frame is one file as normalised by ingestion: `stored_columns(feed)` plus
`_row_number` (1-based source row), Arrow-backed dtypes
(`polars_df.to_pandas(use_pyarrow_extension_array=True)`).

A file staged in DuckDB is validated where it is, with GX's SQL engine
(`validate_relation(con, relation_name, feed, vendor_id)`; the fix that makes
it work on DuckDB, GX #10738, is compat/gx_duckdb.py): the same suites, the
same report, no pandas copy of the rows (DEVELOPERS.md, "Validation engine",
has the figures). `import great_expectations` costs seconds: it happens on
the first `get_validator()` call only; the context, the data sources and
every feed's suite are built once per process.

Dtypes: GX 1.24's pandas metrics give correct results on Arrow-backed
string, int, bool, date32, decimal128 and tz-aware timestamp columns (checked
in tests/expectations), but `expect_column_values_to_be_between` only
vectorises numpy int64/float64 and pandas datetime columns: on Arrow columns
it calls Python once per row (~2 s per expectation per million rows). So, for
validation only, the runner hands GX int/decimal/rate columns as float64
(validation is not money arithmetic) and Arrow timestamps as
datetime64[us, UTC]; example rows in the report come from the frame as given
(exact decimals). Other repairs are reported as notes, never silent: an
optional column absent from the frame is validated as all-null, a frame
without `_row_number` gets 1..n.

Each rule is validated on a frame of only the columns it reads (`_by_columns`:
GX copies the whole frame whenever it filters rows), and GX builds each
expectation's configuration once per kwarg lookup instead of once per kwarg
(`compat.gx.speed_up_validation`, with the batch fingerprint skipped).

Speed (2 cores): ~1.5-2 s per million interaction rows (files of 100k-900k
rows; ~4.5 s when each rule saw the whole frame), more when many rows fail;
~0.2 s for a small file (an invoice: 35 expectations); first
`get_validator()` ~5-8 s (the import, ~2-3 s of it compiling GX when Python
may not write bytecode caches).
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ingestion.feeds import FEEDS, Feed, stored_columns

from expectations import suites as _suites
from expectations.suites import Rule

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

MAX_EXAMPLES = 5
ROW_NUMBER = "_row_number"

# SUMMARY; GX keeps the first `partial_unexpected_count` unexpected values and
# their frame index labels (partial_unexpected_index_list). The frame given to
# GX has a default RangeIndex, so a label is the row's position and the runner
# maps it to `_row_number` itself. (Passing `unexpected_index_column_names`
# would let GX do it, but GX then builds a dict per unexpected row, with a
# column-name lookup per cell, before truncating: ~75 s when a million rows
# fail. The plain index list costs milliseconds.)
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": 20,
    "return_unexpected_index_query": False,
}
# The SQL engine has no row labels: GX selects `_row_number` with the first `partial_unexpected_count` offending
# rows of each expectation (one LIMIT query), and the runner takes the lowest few.
SQL_RESULT_FORMAT: dict[str, Any] = {**RESULT_FORMAT, "unexpected_index_column_names": ["_row_number"]}


@dataclass
class Failure:
    """One failed expectation of a file."""

    expectation: str  # GX expectation type, e.g. "expect_column_values_to_not_be_null"
    column: str | None  # main column, None for multi-column checks
    message: str  # plain English, e.g. "answered_at is before arrived_at in 3 of 1,200 rows"
    unexpected_count: int | None  # offending rows; None for whole-file checks
    examples: list[dict[str, Any]] = field(default_factory=list)  # <= 5 rows: relevant columns + _row_number
    rule: str = ""  # stable rule id from expectations.suites, e.g. "order:answered_at>=arrived_at"

    @property
    def row_numbers(self) -> list[int]:
        return [e[ROW_NUMBER] for e in self.examples if e.get(ROW_NUMBER) is not None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (timestamps and dates as ISO strings, decimals as strings)."""
        d = asdict(self)
        d["examples"] = [{k: _jsonable(v) for k, v in e.items()} for e in self.examples]
        return d


@dataclass
class ValidationReport:
    feed: str
    vendor_id: str | None
    rows: int
    success: bool
    evaluated: int  # expectations evaluated
    successful: int  # expectations that passed
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # repairs made before validation
    validated_at: str = ""

    @property
    def failed_rules(self) -> list[str]:
        return [f.rule for f in self.failures]

    def to_text(self) -> str:
        """A readable reason, e.g. for the quarantine reason file."""
        where = f" for vendor {self.vendor_id}" if self.vendor_id else ""
        head = f"{self.feed} file{where}: {self.rows:,} rows, {self.evaluated} expectations evaluated"
        if self.success:
            lines = [f"Validation passed — {head}, all passed."]
        else:
            n = len(self.failures)
            lines = [f"Validation failed — {head}, {n} failed.", ""]
            for i, f in enumerate(self.failures, 1):
                lines.append(f"{i}. {f.message}")
                col = f" on column {f.column}" if f.column else ""
                lines.append(f"   expectation: {f.expectation}{col} (rule {f.rule})")
                if f.examples:
                    rows = ", ".join(str(r) for r in f.row_numbers)
                    more = ""
                    if f.unexpected_count is not None and f.unexpected_count > len(f.examples):
                        more = f" (first {len(f.examples)} of {f.unexpected_count:,})"
                    lines.append(f"   source rows{more}: {rows}")
                    for e in f.examples:
                        vals = ", ".join(f"{k}={_show(v)}" for k, v in e.items() if k != ROW_NUMBER)
                        lines.append(f"     row {e.get(ROW_NUMBER)}: {vals}")
                lines.append("")
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"- {n}" for n in self.notes)
        return "\n".join(lines).rstrip() + "\n"

    def to_metadata(self) -> dict[str, Any]:
        """Small JSON-able dict for Dagster asset / check metadata."""
        return {
            "feed": self.feed,
            "vendor_id": self.vendor_id,
            "rows": self.rows,
            "success": self.success,
            "evaluated": self.evaluated,
            "successful": self.successful,
            "failed": [
                {
                    "rule": f.rule,
                    "expectation": f.expectation,
                    "column": f.column,
                    "unexpected_count": f.unexpected_count,
                    "message": f.message,
                }
                for f in self.failures
            ],
            "notes": list(self.notes),
        }


def _show(v: Any) -> str:
    """An example value as shown in the report text."""
    if v is None:
        return "(empty)"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return str(v)


def _plain(v: Any) -> Any:
    """A plain Python value for example rows: None for nulls, datetime / date /
    Decimal / int / float / bool / str otherwise (no pandas or numpy scalars)."""
    import pandas as pd

    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, (str, bytes, decimal.Decimal)):  # numpy scalar
        return v.item()
    return v


def _jsonable(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    return v


class FeedValidator:
    """Holds the GX context and one suite per feed; validates frames."""

    def __init__(self) -> None:
        from compat.gx import import_great_expectations, speed_up_validation

        gx = import_great_expectations()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        speed_up_validation()  # no batch fingerprints, configurations built once per lookup
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = self.context.data_sources.add_pandas("bpo_files")
        self.rules: dict[str, dict[str, Rule]] = {}
        self.suites: dict[str, Any] = {}  # the feed's whole suite, as registered in the context
        self._batch_definitions: dict[str, Any] = {}
        self._column_groups: dict[str, list[tuple[tuple[str, ...] | None, Any]]] = {}
        for name in FEEDS:
            asset = source.add_dataframe_asset(name)
            self._batch_definitions[name] = asset.add_batch_definition_whole_dataframe("file")
            rules = _suites.rules_for(name)
            self.rules[name] = {r.rule_id: r for r in rules}
            self.suites[name] = self.context.suites.add(_suites.build_suite(name))
            self._column_groups[name] = [
                (columns, gx.ExpectationSuite(name=f"bpo.{name}.{i}",
                                              expectations=[_suites.to_expectation(r) for r in group]))
                for i, (columns, group) in enumerate(_by_columns(rules).items())
            ]
        self._lock = threading.Lock()  # a GX context is not thread-safe
        self._sql: _SqlSide | None = None  # GX's SQL engine on DuckDB, built by the first validate_relation

    # -- public ---------------------------------------------------------------
    def validate(
        self,
        feed: str,
        frame: pd.DataFrame,
        vendor_id: str | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> ValidationReport:
        """Validate one file's rows. `vendor_id` is the landing folder (None for fx_rates)."""
        spec, vendor_id, now = _arguments(feed, vendor_id, now)
        gx_frame, frame, notes, missing_required = _prepare(spec, frame)
        params = _suites.suite_parameters(spec, vendor_id, now=now)
        results: list[Any] = []
        with self._lock:
            for columns, suite in self._column_groups[feed]:
                part = gx_frame if columns is None else gx_frame[[c for c in columns if c in gx_frame.columns]]
                batch = self._batch_definitions[feed].get_batch(batch_parameters={"dataframe": part})
                results.extend(
                    batch.validate(suite, result_format=RESULT_FORMAT, expectation_parameters=params).results)
                del batch, part  # the next group must not keep this one's filtered copies alive
        return self._report(feed, vendor_id, now, results, _FrameRows(frame), notes, missing_required)

    def validate_relation(
        self,
        con: duckdb.DuckDBPyConnection,
        relation_name: str,
        feed: str,
        vendor_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> ValidationReport:
        """Validate one file staged as a DuckDB table or view (`relation_name`, visible on `con`) with GX's SQL
        engine; the same report as `validate` on the same rows.

        Runs on the caller's connection and never begins, commits or rolls back: a temporary view
        `bpo_gx_<feed>` projects the relation for GX (absent optional columns as typed nulls, as `validate`
        does) and is dropped before returning. Call it before the file's load transaction: inside an explicit
        transaction, a check DuckDB cannot evaluate (reported as "could not be evaluated") aborts it.
        """
        import duckdb

        spec, vendor_id, now = _arguments(feed, vendor_id, now)
        sql = self._sql_side()
        view, notes, missing_required = _stage_view(con, relation_name, spec)
        params = _suites.suite_parameters(spec, vendor_id, now=now)
        try:
            with self._lock, sql.caller.using(con):
                sql.prepare()
                batch = sql.batch_definitions[feed].get_batch()
                results = batch.validate(self.suites[feed], result_format=SQL_RESULT_FORMAT,
                                         expectation_parameters=params).results
            return self._report(feed, vendor_id, now, results, _RelationRows(con, view), notes, missing_required)
        finally:
            try:
                con.execute(f"DROP VIEW IF EXISTS {_ident(view)}")
            except duckdb.Error:  # an aborted transaction takes the view with it; keep the first error
                pass

    def _sql_side(self) -> _SqlSide:
        if self._sql is None:
            with self._lock:
                if self._sql is None:
                    self._sql = _SqlSide(self.context)
        return self._sql

    def _report(self, feed: str, vendor_id: str | None, now: dt.datetime, results: list[Any], rows: _Rows,
                notes: list[str], missing_required: set[str]) -> ValidationReport:
        rules = self.rules[feed]
        failures: list[tuple[int, Failure]] = []
        order = {rid: i for i, rid in enumerate(rules)}
        evaluated = successful = 0
        for res in results:
            rule = rules[(res.expectation_config.meta or {})["rule"]]
            error = _exception_message(res)
            raised = error is not None
            if raised and set(_rule_columns(rule)) & missing_required:
                continue  # reported once, by the column-exists expectation
            evaluated += 1
            if res.success and not raised:
                successful += 1
                continue
            failures.append((order[rule.rule_id], self._failure(rule, res, rows, vendor_id, error)))
        failures.sort(key=lambda t: t[0])
        return ValidationReport(
            feed=feed,
            vendor_id=vendor_id,
            rows=rows.count,
            success=not failures,
            evaluated=evaluated,
            successful=successful,
            failures=[f for _, f in failures],
            notes=notes,
            validated_at=now.isoformat(),
        )

    # -- result -> Failure ----------------------------------------------------
    def _failure(self, rule: Rule, res: Any, rows: _Rows, vendor_id: str | None, error: str | None) -> Failure:
        problem = rule.problem.replace("{vendor_id}", repr(vendor_id))
        base = dict(expectation=rule.expectation_type, column=rule.column, rule=rule.rule_id)
        if error is not None:
            return Failure(
                message=f"{problem}: the check could not be evaluated ({error})",
                unexpected_count=None,
                examples=[],
                **base,
            )
        r = res.result or {}
        if rule.expectation == "ExpectColumnToExist":
            return Failure(message=problem, unexpected_count=None, examples=[], **base)
        if rule.aggregate:
            return self._aggregate_failure(rule, problem, r, rows, base)

        n = int(r.get("unexpected_count") or 0)
        msg = f"{problem} in {n:,} of {rows.count:,} rows"
        if rule.expectation in ("ExpectColumnValuesToBeInSet", "ExpectColumnValuesToMatchRegex"):
            seen = _seen_values(r)
            if seen:
                msg += f" (values seen: {seen})"
        return Failure(message=msg, unexpected_count=n, examples=rows.offending(r, rule), **base)

    def _aggregate_failure(self, rule: Rule, problem: str, r: dict, rows: _Rows, base: dict) -> Failure:
        """A column that must hold one value per file: list each value's first row."""
        col = rule.column
        examples = rows.first_of_each_value(col, rule.columns)
        listed = ", ".join(f"{_show(e[col])} (from row {e[ROW_NUMBER]})" for e in examples)
        msg = problem.replace("{n}", str(r.get("observed_value")))
        if listed:
            msg += f": {listed}"
        return Failure(message=msg, unexpected_count=None, examples=examples, **base)


def _arguments(feed: str, vendor_id: str | None, now: dt.datetime | None) -> tuple[Feed, str | None, dt.datetime]:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}")
    spec = FEEDS[feed]
    if spec.vendor_scoped and not vendor_id:
        raise ValueError(f"feed {feed!r} is vendor-scoped: pass the vendor folder as vendor_id")
    if not spec.vendor_scoped:
        vendor_id = None  # fx_rates lands under the pseudo-vendor _shared
    return spec, vendor_id, now or dt.datetime.now(dt.timezone.utc)


# --- the rows a report quotes: a pandas frame, or a relation on DuckDB -------------


class _Rows:
    count: int

    def offending(self, r: dict, rule: Rule) -> list[dict[str, Any]]:
        """Example rows of a failed per-row expectation (its GX result `r`)."""
        raise NotImplementedError

    def first_of_each_value(self, column: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        """The first row (in source order) of each distinct non-null value of `column`, up to MAX_EXAMPLES."""
        raise NotImplementedError


class _FrameRows(_Rows):
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.count = len(frame)

    def offending(self, r: dict, rule: Rule) -> list[dict[str, Any]]:
        return _examples(self.frame, _positions(r), rule.columns)

    def first_of_each_value(self, column: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        values = self.frame[column]
        firsts = values[values.notna()].drop_duplicates(keep="first").head(MAX_EXAMPLES)
        return _examples(self.frame, [int(p) for p in firsts.index], columns)  # RangeIndex: label == position


class _RelationRows(_Rows):
    def __init__(self, con: duckdb.DuckDBPyConnection, view: str) -> None:
        self.con = con
        self.view = _ident(view)
        self.count = int(con.execute(f"SELECT count(*) FROM {self.view}").fetchone()[0])

    def offending(self, r: dict, rule: Rule) -> list[dict[str, Any]]:
        if rule.expectation == "ExpectCompoundColumnsToBeUnique":
            return self._rows(self._rows_with_keys(rule.kwargs["column_list"], r), rule.columns)
        found = {int(item[ROW_NUMBER]) for item in r.get("partial_unexpected_index_list") or []
                 if isinstance(item, dict) and item.get(ROW_NUMBER) is not None}
        return self._rows(sorted(found)[:MAX_EXAMPLES], rule.columns)

    def _rows_with_keys(self, key: list[str], r: dict) -> list[int]:
        """GX's SQL engine lists no row for a multi-column expectation, only the offending keys (up to
        `partial_unexpected_count`); every row holding a repeated key breaks compound uniqueness."""
        keys = [k for k in r.get("partial_unexpected_list") or [] if isinstance(k, dict)]
        if not keys:
            return []
        match = " AND ".join(f"{_ident(c)} IS NOT DISTINCT FROM ?" for c in key)
        found = self.con.execute(
            f"SELECT {_ident(ROW_NUMBER)} FROM {self.view} WHERE {' OR '.join(f'({match})' for _ in keys)} "
            f"ORDER BY {_ident(ROW_NUMBER)} LIMIT {MAX_EXAMPLES}", [k.get(c) for k in keys for c in key]).fetchall()
        return [int(n) for (n,) in found]

    def first_of_each_value(self, column: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        firsts = self.con.execute(
            f"SELECT min({_ident(ROW_NUMBER)}) AS first FROM {self.view} WHERE {_ident(column)} IS NOT NULL "
            f"GROUP BY {_ident(column)} ORDER BY first LIMIT {MAX_EXAMPLES}").fetchall()
        return self._rows([int(f) for (f,) in firsts], columns)

    def _rows(self, row_numbers: list[int], columns: tuple[str, ...]) -> list[dict[str, Any]]:
        """The rows as `_examples` shows them from an Arrow-backed frame (timestamps in UTC, exact decimals)."""
        import pandas as pd
        import pyarrow as pa

        if not row_numbers:
            return []
        names = [ROW_NUMBER, *(c for c in dict.fromkeys(columns) if c != ROW_NUMBER)]
        present = {d[0] for d in self.con.execute(f"SELECT * FROM {self.view} LIMIT 0").description}
        names = [c for c in names if c in present]
        table = self.con.execute(
            f"SELECT {', '.join(_ident(c) for c in names)} FROM {self.view} "
            f"WHERE {_ident(ROW_NUMBER)} IN ({', '.join('?' * len(row_numbers))}) ORDER BY {_ident(ROW_NUMBER)}",
            row_numbers).fetch_arrow_table()
        for i, f in enumerate(table.schema):  # DuckDB hands TIMESTAMPTZ over in the session's time zone
            if pa.types.is_timestamp(f.type) and f.type.tz is not None and f.type.tz != "UTC":
                table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp(f.type.unit, tz="UTC")))
        frame = table.to_pandas(types_mapper=pd.ArrowDtype)
        return _examples(frame, list(range(len(frame))), columns)


class _SqlSide:
    """GX's SQL datasource on DuckDB: one table asset per feed on the temporary view `bpo_gx_<feed>`, which
    `validate_relation` creates on the caller's connection for the duration of one validation."""

    def __init__(self, context: Any) -> None:
        import duckdb

        from compat.gx_duckdb import CallerConnection, caller_engine, fetch_rows_before_release, prepare_execution_engine

        fetch_rows_before_release()
        self.caller = CallerConnection()
        self._prepare = prepare_execution_engine
        setup = duckdb.connect()  # the assets' connection test needs each view to exist
        try:
            for name in FEEDS:
                setup.execute(f"CREATE TEMP VIEW {_ident(_view_name(name))} AS SELECT 1 AS {_ident(ROW_NUMBER)}")
            with self.caller.using(setup):
                self.source = context.data_sources.add_sql(
                    "bpo_duckdb", connection_string="duckdb:///:memory:", create_temp_table=False,
                    kwargs=caller_engine(self.caller))
                self.batch_definitions = {
                    name: self.source.add_table_asset(name, table_name=_view_name(name))
                    .add_batch_definition_whole_table("file")
                    for name in FEEDS
                }
        finally:
            setup.close()

    def prepare(self) -> None:
        self._prepare(self.source.get_execution_engine())


_DUCKDB_TYPES = {"string": "VARCHAR", "int": "BIGINT", "bool": "BOOLEAN", "timestamp": "TIMESTAMPTZ",
                 "date": "DATE", "decimal": "DECIMAL(18,4)", "rate": "DECIMAL(18,8)", "binary": "BLOB"}


def _view_name(feed: str) -> str:
    return f"bpo_gx_{feed}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stage_view(con: duckdb.DuckDBPyConnection, relation_name: str, spec: Feed) -> tuple[str, list[str], set[str]]:
    """(temporary view GX validates, notes, missing required columns): the relation's columns, plus the repairs
    `_prepare` makes to a frame, noted in the same words."""
    source = ".".join(_ident(part) for part in relation_name.split("."))
    present = [d[0] for d in con.execute(f"SELECT * FROM {source} LIMIT 0").description]
    required = {_suites.stored_name(c) for c in spec.columns if c.required and c.pii != "drop"}
    types = _stored_types(spec)
    select = [_ident(c) for c in present]
    absent = [c for c in stored_columns(spec) if c not in present and c not in required]
    notes: list[str] = []
    if absent:
        select += [f"CAST(NULL AS {_DUCKDB_TYPES[types[c]]}) AS {_ident(c)}" for c in absent]
        notes.append(f"optional column(s) absent from the frame, validated as empty: {', '.join(absent)}")
    if ROW_NUMBER not in present:
        select.append(f"CAST(row_number() OVER () AS BIGINT) AS {_ident(ROW_NUMBER)}")
        notes.append("_row_number was absent; rows numbered 1..n in frame order")
    view = _view_name(spec.name)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_ident(view)} AS SELECT {', '.join(select)} FROM {source}")
    return view, notes, {c for c in required if c not in present}


# --- helpers -------------------------------------------------------------------


def _by_columns(rules: list[Rule]) -> dict[tuple[str, ...] | None, list[Rule]]:
    """Rules grouped by the columns they read; None = the whole frame (column-exists checks).

    GX's pandas engine copies the whole batch frame, every column, whenever
    an expectation filters rows (a row condition, ignore_row_if, or the nulls
    of a nullable column): ~60 % of validation time on an interaction file.
    Validated on a frame of only its own columns, with the same rows and
    index, a rule gives the same result for a fraction of the copying.
    """
    groups: dict[tuple[str, ...] | None, list[Rule]] = {}
    for rule in rules:
        columns = None if rule.expectation == "ExpectColumnToExist" else tuple(sorted(_rule_columns(rule)))
        groups.setdefault(columns, []).append(rule)
    return groups


def _rule_columns(rule: Rule) -> tuple[str, ...]:
    cols = list(rule.columns)
    if rule.column:
        cols.append(rule.column)
    for group in rule.when or ():
        cols.extend(a[0] for a in group)
    return tuple(dict.fromkeys(cols))


def _exception_message(res: Any) -> str | None:
    """The error of an expectation GX could not evaluate, else None.

    GX reports it either flat ({"raised_exception": ..., "exception_message": ...})
    or per metric ({"MetricConfigurationID(...)": {...}}).
    """
    info = res.exception_info or {}
    candidates = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for c in candidates:
        if str(c.get("raised_exception")).lower() == "true":
            msg = str(c.get("exception_message") or "unknown error").strip()
            return (msg.splitlines() or ["unknown error"])[0][:300]
    if not res.success and not res.result and res.expectation_config.type != "expect_column_to_exist":
        return "no result"
    return None


def _positions(r: dict) -> list[int]:
    """Positions (frame has a default RangeIndex) of the first offending rows."""
    positions: list[int] = []
    for item in r.get("partial_unexpected_index_list") or []:
        if item is not None and not isinstance(item, dict) and int(item) not in positions:
            positions.append(int(item))
        if len(positions) >= MAX_EXAMPLES:
            break
    return positions


def _seen_values(r: dict) -> str:
    counts = r.get("partial_unexpected_counts") or []
    vals = [c.get("value") for c in counts if isinstance(c, dict) and "value" in c][:MAX_EXAMPLES]
    return ", ".join(_show(_plain(v)) for v in vals)


def _examples(frame: pd.DataFrame, positions: list[int], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Up to MAX_EXAMPLES rows: `_row_number` plus the rule's columns, plain values."""
    if not positions:
        return []
    cols = [c for c in dict.fromkeys(columns) if c in frame.columns and c != ROW_NUMBER]
    sub = frame.iloc[positions[:MAX_EXAMPLES]][[ROW_NUMBER, *cols]]
    values = {c: [_plain(v) for v in _column_values(sub[c])] for c in sub.columns}
    out = []
    for i in range(len(sub)):
        rn = values[ROW_NUMBER][i]
        out.append({ROW_NUMBER: None if rn is None else int(rn), **{c: values[c][i] for c in cols}})
    return out


def _column_values(series: pd.Series) -> list[Any]:
    """The values as Python objects; a value Python cannot hold (a timestamp past the year 9999) as
    its text, so that the report names it instead of failing."""
    import pyarrow as pa

    try:
        return series.tolist()
    except (OverflowError, ValueError):
        return pa.array(series.array).cast(pa.string()).to_pylist()


_NULL_DTYPES: dict[str, Any] = {}


def _null_dtype(type_name: str):
    import pandas as pd
    import pyarrow as pa

    if not _NULL_DTYPES:
        _NULL_DTYPES.update(
            {
                "string": pd.ArrowDtype(pa.large_string()),
                "int": pd.ArrowDtype(pa.int64()),
                "bool": pd.ArrowDtype(pa.bool_()),
                "timestamp": pd.ArrowDtype(pa.timestamp("us", tz="UTC")),
                "date": pd.ArrowDtype(pa.date32()),
                "decimal": pd.ArrowDtype(pa.decimal128(18, 4)),
                "rate": pd.ArrowDtype(pa.decimal128(18, 8)),
                "binary": pd.ArrowDtype(pa.binary()),
            }
        )
    return _NULL_DTYPES[type_name]


def _stored_types(spec: Feed) -> dict[str, str]:
    types: dict[str, str] = {"vendor_id": "string"} if spec.vendor_scoped else {}
    for c in spec.columns:
        name = _suites.stored_name(c)
        if name is not None:
            # a hashed column holds the customer key: 16 bytes (ingestion/pii.py), not text
            types[name] = {"hash": "binary", "flag": "bool"}.get(c.pii or "", c.type)
    return types


def _prepare(spec: Feed, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str], set[str]]:
    """(frame as validated, frame for examples, notes, missing required columns).

    The frame for examples is the input plus repairs (absent optional columns
    as nulls, `_row_number` when absent); every repair is noted. The frame
    for GX additionally carries numeric and timestamp columns in the numpy
    dtypes GX vectorises (see `_for_gx`).
    """
    import numpy as np
    import pandas as pd

    notes: list[str] = []
    required = {_suites.stored_name(c) for c in spec.columns if c.required and c.pii != "drop"}
    missing_required = {c for c in required if c not in frame.columns}
    types = _stored_types(spec)
    add: dict[str, Any] = {}
    for col in stored_columns(spec):
        if col not in frame.columns and col not in required:
            add[col] = pd.Series(pd.NA, index=frame.index, dtype=_null_dtype(types[col]))
    if add:
        notes.append(f"optional column(s) absent from the frame, validated as empty: {', '.join(add)}")
    if ROW_NUMBER not in frame.columns:
        add[ROW_NUMBER] = pd.Series(np.arange(1, len(frame) + 1), index=frame.index, dtype="int64")
        notes.append("_row_number was absent; rows numbered 1..n in frame order")
    view = frame.assign(**add) if add else frame
    if not (isinstance(view.index, pd.RangeIndex) and view.index.start == 0 and view.index.step == 1):
        view = view.reset_index(drop=True)
    if view.index.name is not None:
        view = view.rename_axis(None)
    converted: dict[str, Any] = {}
    for col in view.columns:
        try:
            series = _for_gx(view[col], types.get(col))
        except (TypeError, ValueError, ArithmeticError, ImportError) as exc:  # pa.ArrowInvalid is a ValueError
            notes.append(f"{col}: kept as {view[col].dtype} for validation ({type(exc).__name__}: {exc})")
            series = None
        if series is not None:
            converted[col] = series
    gx_frame = view.assign(**converted) if converted else view
    return gx_frame, view, notes, missing_required


def _for_gx(series: pd.Series, type_name: str | None) -> pd.Series | None:
    """The column in a dtype GX's pandas engine vectorises, or None to keep it.

    GX 1.24 `column_values.between` only vectorises numpy int64 / float64 and
    pandas datetime (tz) columns; on Arrow-backed (and numpy-nullable) columns
    it falls back to a Python call per row (~2 s per expectation per million
    rows). Results are the same either way, so for validation only:
    int / decimal / rate columns -> float64 (nulls NaN; validation is not
    money arithmetic), Arrow tz-aware timestamps -> datetime64[us, UTC].
    Dates, strings and bools stay as they are.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = series.dtype
    if type_name in ("int", "decimal", "rate"):
        if dtype == np.float64 or dtype == np.int64:
            return None
        if isinstance(dtype, pd.ArrowDtype):
            arr = pc.cast(pa.array(series.array), pa.float64())
            values = arr.to_numpy(zero_copy_only=False)
        elif dtype == object:  # noqa: E721 - a numpy dtype equals `object`, it is not it
            values = np.array([np.nan if v is None or v is pd.NA else float(v) for v in series], dtype="float64")
        else:  # numpy-nullable Int64 / Float64 etc.
            values = series.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(values, index=series.index, dtype="float64", name=series.name)
    if type_name == "timestamp" and isinstance(dtype, pd.ArrowDtype):
        pa_type = dtype.pyarrow_dtype
        if pa.types.is_timestamp(pa_type) and pa_type.tz is not None:
            out = pa.array(series.array).to_pandas()
            out.index = series.index
            out.name = series.name
            return out
    return None


_validator: FeedValidator | None = None
_validator_lock = threading.Lock()


def get_validator() -> FeedValidator:
    """The process-wide validator (built on first call: GX import + suites)."""
    global _validator
    if _validator is None:
        with _validator_lock:
            if _validator is None:
                _validator = FeedValidator()
    return _validator
