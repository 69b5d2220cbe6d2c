"""Read a landed file with DuckDB and normalise it to its feed's stored shape, in SQL.

One path for every file (docs/ingestion.md):

    stage_file:      DuckDB reads the file (read_csv / read_json / read_parquet, gzip included) into the
                     temp table `src` of a private in-memory connection (`staging_connection`)
    (mapping):       a vendor mapping (ingestion/mappings) turns `src` into the canonical columns;
                     for a canonical file the mapping is the identity: `src` already has them
    normalise_staged: types (from `ingestion.feeds`), timestamps to UTC (a value without an offset is
                     read in the vendor's timezone), booleans from true/false, 1/0, Y/N, money to
                     DECIMAL(18,4), PII hashed or dropped -- one SQL statement -- and hands the rows
                     over as one Arrow table (what validation and the load read)

The connection is private (no warehouse needed), so the next file is prepared while the current
one loads (ingestion/batch.py). Problems that make a file unusable raise `FileRejected` with a
reason a human can act on; GX validation of the values comes afterwards (expectations/).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.feeds import FALSE_WORDS, STORED_DECIMALS, STORED_INT_RANGE, TRUE_WORDS, Column, Feed, stored_name
from ingestion.pii import SALT_VARIABLE, WHITESPACE, salted_key_sql
from ingestion.sql_text import ident, sql_literal

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".jsonl", ".json", ".jsonl.gz", ".json.gz")
MAX_EXAMPLES = 5
MAX_HEADER_BYTES = 64 * 1024  # a longer first line is not a header (e.g. one 50 MB line)
SOURCE = "src"  # the staged file (or the mapped rows) in the staging connection
# Instants Python (GX examples, dbt, BI readers) can hold: a local 9999-12-31 23:00 east of UTC is past them.
EARLIEST_INSTANT = "0001-01-02 00:00:00+00"
LATEST_INSTANT = "9999-12-31 23:59:59.999999+00"
_DUCK_TYPES = {"string": "VARCHAR", "int": "BIGINT", "bool": "BOOLEAN", "timestamp": "TIMESTAMPTZ",
               "date": "DATE", "decimal": "DECIMAL(18,4)", "rate": "DECIMAL(18,8)"}
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "UHUGEINT")
_NUMERIC_TYPES = (*_INTEGER_TYPES, "FLOAT", "DOUBLE")
# Text timestamps (ISO 8601 shapes): date, then optionally time (T or spaces; seconds and a fraction
# optional) and an offset (Z, +hh:mm or +hhmm). Anything else is a type error, never a guess.
_TS_CANONICAL_NAIVE = r"^\d{4}-\d{2}-\d{2} (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d$"  # fast path: ACD exports
_TS_CANONICAL_AWARE = r"^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
_TS_GENERAL = (r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:T| +)([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(\.\d{1,9})?)?"
               r" *([Zz]|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$")


class FileRejected(Exception):
    """The file cannot be loaded; `reason` says why in one line, `details` shows evidence."""

    def __init__(self, reason: str, details: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.details = details or []


@dataclass
class NormalisedFile:
    frame: Any  # stored columns + _row_number: a pyarrow Table (a polars DataFrame from `normalise`)
    warnings: list[str] = field(default_factory=list)


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return None


def staging_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for one file: no warehouse, instants in UTC."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


# ----------------------------------------------------------------------------------------------- reading


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed | None = None) -> list[str]:
    """Read a canonical file as landed into temp table `src` (rows in file order); its column names.

    CSV and JSON cells come in as text (types are ours to decide), Parquet columns as typed. Given the
    feed, the CSV header / JSON keys are checked as they are spelt, before DuckDB reads the rows."""
    fmt = file_format(path)
    if fmt is None:
        raise FileRejected(f"unsupported file type {path.name!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}")
    gz = fmt.endswith(".gz")
    try:
        if fmt in (".csv", ".csv.gz"):
            names = _csv_header(path, gz, feed)
            columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
            source = (f"read_csv({sql_literal(str(path))}, header = true, auto_detect = false, columns = {columns}, "
                      f"delim = ',', quote = '\"', escape = '\"', null_padding = true, "
                      f"compression = '{'gzip' if gz else 'none'}')")
        elif fmt == ".parquet":
            source = f"read_parquet({sql_literal(str(path))})"
        else:
            source = _json_source(con, path, gz, feed)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {SOURCE} AS SELECT * FROM {source}")
    except FileRejected:
        raise
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise FileRejected(f"the file is not a readable gzip archive ({exc})") from None
    except UnicodeDecodeError as exc:
        raise FileRejected(f"the file is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except (duckdb.Error, OSError, ValueError, csv.Error) as exc:
        raise FileRejected(f"the file could not be read as {fmt}: {first_line(exc)}") from None
    return [d[0] for d in con.execute(f"SELECT * FROM {SOURCE} LIMIT 0").description]


def first_line(exc: Exception) -> str:
    """An error's first line, without the SQL excerpt DuckDB appends (at most 300 characters)."""
    text = str(exc).split("\n\nLINE", 1)[0].strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _open(path: Path, gz: bool):
    return gzip.open(path, "rb") if gz else path.open("rb")


def _check_text(path: Path, gz: bool, chunk: int = 1 << 22) -> bytes:
    """Stream the (decompressed) file once: strict UTF-8 (DuckDB would report a bad byte without
    its offset), not empty; returns its first bytes (for the header)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    head = b""
    offset = 0
    blank = True
    with _open(path, gz) as f:
        while True:
            data = f.read(chunk)
            if not data:
                break
            if len(head) <= MAX_HEADER_BYTES:
                head += data[:MAX_HEADER_BYTES + 2 - len(head)]
            if blank and data.strip():
                blank = False
            pending = len(decoder.getstate()[0])  # bytes of a character split by the previous chunk
            try:
                decoder.decode(data)
            except UnicodeDecodeError as exc:  # its offset in the whole file, as `bytes.decode` gives it
                start = offset - pending + exc.start
                raise UnicodeDecodeError("utf-8", b"", start, start + 1, exc.reason) from None
            offset += len(data)
    pending = len(decoder.getstate()[0])
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        start = offset - pending + exc.start
        raise UnicodeDecodeError("utf-8", b"", start, start + 1, exc.reason) from None
    if blank:
        raise FileRejected("the file is empty")
    return head


def _csv_header(path: Path, gz: bool, feed: Feed | None) -> list[str]:
    """The header's column names, checked before DuckDB reads the rows (a repeated name would be renamed)."""
    head = _check_text(path, gz)
    line = head.split(b"\n", 1)[0]
    if len(line) > MAX_HEADER_BYTES:
        size = 0
        with _open(path, gz) as f:  # measure the line (streamed)
            while True:
                data = f.read(1 << 22)
                cut = data.find(b"\n")
                size += len(data) if cut < 0 else cut
                if not data or cut >= 0:
                    break
        raise FileRejected(
            f"the first line is {size / 1e6:.1f} MB long with no line break: not a CSV header "
            f"(a header is at most {MAX_HEADER_BYTES // 1024} KiB); is the file one huge line or not CSV at all?")
    line = line.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r")
    if b"," not in line and any(sep in line for sep in (b";", b"\t", b"|")):
        raise FileRejected("the header has no commas: the file seems to use another delimiter (expected ',')")
    names = next(csv.reader([line.decode("utf-8")]), [])
    _check_header(names, feed)  # repeated names too, before DuckDB renames them
    return names


def _json_source(con: duckdb.DuckDBPyConnection, path: Path, gz: bool, feed: Feed | None) -> str:
    """read_json over every key of every record (first seen first), each value as text."""
    head = _check_text(path, gz)
    fmt = "array" if head.lstrip().startswith(b"[") else "newline_delimited"
    args = (f"{sql_literal(str(path))}, format = '{fmt}', compression = '{'gzip' if gz else 'uncompressed'}'")
    # the keys as spelt (read_json matches them case-insensitively: "INTERACTION_ID" would be merged away)
    keys, not_objects = con.execute(
        f"SELECT list(k ORDER BY n), (SELECT count(*) FROM read_json_objects({args}) "
        f"WHERE json_type(json) <> 'OBJECT') FROM (SELECT k, min(n) AS n FROM (SELECT unnest(json_keys(json)) AS k, "
        f"row_number() OVER () AS n FROM read_json_objects({args})) GROUP BY k)").fetchone()
    if not_objects:
        raise FileRejected(f"the file could not be read as {file_format(path)}: its records are not JSON objects")
    keys = keys or []
    _check_header(keys, feed)
    if len({k.lower() for k in keys}) < len(keys):
        raise FileRejected(f"the file could not be read as {file_format(path)}: keys that differ only in case "
                           f"({', '.join(keys)})")
    columns = "{" + ", ".join(f"{sql_literal(k)}: 'VARCHAR'" for k in keys) + "}"
    return f"read_json({args}, columns = {columns})"


# ----------------------------------------------------------------------------------------- normalising


def normalise(frame: Any, feed: Feed, *, vendor_id: str | None, timezone: str | None, salt: str) -> NormalisedFile:
    """Normalise an in-memory frame (polars or Arrow; what a file would be read as) with the same SQL as
    a landed file; the result's frame is a polars DataFrame (for tests and previews)."""
    con = staging_connection()
    try:
        con.register("frame_in", frame)
        con.execute(f"CREATE TEMP TABLE {SOURCE} AS SELECT * FROM frame_in")
        con.unregister("frame_in")
        normalised = normalise_staged(con, feed, vendor_id=vendor_id, timezone=timezone, salt=salt)
    finally:
        con.close()
    return NormalisedFile(frame=pl.from_arrow(normalised.frame), warnings=normalised.warnings)


def normalise_staged(con: duckdb.DuckDBPyConnection, feed: Feed, *, vendor_id: str | None, timezone: str | None,
                     salt: str, table: str = SOURCE) -> NormalisedFile:
    """Cast the staged rows (`table`, in file order) to the feed's stored shape; reject what cannot be cast.

    Drops `table` once typed: the staged text goes as soon as it is no longer needed."""
    warnings: list[str] = []
    # a mapped file keeps its source record number (__bpo_row) beside the canonical columns
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "__bpo_row"}
    columns = list(types)
    if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
        raise FileRejected("the file has a header but no rows")
    _check_header(columns, feed)
    by_name = {c.strip(): c for c in columns}
    known = set(feed.column_names) | {"vendor_id"}
    unknown = [c.strip() for c in columns if c.strip() not in known]
    if unknown:
        warnings.append(f"schema drift: unknown column(s) ignored: {', '.join(unknown)}")
    missing = [c for c in feed.required_columns if c not in by_name]
    if missing:
        raise FileRejected(
            f"missing required column(s): {', '.join(missing)}",
            [f"columns found: {', '.join(columns)}"],
        )

    tz = timezone or "UTC"
    plan = _Plan()
    checked: list[Column] = []
    problems: list[str] = []  # per checked column, a code: 0 none, 1 wrong type, 2 cannot store, 3 NUL byte
    for col in feed.columns:
        if col.name not in by_name:
            continue
        raw = plan.add(_RAW, ident(by_name[col.name]), f"__raw_{col.name}")
        value, code = _column_sql(plan, col, raw, types[by_name[col.name]], tz)
        plan.add(_VALUE, value, col.name)
        if code is not None and not col.pii:
            problems.append(f"CAST({code} AS UTINYINT) AS {ident(_PROBLEM + col.name)}")
            checked.append(col)
    if "vendor_id" in by_name:
        raw = plan.add(_RAW, ident(by_name["vendor_id"]), "__raw_vendor_id")
        v = f"CAST({raw} AS VARCHAR)"
        plan.add(_CELL, f"CASE WHEN {_no_edge_space(v)} THEN {v} ELSE trim({v}, {sql_literal(WHITESPACE)}) END",
                 "__vendor_id")

    out: list[str] = []  # the stored columns (PII hashed, defaults), then the problem codes
    if feed.vendor_scoped:
        out.append(f"{'__vendor_id' if 'vendor_id' in by_name else sql_literal(vendor_id)}::VARCHAR AS vendor_id")
    for col in feed.columns:
        name = stored_name(col)
        if name is None:
            continue
        present = col.name in by_name
        x = ident(col.name)
        if col.pii == "hash":
            out.append(f"{salted_key_sql(x) if present else 'NULL::BLOB'} AS {ident(name)}")
        elif col.pii == "flag":
            out.append(f"{f'coalesce(length({x}) > 0, false)' if present else 'false'} AS {ident(name)}")
        elif not present:
            out.append(f"CAST({sql_literal(col.default)} AS {_DUCK_TYPES[col.type]}) AS {x}")
        elif col.default_when_empty and col.default is not None:
            # only empty cells (an invalid value is rejected below, never defaulted)
            out.append(f"coalesce({x}, CAST({sql_literal(col.default)} AS {_DUCK_TYPES[col.type]})) AS {x}")
        else:
            out.append(x)
    out.append("_row_number")
    con.execute(f"SET VARIABLE {SALT_VARIABLE} = ?", [salt])
    try:
        # one pass, straight to one Arrow table: what validation reads and the load inserts. Through a
        # relation: `execute(...)` streams its result, and DuckDB's threads then spin waiting for the
        # consumer (twice the CPU time on 2 cores, measured)
        frame = con.sql(plan.sql(table, out + problems)).to_arrow_table()
    finally:
        con.execute(f"RESET VARIABLE {SALT_VARIABLE}")
    # A value that was present but did not survive the cast is a type error, or a value the
    # warehouse cannot store (too large for its column type, a timestamp past the year 9999, a NUL
    # byte in text): reported with its row and value, never left to fail the load.
    codes = [_PROBLEM + c.name for c in checked]
    if codes and any(pc.max(frame[c]).as_py() for c in codes):
        problems = _value_problems(con, frame, table, checked, by_name, tz)
        if problems:
            raise _values_rejected(problems)
    con.execute(f"DROP TABLE {table}")  # the staged text goes
    return NormalisedFile(frame=frame.drop_columns(codes), warnings=warnings)


# The normalise statement is nested SELECTs, one per level, innermost first. An expression may use the
# columns of the levels below its own (each level is `SELECT *, <its expressions> FROM (<the level below>)`),
# so that what several expressions need is computed once: DuckDB evaluates a repeated subexpression (in
# the branches of a CASE, say) once per occurrence.
_RAW, _FAST, _CELL, _PARSE, _OFFSET, _ZONE, _VALUE = range(7)
_HOUR_US = 3600 * 1_000_000
_DAY_US = 24 * _HOUR_US


class _Plan:
    def __init__(self) -> None:
        self.levels: list[list[str]] = [[] for _ in range(_VALUE + 1)]

    def add(self, level: int, sql: str, name: str) -> str:
        """Compute `sql` as column `name` at `level`; returns the column's reference."""
        self.levels[level].append(f"{sql} AS {ident(name)}")
        return ident(name)

    def sql(self, table: str, final: list[str]) -> str:
        query = f"SELECT rowid + 1 AS _row_number, {', '.join(self.levels[_RAW])} FROM {table}"
        for exprs in self.levels[1:]:
            if exprs:
                query = f"SELECT *, {', '.join(exprs)} FROM ({query})"
        return f"SELECT {', '.join(final)} FROM ({query})"


def _no_edge_space(v: str) -> str:
    """SQL: text `v` is not blank and neither starts nor ends with whitespace, for sure: its first and last
    characters lie in U+0021..U+0084, where no whitespace is (string comparisons and one character: 3 times
    cheaper than a regular expression, measured). Other text is trimmed, which changes nothing where
    there is no whitespace to remove."""
    return f"{v} >= '!' AND {v} < chr(133) AND ord({v}[-1]) BETWEEN 33 AND 132"


def _text(x: str) -> str:
    """A cell as trimmed text, blank -> null (what a CSV cell means). Whitespace is what polars'
    strip_chars removed (Unicode White_Space); only cells that may have some at their ends are trimmed."""
    v = f"CAST({x} AS VARCHAR)"
    return f"CASE WHEN {_no_edge_space(v)} THEN {v} ELSE nullif(trim({v}, {sql_literal(WHITESPACE)}), '') END"


def _bool_sql(text: str) -> str:
    # a CASE, not IN (...): DuckDB turns a long IN list into a join
    words = [*((w, "TRUE") for w in TRUE_WORDS), *((w, "FALSE") for w in FALSE_WORDS)]
    return f"CASE lower({text}) {' '.join(f'WHEN {sql_literal(w)} THEN {b}' for w, b in words)} END"


def _column_sql(plan: _Plan, col: Column, raw: str, duck_type: str, tz: str) -> tuple[str, str | None]:
    """(SQL of the typed value, SQL of its problem code) of feed column `col`, whose staged column (type
    `duck_type`) is `raw`; what they need is added to `plan` at the levels below _VALUE.

    The problem code is 0 (fine), 1 (a value present that did not survive the cast: the wrong type), 2 (a
    value the warehouse cannot store) or 3 (text with a NUL byte).

    A text cell of a typed column is parsed as it is first: a whole number, a boolean word or a canonical
    timestamp has no whitespace to trim, so only the other cells are trimmed and parsed again."""
    kind = col.type
    if duck_type in ('"NULL"', "NULL"):  # a column with no value at all (e.g. Parquet's null type)
        return f"CAST(NULL AS {_DUCK_TYPES[kind]})", None
    name = col.name
    is_text = duck_type == "VARCHAR"
    if kind == "string":
        if col.pii in ("hash", "drop"):  # the key trims (a blank is null); a dropped column is not read
            return raw, None
        cell = plan.add(_FAST, _text(raw), f"__cell_{name}")
        return cell, f"CASE WHEN strpos({ident(name)}, chr(0)) > 0 THEN 3 ELSE 0 END"
    if kind == "timestamp":
        return _timestamp_sql(plan, name, raw, duck_type, tz)
    if is_text and kind == "int":
        fast = plan.add(_FAST, f"regexp_full_match({raw}, '[+-]?\\d{{1,9}}')", f"__fast_{name}")
        cell = plan.add(_CELL, f"CASE WHEN {fast} THEN {raw} ELSE {_text(raw)} END", f"__cell_{name}")
        slow, value_too_large, missing_too_large = _typed_sql(cell, duck_type, col)
        value = f"CASE WHEN {fast} THEN CAST({raw} AS BIGINT) ELSE {slow} END"
    elif is_text and kind == "bool":
        fast = plan.add(_FAST, _bool_sql(raw), f"__fast_{name}")
        cell = plan.add(_CELL, f"CASE WHEN {fast} IS NOT NULL THEN {raw} ELSE {_text(raw)} END", f"__cell_{name}")
        value, value_too_large, missing_too_large = f"coalesce({fast}, {_bool_sql(cell)})", None, None
    else:
        cell = plan.add(_FAST, _text(raw), f"__cell_{name}") if is_text else raw
        value, value_too_large, missing_too_large = _typed_sql(cell, duck_type, col)
    return value, _problem_code(ident(name), cell, value_too_large, missing_too_large)


def _problem_code(value: str, cell: str, value_too_large: str | None, missing_too_large: str | None) -> str:
    """A typed value is 2 when `value_too_large` (@V@: the value), else 0; a cell present whose value is
    null is 2 when `missing_too_large` (e.g. a whole number beyond BIGINT), else 1 (the wrong type).
    (A typed value always comes from a cell present.)"""
    value_too_large = value_too_large and value_too_large.replace("@V@", value)
    when_value = f"CASE WHEN {value_too_large} THEN 2 ELSE 0 END" if value_too_large else "0"
    when_missing = f"CASE WHEN {missing_too_large} THEN 2 ELSE 1 END" if missing_too_large else "1"
    return f"CASE WHEN {value} IS NOT NULL THEN {when_value} WHEN {cell} IS NOT NULL THEN {when_missing} ELSE 0 END"


def _typed_sql(cell: str, duck_type: str, col: Column) -> tuple[str, str | None, str | None]:
    """(SQL of the typed value, SQL saying a typed value is too large to store, SQL saying a cell that did
    not survive the cast is a number too large) for `cell`: a staged column of type `duck_type`, as
    trimmed text (blank = null) when that is VARCHAR. Whole numbers, booleans, decimals and dates."""
    kind = col.type
    target = _DUCK_TYPES[kind]
    is_text = duck_type == "VARCHAR"
    text = cell if is_text else _text(cell)
    integer = duck_type in _INTEGER_TYPES
    number = duck_type in _NUMERIC_TYPES or duck_type.startswith("DECIMAL")
    if kind == "int":
        if integer:
            value = f"TRY_CAST({cell} AS BIGINT)"  # a UBIGINT beyond BIGINT: null, reported as too large
        else:
            # "12" and "12.0" are whole numbers; "12.5" is not (DuckDB's cast to BIGINT would round it)
            as_float = f"TRY_CAST({cell if is_text else text} AS DOUBLE)"
            value = f"CASE WHEN {as_float} = round({as_float}) THEN TRY_CAST({as_float} AS BIGINT) END"
            if is_text:  # plain digits straight to BIGINT (exact, and faster than through a DOUBLE)
                value = f"CASE WHEN regexp_full_match({cell}, '[+-]?\\d{{1,9}}') THEN CAST({cell} AS BIGINT) ELSE {value} END"
        lo, hi = STORED_INT_RANGE
        # a whole number the cast lost is too large (the cast takes every whole number that fits)
        as_number = f"TRY_CAST({cell if not is_text and number else text} AS DOUBLE)"
        return (value, f"@V@ NOT BETWEEN {lo} AND {hi}",
                f"isfinite({as_number}) AND {as_number} = round({as_number})")
    if kind == "bool":
        return (cell if duck_type == "BOOLEAN" else _bool_sql(text)), None, None
    if kind in ("decimal", "rate"):
        # a number the cast lost is too large (the cast takes every number that fits); else it is no number
        return (f"TRY_CAST({cell if number or is_text else text} AS {target})", None,
                f"isfinite(TRY_CAST({cell if number else text} AS DOUBLE))")
    if kind == "date":
        if duck_type == "DATE":
            value = cell
        elif duck_type.startswith("TIMESTAMP"):
            value = f"CAST({cell} AS DATE)"
        else:
            value = f"CAST(try_strptime(left({text}, 10), '%Y-%m-%d') AS DATE)"
        return value, "@V@ NOT BETWEEN DATE '0001-01-01' AND DATE '9999-12-31'", None
    raise ValueError(kind)  # pragma: no cover


def _timestamp_sql(plan: _Plan, name: str, raw: str, duck_type: str, tz: str) -> tuple[str, str]:
    """Value and problem code of a timestamp column: an offset-less local time (`naive`) read in `tz`, or
    an instant (`aware`). Canonical text (what ACD exports write) goes straight to DuckDB's casts; other
    text is trimmed and taken apart by `_TS_GENERAL`."""
    if duck_type == "TIMESTAMP WITH TIME ZONE":
        value, cell = raw, raw
    else:
        if duck_type.startswith("TIMESTAMP") or duck_type == "DATE":
            cell = raw
            naive, aware = f"CAST({raw} AS TIMESTAMP)", "CAST(NULL AS TIMESTAMPTZ)"
        elif duck_type == "VARCHAR":
            shape = plan.add(_FAST, f"CASE WHEN regexp_full_match({raw}, {sql_literal(_TS_CANONICAL_NAIVE)}) THEN 1 "
                                    f"WHEN regexp_full_match({raw}, {sql_literal(_TS_CANONICAL_AWARE)}) THEN 2 END",
                             f"__shape_{name}")
            cell = plan.add(_CELL, f"CASE WHEN {shape} IS NOT NULL THEN {raw} ELSE {_text(raw)} END",
                            f"__cell_{name}")
            naive = (f"CASE {shape} WHEN 1 THEN TRY_CAST({raw} AS TIMESTAMP) WHEN 2 THEN NULL "
                     f"ELSE {_naive_from_text(cell)} END")
            aware = (f"CASE {shape} WHEN 1 THEN NULL WHEN 2 THEN TRY_CAST({raw} AS TIMESTAMPTZ) "
                     f"ELSE {_aware_from_text(cell)} END")
        else:  # e.g. numbers: as text
            cell = raw
            text = plan.add(_CELL, _text(raw), f"__text_{name}")
            naive, aware = _naive_from_text(text), _aware_from_text(text)
        naive = plan.add(_PARSE, naive, f"__naive_{name}")
        aware = plan.add(_PARSE, aware, f"__aware_{name}")
        value = _localize(plan, name, naive, aware, tz)
    return value, _problem_code(ident(name), cell,
                                f"@V@ NOT BETWEEN TIMESTAMPTZ '{EARLIEST_INSTANT}' AND TIMESTAMPTZ '{LATEST_INSTANT}'",
                                None)


def _localize(plan: _Plan, name: str, naive: str, aware: str, tz: str) -> str:
    """`naive` (an offset-less TIMESTAMP) read in `tz` as TIMESTAMPTZ, else `aware`. A repeated local hour
    (clocks going back) takes its first occurrence; a local time skipped by a DST change gives null."""
    if tz == "UTC":
        return f"CASE WHEN {naive} IS NOT NULL THEN make_timestamptz(epoch_us({naive})) ELSE {aware} END"
    zone = sql_literal(tz)
    # On a local day far from any change of the zone's offset (nearly every value), the offset of that
    # day (_steady_offsets); elsewhere ICU's: the offset in force 3 hours before (resp. after) the local
    # time, right unless a transition lies in between, and then it round-trips only where the local time
    # exists ("before" is the earlier instant). Both agree far from any transition, and there they are
    # the day's offset. In microseconds (an instant plus an interval is a calendar computation in ICU).
    offset = plan.add(_OFFSET, _offset_of_day(f"(epoch_us({naive}) // {_DAY_US})", _steady_offsets(tz)),
                      f"__offset_{name}")
    before = plan.add(_ZONE, f"CASE WHEN {offset} IS NULL THEN epoch_us(timezone({zone}, {naive} - INTERVAL 3 HOUR)) "
                             f"+ {3 * _HOUR_US} END", f"__before_{name}")
    after = plan.add(_ZONE, f"CASE WHEN {offset} IS NULL THEN epoch_us(timezone({zone}, {naive} + INTERVAL 3 HOUR)) "
                            f"- {3 * _HOUR_US} END", f"__after_{name}")
    b, a = f"make_timestamptz({before})", f"make_timestamptz({after})"
    return (f"CASE WHEN {offset} IS NOT NULL THEN make_timestamptz(epoch_us({naive}) - {offset}) "
            f"WHEN {before} = {after} THEN {b} WHEN timezone({zone}, {b}) = {naive} THEN {b} "
            f"WHEN timezone({zone}, {a}) = {naive} THEN {a} ELSE {aware} END")


# Local days (days since 1970-01-01 of the offset-less time) whose offset is looked up instead of asked of
# ICU twice per value: from 2000 (validation refuses earlier timestamps) to a few years ahead.
_STEADY_FROM = date(2000, 1, 1)
_STEADY_YEARS_AHEAD = 3
_steady: dict[str, list[tuple[int, int, int]]] = {}


def _steady_offsets(tz: str) -> list[tuple[int, int, int]]:
    """(first day, last day, offset in microseconds) of the local days on which ICU reads every local time
    of `tz` at one offset: ICU's offset of the zone is the same at every half hour from 3 days before the
    day to 4 days after it (a local time within 3 hours of the day is then one instant, at that offset,
    for any offset up to 26 hours). Once per zone and process (about 0.1 s of ICU)."""
    if tz not in _steady:
        first = (_STEADY_FROM - date(1970, 1, 1)).days
        last = (date(date.today().year + _STEADY_YEARS_AHEAD, 12, 31) - date(1970, 1, 1)).days
        step = _HOUR_US // 2
        rows = duckdb.connect().execute(
            "WITH s AS (SELECT u // ? AS day, epoch_us(timezone(?, make_timestamptz(u))) - u AS off "
            "FROM range(?, ?, ?) t(u)), "
            "d AS (SELECT day, min(off) AS lo, max(off) AS hi FROM s GROUP BY day), "
            "w AS (SELECT day, min(lo) OVER near AS lo, max(hi) OVER near AS hi FROM d "
            "WINDOW near AS (ORDER BY day ROWS BETWEEN 3 PRECEDING AND 4 FOLLOWING)) "
            "SELECT day, lo FROM w WHERE lo = hi AND day BETWEEN ? AND ? ORDER BY day",
            [_DAY_US, tz, (first - 4) * _DAY_US, (last + 5) * _DAY_US, step, first, last]).fetchall()
        ranges: list[tuple[int, int, int]] = []
        for day, off in rows:
            if ranges and ranges[-1][1] == day - 1 and ranges[-1][2] == off:
                ranges[-1] = (ranges[-1][0], day, off)
            else:
                ranges.append((day, day, off))
        _steady[tz] = ranges
    return _steady[tz]


def _offset_of_day(day: str, ranges: list[tuple[int, int, int]]) -> str:
    """SQL: the offset of local `day` from `ranges` (sorted, disjoint), null outside them: a binary search
    of CASEs (a list lookup per value costs 10 times more, measured)."""
    if not ranges:
        return "CAST(NULL AS BIGINT)"
    if len(ranges) == 1:
        first, last, off = ranges[0]
        return f"CASE WHEN {day} BETWEEN {first} AND {last} THEN {off} END"
    mid = len(ranges) // 2
    return (f"CASE WHEN {day} < {ranges[mid][0]} THEN {_offset_of_day(day, ranges[:mid])} "
            f"ELSE {_offset_of_day(day, ranges[mid:])} END")


def _general_parts(text: str) -> tuple[str, str, str]:
    """(offset text: '' for none, the naive TIMESTAMP, the TIMESTAMPTZ given that offset) of `_TS_GENERAL` text."""
    parts = f"regexp_extract({text}, {sql_literal(_TS_GENERAL)}, ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'z'])"

    def p(k: str, default: str = "") -> str:
        return f"coalesce(nullif({parts}.{k}, ''), '{default}')" if default else f"{parts}.{k}"

    naive = (f"TRY_CAST({p('y')} || '-' || {p('mo')} || '-' || {p('d')} || ' ' || {p('h', '00')} || ':' || "
             f"{p('mi', '00')} || ':' || {p('s', '00')} || {p('f')} AS TIMESTAMP)")
    z = p("z")
    offset_minutes = (f"(CASE WHEN left({z}, 1) = '-' THEN -1 ELSE 1 END * "
                      f"(CAST(substr({z}, 2, 2) AS INTEGER) * 60 + CAST(right({z}, 2) AS INTEGER)))")
    aware = (f"CAST({naive} - to_minutes(CASE WHEN lower({z}) = 'z' THEN 0 ELSE {offset_minutes} END) "
             f"AS TIMESTAMPTZ)")
    return z, naive, aware


def _naive_from_text(text: str) -> str:
    """Trimmed text (blank = null) of a local time -> TIMESTAMP; null for an instant or anything else."""
    z, naive, _ = _general_parts(text)
    return (f"CASE WHEN regexp_full_match({text}, {sql_literal(_TS_CANONICAL_NAIVE)}) THEN TRY_CAST({text} AS TIMESTAMP) "
            f"WHEN regexp_full_match({text}, {sql_literal(_TS_CANONICAL_AWARE)}) THEN NULL "
            f"WHEN regexp_full_match({text}, {sql_literal(_TS_GENERAL)}) AND {z} = '' THEN {naive} END")


def _aware_from_text(text: str) -> str:
    """Trimmed text (blank = null) of an instant (with an offset) -> TIMESTAMPTZ; null for anything else."""
    z, _, aware = _general_parts(text)
    return (f"CASE WHEN regexp_full_match({text}, {sql_literal(_TS_CANONICAL_NAIVE)}) THEN NULL "
            f"WHEN regexp_full_match({text}, {sql_literal(_TS_CANONICAL_AWARE)}) THEN TRY_CAST({text} AS TIMESTAMPTZ) "
            f"WHEN regexp_full_match({text}, {sql_literal(_TS_GENERAL)}) AND {z} <> '' THEN {aware} END")


def timestamps_from_text_sql(table: str, column: str, tz: str) -> str:
    """A query of `table`'s text `column` as TIMESTAMPTZ (null where it is no timestamp), in row order:
    exactly what normalise reads (tests/ingestion/test_timestamps.py)."""
    plan = _Plan()
    raw = plan.add(_RAW, ident(column), "__raw")
    value, _ = _timestamp_sql(plan, "ts", raw, "VARCHAR", tz)
    plan.add(_VALUE, value, "ts")
    return plan.sql(table, ["ts"]) + " ORDER BY _row_number"


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _check_header(columns: list[str], feed: Feed | None) -> None:
    """Column names must be the feed's, exactly (surrounding spaces aside): a header in another case or
    spelling ("INTERACTION_ID", "Interaction ID") is rejected naming the column it should be, instead of
    being loaded under a guess or reported as a missing or empty column. Without a feed: repeats only."""
    known = [*feed.column_names, "vendor_id"] if feed is not None else []
    by_key = {_header_key(k): k for k in known}
    problems: list[str] = []
    stripped = [c.strip() for c in columns]
    for name, seen in zip(columns, stripped):
        if seen in known:
            continue
        expected = by_key.get(_header_key(seen))
        if expected is not None:
            problems.append(f"column {name}: expected {expected}")
    twice = sorted({c for c in stripped if stripped.count(c) > 1})
    problems += [f"column {c} appears more than once in the header" for c in twice]
    if problems:
        more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise FileRejected(
            f"{problems[0]} (column names are lower case, exactly as in docs/interfaces.md){more}",
            [*problems, f"columns found: {', '.join(columns)}"],
        )


@dataclass
class _ValueProblem:
    column: str
    kind: str  # "type" | "range" | "text"
    count: int
    examples: list[tuple[int, object]]  # (source row, value as landed)
    what: str  # after "is" / "are": e.g. "not a valid whole number", "too large for DECIMAL(18,4) (...)"

    def line(self) -> str:
        shown = ", ".join(f"row {r}: {v!r}" for r, v in self.examples)
        return f"column {self.column}: {self.count} value(s) are {self.what} ({shown})"

    def first(self) -> str:
        row, value = self.examples[0]
        return f"column {self.column}, row {row}: {value!r} is {self.what}"


_HEADINGS = {"type": "values of the wrong type", "range": "values the warehouse cannot store",
             "text": "text with a NUL byte"}
# per column: values it cannot store, NUL bytes, then the wrong type (the order of `details`)
_KINDS = {2: "range", 3: "text", 1: "type"}
_PROBLEM = "__problem_"


def _value_problems(con: duckdb.DuckDBPyConnection, frame: pa.Table, table: str, checked: list[Column],
                    by_name: dict[str, str], tz: str) -> list[_ValueProblem]:
    """The problem codes of `frame` as problems: per column and kind, a count and the first rows with
    their values as landed (from the staged `table`)."""
    problems: list[_ValueProblem] = []
    con.register("typed_rows", frame.select(["_row_number", *(_PROBLEM + c.name for c in checked)]))
    try:
        for col in checked:
            code_of = pc.value_counts(frame[_PROBLEM + col.name])
            counts = {v.as_py(): n.as_py() for v, n in zip(code_of.field("values"), code_of.field("counts"))}
            for code, kind in _KINDS.items():
                if not counts.get(code):
                    continue
                rows = con.execute(
                    f"SELECT t._row_number, s.{ident(by_name[col.name])} FROM typed_rows t "
                    f"JOIN (SELECT rowid + 1 AS _r, * FROM {table}) s ON s._r = t._row_number "
                    f"WHERE t.{ident(_PROBLEM + col.name)} = {code} ORDER BY 1 LIMIT {MAX_EXAMPLES}").fetchall()
                problems.append(_ValueProblem(col.name, kind, counts[code], [tuple(r) for r in rows],
                                              _what(col, kind, tz)))
    finally:
        con.unregister("typed_rows")
    return problems


def _what(col: Column, kind: str, tz: str) -> str:
    if kind == "type":
        return f"not a valid {_describe(col.type)}"
    if kind == "text":
        return "text with a NUL byte (\\x00), which the warehouse cannot store"
    if col.type == "int":
        lo, hi = STORED_INT_RANGE
        return f"too large for an INTEGER column ({lo:,}..{hi:,})"
    if col.type in STORED_DECIMALS:
        precision, scale = STORED_DECIMALS[col.type]
        return f"too large for DECIMAL({precision},{scale}) (at most {precision - scale} digits before the decimal point)"
    if col.type == "timestamp":
        where = f" once read in {tz}" if tz and tz != "UTC" else ""
        return f"outside the years 0001..9999 (UTC){where}"
    return "outside the years 0001..9999"


def _values_rejected(problems: list[_ValueProblem]) -> FileRejected:
    """One line: what kind of values, in which columns, and the first offending row and value."""
    parts = []
    for kind, heading in _HEADINGS.items():
        cols = list(dict.fromkeys(p.column for p in problems if p.kind == kind))
        if cols:
            parts.append(f"{heading} in column(s) {', '.join(cols)}")
    first = min(problems, key=lambda p: ("type", "range", "text").index(p.kind))
    return FileRejected(f"{'; '.join(parts)} (first: {first.first()})", [p.line() for p in problems])


def _describe(kind: str) -> str:
    return {
        "int": "whole number",
        "bool": "boolean (true/false, 1/0, Y/N)",
        "timestamp": "ISO 8601 timestamp (or a local time that exists in the vendor's timezone)",
        "date": "date (YYYY-MM-DD)",
        "decimal": "decimal number",
        "rate": "decimal number",
        "string": "text",
    }[kind]
