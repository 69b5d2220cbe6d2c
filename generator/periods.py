"""Months, day arithmetic and the split of `scale` rows over vendor-months."""

from __future__ import annotations

import calendar as _stdcal
import re
from dataclasses import dataclass
from datetime import date, timedelta

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:  # "2026-01"
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def compact(self) -> str:  # "202601"
        return f"{self.year:04d}{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return _stdcal.monthrange(self.year, self.month)[1]

    @property
    def last(self) -> date:
        return date(self.year, self.month, self.days)

    def next(self) -> Month:
        return Month(self.year + (self.month == 12), self.month % 12 + 1)


def parse_start(start: str) -> Month:
    m = re.fullmatch(r"(\d{4})-(\d{2})", start.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"start must look like YYYY-MM, got {start!r}")
    return Month(int(m.group(1)), int(m.group(2)))


def month_list(start: str, months: int) -> list[Month]:
    if months < 1:
        raise ValueError("months must be >= 1")
    out = [parse_start(start)]
    while len(out) < months:
        out.append(out[-1].next())
    return out


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def add_days(d: date, n: int) -> date:
    return d + timedelta(days=n)


def largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights`, summing exactly to `total`."""
    s = float(sum(weights))
    raw = [total * w / s for w in weights]
    base = [int(r) for r in raw]
    rest = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def allocate(scale: int, vendor_weights: list[float], months: list[Month]) -> list[list[int]]:
    """rows[v][m]: interactions of vendor v in month m; sums exactly to `scale`."""
    cells = [w * m.days for w in vendor_weights for m in months]
    flat = largest_remainder(scale, cells)
    k = len(months)
    return [flat[i * k : (i + 1) * k] for i in range(len(vendor_weights))]
