"""Vectorised generation of one vendor-month of interactions.

The month's rows are produced as numpy arrays (UTC epoch seconds for
timestamps, -1 for a null answered_at); `frame()` turns them into the
vendor's file layout. Every row's arrived_at lies in the month in the
vendor's local time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .people import CustomerPool, format_phone
from .periods import Month, day_number
from .timeconv import ambiguous_wall_clock, format_ts, localize, to_local_naive
from .vendors import CHANNELS, QUEUE_WEIGHTS, QUEUES, VendorProfile

# arrivals per local hour (peaks late morning and mid-afternoon, little at night)
HOURLY = np.array([0.12, 0.08, 0.06, 0.05, 0.06, 0.12, 0.35, 0.85, 1.6, 2.3, 2.75, 2.8,
                   2.3, 2.2, 2.6, 2.75, 2.45, 2.0, 1.6, 1.3, 1.0, 0.7, 0.42, 0.22])
EMAIL_HOURLY = 0.5 * HOURLY / HOURLY.sum() + 0.5 / 24
# Monday .. Sunday
WEEKDAY = np.array([1.15, 1.06, 1.0, 1.0, 0.96, 0.55, 0.36])
LOAD = 0.55 + 0.45 * HOURLY / HOURLY.max()  # wait multiplier by local hour

# base handle times (seconds), multiplied by the vendor's aht_factor
TALK_MEAN = {"voice": 255.0, "chat": 470.0, "email": 215.0}
TALK_SIGMA = {"voice": 0.6, "chat": 0.5, "email": 0.55}
HOLD_SHARE = {"voice": 0.35, "chat": 0.08, "email": 0.0}
HOLD_MEAN = {"voice": 55.0, "chat": 60.0, "email": 0.0}
WRAP_BASE = {"voice": 15.0, "chat": 10.0, "email": 10.0}
WRAP_MEAN = {"voice": 30.0, "chat": 25.0, "email": 40.0}

PII_PRESENT = {  # channel -> (phone, email, name) share when the customer is known
    "voice": (0.95, 0.30, 0.90),
    "chat": (0.25, 0.75, 0.90),
    "email": (0.10, 1.00, 0.85),
}
DAY = 86400
REPEAT_WINDOW = 7 * DAY


@dataclass
class MonthRows:
    vendor: VendorProfile
    month: Month
    arrays: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return int(self.arrays["arrived"].size)


def _lognormal(rng: np.random.Generator, mean: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(np.log(mean) - sigma * sigma / 2.0, sigma, n)


def generate_month(
    p: VendorProfile,
    month: Month,
    n: int,
    rng: np.random.Generator,
    pool: CustomerPool,
    n_agents: int,
    wait_factor: dict[str, float],
) -> MonthRows:
    # ---- arrivals in local wall-clock time -------------------------------
    days = month.days
    dayw = WEEKDAY[(month.first.weekday() + np.arange(days)) % 7] * rng.lognormal(0.0, 0.07, days)
    day = rng.choice(days, size=n, p=dayw / dayw.sum())
    ch = rng.choice(3, size=n, p=np.asarray(p.channel_mix) / sum(p.channel_mix)).astype(np.int8)
    hour = np.empty(n, dtype=np.int64)
    for c in range(3):
        m = ch == c
        prof = HOURLY / HOURLY.sum() if c < 2 else EMAIL_HOURLY / EMAIL_HOURLY.sum()
        hour[m] = rng.choice(24, size=int(m.sum()), p=prof)
    local = (day_number(month.first) + day.astype(np.int64)) * DAY + hour * 3600 + rng.integers(0, 3600, n)
    arrived = localize(local, p.timezone)
    order = np.argsort(arrived, kind="stable")
    arrived, ch, hour = arrived[order], ch[order], hour[order]

    # ---- queue ---------------------------------------------------------
    queue = np.empty(n, dtype=np.int8)
    for c, name in enumerate(CHANNELS):
        m = ch == c
        queue[m] = rng.choice(len(QUEUES), size=int(m.sum()), p=QUEUE_WEIGHTS[name])

    # ---- waits and abandons ----------------------------------------------
    live = ch < 2  # voice, chat
    mu = np.where(ch == 0, p.wait_mean["voice"] * wait_factor["voice"], p.wait_mean["chat"] * wait_factor["chat"])
    wait = rng.exponential(1.0, n) * mu * LOAD[hour]
    idle = rng.random(n) < 0.25  # an agent was free
    wait = np.where(idle, rng.integers(0, 4, n), wait)
    tail = rng.random(n) < 0.03  # queue backs up
    wait = np.where(tail, wait + rng.exponential(1.0, n) * mu * 9.0, wait)
    email_wait = np.clip(_lognormal(rng, 3.2 * 3600, 0.9, n), 120, 72 * 3600)
    wait = np.where(live, np.floor(wait), np.floor(email_wait)).astype(np.int64)

    patience = rng.exponential(1.0, n) * np.where(ch == 0, p.patience_mean["voice"], p.patience_mean["chat"])
    short = rng.random(n) < p.short_abandon_share
    patience = np.where(short, rng.integers(0, 5, n), np.floor(patience)).astype(np.int64)
    abandoned = live & (patience < wait)
    email_closed = (ch == 2) & (rng.random(n) < 0.005)  # closed without a reply
    email_close_after = np.floor(_lognormal(rng, 20 * 3600, 0.6, n)).astype(np.int64)
    abandoned |= email_closed
    answered = ~abandoned

    # ---- handling ----------------------------------------------------------
    talk = np.zeros(n, dtype=np.int64)
    hold = np.zeros(n, dtype=np.int64)
    wrap = np.zeros(n, dtype=np.int64)
    for c, name in enumerate(CHANNELS):
        m = ch == c
        k = int(m.sum())
        talk[m] = np.maximum(np.floor(_lognormal(rng, TALK_MEAN[name] * p.aht_factor, TALK_SIGMA[name], k)), 8)
        has_hold = rng.random(k) < HOLD_SHARE[name]
        hold[m] = np.where(has_hold, np.floor(rng.exponential(HOLD_MEAN[name] or 1.0, k)), 0)
        wrap[m] = np.floor(WRAP_BASE[name] + rng.exponential(WRAP_MEAN[name], k))
    answered_at = np.where(answered, arrived + wait, -1)
    ended = np.where(answered, arrived + wait + talk + hold,
                     np.where(email_closed, arrived + email_close_after, arrived + patience))
    agent = np.where(answered, rng.integers(0, n_agents, n), -1)
    transferred = answered & (rng.random(n) < p.transfer_rate)
    resolved = answered & (rng.random(n) < np.where(transferred, p.resolved_rate - 0.15, p.resolved_rate + 0.01))
    complaint = answered & (rng.random(n) < np.where(resolved, 0.004, 0.03))
    updated = ended + np.where(answered, wrap, 0) + rng.integers(0, 90, n)

    # ---- customers and repeat contacts ---------------------------------
    u = rng.random(n)
    cust = np.where(rng.random(n) < 0.3, (u * max(1, pool.size // 20)), u * pool.size).astype(np.int64)
    cust = np.minimum(cust, pool.size - 1)
    lo = np.searchsorted(arrived, arrived - REPEAT_WINDOW, side="left")
    idx = np.arange(n)
    want = (rng.random(n) < 0.12) & (lo < idx)
    ptr = idx.copy()
    ptr[want] = lo[want] + np.floor(rng.random(int(want.sum())) * (idx[want] - lo[want])).astype(np.int64)
    while True:  # follow chains of repeats back to the first contact
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    cust = cust[ptr]
    queue = queue[ptr]
    has_ref = rng.random(n) >= 0.06

    pres = np.array([PII_PRESENT[c] for c in CHANNELS])  # (3, 3)
    r = rng.random((3, n))
    has_phone = np.where(has_ref, r[0] < pres[ch, 0], (ch == 0) & (r[0] < 0.5))
    has_email = has_ref & (r[1] < pres[ch, 1])
    has_name = has_ref & (r[2] < pres[ch, 2])
    anon_phone = rng.integers(0, 10**7, n)

    langs = [code for code, _ in p.languages]
    lang = rng.choice(len(langs), size=n, p=np.asarray([w for _, w in p.languages]) / sum(w for _, w in p.languages))

    arrays = {
        "channel": ch, "queue": queue, "language": lang, "arrived": arrived, "answered_at": answered_at,
        "ended": ended, "wait": np.where(answered, wait, ended - arrived), "answered": answered,
        "talk": talk, "hold": hold, "wrap": wrap, "agent": agent, "transferred": transferred,
        "resolved": resolved, "complaint": complaint, "updated": updated, "cust": cust, "has_ref": has_ref,
        "has_phone": has_phone, "has_email": has_email, "has_name": has_name, "anon_phone": anon_phone,
    }
    if p.ts_style in ("naive_space", "naive_iso"):
        _avoid_ambiguous_wall_clock(p, month, arrays)
    return MonthRows(p, month, arrays)


def _avoid_ambiguous_wall_clock(p: VendorProfile, month: Month, a: dict[str, np.ndarray]) -> None:
    """Timestamps written without an offset must not fall in a repeated (fall-back) hour.

    Rows touching one are moved a week earlier (or later near the start of the
    month) as a whole, which keeps them in the same local month.
    """
    for _ in range(4):
        bad = ambiguous_wall_clock(a["arrived"], p.timezone) | ambiguous_wall_clock(a["ended"], p.timezone)
        ans = a["answered_at"] >= 0
        bad[ans] |= ambiguous_wall_clock(a["answered_at"][ans], p.timezone)
        if not bad.any():
            break
        local_day = to_local_naive(a["arrived"][bad], p.timezone) // DAY - day_number(month.first)
        shift = np.where(local_day >= 7, -7 * DAY, 7 * DAY)
        for k in ("arrived", "ended", "updated"):
            a[k][bad] += shift
        a["answered_at"][bad] = np.where(a["answered_at"][bad] >= 0, a["answered_at"][bad] + shift, -1)
    else:
        raise RuntimeError("could not move timestamps out of an ambiguous local hour")
    order = np.argsort(a["arrived"], kind="stable")
    for k in list(a):
        a[k] = a[k][order]
    local_month = to_local_naive(a["arrived"], p.timezone) // DAY
    assert local_month.min() >= day_number(month.first) and local_month.max() <= day_number(month.last)


# ------------------------------------------------------------------ output

def interaction_ids(p: VendorProfile, month: Month, idx: np.ndarray) -> pl.Series:
    """Ids of the month's rows at positions `idx` (0-based, in arrival order)."""
    seq = pl.Series(np.asarray(idx, dtype=np.int64) + 1).cast(pl.Utf8).str.zfill(8)
    return (f"{p.id_prefix}{month.compact}" + seq).alias("interaction_id")


def agent_ids(p: VendorProfile, idx: np.ndarray) -> pl.Series:
    s = pl.Series(np.maximum(idx, 0).astype(np.int64) + 1).cast(pl.Utf8).str.zfill(5)
    out = p.agent_prefix + s
    return pl.select(pl.when(pl.Series(idx >= 0)).then(out).otherwise(None)).to_series()


def _bool(name: str, values: np.ndarray, style: str) -> pl.Series:
    if style == "YN":
        return pl.Series(name, np.where(values, "Y", "N"))
    if style == "10":
        return pl.Series(name, values.astype(np.int8))
    return pl.Series(name, values.astype(bool))


def _nullable_int(name: str, values: np.ndarray, valid: np.ndarray) -> pl.Series:
    s = pl.Series(name, values.astype(np.int32))
    return pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()


def _masked(s: pl.Series, valid: np.ndarray, name: str) -> pl.Series:
    return pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()


CANONICAL_ORDER = [
    "interaction_id", "channel", "queue", "language", "arrived_at", "answered_at", "ended_at",
    "talk_seconds", "hold_seconds", "wrap_seconds", "agent_id", "transferred", "resolved",
    "customer_ref", "customer_phone", "customer_email", "customer_name", "complaint", "updated_at",
]
# Pacific's export puts the timestamps first (readers must go by column name)
PACIFIC_ORDER = [
    "interaction_id", "arrived_at", "answered_at", "ended_at", "channel", "queue", "language", "agent_id",
    "talk_seconds", "hold_seconds", "wrap_seconds", "transferred", "resolved", "complaint",
    "customer_ref", "customer_name", "customer_phone", "customer_email", "updated_at",
]


def frame(rows: MonthRows, pool: CustomerPool, lo: int = 0, hi: int | None = None) -> pl.DataFrame:
    """Rows lo..hi (arrival order) of the month in the vendor's own file layout."""
    p = rows.vendor
    hi = rows.n if hi is None else hi
    a = {k: v[lo:hi] for k, v in rows.arrays.items()}
    ans = a["answered"]
    ts_style = "parquet_naive" if p.interactions_format == "parquet" else p.ts_style
    langs = [code for code, _ in p.languages]
    cust = a["cust"]
    phone = pl.select(
        pl.when(pl.Series(a["has_ref"])).then(pool.phones(cust)).otherwise(format_phone(pool.market, a["anon_phone"]))
    ).to_series()
    cols = {
        "interaction_id": interaction_ids(p, rows.month, np.arange(lo, hi)),
        "channel": pl.Series(list(CHANNELS)).gather(a["channel"].astype(np.int64)).alias("channel"),
        "queue": pl.Series(list(QUEUES)).gather(a["queue"].astype(np.int64)).alias("queue"),
        "language": pl.Series(langs, dtype=pl.Utf8).gather(a["language"].astype(np.int64)).alias("language"),
        "arrived_at": format_ts("arrived_at", a["arrived"], None, p.timezone, ts_style),
        "answered_at": format_ts("answered_at", np.where(ans, a["answered_at"], 0), ans, p.timezone, ts_style),
        "ended_at": format_ts("ended_at", a["ended"], None, p.timezone, ts_style),
        "talk_seconds": _nullable_int("talk_seconds", a["talk"], ans),
        "hold_seconds": _nullable_int("hold_seconds", a["hold"], ans),
        "wrap_seconds": _nullable_int("wrap_seconds", a["wrap"], ans),
        "agent_id": agent_ids(p, a["agent"]).alias("agent_id"),
        "transferred": _bool("transferred", a["transferred"], p.bool_style),
        "resolved": _bool("resolved", a["resolved"], p.bool_style),
        "customer_ref": _masked(pool.refs(cust), a["has_ref"], "customer_ref"),
        "customer_phone": _masked(phone, a["has_phone"], "customer_phone"),
        "customer_email": _masked(pool.emails(cust), a["has_email"], "customer_email"),
        "customer_name": _masked(pool.names(cust), a["has_name"], "customer_name"),
        "complaint": _bool("complaint", a["complaint"], p.bool_style),
        "updated_at": format_ts("updated_at", a["updated"], None, p.timezone, ts_style),
    }
    order = PACIFIC_ORDER if p.vendor_id == "pacific_ph" else CANONICAL_ORDER
    if not p.include_updated_at:
        order = [c for c in order if c != "updated_at"]
    df = pl.DataFrame([cols[c].alias(c) for c in order])
    if p.include_vendor_id_column:
        df = df.select(pl.lit(p.vendor_id).alias("vendor_id"), pl.all())
    return df
