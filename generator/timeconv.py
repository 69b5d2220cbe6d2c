"""Vectorised wall-clock <-> UTC conversion (epoch seconds as int64 numpy arrays)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
import polars as pl


def _naive(epoch_s: np.ndarray) -> pl.Series:
    return pl.from_epoch(pl.Series("t", np.asarray(epoch_s, dtype=np.int64)), time_unit="s")


def localize(local_naive_s: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds (as if UTC) -> UTC epoch seconds.

    A wall-clock time that does not exist (spring-forward gap) is moved one
    hour later; an ambiguous one (fall-back) takes the earlier instant.
    """
    local_naive_s = np.asarray(local_naive_s, dtype=np.int64)
    s = _naive(local_naive_s)
    utc = s.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null").dt.epoch("s")
    if utc.null_count():
        miss = utc.is_null().to_numpy()
        fixed = _naive(local_naive_s[miss] + 3600).dt.replace_time_zone(
            tz, ambiguous="earliest", non_existent="raise").dt.epoch("s")
        out = utc.fill_null(0).to_numpy().astype(np.int64)
        out[miss] = fixed.to_numpy()
        return out
    return utc.to_numpy().astype(np.int64)


def to_local_naive(utc_s: np.ndarray, tz: str) -> np.ndarray:
    """UTC epoch seconds -> local wall-clock seconds (as if UTC)."""
    s = _naive(utc_s).dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.replace_time_zone(None)
    return s.dt.epoch("s").to_numpy().astype(np.int64)


@lru_cache(maxsize=256)
def _offset_changes(tz: str, day0: int, day1: int) -> bool:
    """Whether the zone's UTC offset changes between two epoch days (True if unknown)."""
    try:
        from zoneinfo import ZoneInfo

        z = ZoneInfo(tz)
    except Exception:  # no tz database for zoneinfo: assume it may change
        return True
    t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(days=day0)
    end = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(days=day1)
    prev = t.astimezone(z).utcoffset()
    while t <= end:
        t += timedelta(hours=1)
        off = t.astimezone(z).utcoffset()
        if off != prev:
            return True
    return False


def ambiguous_wall_clock(utc_s: np.ndarray, tz: str) -> np.ndarray:
    """True where the instant's local wall-clock time is ambiguous (occurs twice)."""
    utc_s = np.asarray(utc_s, dtype=np.int64)
    if utc_s.size == 0:
        return np.zeros(0, dtype=bool)
    if not _offset_changes(tz, int(utc_s.min() // 86400) - 1, int(utc_s.max() // 86400) + 1):
        return np.zeros(utc_s.size, dtype=bool)
    local = _naive(to_local_naive(utc_s, tz))
    early = local.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null").dt.epoch("s")
    late = local.dt.replace_time_zone(tz, ambiguous="latest", non_existent="null").dt.epoch("s")
    return (early != late).fill_null(True).to_numpy()


def utc_datetime_series(name: str, utc_s: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """UTC-aware polars datetimes (null where not valid)."""
    s = pl.from_epoch(pl.Series(name, np.asarray(utc_s, dtype=np.int64)), time_unit="s").dt.replace_time_zone("UTC")
    if valid is not None and not bool(np.all(valid)):
        s = pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()
    return s


def format_ts(name: str, utc_s: np.ndarray, valid: np.ndarray | None, tz: str, style: str) -> pl.Series:
    """Timestamps as text (CSV/JSON) or naive datetimes (Parquet) in a vendor's style.

    naive_space: local wall clock, '2026-01-05 09:14:03'
    naive_iso:   local wall clock, '2026-01-05T09:14:03'
    offset:      local with offset, '2026-01-05T09:14:03+08:00'
    utc_z:       UTC, '2026-01-05T15:14:03Z'
    parquet_naive: local wall clock as a timestamp without time zone
    """
    s = utc_datetime_series(name, utc_s, valid)
    if style == "utc_z":
        return s.dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias(name)
    local = s.dt.convert_time_zone(tz)
    if style == "offset":
        return local.dt.strftime("%Y-%m-%dT%H:%M:%S%:z").alias(name)
    if style == "naive_space":
        return local.dt.strftime("%Y-%m-%d %H:%M:%S").alias(name)
    if style == "naive_iso":
        return local.dt.strftime("%Y-%m-%dT%H:%M:%S").alias(name)
    if style == "parquet_naive":
        return local.dt.replace_time_zone(None).alias(name)
    raise ValueError(style)
