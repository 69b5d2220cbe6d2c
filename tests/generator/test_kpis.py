"""KPI ground truth recomputed from the written interaction files with a plain loop."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from ._helpers import TIMEZONES, interactions, load_contract


def _loop_kpis(rows, channel, sl):
    thr, short_s, treatment = sl["threshold_seconds"], sl["short_abandon_seconds"], sl["abandons"]
    k = dict(offered=0, answered=0, abandoned=0, short_abandoned=0, answered_within_threshold=0,
             abandoned_within_threshold=0, handle_seconds=0)
    for r in rows:
        if r["channel"] != channel:
            continue
        k["offered"] += 1
        if r["answered_at"] is not None:
            wait = (r["answered_at"] - r["arrived_at"]).total_seconds()
            k["answered"] += 1
            k["answered_within_threshold"] += wait <= thr
            k["handle_seconds"] += r["talk_seconds"] + r["hold_seconds"] + r["wrap_seconds"]
        else:
            wait = (r["ended_at"] - r["arrived_at"]).total_seconds()
            k["abandoned"] += 1
            k["short_abandoned"] += wait < short_s
            k["abandoned_within_threshold"] += wait <= thr
    num = k["answered_within_threshold"]
    den = {"exclude_short": k["offered"] - k["short_abandoned"], "exclude_all": k["answered"],
           "count_against": k["offered"], "count_for_within": k["offered"]}[treatment]
    if treatment == "count_for_within":
        num += k["abandoned_within_threshold"]
    k["service_level"] = num / den if den else None
    d = k["offered"] - k["short_abandoned"]
    k["abandon_rate"] = (k["abandoned"] - k["short_abandoned"]) / d if d else None
    k["handled_contacts"] = k["answered"]
    return k


@pytest.mark.parametrize("vendor,month", [("acme_mx", "2026-01"), ("pacific_ph", "2026-02"),
                                          ("iberia_es", "2026-03"), ("inhouse_us", "2026-03")])
def test_kpis_match_a_plain_loop(default_out, truth, vendor, month):
    rows = interactions(default_out, vendor, month)
    tz = ZoneInfo(TIMEZONES[vendor])
    y, m = map(int, month.split("-"))
    assert all(date(y, m, 1) <= r["arrived_at"].astimezone(tz).date() for r in rows)
    assert all(r["arrived_at"].astimezone(tz).month == m for r in rows)
    version = load_contract(default_out / "contracts" / f"{vendor}.yaml")["versions"][0]
    for channel in ("voice", "chat"):
        sl = next(s for s in version["sla"] if s["metric"] == "service_level" and s["channel"] == channel)
        expected = _loop_kpis(rows, channel, sl)
        (got,) = [k for k in truth["kpis"] if (k["vendor_id"], k["channel"], k["period_month"]) == (vendor, channel, month)]
        assert got["threshold_seconds"] == sl["threshold_seconds"]
        assert got["short_abandon_seconds"] == sl["short_abandon_seconds"]
        assert got["abandons"] == sl["abandons"]
        for key, val in expected.items():
            if isinstance(val, float):
                assert got[key] == pytest.approx(val, rel=1e-12), key
            else:
                assert got[key] == val, key


def test_kpis_cover_every_vendor_channel_month(truth):
    keys = {(k["vendor_id"], k["channel"], k["period_month"]) for k in truth["kpis"]}
    assert len(keys) == len(truth["kpis"]) == 4 * 2 * 3


def test_performance_varies(truth):
    """SLAs are sometimes met and sometimes missed; short abandons exist."""
    sl = [s for s in truth["sla"] if s["metric"] == "service_level"]
    assert any(s["met"] for s in sl) and any(s["met"] is False for s in sl)
    assert all(k["short_abandoned"] > 0 for k in truth["kpis"] if k["channel"] == "voice")
    ar = [k["abandon_rate"] for k in truth["kpis"]]
    assert 0.01 < min(ar) and max(ar) < 0.2


def test_realism_of_handling(default_out):
    rows = [r for m in ("2026-01", "2026-02") for r in interactions(default_out, "acme_mx", m)]
    n = len(rows)
    share = {c: sum(r["channel"] == c for r in rows) / n for c in ("voice", "chat", "email")}
    assert 0.55 < share["voice"] < 0.68 and 0.18 < share["chat"] < 0.30 and 0.10 < share["email"] < 0.20
    answered = [r for r in rows if r["answered_at"] is not None]
    for r in rows:
        if r["answered_at"] is None:
            assert r["talk_seconds"] is None and r["agent_id"] in (None, "")
        else:
            assert r["agent_id"] and r["talk_seconds"] >= 0
    aht = {c: sum(r["talk_seconds"] + r["hold_seconds"] + r["wrap_seconds"] for r in answered if r["channel"] == c)
           / sum(r["channel"] == c for r in answered) for c in ("voice", "chat", "email")}
    assert 280 < aht["voice"] < 440 and 450 < aht["chat"] < 720 and 180 < aht["email"] < 420
    emails = [(r["answered_at"] - r["arrived_at"]).total_seconds() for r in answered if r["channel"] == "email"]
    assert sorted(emails)[len(emails) // 2] > 3600  # email waits are hours
    transfer = sum(r["transferred"] for r in answered) / len(answered)
    resolved = sum(r["resolved"] for r in answered) / len(answered)
    complaint = sum(r["complaint"] for r in answered) / len(answered)
    assert 0.05 <= transfer <= 0.10 and 0.75 <= resolved <= 0.85 and 0.003 < complaint < 0.03
    refs = [r["customer_ref"] for r in rows]
    assert 0.02 < sum(not x for x in refs) / n < 0.12
    assert len(set(refs)) < 0.9 * n  # repeat contacts
    tz = ZoneInfo("America/Monterrey")
    hours = [r["arrived_at"].astimezone(tz).hour for r in rows if r["channel"] == "voice"]
    assert sum(h in (10, 11, 14, 15) for h in hours) > 8 * sum(h in (2, 3, 4, 5) for h in hours)
