"""Daily FX rates to the reporting currency (USD), a small random walk."""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from .periods import Month
from .vendors import FX_BASE, FX_CURRENCIES

REPORTING_CURRENCY = "USD"


class FxTable:
    def __init__(self, months: list[Month], rng: np.random.Generator):
        self.first = months[0].first - timedelta(days=5)
        self.last = months[-1].last
        ndays = (self.last - self.first).days + 1
        self.dates = [self.first + timedelta(days=i) for i in range(ndays)]
        self.rates: dict[str, list[Decimal]] = {}
        for cur in FX_CURRENCIES:
            if cur == REPORTING_CURRENCY:
                self.rates[cur] = [Decimal("1.00000000")] * ndays
                continue
            walk = np.exp(np.cumsum(rng.normal(0.0, 0.0035, ndays)))
            self.rates[cur] = [Decimal(f"{FX_BASE[cur] * w:.8f}") for w in walk]

    def rate_on_or_before(self, currency: str, day: date) -> Decimal:
        i = bisect.bisect_right(self.dates, day) - 1
        if i < 0:
            raise KeyError(f"no {currency} rate on or before {day}")
        return self.rates[currency][i]

    def csv_bytes(self) -> bytes:
        out = ["rate_date,currency,rate_to_reporting"]
        for i, d in enumerate(self.dates):
            for cur in FX_CURRENCIES:
                out.append(f"{d.isoformat()},{cur},{self.rates[cur][i]}")
        return ("\n".join(out) + "\n").encode()

    @property
    def file_name(self) -> str:
        return f"fx_rates_{self.first.isoformat()}_{self.last.isoformat()}.csv"
