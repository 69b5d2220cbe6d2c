"""Ground truth of the evidence feeds, per docs/domain.md "Worked time (agent_time), self-service and quality".

Counts and seconds are summed exactly (integers); every ratio is a Decimal (or decided with Fractions).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from .evidence import CLASS_INDEX, OUTCOMES, QA_FORM, SS_CHANNELS, STATE_CLASS, AgentTime, QaRows, SelfService
from .periods import Month
from .worked import CLASSES, hours, month_start_utc, ratio, worked_seconds

D = Decimal
_STATE_CLS = np.array([CLASS_INDEX[c] for c in STATE_CLASS])


def _s(x: Decimal | None) -> str | None:
    return None if x is None else str(x)


def month_bounds(months: list[Month], tz: str) -> np.ndarray:
    nxt = months[-1].next()
    return np.array([month_start_utc(m.year, m.month, tz) for m in months] + [month_start_utc(nxt.year, nxt.month, tz)],
                    dtype=np.int64)


def final_records(files: list[AgentTime], corrections: dict[int, list[tuple[int, int, int]]]) -> tuple[np.ndarray, ...]:
    """(agent, rank, class, start, end) of every record after corrections (the later file wins)."""
    parts = []
    for mi, at in enumerate(files):
        end = at.end.copy()
        for seq, true_end, _wrong in corrections.get(mi, []):
            end[at.seq == seq] = true_end
        parts.append((at.agent, mi * 10**8 + at.seq, _STATE_CLS[at.state], at.start, end))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(5))


def workforce(p, months: list[Month], files: list[AgentTime], corrections, month_facts: list[dict], n_agents: int,
              fte_hours: int) -> tuple[list[dict], list[dict]]:
    """(vendor x month rows, vendor x site x month rows). month_facts[mi]: per-agent arrays handle, handled."""
    agent, rank, cls, start, end = final_records(files, corrections)
    bounds = month_bounds(months, p.timezone)
    secs, over = worked_seconds(agent, rank, cls, start, end, bounds)
    a_n = max(n_agents, secs.shape[0])
    if secs.shape[0] < a_n:
        secs = np.concatenate([secs, np.zeros((a_n - secs.shape[0],) + secs.shape[1:], dtype=np.int64)])
        over = np.concatenate([over, np.zeros((a_n - over.shape[0], over.shape[1]), dtype=np.int64)])
    site = np.arange(a_n) % len(p.sites)
    vendor_rows, site_rows = [], []
    for mi, m in enumerate(months):
        handle = np.zeros(a_n, dtype=np.int64)
        handled = np.zeros(a_n, dtype=np.int64)
        handle[:n_agents] = month_facts[mi]["handle"]
        handled[:n_agents] = month_facts[mi]["handled"]
        for s_idx, site_name in [(None, None)] + list(enumerate(p.sites)):
            sel = np.ones(a_n, dtype=bool) if s_idx is None else site == s_idx
            by_cls = secs[sel, mi, :]
            paid_agent = by_cls[:, :3].sum(axis=1)
            row = _workforce_row(p.vendor_id, m.key, site_name, by_cls.sum(axis=0), int(over[sel, mi].sum()),
                                 int(handle[sel].sum()), int(handled[sel].sum()), int((paid_agent > 0).sum()),
                                 int(((paid_agent > 0) & (handled[sel] == 0)).sum()), fte_hours)
            (vendor_rows if s_idx is None else site_rows).append(row)
    return vendor_rows, site_rows


def _workforce_row(vendor_id: str, month: str, site: str | None, by_cls: np.ndarray, overlap: int, handle: int,
                   handled: int, agents: int, without: int, fte_hours: int) -> dict[str, Any]:
    sec = {c: int(by_cls[i]) for i, c in enumerate(CLASSES)}
    paid = sec["productive"] + sec["training"] + sec["paid_other"]
    row: dict[str, Any] = {"vendor_id": vendor_id, "period_month": month}
    if site is not None:
        row["site"] = site
    row.update({"agents": agents, "agents_without_contacts": without})
    for c in CLASSES:
        row[f"{c}_seconds"] = sec[c]
    row.update({"paid_seconds": paid, "overlap_seconds": overlap, "handle_seconds": handle,
                "handled_contacts": handled})
    for c in CLASSES:
        row[f"{c}_hours"] = str(hours(sec[c]))
    row.update({
        "paid_hours": str(hours(paid)), "overlap_hours": str(hours(overlap)),
        "fte_hours_per_month": fte_hours,
        "delivered_fte": str(D(paid) / D(3600 * fte_hours)),
        "shrinkage": _s(None if paid == 0 else 1 - D(sec["productive"]) / D(paid)),
        "occupancy": _s(ratio(handle, sec["productive"])),
    })
    return row


def self_service_kpis(p, months: list[Month], sessions: list[SelfService], handled: list[int]) -> list[dict]:
    """vendor x channel x month; month = started_at in the vendor's time zone."""
    ss = SelfService(*(np.concatenate([getattr(x, k) for x in sessions]) for k in SelfService.__dataclass_fields__))
    bounds = month_bounds(months, p.timezone)
    mi = np.searchsorted(bounds, ss.start, side="right") - 1
    if ((mi < 0) | (mi >= len(months))).any():
        raise RuntimeError("a self-service session started outside the generated months")
    rows = []
    for m_i, m in enumerate(months):
        for ci, ch in enumerate(SS_CHANNELS):
            sel = (mi == m_i) & (ss.channel == ci)
            n = int(sel.sum())
            c = {o: int((sel & (ss.outcome == k)).sum()) for k, o in enumerate(OUTCOMES)}
            rows.append({
                "vendor_id": p.vendor_id, "channel": ch, "period_month": m.key, "sessions": n,
                "contained": c["contained"], "transferred": c["transferred"], "abandoned": c["abandoned"],
                "handled_contacts": handled[m_i],
                "containment_rate": _s(ratio(c["contained"], n)), "transfer_rate": _s(ratio(c["transferred"], n)),
                "self_service_share": _s(ratio(c["contained"], c["contained"] + handled[m_i])),
            })
    return rows


def _frac(score: int, max_score: int, auto_fail: bool) -> Fraction:
    return Fraction(0) if auto_fail else Fraction(int(score), 2 * max_score)  # scores are in half points


def _dec(f: Fraction | None) -> str | None:
    return None if f is None else str(D(f.numerator) / D(f.denominator))


def qa_evaluations(p, months: list[Month], qa: QaRows) -> list[dict]:
    """Plain rows of the evaluations kept (evaluated within the generated months), with their month."""
    bounds = month_bounds(months, p.timezone)
    mi = np.searchsorted(bounds, qa.evaluated, side="right") - 1
    _, max_score = QA_FORM[p.vendor_id]
    out = []
    for i in range(qa.row.size):
        if not 0 <= mi[i] < len(months):
            continue
        out.append({"key": (int(qa.month_row[i]), int(qa.row[i])), "agent": int(qa.agent[i]),
                    "side": "vendor" if qa.side[i] == 0 else "client", "calibration": bool(qa.calibration[i]),
                    "auto_fail": bool(qa.auto_fail[i]), "value": _frac(qa.score[i], max_score, bool(qa.auto_fail[i])),
                    "month": months[mi[i]].key, "t": int(qa.evaluated[i])})
    return out


def calibration_pairs(evals: list[dict]) -> list[tuple[str, int, Fraction]]:
    """(month, agent, gap) per interaction scored by both sides: |mean vendor - mean client| (calibration flag
    ignored), in the month of its latest client evaluation."""
    by_int: dict[tuple, list[dict]] = defaultdict(list)
    for e in evals:
        by_int[e["key"]].append(e)
    pairs = []
    for es in by_int.values():
        v = [e["value"] for e in es if e["side"] == "vendor"]
        c = [e for e in es if e["side"] == "client"]
        if v and c:
            gap = abs(sum(v, Fraction(0)) / len(v) - sum((e["value"] for e in c), Fraction(0)) / len(c))
            pairs.append((max(c, key=lambda e: e["t"])["month"], es[0]["agent"], gap))
    return pairs


def quality(p, months: list[Month], evals: list[dict], facts: list[dict], agent_name, n_agents: int
            ) -> list[dict]:
    """marts.quality ground truth: vendor, site and agent grain per month (docs/domain.md)."""
    site_of = {a: p.sites[a % len(p.sites)] for a in range(n_agents)}
    pairs = calibration_pairs(evals)
    # per (month, agent) sums, rolled up to site and vendor
    acc: dict[tuple[str, int], list] = defaultdict(lambda: [0, Fraction(0), 0, 0, Fraction(0)])
    for e in evals:
        if not e["calibration"]:
            a = acc[(e["month"], e["agent"])]
            a[0] += 1
            a[1] += e["value"]
            a[2] += e["auto_fail"]
    for mk, agent, gap in pairs:
        a = acc[(mk, agent)]
        a[3] += 1
        a[4] += gap
    rows = []
    for mi, m in enumerate(months):
        f = facts[mi]
        agents = sorted({a for (mk, a) in acc if mk == m.key} | set(np.flatnonzero(f["handled"] > 0).tolist()))
        groups: list[tuple[str, str | None, list[int], int | None]] = [("vendor", None, agents, None)]
        groups += [("site", s, [a for a in agents if site_of[a] == s], None) for s in p.sites]
        groups += [("agent", site_of[a], [a], a) for a in agents]
        for grain, site, members, agent in groups:
            tot = [0, Fraction(0), 0, 0, Fraction(0)]
            for a in members:
                x = acc.get((m.key, a))
                if x is not None:
                    tot = [t + v for t, v in zip(tot, x)]
            idx = np.array(members, dtype=np.int64)
            complaints = int(f["complaints"][idx].sum()) if idx.size else 0
            handled = int(f["handled"][idx].sum()) if idx.size else 0
            n, npairs = tot[0], tot[3]
            rows.append({
                "vendor_id": p.vendor_id, "period_month": m.key, "grain": grain, "site": site,
                "agent_id": None if agent is None else agent_name(agent),
                "evaluations": n,
                "qa_score": _dec(tot[1] / n if n else None),
                "auto_fail_rate": _dec(Fraction(tot[2], n) if n else None),
                "calibration_pairs": npairs,
                "calibration_gap": _dec(tot[4] / npairs if npairs else None),
                "complaints": complaints, "handled_contacts": handled,
                "complaint_rate": _dec(Fraction(complaints * 1000, handled) if handled else None),
            })
    return rows


def evidence_sla(p, version: dict, month: Month, evals: list[dict], ss_rows: list[dict]) -> list[dict]:
    """SLA results of the evidence metrics of the version in force (qa_*, containment_rate)."""
    out = []
    for line in version.get("sla", []):
        metric = line["metric"]
        if metric not in ("qa_score", "qa_auto_fail_rate", "qa_calibration_gap", "containment_rate"):
            continue
        side = line.get("evaluator_side")
        extra: dict[str, Any] = {}
        if metric in ("qa_score", "qa_auto_fail_rate"):
            ev = [e for e in evals if e["month"] == month.key and not e["calibration"]
                  and (side is None or e["side"] == side)]
            n = len(ev)
            val = (None if n == 0 else sum((e["value"] for e in ev), Fraction(0)) / n if metric == "qa_score"
                   else Fraction(sum(e["auto_fail"] for e in ev), n))
            higher = metric == "qa_score"
            extra["evaluator_side"] = side
        elif metric == "qa_calibration_gap":
            gaps = [g for mk, _, g in calibration_pairs(evals) if mk == month.key]
            n = len(gaps)
            val, higher = (sum(gaps, Fraction(0)) / n if n else None), False
        else:
            ch = line.get("channel")
            rs = [r for r in ss_rows if r["period_month"] == month.key and (ch is None or r["channel"] == ch)]
            n = sum(r["sessions"] for r in rs)
            val, higher = (Fraction(sum(r["contained"] for r in rs), n) if n else None), True
        target = Fraction(D(str(line["target"])))
        met = None if val is None else (val >= target if higher else val <= target)
        out.append({
            "vendor_id": p.vendor_id, "channel": line.get("channel"), "period_month": month.key, "metric": metric,
            "target": str(line["target"]), "actual": None if val is None else float(val), "actual_exact": _dec(val),
            "met": met, "sample_size": n, "credit_pct": str(line["credit_pct"]),
            "contract_version": version["effective_from"].isoformat(), **extra,
            "at_target": val is not None and val == target,
        })
    return out


def scorecard(worked: list[dict], ss_rows: list[dict], billed: list[dict]) -> list[dict]:
    """The evidence columns of marts.vendor_scorecard per vendor x month (domain.md "Worked time"):
    delivered FTE = paid hours / fte_hours_per_month; billed FTE = the quantity of the fte_months lines billed
    (latest revisions, duplicates left out; null when none was billed); shrinkage = 1 - productive / paid;
    occupancy = handle time / productive time; containment = contained / sessions over every self-service
    channel. Null where the month has no such evidence (no agent time, no session, no FTE line)."""
    sessions: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in ss_rows:
        s = sessions[(r["vendor_id"], r["period_month"])]
        s[0] += r["sessions"]
        s[1] += r["contained"]
    fte: dict[tuple[str, str], Decimal] = {}
    for r in billed:
        if r["category"] == "fte_months" and r["billed_lines"] > 0:
            key = (r["vendor_id"], r["period_month"])
            fte[key] = fte.get(key, D(0)) + D(r["billed_quantity"])
    rows = []
    for w in worked:
        key = (w["vendor_id"], w["period_month"])
        paid, productive = w["paid_seconds"], w["productive_seconds"]
        n_sessions, contained = sessions.get(key, (0, 0))
        rows.append({
            "vendor_id": w["vendor_id"], "period_month": w["period_month"],
            "delivered_fte": None if paid == 0 else str(D(paid) / D(3600 * w["fte_hours_per_month"])),
            "billed_fte": _s(fte.get(key)),
            "shrinkage": _s(None if paid == 0 else 1 - D(productive) / D(paid)),
            "occupancy": _s(ratio(w["handle_seconds"], productive)),
            "containment_rate": _s(ratio(contained, n_sessions)),
        })
    return rows
