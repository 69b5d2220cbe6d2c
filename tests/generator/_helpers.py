"""Plain readers for the generated files (no pipeline code, no generator internals)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import yaml

TIMEZONES = {
    "acme_mx": "America/Monterrey",
    "pacific_ph": "Asia/Manila",
    "iberia_es": "Europe/Madrid",
    "inhouse_us": "America/Chicago",
}
TRUE = {"true", "1", "y", "Y", "True", "TRUE"}


def load_contract(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def parse_ts(value, tz: str) -> datetime | None:
    """ISO text with or without offset ('Z' allowed), or a naive datetime (Parquet) in `tz`."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt.astimezone(timezone.utc)


def as_bool(v) -> bool | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    return str(v) in TRUE


def read_rows(path: Path) -> list[dict]:
    """Rows of any landing file as dicts of raw values (text for CSV, native for Parquet/JSON)."""
    name = path.name
    if name.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if name.endswith(".csv.gz"):
        text = gzip.decompress(path.read_bytes()).decode()
    else:
        text = path.read_text()
    return list(csv.DictReader(io.StringIO(text)))


def interactions(out: Path, vendor: str, month: str) -> list[dict]:
    """Parsed interactions of one vendor-month (timestamps as aware UTC datetimes)."""
    tz = TIMEZONES[vendor]
    rows = []
    for f in sorted((out / "landing" / vendor / "interactions").glob(f"interactions_{month}*")):
        for r in read_rows(f):
            d = dict(r)
            for k in ("arrived_at", "answered_at", "ended_at", "updated_at"):
                if k in d:
                    d[k] = parse_ts(d[k], tz)
            for k in ("talk_seconds", "hold_seconds", "wrap_seconds"):
                d[k] = None if d[k] in (None, "") else int(d[k])
            for k in ("transferred", "resolved", "complaint"):
                d[k] = as_bool(d[k])
            rows.append(d)
    return rows


def invoice_lines(path: Path) -> list[dict]:
    out = []
    for r in read_rows(path):
        d = dict(r)
        for k in ("quantity", "unit_price", "amount", "tax_amount"):
            d[k] = Decimal(d[k]) if d[k] != "" else None
        d["revision"] = int(d["revision"])
        d["channel"] = d["channel"] or None
        d["approval_ref"] = d["approval_ref"] or None
        d["invoice_date"] = date.fromisoformat(d["invoice_date"])
        d["period_end"] = date.fromisoformat(d["period_end"])
        out.append(d)
    return out


def fx_rates(out: Path) -> dict[tuple[date, str], Decimal]:
    files = list((out / "landing" / "_shared" / "fx_rates").glob("*.csv"))
    assert len(files) == 1
    return {(date.fromisoformat(r["rate_date"]), r["currency"]): Decimal(r["rate_to_reporting"])
            for r in read_rows(files[0])}


def price(quantity: Decimal, line: dict) -> Decimal:
    """Contract price of a quantity, written out plainly for the tests."""
    if "tiers" in line:
        tiers = line["tiers"]
        if tiers[0].get("basis") == "whole":
            for t in tiers:
                if t["up_to"] is None or quantity <= Decimal(str(t["up_to"])):
                    return quantity * Decimal(str(t["rate"]))
        total, lower = Decimal(0), Decimal(0)
        for t in tiers:
            upper = quantity if t["up_to"] is None else min(quantity, Decimal(str(t["up_to"])))
            if upper > lower:
                total += (upper - lower) * Decimal(str(t["rate"]))
            if t["up_to"] is None or quantity <= Decimal(str(t["up_to"])):
                break
            lower = Decimal(str(t["up_to"]))
        return total
    return quantity * Decimal(str(line["rate"]))


def pricing_line(version: dict, category: str, channel: str | None) -> dict | None:
    for p in version.get("pricing", []):
        if p["category"] == category and p.get("channel") == channel:
            return p
    for p in version.get("pricing", []):
        if p["category"] == category and p.get("channel") is None:
            return p
    return None
