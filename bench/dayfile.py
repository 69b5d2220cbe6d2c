"""One more day of files for one vendor, from the project's generator.

The generator writes whole months. For the incremental measurement we need
one day (~50,000 interactions for one vendor) right after the backfill's
last month. `make_day` generates the month after the backfill for one
outsourcer (the generator's `acme_mx`: plain CSV, local wall-clock
timestamps, America/Monterrey, which has no DST), keeps its first
`day_rows` interactions (the generator sorts them by arrival), and
compresses their arrival times into the month's first day: each row's
timestamps (arrived/answered/ended) move by the same offset, so waits and
handle times are unchanged. Its surveys follow their interactions.

Interaction ids carry the month (`AC202604...`), so they never collide with
the backfill's. The contract the backfill already holds covers the new
month (`effective_to: null`); the generated contract for the day is not
landed.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from pathlib import Path

import polars as pl

from generator import generate

VENDOR = "acme_mx"
TS = "%Y-%m-%d %H:%M:%S"  # acme_mx: local wall clock, no offset


def next_month(start: str, months: int) -> str:
    y, m = map(int, start.split("-"))
    m += months
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    return f"{y:04d}-{m:02d}"


def make_day(out: Path, start: str, seed: int, day_rows: int) -> dict[str, Path]:
    """Write <out>/files/<vendor>/{interactions,surveys}/..._<day>.csv; return feed -> path."""
    gen = out / "generated"
    # acme_mx gets ~60 % of one outsourcer + in-house; generate enough for day_rows.
    generate(gen, outsourcers=1, months=1, seed=seed + 1, scale=max(1000, int(day_rows * 2.2)), start=start)
    day = date.fromisoformat(f"{start}-01")
    month_file = gen / "landing" / VENDOR / "interactions" / f"interactions_{start}.csv"
    survey_file = gen / "landing" / VENDOR / "surveys" / f"surveys_{start}.csv"

    inter = pl.read_csv(month_file, infer_schema=False).head(day_rows)
    if inter.height < day_rows:
        raise RuntimeError(f"the generator gave {inter.height} {VENDOR} rows, fewer than {day_rows}")
    t0 = datetime(day.year, day.month, day.day)
    arrived = pl.col("arrived_at").str.to_datetime(TS)
    last = inter.select(arrived.max()).item()
    span = max((last - t0).total_seconds() + 1.0, 1.0)
    factor = min(1.0, 86_399.0 / span)
    # new arrival = day start + (arrival - day start) * factor, whole seconds; every timestamp of the row moves with it
    offset = ((arrived - pl.lit(t0)).dt.total_seconds() * (factor - 1.0)).floor().cast(pl.Int64)
    inter = inter.with_columns(offset.alias("_offset"))
    shift = [
        (pl.col(c).str.to_datetime(TS) + pl.duration(seconds=pl.col("_offset"))).dt.strftime(TS).alias(c)
        for c in ("arrived_at", "answered_at", "ended_at", "updated_at") if c in inter.columns
    ]
    shifted = inter.with_columns(shift)
    surveys = pl.read_csv(survey_file, infer_schema=False).join(
        shifted.select("interaction_id", "_offset"), on="interaction_id", how="inner"
    )
    surveys = surveys.with_columns(
        (pl.col("responded_at").str.to_datetime(TS) + pl.duration(seconds=pl.col("_offset"))).dt.strftime(TS)
        .alias("responded_at")
    ).drop("_offset")
    shifted = shifted.drop("_offset")

    files = out / "files" / VENDOR
    paths = {
        "interactions": files / "interactions" / f"interactions_{day.isoformat()}.csv",
        "surveys": files / "surveys" / f"surveys_{day.isoformat()}.csv",
    }
    for feed, frame in (("interactions", shifted), ("surveys", surveys)):
        paths[feed].parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(paths[feed])
    return paths


def land(paths: dict[str, Path], landing: Path) -> list[Path]:
    """Link (or copy) the day's files into a landing zone, newer than anything there."""
    landed = []
    now = time.time()
    for i, (feed, src) in enumerate(sorted(paths.items())):
        dst = landing / VENDOR / feed / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists():
            dst.unlink()
        dst.write_bytes(src.read_bytes())
        os.utime(dst, (now + i, now + i))
        landed.append(dst)
    return landed
