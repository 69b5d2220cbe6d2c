"""Apply a vendor mapping to a landed file: read its own format, compute the canonical columns.

The source file is read by DuckDB into the temp table `src` of the file's
private staging connection (CSV as text, Parquet as typed; JSON documents are
taken apart by Python's json, for `source.records` and concatenated documents,
and handed over as nested records through Arrow). File access is then switched
off, and each canonical column is computed with the mapping's DuckDB SQL
expression:

    WITH s0 AS (SELECT * FROM src),                      -- the file, plus __bpo_row
         s1 AS (SELECT *, (<derived 1>) AS d1 FROM s0),  -- derived values, in order
         ...
         f  AS (SELECT * FROM sN WHERE <where>)
    SELECT (<column expr>) AS <column>, ... FROM f

Then every column is checked and cast to its feed type, so that a value
the mapping cannot turn into the canonical type is reported here, with the
mapping file, the column, the row and the values, instead of as a bare type
error later. The result (temp table `mapped_rows`) is handed to
`ingestion.readers.normalise_staged` in the same connection, exactly like a
canonical file's columns (UTC, PII hashing, ...). Anything wrong raises
`FileRejected`: the file is quarantined whole, nothing is loaded.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ingestion.feeds import FALSE_WORDS, STORED_INT_RANGE, TRUE_WORDS, Column
from ingestion.mappings.model import Mapping, ResolvedMapping, Rule
from ingestion.readers import FileRejected, first_line, staging_connection
from ingestion.sql_text import ident, sql_literal

ROW = "__bpo_row"
MAX_EXAMPLES = 3
_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|"
                      r"FLOAT|DOUBLE|DECIMAL.*)$")
_INTEGER = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$")

# Helper macros available in every mapping expression (documented in docs/onboarding.md).
_TZ = "getvariable('bpo_timezone')"
MACROS = {
    # 'h:mm:ss', 'mm:ss' or 'ss' (fractions allowed) -> whole seconds; '' -> null
    "hms_seconds": ("x", "CASE WHEN x IS NULL OR trim(CAST(x AS VARCHAR)) = '' THEN NULL ELSE CAST(round(list_reduce("
                         "list_transform(string_split(trim(CAST(x AS VARCHAR)), ':'), lambda p: CAST(p AS DOUBLE)), "
                         "lambda a, b: a * 60 + b)) AS BIGINT) END"),
    # Excel day fraction (0.5 = 12 hours) -> whole seconds
    "excel_seconds": ("x", "CAST(round(CAST(x AS DOUBLE) * 86400) AS BIGINT)"),
    # Excel serial date-time (days since 1899-12-30, fraction = time of day) -> TIMESTAMP (no offset)
    "excel_datetime": ("x", "TIMESTAMP '1899-12-30 00:00:00' + "
                            "to_milliseconds(CAST(round(CAST(x AS DOUBLE) * 86400000) AS BIGINT))"),
    # a date and a time of day (DATE/TIME values or ISO text) -> TIMESTAMP (no offset)
    "combine": ("d, t", "CAST(d AS DATE) + CAST(t AS TIME)"),
    # an offset-less local timestamp -> the instant (TIMESTAMPTZ), read in the mapping's timezone
    # (else the vendor contract's). Repeated hour: the first; a time skipped by DST is an error.
    "localize": ("ts", "CASE WHEN ts IS NULL THEN NULL ELSE coalesce(list_min(list_filter(["
                       f"timezone({_TZ}, CAST(ts AS TIMESTAMP) - INTERVAL 3 HOUR) + INTERVAL 3 HOUR, "
                       f"timezone({_TZ}, CAST(ts AS TIMESTAMP) + INTERVAL 3 HOUR) - INTERVAL 3 HOUR], "
                       f"lambda c: timezone({_TZ}, c) = CAST(ts AS TIMESTAMP))), "
                       f"error('local time ' || CAST(ts AS VARCHAR) || ' does not exist in ' || {_TZ} "
                       "|| ' (skipped by a daylight-saving change)')) END"),
}


_DUCK_TYPES = {"string": "VARCHAR", "int": "BIGINT", "bool": "BOOLEAN", "timestamp": "TIMESTAMPTZ",
               "date": "DATE", "decimal": "DECIMAL(18,4)", "rate": "DECIMAL(18,8)"}


MAPPED = "mapped_rows"  # the mapped rows, canonical column names and __bpo_row, in the staging connection


@dataclass
class MappedFile:
    """A vendor file mapped inside its staging connection (table MAPPED), ready for normalise_staged()."""

    timezone: str | None  # for offset-less timestamps left in the output
    version: str
    warnings: list[str] = field(default_factory=list)
    source_columns: list[str] = field(default_factory=list)


@dataclass
class MappedFrame(MappedFile):
    """`apply_mapping`'s result: the mapped rows taken out of DuckDB (checks, tests)."""

    frame: pl.DataFrame | None = None  # canonical column names
    source_rows: list[int] = field(default_factory=list)  # 1-based source record of each output row


def _error(resolved: ResolvedMapping, where: str, problem: str, details: list[str] | None = None) -> FileRejected:
    head = f"mapping {resolved.path}: {where}: {problem}"
    return FileRejected(head, [head, *(details or [])])


# ----------------------------------------------------------------------------------------------- reading


def _format_of(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    name = path.name.lower().removesuffix(".gz")
    for suffix, fmt in ((".csv", "csv"), (".txt", "csv"), (".tsv", "csv"), (".jsonl", "jsonl"),
                        (".ndjson", "jsonl"), (".json", "json"), (".parquet", "parquet")):
        if name.endswith(suffix):
            return fmt
    raise FileRejected(f"cannot tell the format of {path.name!r}: set `source.format` in the mapping")


def read_source(con: duckdb.DuckDBPyConnection, path: Path, resolved: ResolvedMapping) -> tuple[list[str], int]:
    """The vendor's file as temp table `src` (CSV cells as text, JSON records nested), with __bpo_row;
    its column names and row count."""
    src = resolved.mapping.source
    fmt = _format_of(path, src.format)
    gz = path.name.lower().endswith(".gz")
    compression = "gzip" if gz else "none"
    try:
        if fmt == "parquet":
            con.execute(f"CREATE TEMP TABLE src_file AS SELECT * FROM read_parquet({sql_literal(str(path))})")
        else:
            with gzip.open(path, "rb") if gz else path.open("rb") as f:
                data = f.read()
            text = data.decode(src.encoding)
            del data
            if not text.strip():
                raise FileRejected("the file is empty")
            text = text.removeprefix("\ufeff")
            if fmt == "csv":
                _read_csv(con, path, text, src.delimiter, src.skip_rows, src.null_values,
                          utf8=codecs.lookup(src.encoding).name == "utf-8", compression=compression)
            else:
                records = _json_records(text, src.records_path)
                del text
                frame = _records_frame(records).to_arrow()
                del records
                con.register("json_records", frame)
                con.execute("CREATE TEMP TABLE src_file AS SELECT * FROM json_records")
                con.unregister("json_records")
    except FileRejected:
        raise
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise FileRejected(f"the file is not a readable gzip archive ({exc})") from None
    except UnicodeDecodeError as exc:
        raise FileRejected(f"the file is not {src.encoding} text (byte {exc.start}: {exc.reason}); "
                           "set `source.encoding` in the mapping") from None
    except json.JSONDecodeError as exc:
        raise FileRejected(f"the file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (duckdb.Error, pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise FileRejected(f"the file could not be read as {fmt} (mapping {resolved.path}): {first_line(exc)}") from None
    names = [d[0] for d in con.execute("SELECT * FROM src_file LIMIT 0").description]
    rows = con.execute("SELECT count(*) FROM src_file").fetchone()[0]
    if rows == 0:
        raise FileRejected("the file has no records")
    # file order: a table keeps the order rows were inserted in (rowid)
    con.execute(f"CREATE TEMP TABLE src AS SELECT rowid + 1 AS {ident(ROW)}, "
                + ", ".join(f"{ident(n)} AS {ident(n.strip())}" for n in names) + " FROM src_file")
    con.execute("DROP TABLE src_file")
    return [n.strip() for n in names], rows


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, text: str, delimiter: str, skip_rows: int,
              null_values: list[str], *, utf8: bool, compression: str) -> None:
    lines = text.split("\n", skip_rows + 1)
    header = lines[skip_rows] if len(lines) > skip_rows else ""
    if delimiter not in header:
        raise FileRejected(f"the header line has no {delimiter!r}: is `source.delimiter` (or `skip_rows`) right? "
                           f"(header: {header[:120]!r})")
    options = (f"header = true, all_varchar = true, delim = {sql_literal(delimiter)}, quote = '\"', "
               f"escape = '\"', null_padding = true, nullstr = [{', '.join(map(sql_literal, null_values))}]")
    if utf8:  # DuckDB reads the landed file itself
        con.execute(f"CREATE TEMP TABLE src_file AS SELECT * FROM read_csv({sql_literal(str(path))}, {options}, "
                    f"skip = {skip_rows}, compression = '{compression}')")
        return
    # another encoding: DuckDB reads the text, re-encoded as UTF-8, from a private temporary file
    with tempfile.TemporaryDirectory(prefix="bpo-mapping-") as tmp:
        utf8_copy = Path(tmp) / "source.csv"
        utf8_copy.write_text(text, encoding="utf-8")
        con.execute(f"CREATE TEMP TABLE src_file AS SELECT * FROM read_csv({sql_literal(str(utf8_copy))}, "
                    f"{options}, skip = {skip_rows})")


def _json_docs(text: str) -> list[Any]:
    """One JSON document, a JSON array, JSON lines, or concatenated objects (Kinesis Firehose style)."""
    decoder = json.JSONDecoder()
    docs, pos, end = [], 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return docs
        doc, pos = decoder.raw_decode(text, pos)
        docs.append(doc)


def _json_records(text: str, path: list[str]) -> list[dict[str, Any]]:
    records: list[Any] = []
    for doc in _json_docs(text):
        node = doc
        for i, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                found = ", ".join(list(node)[:20]) if isinstance(node, dict) else type(node).__name__
                raise FileRejected(f"records path {'.'.join(path)!r} not found: no {key!r} at "
                                   f"{'.'.join(path[:i]) or 'the top level'} (found: {found}); "
                                   "check `source.records` in the mapping")
            node = node[key]
        if isinstance(node, list):
            records.extend(node)
        else:
            records.append(node)
    bad = next((r for r in records if not isinstance(r, dict)), None)
    if bad is not None:
        raise FileRejected(f"the records are not JSON objects (found {str(bad)[:80]!r}); "
                           "check `source.records` in the mapping")
    return [_prune(r) for r in records]


def _prune(value: Any) -> Any:
    """Drop empty objects (`"Attributes": {}`): Arrow/DuckDB cannot hold a struct without fields."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if not (isinstance(v, dict) and not v)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _records_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    if not records:
        return pl.DataFrame()
    return pl.from_dicts(records, infer_schema_length=None)


# ------------------------------------------------------------------------------------------- expressions


def rule_sql(rule: Rule) -> str:
    """The rule as one SQL expression (a code list becomes a CASE)."""
    if rule.expr is None:
        return sql_literal(rule.const)
    if rule.codes is None:
        return f"({rule.expr})"
    key = f"trim(CAST(({rule.expr}) AS VARCHAR))"
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in rule.codes.items())
    other = f"({rule.else_})" if rule.else_ is not None else "NULL"
    return f"(CASE WHEN ({rule.expr}) IS NULL THEN NULL ELSE CASE {key} {whens} ELSE {other} END END)"


def unmatched_sql(rule: Rule) -> str | None:
    """Rows whose code is in no list and have no `else`: reported, not silently nulled."""
    if rule.codes is None or rule.else_ is not None:
        return None
    keys = ", ".join(sql_literal(k) for k in rule.codes)
    return f"(({rule.expr}) IS NOT NULL AND trim(CAST(({rule.expr}) AS VARCHAR)) NOT IN ({keys}))"


def _parse(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [f"SELECT {sql} FROM t"]).fetchone()[0])
    if tree.get("error"):
        raise ValueError(tree.get("error_message", "syntax error"))
    if len(tree.get("statements", [])) != 1:
        raise ValueError("one expression expected (no ';')")
    return tree


def _column_refs(tree: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(tree, dict):
        if tree.get("class") == "COLUMN_REF" and tree.get("column_names"):
            found.add(tree["column_names"][0])
        for v in tree.values():
            found |= _column_refs(v)
    elif isinstance(tree, list):
        for v in tree:
            found |= _column_refs(v)
    return found


def _duck_message(exc: Exception) -> str:
    text = str(exc).strip()
    text = re.sub(r"^[A-Za-z ]+Error: ", "", text)
    return text.split("\n\nLINE", 1)[0].replace("\n", " ")[:400]


def connect() -> duckdb.DuckDBPyConnection:
    """A staging connection with the mapping macros (file access is switched off once the file is read)."""
    con = staging_connection()
    for name, (params, body) in MACROS.items():
        con.execute(f"CREATE MACRO {name}({params}) AS {body}")
    return con


@dataclass
class _Expr:
    name: str  # "columns.<col>", "derived.<name>" or "where"
    sql: str
    refs: set[str]


def apply_mapping(resolved: ResolvedMapping, path: Path, *, timezone: str | None) -> MappedFrame:
    """Map one vendor file to the canonical columns of its feed (as an Arrow table), or raise FileRejected."""
    con = connect()
    try:
        mapped = map_staged(con, resolved, path, timezone=timezone)
        rows = con.execute(f"SELECT * FROM {MAPPED} ORDER BY {ident(ROW)}").to_arrow_table()
    finally:
        con.close()
    return MappedFrame(timezone=mapped.timezone, version=mapped.version, warnings=mapped.warnings,
                       source_columns=mapped.source_columns, frame=pl.from_arrow(rows.drop_columns([ROW])),
                       source_rows=rows[ROW].to_pylist())


def map_staged(con: duckdb.DuckDBPyConnection, resolved: ResolvedMapping, path: Path, *,
               timezone: str | None) -> MappedFile:
    """Read `path` into `con` (a `connect()` connection) and map it: table MAPPED, rows in source order."""
    mapping: Mapping = resolved.mapping
    tz = mapping.timezone or timezone or "UTC"
    source_columns, source_rows = read_source(con, path, resolved)
    con.execute("SET enable_external_access = false")  # mapping expressions read the file's rows, nothing else
    con.execute(f"SET VARIABLE bpo_timezone = {sql_literal(tz)}")
    exprs = _parsed_expressions(con, resolved)
    before_where = _bind(con, resolved, exprs, source_columns)
    out_cols = [(c, exprs[f"columns.{c.name}"]) for c in resolved.feed.columns if f"columns.{c.name}" in exprs]
    if "columns.vendor_id" in exprs:
        out_cols.append((Column("vendor_id", "string"), exprs["columns.vendor_id"]))
    select = ", ".join([ident(ROW), *(f"{e.sql} AS {ident(c.name)}" for c, e in out_cols)])
    try:
        con.execute(f"CREATE TEMP TABLE mapped AS SELECT {select} FROM f")
    except duckdb.Error as exc:
        raise _runtime_error(con, resolved, exprs, exc, source_columns) from None
    _check_codes(con, resolved, source_columns, exprs)
    casts = [ident(ROW)]
    problems: list[tuple[str, str, list[str]]] = []
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE mapped)").fetchall())
    for col, expr in out_cols:
        cast, problem = _typed(con, col, types[col.name], expr, source_columns)
        casts.append(f"{cast} AS {ident(col.name)}")
        if problem:
            problems.append((col.name, *problem))
    if problems:
        col, first, details = problems[0]
        raise _error(resolved, f"column {col}", first,
                     [f"column {c}: {p}" + "".join(f"\n    {d}" for d in ds) for c, p, ds in problems])
    con.execute(f"CREATE TEMP TABLE {MAPPED} AS SELECT {', '.join(casts)} FROM mapped ORDER BY {ident(ROW)}")
    # rows reaching `where`: more than the records when a derived value unnests a list (one row per element)
    candidates = source_rows if before_where == "src" else \
        con.execute(f"SELECT count(*) FROM {before_where}").fetchone()[0]
    mapped_rows = con.execute(f"SELECT count(*) FROM {MAPPED}").fetchone()[0]
    # the file's own rows go: only the mapped ones are needed from here on
    for i in range(len(mapping.derived), 0, -1):
        con.execute(f"DROP VIEW IF EXISTS s{i}")
    con.execute("DROP VIEW IF EXISTS f")
    con.execute("DROP TABLE mapped")
    con.execute("DROP TABLE src")
    warnings = _drift(resolved, exprs, source_columns)
    if mapped_rows < candidates:
        what = "source record(s)" if candidates == source_rows else "rows (records unnested by `derived`)"
        warnings.append(f"mapping {resolved.path.name}: {candidates - mapped_rows} of {candidates} {what} "
                        f"left out by its `where`")
    return MappedFile(timezone=tz, version=resolved.version, warnings=warnings, source_columns=source_columns)


def _parsed_expressions(con: duckdb.DuckDBPyConnection, resolved: ResolvedMapping) -> dict[str, _Expr]:
    mapping = resolved.mapping
    todo: list[tuple[str, str]] = [(f"derived.{n}", rule_sql(r)) for n, r in mapping.derived.items()]
    if mapping.where:
        todo.append(("where", f"({mapping.where})"))
    todo += [(f"columns.{n}", rule_sql(r)) for n, r in resolved.columns.items()]
    exprs: dict[str, _Expr] = {}
    for name, sql in todo:
        try:
            tree = _parse(con, sql)
        except ValueError as exc:
            problem = f"the expression does not parse: {exc}"
            near = re.search(r'at or near "([A-Za-z_]+)"', str(exc))
            if near:
                problem += f' (a column named {near.group(1)} must be quoted: "{near.group(1)}")'
            raise _error(resolved, name, problem, [f"expression: {sql}"]) from None
        exprs[name] = _Expr(name, sql, _column_refs(tree))
    return exprs


def _bind(con: duckdb.DuckDBPyConnection, resolved: ResolvedMapping, exprs: dict[str, _Expr],
          source_columns: list[str]) -> str:
    """Create the derived-value views s1..sN and f; check each expression binds against the file.

    Returns the view that `where` filters (the last derived view, or src)."""
    lower = {c.lower() for c in source_columns}
    previous = "src"
    for i, name in enumerate(resolved.mapping.derived, start=1):
        if name.lower() in lower:
            raise _error(resolved, f"derived.{name}", f"the name {name!r} is also a column of the file; rename it")
        e = exprs[f"derived.{name}"]
        _try_bind(con, resolved, e, source_columns,
                  f"CREATE TEMP VIEW s{i} AS SELECT *, {e.sql} AS {ident(name)} FROM {previous}")
        previous = f"s{i}"
    if "where" in exprs:
        _try_bind(con, resolved, exprs["where"], source_columns,
                  f"CREATE TEMP VIEW f AS SELECT * FROM {previous} WHERE {exprs['where'].sql}")
    else:
        con.execute(f"CREATE TEMP VIEW f AS SELECT * FROM {previous}")
    for key, e in exprs.items():
        if key.startswith("columns."):
            _try_bind(con, resolved, e, source_columns, f"SELECT {e.sql} FROM f LIMIT 0")
    return previous


def _try_bind(con: duckdb.DuckDBPyConnection, resolved: ResolvedMapping, e: _Expr, source_columns: list[str],
              sql: str) -> None:
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        message = _duck_message(exc)
        missing = re.search(r'Referenced column "?(.+?)"? not found', message)
        if missing:
            problem = (f"refers to column {missing.group(1)!r}, which the file does not have "
                       f"(for a text constant, quote it: '{missing.group(1)}')")
        else:
            problem = f"the expression cannot be evaluated on this file: {message}"
        raise _error(resolved, e.name, problem, [f"expression: {e.sql}",
                                                 f"columns in the file: {', '.join(source_columns)}"]) from None


def _source_values(con: duckdb.DuckDBPyConnection, e: _Expr, row: int, source_columns: list[str]) -> str:
    used = [c for c in source_columns if c.lower() in {r.lower() for r in e.refs}]
    if not used:
        return ""
    values = con.execute(f"SELECT {', '.join(ident(c) for c in used)} FROM src WHERE {ident(ROW)} = ?",
                         [row]).fetchone()
    shown = ", ".join(f"{c}={_short(v)}" for c, v in zip(used, values or []))
    return f"; source {shown}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _runtime_error(con: duckdb.DuckDBPyConnection, resolved: ResolvedMapping, exprs: dict[str, _Expr],
                   exc: duckdb.Error, source_columns: list[str]) -> FileRejected:
    """Which expression failed on which row: evaluate each alone, then bisect the rows."""
    views = {f"derived.{n}": f"s{i}" for i, n in enumerate(resolved.mapping.derived, start=1)}
    for key, e in exprs.items():
        view = views.get(key, "f")
        target = ident(key.split(".", 1)[1]) if key in views else e.sql
        if key == "where":
            view, target = "f", "1"
        try:
            con.execute(f"SELECT count({target}) FROM {view}").fetchone()
            continue
        except duckdb.Error as first:
            message = _duck_message(first)
        lo, hi = con.execute(f"SELECT min({ident(ROW)}), max({ident(ROW)}) FROM src").fetchone()
        while lo < hi:  # the first failing row: [lo, mid] fails or not
            mid = (lo + hi) // 2
            try:
                con.execute(f"SELECT count({target}) FROM {view} WHERE {ident(ROW)} BETWEEN ? AND ?",
                            [lo, mid]).fetchone()
                lo = mid + 1
            except duckdb.Error as narrower:
                message = _duck_message(narrower)
                hi = mid
        where = f"row {lo}{_source_values(con, e, lo, source_columns)}"
        return _error(resolved, key, f"{message} ({where})", [f"expression: {e.sql}"])
    return _error(resolved, "expressions", _duck_message(exc))


def _check_codes(con: duckdb.DuckDBPyConnection, resolved: ResolvedMapping, source_columns: list[str],
                 exprs: dict[str, _Expr]) -> None:
    rules = {f"columns.{n}": r for n, r in resolved.columns.items()}
    rules.update({f"derived.{n}": r for n, r in resolved.mapping.derived.items()})
    for key, rule in rules.items():
        check = unmatched_sql(rule)
        if check is None:
            continue
        rows = con.execute(f"SELECT {ident(ROW)}, CAST(({rule.expr}) AS VARCHAR) FROM f WHERE {check} "
                           f"ORDER BY 1").fetchall()
        if rows:
            values = list(dict.fromkeys(v for _, v in rows))
            examples = [f"row {r}: {v!r}{_source_values(con, exprs[key], r, source_columns)}"
                        for r, v in rows[:MAX_EXAMPLES]]
            raise _error(resolved, key, f"{len(rows)} value(s) are in no code list: "
                         f"{', '.join(map(repr, values[:10]))} (add them to `codes`, or give `else`)", examples)


def _typed(con: duckdb.DuckDBPyConnection, col: Column, duck_type: str, e: _Expr,
           source_columns: list[str]) -> tuple[str, tuple[str, list[str]] | None]:
    """SQL that casts mapped column `col` to what normalise_staged() expects, and any values it cannot take."""
    x = ident(col.name)
    text = f"nullif(trim(CAST({x} AS VARCHAR)), '')"
    kind = col.type
    if con.execute(f"SELECT count({x}) FROM mapped").fetchone()[0] == 0:
        rows = con.execute("SELECT count(*) FROM mapped").fetchone()[0]
        if rows and not col.nullable and e.refs:
            # e.g. a JSON key spelt in another case (`->>` is case-sensitive): every value comes out empty
            return "NULL", (f"the expression gives no value in any of the {rows} record(s): does it name a "
                            "column or JSON key that the file spells differently (JSON keys are case-sensitive)?",
                            [f"expression: {e.sql}", f"columns in the file: {', '.join(source_columns)}"])
        return f"CAST(NULL AS {_DUCK_TYPES[kind]})", None  # all null
    nested = duck_type.endswith("]") or duck_type.startswith(("STRUCT", "MAP", "UNION"))
    numeric = bool(_NUMERIC.match(duck_type))
    is_text = duck_type == "VARCHAR"
    if nested or duck_type == "JSON":
        hint = "use ->> to extract text from JSON" if duck_type == "JSON" else "pick a field, e.g. Queue.Name"
        return "NULL", (f"the expression yields {duck_type.split('(')[0]}, not a {kind}: {hint}", [])
    bad: str | None = None
    if kind == "string":
        cast = text
    elif kind == "int":
        if duck_type == "INTERVAL":
            num = f"epoch({x})"
        elif numeric:
            num = f"CAST({x} AS DOUBLE)"
        elif is_text:
            num = f"TRY_CAST({text} AS DOUBLE)"
        else:
            return "NULL", (f"the expression yields {duck_type}, not a whole number", [])
        lo, hi = STORED_INT_RANGE  # raw.* stores INTEGER: a larger value is reported here, not at the load
        cast = f"TRY_CAST({num} AS BIGINT)"
        bad = (f"{x} IS NOT NULL AND ({text} IS NOT NULL AND ({num} IS NULL OR {num} <> round({num}) "
               f"OR {num} NOT BETWEEN {lo} AND {hi}))")
        bad_desc = f"whole number (of seconds, for durations) from {lo} to {hi}"
    elif kind == "bool":
        if duck_type == "BOOLEAN":
            cast = x
        elif is_text or _INTEGER.match(duck_type):
            low = f"lower({text})"
            cast = (f"CASE WHEN {low} IN ({', '.join(map(sql_literal, TRUE_WORDS))}) THEN TRUE "
                    f"WHEN {low} IN ({', '.join(map(sql_literal, FALSE_WORDS))}) THEN FALSE END")
            bad = f"{text} IS NOT NULL AND ({cast}) IS NULL"
            bad_desc = "boolean (true/false, 1/0, Y/N)"
        else:
            return "NULL", (f"the expression yields {duck_type}, not a boolean", [])
    elif kind == "timestamp":
        if duck_type == "TIMESTAMP WITH TIME ZONE" or duck_type == "DATE":
            cast = x
        elif duck_type.startswith("TIMESTAMP"):
            cast = f"CAST({x} AS TIMESTAMP)"
        elif is_text:
            cast = text
            bad = f"{text} IS NOT NULL AND TRY_CAST({text} AS TIMESTAMPTZ) IS NULL"
            bad_desc = "ISO 8601 timestamp (use strptime(...) for other layouts)"
        else:
            hint = " (epoch seconds? use to_timestamp(x); milliseconds: to_timestamp(x / 1000))" if numeric else ""
            return "NULL", (f"the expression yields {duck_type}, not a timestamp{hint}", [])
    elif kind == "date":
        if duck_type == "DATE" or duck_type.startswith("TIMESTAMP"):
            cast = f"CAST({x} AS DATE)"
        elif is_text:
            cast = f"TRY_CAST({text} AS DATE)"
            bad = f"{text} IS NOT NULL AND {cast} IS NULL"
            bad_desc = "date (YYYY-MM-DD; use strptime(...) for other layouts)"
        else:
            return "NULL", (f"the expression yields {duck_type}, not a date", [])
    elif kind in ("decimal", "rate"):
        target = "DECIMAL(18,4)" if kind == "decimal" else "DECIMAL(18,8)"
        if numeric:
            cast = f"TRY_CAST({x} AS {target})"
            bad = f"{x} IS NOT NULL AND {cast} IS NULL"
        elif is_text:
            cast = f"TRY_CAST({text} AS {target})"
            bad = f"{text} IS NOT NULL AND {cast} IS NULL"
        else:
            return "NULL", (f"the expression yields {duck_type}, not a decimal number", [])
        bad_desc = f"decimal number fitting {target}"
    else:  # pragma: no cover
        raise ValueError(kind)
    if bad is None:
        return cast, None
    rows = con.execute(f"SELECT {ident(ROW)}, CAST({x} AS VARCHAR) FROM mapped WHERE {bad} ORDER BY 1").fetchall()
    if not rows:
        return cast, None
    examples = [f"row {r}: mapped value {v!r}{_source_values(con, e, r, source_columns)}" for r, v in rows[:MAX_EXAMPLES]]
    return cast, (f"{len(rows)} value(s) cannot be a {bad_desc} (first: {examples[0]})", examples)


def _drift(resolved: ResolvedMapping, exprs: dict[str, _Expr], source_columns: list[str]) -> list[str]:
    used = {r.lower() for e in exprs.values() for r in e.refs}
    used |= {c.lower() for c in resolved.mapping.ignore_columns}
    unused = [c for c in source_columns if c.lower() not in used]
    if not unused:
        return []
    return [f"schema drift: source column(s) not used by mapping {resolved.path.name}: {', '.join(unused)}"]
