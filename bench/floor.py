"""The floor: plain DuckDB over the landed interaction files, no pipeline.

Reads every interaction file of every vendor in the formats the generator
writes (CSV, CSV.gz, Parquet, JSONL) and computes, per vendor × channel ×
contract month (arrival month in the vendor's time zone): offered, answered,
answered within the contract's service-level threshold, and handle time
(talk + hold + wrap of answered contacts). That is the least any pipeline
must do with these files; it is what `backfill_ratio` divides by.

Deliberately plain: DuckDB's own readers and type sniffing, one query, the
thresholds and time zones taken from the contract YAML (first version).
A timestamp DuckDB reads as TIMESTAMP WITH TIME ZONE is converted to the
vendor's zone; a plain TIMESTAMP is already the local wall clock (CSV and
Parquet without offset). JSONL timestamps end in `Z` and are read as
TIMESTAMPTZ explicitly.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import yaml

FORMATS = (".csv.gz", ".csv", ".parquet", ".jsonl")
_JSON_COLUMNS = ("{'channel': 'VARCHAR', 'arrived_at': 'TIMESTAMPTZ', 'answered_at': 'TIMESTAMPTZ', "
                 "'talk_seconds': 'BIGINT', 'hold_seconds': 'BIGINT', 'wrap_seconds': 'BIGINT'}")


def _fmt(path: Path) -> str | None:
    return next((f for f in FORMATS if path.name.endswith(f)), None)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _reader(files: list[Path], fmt: str) -> str:
    lst = "[" + ", ".join(_quote(str(f)) for f in files) + "]"
    if fmt in (".csv", ".csv.gz"):
        return f"read_csv({lst}, header = true, union_by_name = true)"
    if fmt == ".parquet":
        return f"read_parquet({lst}, union_by_name = true)"
    return f"read_json({lst}, format = 'newline_delimited', columns = {_JSON_COLUMNS})"


def contract_facts(contracts: Path) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """vendor -> time zone; (vendor, channel, threshold_seconds) of each service_level line."""
    zones, thresholds = {}, []
    for path in sorted(contracts.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        zones[doc["vendor_id"]] = doc["timezone"]
        version = doc["versions"][0]
        for line in version.get("sla") or []:
            if line.get("metric") == "service_level" and line.get("channel"):
                thresholds.append((doc["vendor_id"], line["channel"], int(line["threshold_seconds"])))
    return zones, thresholds


def interaction_files(landing: Path) -> dict[tuple[str, str], list[Path]]:
    """(vendor, format) -> files under <landing>/<vendor>/interactions/."""
    groups: dict[tuple[str, str], list[Path]] = {}
    for path in sorted(landing.glob("*/interactions/*")):
        fmt = _fmt(path)
        if fmt and path.is_file():
            groups.setdefault((path.parts[-3], fmt), []).append(path.resolve())
    return groups


def floor_query(con: duckdb.DuckDBPyConnection, landing: Path, contracts: Path) -> list[tuple]:
    zones, thresholds = contract_facts(contracts)
    parts = []
    for (vendor, fmt), files in interaction_files(landing).items():
        src = _reader(files, fmt)
        types = dict(con.execute(f"select column_name, column_type from (describe select * from {src})").fetchall())
        tz = zones.get(vendor, "UTC")
        local = (f"timezone({_quote(tz)}, arrived_at)" if types.get("arrived_at", "").startswith("TIMESTAMP WITH")
                 else "arrived_at")
        parts.append(
            f"select {_quote(vendor)} as vendor_id, channel, date_trunc('month', {local}) as period_month, "
            f"answered_at is not null as answered, epoch(answered_at) - epoch(arrived_at) as wait_seconds, "
            f"coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(wrap_seconds, 0) as handle_seconds "
            f"from {src}"
        )
    if not parts:
        raise FileNotFoundError(f"no interaction files under {landing}")
    thr = ", ".join(f"({_quote(v)}, {_quote(c)}, {t})" for v, c, t in thresholds) or "(null, null, null)"
    sql = f"""
        with facts as ({' union all '.join(parts)}),
        thresholds(vendor_id, channel, threshold_seconds) as (values {thr})
        select f.vendor_id, f.channel, f.period_month::date as period_month,
               count(*) as offered,
               count(*) filter (where f.answered) as answered,
               count(*) filter (where f.answered and f.wait_seconds <= t.threshold_seconds) as answered_within,
               sum(f.handle_seconds) filter (where f.answered) as handle_seconds
        from facts f left join thresholds t using (vendor_id, channel)
        group by all order by all
    """
    return con.execute(sql).fetchall()


def measure_floor(landing: Path, contracts: Path, repeats: int = 2) -> tuple[float, list[tuple], list[float]]:
    """Best-of-`repeats` wall seconds (fresh in-memory DuckDB each time), the result rows, every timing."""
    timings, rows = [], []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        con = duckdb.connect()
        con.execute("set TimeZone = 'UTC'")
        rows = floor_query(con, landing, contracts)
        con.close()
        timings.append(time.perf_counter() - t0)
    return min(timings), rows, timings


if __name__ == "__main__":  # python bench/floor.py <out dir of the generator>
    import sys

    root = Path(sys.argv[1])
    secs, result, _ = measure_floor(root / "landing", root / "contracts", repeats=1)
    for r in result:
        print(r)
    print(f"{sum(r[3] for r in result):,} interactions in {secs:.2f}s")
