"""Ground-truth KPIs and SLA results, per docs/domain.md § KPIs (numpy, no pipeline code)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from .interactions import MonthRows
from .vendors import CHANNELS


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


def sla_results(rows: MonthRows, version: dict[str, Any], survey_stats) -> list[dict]:
    """Actual vs target for the SLA lines the generator can evaluate exactly (all but fcr_rate).

    `met` is decided exactly (fractions), `actual` is the float of the same ratio.
    """
    a = rows.arrays
    out = []
    for line in version.get("sla", []):
        metric, ch = line["metric"], line.get("channel")
        target = Decimal(str(line["target"]))
        if metric == "csat_top2box":
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
                n, higher_is_better = k["offered"], True
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
                n, higher_is_better = int(m.sum()), False
        else:
            continue  # fcr_rate and channel-less operational lines are not evaluated here
        if den == 0:
            actual, met = None, None
        else:
            frac, tgt = Fraction(num, den), Fraction(target)
            actual, met = num / den, (frac >= tgt if higher_is_better else frac <= tgt)
        out.append({
            "vendor_id": rows.vendor.vendor_id, "channel": ch, "period_month": rows.month.key, "metric": metric,
            "target": str(target), "actual": actual, "met": met, "sample_size": n,
            "numerator": num, "denominator": den, "credit_pct": str(line["credit_pct"]),
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
