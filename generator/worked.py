"""Worked time by class, per agent and local month (docs/domain.md "Worked time"), two ways.

- `worked_seconds_reference`: plain Python, one interval at a time (the rule as written);
- `worked_seconds`: the same in numpy, for millions of intervals (the generator's ground truth).

Rules: time counts in the vendor's time zone, split at local midnight at each month's start;
durations are real elapsed seconds (UTC instants, so a DST night is an hour shorter or longer than
its wall clock); where one agent's intervals overlap, each instant counts once, in the class of the
interval that started first (ties: the lower record_id), and the rest is overlap. Results are
integer seconds; hours are exact decimals (seconds / 3600) only when presented.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np

CLASSES = ("productive", "training", "paid_other", "unpaid")
PAID = ("productive", "training", "paid_other")
_OFF = np.int64(1) << np.int64(34)  # per-agent time offset for a grouped running maximum (> any epoch second used)


def month_start_utc(year: int, month: int, tz: str) -> int:
    """UTC epoch second of local midnight on the month's first day."""
    return int(datetime(year, month, 1, tzinfo=ZoneInfo(tz)).timestamp())


def local_month(t: int, tz: str) -> str:
    d = datetime.fromtimestamp(t, timezone.utc).astimezone(ZoneInfo(tz))
    return f"{d.year:04d}-{d.month:02d}"


def _next_month(key: str) -> tuple[int, int]:
    y, m = int(key[:4]), int(key[5:])
    return y + (m == 12), m % 12 + 1


def _split(a: int, e: int, tz: str) -> Iterable[tuple[str, int]]:
    """[a, e) cut at local month starts: (month key, seconds)."""
    while a < e:
        key = local_month(a, tz)
        b = month_start_utc(*_next_month(key), tz)
        cut = min(e, b)
        yield key, cut - a
        a = cut


def worked_seconds_reference(records: Iterable[dict], tz: str) -> dict[tuple[str, str], dict[str, int]]:
    """records: {record_id, agent_id, cls, start, end} (UTC epoch seconds, the final version of each record).

    Returns (agent_id, month key) -> {class: seconds, ..., "overlap": seconds}.
    """
    by_agent: dict[str, list[dict]] = {}
    for r in records:
        by_agent.setdefault(r["agent_id"], []).append(r)
    out: dict[tuple[str, str], dict[str, int]] = {}
    for agent, rs in by_agent.items():
        cover = None  # latest end of the intervals that started before (or tie-won)
        for r in sorted(rs, key=lambda r: (r["start"], r["record_id"])):
            s, e = r["start"], r["end"]
            if cover is not None and cover > s:
                for key, sec in _split(s, min(e, cover), tz):  # already counted by an earlier interval
                    out.setdefault((agent, key), {}).setdefault("overlap", 0)
                    out[(agent, key)]["overlap"] += sec
            a = s if cover is None else max(s, cover)
            for key, sec in _split(a, e, tz):
                cell = out.setdefault((agent, key), {})
                cell[r["cls"]] = cell.get(r["cls"], 0) + sec
            cover = e if cover is None else max(cover, e)
    return out


def worked_seconds(agent: np.ndarray, rank: np.ndarray, cls: np.ndarray, start: np.ndarray, end: np.ndarray,
                   bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised worked_seconds_reference.

    agent: int agent index (0..A-1); rank: order of the record_id (ties on start go to the lower rank);
    cls: index into CLASSES; start/end: UTC epoch seconds; bounds: UTC starts of consecutive local months
    plus the end of the last one (M + 1 values; every interval must lie inside).
    Returns (seconds[A, M, 4] by class, overlap[A, M]).
    """
    agent = np.asarray(agent, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    cls = np.asarray(cls, dtype=np.int64)
    n_agents = int(agent.max()) + 1 if agent.size else 0
    n_months = len(bounds) - 1
    secs = np.zeros(n_agents * n_months * len(CLASSES), dtype=np.int64)
    over = np.zeros(n_agents * n_months, dtype=np.int64)
    if agent.size == 0:
        return secs.reshape(n_agents, n_months, len(CLASSES)), over.reshape(n_agents, n_months)
    if start.min() < bounds[0] or end.max() > bounds[-1] or (end <= start).any():
        raise ValueError("intervals must be non-empty and inside the months")
    order = np.lexsort((np.asarray(rank), start, agent))
    agent, cls, start, end = agent[order], cls[order], start[order], end[order]
    shifted_end = end - bounds[0] + agent * _OFF
    run_max = np.maximum.accumulate(shifted_end)
    cover = np.empty_like(run_max)
    cover[0] = -1
    cover[1:] = run_max[:-1]
    cover = cover - agent * _OFF + bounds[0]  # earlier agents' ends fall below this agent's starts
    counted_from = np.maximum(start, cover)
    bounds = np.asarray(bounds, dtype=np.int64)

    def add(a: np.ndarray, e: np.ndarray, who: np.ndarray, target: np.ndarray, width: int, col: np.ndarray | None):
        keep = e > a
        a, e, who = a[keep], e[keep], who[keep]
        col = None if col is None else col[keep]
        while a.size:
            mi = np.searchsorted(bounds, a, side="right") - 1
            cut = np.minimum(e, bounds[mi + 1])
            idx = (who * n_months + mi) * width + (0 if col is None else col)
            np.add.at(target, idx, cut - a)
            rest = e > cut
            a, e, who = cut[rest], e[rest], who[rest]
            col = None if col is None else col[rest]

    add(counted_from, end, agent, secs, len(CLASSES), cls)
    add(start, np.minimum(end, cover), agent, over, 1, None)
    return secs.reshape(n_agents, n_months, len(CLASSES)), over.reshape(n_agents, n_months)


def hours(seconds: int) -> Decimal:
    """Exact hours as a Decimal (28 significant digits: seconds / 3600 rarely terminates)."""
    return Decimal(int(seconds)) / Decimal(3600)


def ratio(num: Decimal | int, den: Decimal | int) -> Decimal | None:
    return None if den == 0 else Decimal(num) / Decimal(den)
