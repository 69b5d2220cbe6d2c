"""Ground-truth KPIs and SLA results, per docs/domain.md § KPIs (numpy, no pipeline code)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from .interactions import MonthRows
from .vendors import CHANNELS, QUEUES

DAY = 86400
EVIDENCE_METRICS = ("qa_score", "qa_auto_fail_rate", "qa_calibration_gap", "containment_rate")


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def sl_line(version: dict[str, Any], channel: str) -> dict[str, Any] | None:
    for s in version.get("sla", []):
        if s["metric"] == "service_level" and s.get("channel") == channel:
            return s
    return None


def short_abandon_seconds(version: dict[str, Any], line: dict[str, Any]) -> int:
    """From the line itself, else the version's service_level line of that channel, else 0."""
    if line.get("short_abandon_seconds") is not None:
        return int(line["short_abandon_seconds"])
    sl = sl_line(version, line.get("channel")) if line.get("channel") else None
    if sl is not None and sl.get("short_abandon_seconds") is not None:
        return int(sl["short_abandon_seconds"])
    return 0


def channel_kpis(rows: MonthRows, channel: str, sl: dict[str, Any]) -> dict[str, Any]:
    a = rows.arrays
    m = a["channel"] == CHANNELS.index(channel)
    ans = a["answered"][m]
    wait = a["wait"][m]
    thr = int(sl["threshold_seconds"])
    short_s = int(sl.get("short_abandon_seconds") or 0)
    treatment = sl.get("abandons") or "exclude_short"
    offered = int(m.sum())
    answered = int(ans.sum())
    abandoned = offered - answered
    short = int((~ans & (wait < short_s)).sum())
    awt = int((ans & (wait <= thr)).sum())
    abwt = int((~ans & (wait <= thr)).sum())
    if treatment not in ("exclude_short", "exclude_all", "count_against", "count_for_within"):
        raise ValueError(treatment)
    handle = (a["talk"] + a["hold"] + a["wrap"])[m][ans]
    k = {
        "vendor_id": rows.vendor.vendor_id,
        "channel": channel,
        "period_month": rows.month.key,
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "short_abandoned": short,
        "answered_within_threshold": awt,
        "abandoned_within_threshold": abwt,
        "threshold_seconds": thr,
        "short_abandon_seconds": short_s,
        "abandons": treatment,
        "service_level": None,
        "abandon_rate": _ratio(abandoned - short, offered - short),
        "handled_contacts": answered,
        "handle_seconds": int(handle.sum()),
    }
    num, den = _sl_fraction(k)
    k["service_level"] = _ratio(num, den)
    return k


def first_contact_resolution(months: list[MonthRows], window_days: int) -> list[np.ndarray]:
    """Per month, a bool per row: resolved on first contact (docs/domain.md § KPIs, FCR).

    A contact with a customer_ref is resolved unless the same customer_ref makes a further contact
    (any channel, answered or not, strictly later arrived_at, this month or a later one) in the same
    queue within `window_days` x 86,400 s after its arrived_at; contacts without a customer_ref fall
    back to the `resolved` disposition. Only meaningful for answered rows. A next contact exactly
    `window_days` x 86,400 s later is within the window (not resolved).
    """
    sizes = [m.n for m in months]
    cat = {k: np.concatenate([m.arrays[k] for m in months]) for k in ("arrived", "cust", "queue", "has_ref", "resolved")}
    n = int(sum(sizes))
    first = cat["resolved"].astype(bool).copy()
    idx = np.flatnonzero(cat["has_ref"])
    if idx.size:
        group = cat["cust"][idx].astype(np.int64) * len(QUEUES) + cat["queue"][idx].astype(np.int64)
        t = cat["arrived"][idx].astype(np.int64)
        t0 = int(t.min())
        comp = group * (1 << 32) + (t - t0)
        order = np.argsort(comp, kind="stable")
        cs, gs, ts = comp[order], group[order], t[order]
        nxt = np.searchsorted(cs, cs, side="right")  # first contact strictly later (same group, checked below)
        ok = nxt < cs.size
        nxt_c = np.minimum(nxt, cs.size - 1)
        ok &= gs[nxt_c] == gs
        gap = np.where(ok, ts[nxt_c] - ts, np.iinfo(np.int64).max)
        window = int(window_days) * DAY
        res = np.empty(idx.size, dtype=bool)
        res[order] = gap > window
        first[idx] = res
    out, lo = [], 0
    for k in sizes:
        out.append(first[lo:lo + k])
        lo += k
    assert lo == n
    return out


def sla_results(rows: MonthRows, version: dict[str, Any], survey_stats, fcr: dict[int, np.ndarray] | None = None
                ) -> list[dict]:
    """Actual vs target for every SLA line of the version in force.

    `met` is decided exactly (fractions), `actual` is the float of the same ratio. `fcr`: repeat window
    (days) -> per-row resolved-on-first-contact flags of this month (first_contact_resolution()).
    """
    a = rows.arrays
    out = []
    for line in version.get("sla", []):
        metric, ch = line["metric"], line.get("channel")
        target = Decimal(str(line["target"]))
        extra: dict[str, Any] = {}
        if metric == "fcr_rate":
            flags = fcr[int(line.get("repeat_window_days") or 7)]
            m = a["answered"].copy()
            if ch is not None:
                m &= a["channel"] == CHANNELS.index(ch)
            num, den = int((flags & m).sum()), int(m.sum())
            n, higher_is_better = den, True
            extra = {"fcr_repeat_basis_contacts": int((m & a["has_ref"]).sum()),
                     "fcr_disposition_basis_contacts": int((m & ~a["has_ref"]).sum())}
        elif metric == "csat_top2box":
            ok = survey_stats["csat_ok"]
            if ch is not None:
                ok = ok & (a["channel"][survey_stats["rows"]] == CHANNELS.index(ch))
            num, den, n = int((ok & (survey_stats["csat"] >= 4)).sum()), int(ok.sum()), int(ok.sum())
            higher_is_better = True
        elif metric in ("service_level", "asa_seconds", "aht_seconds", "abandon_rate") and ch is not None:
            m = a["channel"] == CHANNELS.index(ch)
            ans = a["answered"][m]
            wait = a["wait"][m]
            if metric == "service_level":
                k = channel_kpis(rows, ch, line)
                num, den = _sl_fraction(k)
                n, higher_is_better = den, True  # sample_size: the ratio's denominator (0 <=> actual null)
            elif metric == "asa_seconds":
                num, den = int(wait[ans].sum()), int(ans.sum())
                n, higher_is_better = den, False
            elif metric == "aht_seconds":
                num, den = int((a["talk"] + a["hold"] + a["wrap"])[m][ans].sum()), int(ans.sum())
                n, higher_is_better = den, False
            else:
                s = short_abandon_seconds(version, line)
                short = int((~ans & (wait < s)).sum())
                num, den = int((~ans).sum()) - short, int(m.sum()) - short
                n, higher_is_better = den, False
        elif metric in EVIDENCE_METRICS:
            continue  # evidence_truth.evidence_sla() evaluates these (generator option `evidence`)
        else:
            if Decimal(str(line.get("credit_pct", 0))) > 0:
                raise ValueError(f"SLA metric {metric} (channel {ch}) with a credit is not evaluated by the generator")
            continue
        if den == 0:
            actual, met = None, None
        else:
            frac, tgt = Fraction(num, den), Fraction(target)
            actual, met = num / den, (frac >= tgt if higher_is_better else frac <= tgt)
        out.append({
            "vendor_id": rows.vendor.vendor_id, "channel": ch, "period_month": rows.month.key, "metric": metric,
            "target": str(target), "actual": actual, "met": met, "sample_size": n,
            "numerator": num, "denominator": den, "credit_pct": str(line["credit_pct"]),
            "contract_version": version["effective_from"].isoformat(), **extra,
            "at_target": den > 0 and Fraction(num, den) == Fraction(target),
        })
    return out


def _sl_fraction(k: dict[str, Any]) -> tuple[int, int]:
    t = k["abandons"]
    if t == "exclude_short":
        return k["answered_within_threshold"], k["offered"] - k["short_abandoned"]
    if t == "exclude_all":
        return k["answered_within_threshold"], k["answered"]
    if t == "count_against":
        return k["answered_within_threshold"], k["offered"]
    return k["answered_within_threshold"] + k["abandoned_within_threshold"], k["offered"]
