"""Read a landed file with polars and normalise it to its feed's stored shape.

Reading is format-specific (CSV, CSV.gz, Parquet, JSONL/JSON); everything
after that is feed-driven: types from `ingestion.feeds`, timestamps to UTC
(a value without an offset is read in the vendor's timezone), booleans from
true/false, 1/0, Y/N, money to DECIMAL(18,4), PII hashed or dropped.

Problems that make a file unusable raise `FileRejected` with a reason a human
can act on; GX validation of the values comes afterwards (expectations/).
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone as dt_timezone
from pathlib import Path

import polars as pl

from ingestion.feeds import (FALSE_WORDS, STORED_DECIMALS, STORED_INT_RANGE, TRUE_WORDS, Column, Feed, stored_columns,
                             stored_name)
from ingestion.pii import salted_key

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".jsonl", ".json", ".jsonl.gz", ".json.gz")
MONEY = pl.Decimal(18, 4)
RATE = pl.Decimal(18, 8)
_TS_FORMATS_AWARE = ("%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M%:z")
_TS_FORMATS_NAIVE = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d")
# Fast path: the two shapes ACD exports write (local "2026-01-05 09:14:03",
# ISO "2026-01-05T09:14:03Z" / "...+08:00"), matched exactly so that strptime's
# leniency (one-digit fields, signed years, double spaces) never differs from
# the general path; every other value goes through `_timestamp_from_any_text`.
_TS_CANONICAL_NAIVE = (r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", "%Y-%m-%d %H:%M:%S")
_TS_CANONICAL_AWARE = (r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})$", "%Y-%m-%dT%H:%M:%S%#z")
MAX_EXAMPLES = 5
# Instants Python (GX examples, dbt, BI readers) can hold: a local 9999-12-31 23:00 east of UTC is past them.
EARLIEST_INSTANT = datetime(1, 1, 2, tzinfo=dt_timezone.utc)
LATEST_INSTANT = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt_timezone.utc)
MAX_HEADER_BYTES = 64 * 1024  # a longer first line is not a header (e.g. one 50 MB line)


class FileRejected(Exception):
    """The file cannot be loaded; `reason` says why in one line, `details` shows evidence."""

    def __init__(self, reason: str, details: list[str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.details = details or []


@dataclass
class NormalisedFile:
    frame: pl.DataFrame  # stored columns + _row_number
    warnings: list[str] = field(default_factory=list)


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return None


def read_raw(path: Path) -> pl.DataFrame:
    """Read a file as landed. CSV columns come back as strings (types are ours to decide)."""
    fmt = file_format(path)
    try:
        if fmt in (".csv", ".csv.gz"):
            return _read_csv(path, gz=fmt == ".csv.gz")
        if fmt == ".parquet":
            return pl.read_parquet(path)
        if fmt in (".jsonl", ".jsonl.gz", ".json", ".json.gz"):
            return _read_json(path)
    except FileRejected:
        raise
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise FileRejected(f"the file is not a readable gzip archive ({exc})") from None
    except UnicodeDecodeError as exc:
        raise FileRejected(f"the file is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise FileRejected(f"the file could not be read as {fmt}: {_first_line(exc)}") from None
    raise FileRejected(f"unsupported file type {path.name!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _read_csv(path: Path, gz: bool) -> pl.DataFrame:
    data = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    if not data.strip():
        raise FileRejected("the file is empty")
    header = data[:MAX_HEADER_BYTES + 1].split(b"\n", 1)[0]
    if len(header) > MAX_HEADER_BYTES:
        line = data.find(b"\n")
        size = len(data) if line < 0 else line
        raise FileRejected(
            f"the first line is {size / 1e6:.1f} MB long with no line break: not a CSV header "
            f"(a header is at most {MAX_HEADER_BYTES // 1024} KiB); is the file one huge line or not CSV at all?")
    _check_utf8(data)  # strict: polars would silently replace bad bytes
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    header = data.split(b"\n", 1)[0]
    if b"," not in header and any(sep in header for sep in (b";", b"\t", b"|")):
        raise FileRejected("the header has no commas: the file seems to use another delimiter (expected ',')")
    return pl.read_csv(data, infer_schema=False, null_values=[""])


def _read_json(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    if not data.strip():
        raise FileRejected("the file is empty")
    _check_utf8(data)
    if data.lstrip().startswith(b"["):
        return pl.read_json(data, infer_schema_length=None)
    return pl.read_ndjson(data, infer_schema_length=None)


def _check_utf8(data: bytes, chunk: int = 1 << 22) -> None:
    """Raise UnicodeDecodeError unless `data` is UTF-8, without building the decoded text
    (a str as large as the file) in memory; the error is the one `data.decode` raises."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(data)
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(view[start:start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        data.decode("utf-8")  # the same error, with its offset in the whole file
        raise


def normalise(raw: pl.DataFrame, feed: Feed, *, vendor_id: str | None, timezone: str | None,
              salt: str) -> NormalisedFile:
    """Cast a raw frame to the feed's stored shape; reject what cannot be cast."""
    warnings: list[str] = []
    if raw.height == 0:
        raise FileRejected("the file has a header but no rows")
    _check_header(raw.columns, feed)
    raw = raw.rename({c: c.strip() for c in raw.columns})
    known = set(feed.column_names) | {"vendor_id"}
    unknown = [c for c in raw.columns if c not in known]
    if unknown:
        warnings.append(f"schema drift: unknown column(s) ignored: {', '.join(unknown)}")
    missing = [c for c in feed.required_columns if c not in raw.columns]
    if missing:
        raise FileRejected(
            f"missing required column(s): {', '.join(missing)}",
            [f"columns found: {', '.join(raw.columns)}"],
        )
    raw = raw.with_row_index("_row_number", offset=1)

    exprs: list[pl.Expr] = []
    for col in feed.columns:
        if col.name not in raw.columns:
            if col.pii in ("drop",):
                continue
            default = pl.lit(col.default) if col.default is not None else pl.lit(None)
            exprs.append(_cast_absent(default, col.type).alias(col.name))
            continue
        exprs.append(_cast(pl.col(col.name), raw.schema[col.name], col.type, timezone).alias(col.name))
    if feed.vendor_scoped:
        vendor = pl.col("vendor_id").cast(pl.String).str.strip_chars() if "vendor_id" in raw.columns else pl.lit(vendor_id)
        exprs.append(vendor.alias("vendor_id"))
    typed = raw.select(pl.col("_row_number"), *exprs)
    typed = _parse_remaining_timestamps(raw, typed, feed, timezone)

    # A value that was present but did not survive the cast is a type error, or a value the
    # warehouse cannot store (too large for its column type, a timestamp past the year 9999, a NUL
    # byte in text): reported with its row and value, never left to fail the load.
    value_problems: list[_ValueProblem] = []
    for col in feed.columns:
        if col.name not in raw.columns or col.pii:
            continue
        value_problems += _value_problems(raw, typed, col, timezone)
    if value_problems:
        raise _values_rejected(value_problems)
    # Only now (an invalid value was rejected above, never defaulted): empty cells that mean the default.
    fills = [pl.col(c.name).fill_null(_cast_absent(pl.lit(c.default), c.type)) for c in feed.columns
             if c.default_when_empty and c.default is not None]
    if fills:
        typed = typed.with_columns(fills)

    # PII: hash, drop or flag; clear text goes no further than this function.
    pii_exprs = []
    for col in feed.columns:
        if col.pii is None or col.name not in typed.columns:
            continue
        if col.pii == "hash":
            typed = typed.with_columns(salted_key(typed[col.name], salt).alias(stored_name(col)))
        elif col.pii == "flag":
            pii_exprs.append((pl.col(col.name).str.strip_chars().str.len_chars() > 0).fill_null(False)
                             .alias(stored_name(col)))
    if pii_exprs:
        typed = typed.with_columns(pii_exprs)
    for col in feed.columns:
        if col.pii in ("hash", "flag") and stored_name(col) not in typed.columns:
            typed = typed.with_columns((pl.lit(None, pl.Binary) if col.pii == "hash" else pl.lit(False))
                                       .alias(stored_name(col)))
    frame = typed.select(*stored_columns(feed), "_row_number")
    return NormalisedFile(frame=frame, warnings=warnings)


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _check_header(columns: list[str], feed: Feed) -> None:
    """Column names must be the feed's, exactly (surrounding spaces aside): a header in another case or
    spelling ("INTERACTION_ID", "Interaction ID") is rejected naming the column it should be, instead of
    being loaded under a guess or reported as a missing or empty column."""
    known = [*feed.column_names, "vendor_id"]
    by_key = {_header_key(k): k for k in known}
    problems: list[str] = []
    stripped = [c.strip() for c in columns]
    for name, seen in zip(columns, stripped):
        if seen in known:
            continue
        repeated = re.fullmatch(r"(.+)_duplicated_\d+", seen)  # how polars names a repeated CSV header
        if repeated and repeated.group(1) in known:
            problems.append(f"column {repeated.group(1)} appears more than once in the header")
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


def _values_rejected(problems: list[_ValueProblem]) -> FileRejected:
    """One line: what kind of values, in which columns, and the first offending row and value."""
    parts = []
    for kind, heading in _HEADINGS.items():
        cols = list(dict.fromkeys(p.column for p in problems if p.kind == kind))
        if cols:
            parts.append(f"{heading} in column(s) {', '.join(cols)}")
    first = min(problems, key=lambda p: ("type", "range", "text").index(p.kind))
    return FileRejected(f"{'; '.join(parts)} (first: {first.first()})", [p.line() for p in problems])


def _examples(raw: pl.DataFrame, mask: pl.Series, column: str) -> tuple[int, list[tuple[int, object]]]:
    rows = raw.filter(mask).select("_row_number", column)
    return rows.height, list(rows.head(MAX_EXAMPLES).iter_rows())


def _value_problems(raw: pl.DataFrame, typed: pl.DataFrame, col: Column, timezone: str | None) -> list[_ValueProblem]:
    source, value = raw[col.name], typed[col.name]
    text = source.str.strip_chars() if raw.schema[col.name] == pl.String else None
    present = (text.str.len_chars() > 0).fill_null(False) if text is not None else source.is_not_null()
    lost = present & value.is_null()  # present in the file, not after the cast
    any_lost = lost.any()
    out: list[_ValueProblem] = []

    def add(kind: str, mask: pl.Series, what: str) -> None:
        mask = mask.fill_null(False)
        if mask.any():
            out.append(_ValueProblem(col.name, kind, *_examples(raw, mask, col.name), what))

    too_large = None
    if col.type in ("int", "decimal", "rate"):
        # a number the cast lost is too large (the cast takes every number that fits); else it is no number
        number = (text if text is not None else source).cast(pl.Float64, strict=False) if any_lost else None
        lost_number = (lost & number.is_finite()).fill_null(False) if number is not None else None
        if col.type == "int":
            lo, hi = STORED_INT_RANGE
            too_large = (value < lo) | (value > hi)
            if lost_number is not None:
                too_large = too_large | (lost_number & (number == number.round(0)))
            add("range", too_large, f"too large for an INTEGER column ({lo:,}..{hi:,})")
        elif lost_number is not None:
            precision, scale = STORED_DECIMALS[col.type]
            too_large = lost_number
            add("range", too_large, f"too large for DECIMAL({precision},{scale}) "
                                    f"(at most {precision - scale} digits before the decimal point)")
    elif col.type == "timestamp":
        where = f" once read in {timezone}" if timezone and timezone != "UTC" else ""
        add("range", (value < EARLIEST_INSTANT) | (value > LATEST_INSTANT),
            f"outside the years 0001..9999 (UTC){where}")
    elif col.type == "date":
        add("range", (value < date(1, 1, 1)) | (value > date(9999, 12, 31)), "outside the years 0001..9999")
    elif col.type == "string":
        add("text", value.str.contains("\x00", literal=True), "text with a NUL byte (\\x00), which the warehouse "
                                                                "cannot store")
    if any_lost:
        add("type", lost if too_large is None else lost & ~too_large.fill_null(False),
            f"not a valid {_describe(col.type)}")
    return out

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


def _cast_absent(expr: pl.Expr, kind: str) -> pl.Expr:
    return {
        "string": expr.cast(pl.String),
        "int": expr.cast(pl.Int64),
        "bool": expr.cast(pl.Boolean),
        "timestamp": expr.cast(pl.Datetime("us", "UTC")),
        "date": expr.cast(pl.Date),
        "decimal": expr.cast(MONEY),
        "rate": expr.cast(RATE),
    }[kind]


def _cast(expr: pl.Expr, dtype: pl.DataType, kind: str, timezone: str | None) -> pl.Expr:
    if kind == "timestamp":
        return _timestamp(expr, dtype, timezone)
    if kind == "date":
        if dtype == pl.Date:
            return expr
        if isinstance(dtype, pl.Datetime):
            return expr.dt.date()
        return expr.cast(pl.String).str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Null:
        return _cast_absent(expr, kind)
    text = expr.cast(pl.String, strict=False).str.strip_chars()
    if kind == "string":
        return pl.when(text.str.len_chars() > 0).then(text)
    if kind == "int":
        if dtype.is_integer():
            return expr.cast(pl.Int64, strict=False)  # a UInt64 beyond Int64: null, reported as too large
        # "12" and "12.0" are whole numbers; "12.5" is not.
        as_float = text.cast(pl.Float64, strict=False)
        return pl.when(as_float == as_float.round(0)).then(as_float).cast(pl.Int64, strict=False)
    if kind == "bool":
        if dtype == pl.Boolean:
            return expr
        low = text.str.to_lowercase()
        return pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False).otherwise(None)
    if kind in ("decimal", "rate"):
        target = MONEY if kind == "decimal" else RATE
        if isinstance(dtype, pl.Decimal):
            return expr.cast(target, strict=False)
        return text.cast(target, strict=False)
    raise ValueError(kind)


def _timestamp(expr: pl.Expr, dtype: pl.DataType, timezone: str | None) -> pl.Expr:
    local_tz = timezone or "UTC"
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            local = expr.dt.replace_time_zone(local_tz, ambiguous="earliest", non_existent="null")
            return local.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        return expr.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if dtype == pl.Date:
        return expr.cast(pl.Datetime("us")).dt.replace_time_zone(local_tz).dt.convert_time_zone("UTC")
    # Text: only the canonical shapes here; `_parse_remaining_timestamps` parses the rest.
    text = expr.cast(pl.String, strict=False).str.strip_chars()
    naive_pattern, naive_format = _TS_CANONICAL_NAIVE
    aware_pattern, aware_format = _TS_CANONICAL_AWARE
    naive = text.str.to_datetime(naive_format, strict=False, time_unit="us")
    aware = text.str.to_datetime(aware_format, strict=False, time_unit="us", time_zone="UTC")
    return (pl.when(text.str.contains(naive_pattern)).then(_local_to_utc(naive, local_tz))
            .when(text.str.contains(aware_pattern)).then(aware))


def _local_to_utc(naive: pl.Expr, local_tz: str) -> pl.Expr:
    # Ambiguous local times (the repeated hour when clocks go back) take the
    # first occurrence; times that do not exist locally become null and are
    # reported as invalid by the type check.
    return naive.dt.replace_time_zone(local_tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def _parse_remaining_timestamps(raw: pl.DataFrame, typed: pl.DataFrame, feed: Feed,
                                timezone: str | None) -> pl.DataFrame:
    """Parse the text timestamps the canonical fast path left null, with the general parser.

    Only those rows are parsed again, so a file in a canonical shape pays for
    one strptime per value instead of three regex replaces and five attempts.
    """
    for col in feed.columns:
        if col.type != "timestamp" or col.name not in raw.columns or raw.schema[col.name] != pl.String:
            continue
        todo = typed[col.name].is_null() & raw[col.name].is_not_null()
        if not todo.any():
            continue
        parsed = raw.select(pl.col(col.name)).filter(todo).select(
            _timestamp_from_any_text(pl.col(col.name), timezone or "UTC")).to_series()
        typed = typed.with_columns(typed[col.name].scatter(todo.arg_true(), parsed))
    return typed


def _timestamp_from_any_text(expr: pl.Expr, local_tz: str) -> pl.Expr:
    """Every accepted text shape: T or space, optional seconds / fraction, Z, +hh:mm or +hhmm, date only."""
    text = (
        expr.cast(pl.String, strict=False)
        .str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[T ]", "${1} ")
        .str.replace(r"(?i)z$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
    )
    aware = pl.coalesce(
        [text.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC") for f in _TS_FORMATS_AWARE]
    )
    naive = pl.coalesce([text.str.to_datetime(f, strict=False, time_unit="us") for f in _TS_FORMATS_NAIVE])
    return pl.when(text.str.contains(r"[+-]\d{2}:\d{2}$")).then(aware).otherwise(_local_to_utc(naive, local_tz))
