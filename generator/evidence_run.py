"""The evidence feeds of one vendor across the months: generation, files and ground truth (option `evidence`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np

from . import evidence as ev
from . import evidence_truth as et
from .interactions import MonthRows, agent_ids
from .periods import Month, add_days
from .worked import hours

D = Decimal
# which vendor-month (index modulo the number of months) bills what above its evidence, and by how much
OVERBILLING = {
    "acme_mx": {"productive_hours": (0, (1.04, 1.08)), "training_hours": (1, (1.004, 1.012)),
                "contained_sessions": (2, (1.05, 1.10))},
    "pacific_ph": {"fte_months": (1, (1.05, 1.09))},
    "iberia_es": {"resolved_contacts": (2, (1.04, 1.08))},
    "inhouse_us": {},
}
EVIDENCE_SOURCE = {"productive_hours": "agent_time", "training_hours": "agent_time", "fte_months": "agent_time",
                   "resolved_contacts": "interactions", "contained_sessions": "self_service"}


class VendorEvidence:
    def __init__(self, p, months: list[Month], n_agents: int, rng: Callable[..., np.random.Generator],
                 landing: Path, out_dir: Path, ventry: dict, counts: dict, pool, write_frames: Callable,
                 ts: Callable[[date, int, int], float], set_mtime: Callable, ext: str, vs0: int):
        self.p, self.months, self.n_agents, self.rng = p, months, n_agents, rng
        self.landing, self.out_dir, self.ventry, self.counts, self.pool = landing, out_dir, ventry, counts, pool
        self.write_frames, self.ts, self.set_mtime, self.ext, self.vs0 = write_frames, ts, set_mtime, ext, vs0
        self.facts: list[dict] = []
        self.agent_time: list[ev.AgentTime] = []
        self.sessions: list[ev.SelfService] = []
        self.qa: list[ev.QaRows] = []
        for k in ("agent_time_files", "self_service_files", "qa_evaluation_files"):
            ventry[k] = []
        for k in ("agent_time", "self_service", "qa_evaluations"):
            counts[k] = 0
        # new hires: in training through the first month, taking contacts from the second
        k = max(1, round(0.05 * n_agents)) if len(months) > 1 else 0
        self.new_hires = np.zeros(n_agents, dtype=bool)
        self.new_hires[n_agents - k:] = True

    def agent_name(self, a) -> str:
        return agent_ids(self.p, np.array([int(a)])).item()

    def _path(self, feed: str, name: str) -> Path:
        path = self.landing / self.p.vendor_id / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def before_write(self, mi: int, rows: MonthRows) -> None:
        """First month: the new hires' contacts go to the other agents (before the interactions are written)."""
        if mi == 0 and self.new_hires.any():
            a = rows.arrays["agent"]
            moved = (a >= 0) & self.new_hires[np.maximum(a, 0)]
            r = self.rng("remap", mi)
            a[moved] = r.integers(0, int((~self.new_hires).sum()), int(moved.sum()))

    def month(self, mi: int, month: Month, rows: MonthRows) -> None:
        p, a = self.p, rows.arrays
        ans = a["answered"]
        agent = a["agent"][ans].astype(np.int64)
        handle = (a["talk"] + a["hold"] + a["wrap"])[ans].astype(np.int64)
        talk = (a["talk"] + a["hold"])[ans].astype(np.int64)
        n = self.n_agents
        h = np.bincount(agent, weights=handle, minlength=n).round().astype(np.int64)
        t = np.bincount(agent, weights=talk, minlength=n)
        facts = {
            "handle": h, "handled": np.bincount(agent, minlength=n).astype(np.int64),
            "complaints": np.bincount(agent, weights=a["complaint"][ans].astype(np.int64), minlength=n)
            .round().astype(np.int64),
            "handled_total": int(ans.sum()), "resolved_total": int((ans & a["resolved"]).sum()),
        }
        self.facts.append(facts)
        talk_share = np.where(h > 0, t / np.maximum(h, 1), 0.85)
        new = self.new_hires if mi == 0 else np.zeros(n, dtype=bool)
        self.agent_time.append(ev.shifts(p, month, h, talk_share, new, self.rng("shifts", mi)))
        ss = ev.self_service(p, month, a, self.rng("self_service", mi))
        self.sessions.append(ss)
        path = self._path("self_service", f"self_service_{month.key}.{self.ext}")
        self.write_frames(path, p.interactions_format, [ev.self_service_frame(p, month, ss, self.pool)])
        self.set_mtime(path, self.ts(add_days(month.last, 1), 6, 30 + self.vs0))
        self.ventry["self_service_files"].append(path.relative_to(self.out_dir).as_posix())
        self.counts["self_service"] += int(ss.start.size)
        self.qa.append(ev.qa_month(p, mi, month, a, self.rng("qa", mi)))

    def finish(self, versions: list[dict], sla: list[list[dict]]) -> dict[str, Any]:
        """Quirks, agent_time and QA files; the ground truth; evidence SLA rows appended to `sla`."""
        p, months = self.p, self.months
        quirks = ev.inject_quirks(p, months, self.agent_time, self.rng("quirks", 0), self.agent_name)
        for mi in range(len(months)):
            self.agent_time[mi] = ev.apply_extra(self.agent_time[mi], quirks.extra.get(mi, []))
        for mi, m in enumerate(months):
            at = self.agent_time[mi]
            path = self._path("agent_time", f"agent_time_{m.key}.{self.ext}")
            self.write_frames(path, p.interactions_format, [ev.agent_time_frame(p, m, at)])
            self.set_mtime(path, self.ts(add_days(m.last, 1), 6, 20 + self.vs0))
            self.ventry["agent_time_files"].append(path.relative_to(self.out_dir).as_posix())
            self.counts["agent_time"] += at.n
            fixes = quirks.corrections.get(mi, [])
            if fixes:  # the same record_ids again, with the true end, in a later file
                idx = np.concatenate([np.flatnonzero(at.seq == seq) for seq, _, _ in fixes])
                fixed = at.take(idx)
                fixed.end = np.array([true_end for _, true_end, _ in fixes], dtype=np.int64)
                path = self._path("agent_time", f"agent_time_{m.key}_corrections.{self.ext}")
                self.write_frames(path, p.interactions_format, [ev.agent_time_frame(p, m, fixed)])
                self.set_mtime(path, self.ts(add_days(m.last, 3), 7, self.vs0))
                self.ventry["agent_time_files"].append(path.relative_to(self.out_dir).as_posix())
                self.counts["agent_time"] += fixed.n
        for q in quirks.notes:
            q["vendor_id"] = p.vendor_id
            q["period_month"] = months[q.pop("month_index")].key
            if "seq" in q:
                q["record_id"] = ev.record_ids(p, months[0], np.array([q.pop("seq")])).item()

        # QA: one file per month of evaluated_at (evaluations after the last month are not generated)
        qa = ev.QaRows(*(np.concatenate([getattr(x, k) for x in self.qa]) for k in ev.QaRows.__dataclass_fields__))
        bounds = et.month_bounds(months, p.timezone)
        qmi = np.searchsorted(bounds, qa.evaluated, side="right") - 1
        for mi, m in enumerate(months):
            sel = np.flatnonzero(qmi == mi)
            sel = sel[np.lexsort((qa.side[sel], qa.evaluated[sel]))]
            part = ev.QaRows(*(getattr(qa, k)[sel] for k in ev.QaRows.__dataclass_fields__))
            path = self._path("qa_evaluations", f"qa_evaluations_{m.key}.{self.ext}")
            self.write_frames(path, p.interactions_format, [ev.qa_frame(p, months, part, m)])
            self.set_mtime(path, self.ts(add_days(m.last, 2), 9, self.vs0))
            self.ventry["qa_evaluation_files"].append(path.relative_to(self.out_dir).as_posix())
            self.counts["qa_evaluations"] += int(sel.size)

        # ground truth
        fte_hours = ev.FTE_HOURS[p.vendor_id]
        worked, by_site = et.workforce(p, months, self.agent_time, quirks.corrections, self.facts, self.n_agents,
                                       fte_hours)
        handled = [f["handled_total"] for f in self.facts]
        ss_rows = et.self_service_kpis(p, months, self.sessions, handled)
        evals = et.qa_evaluations(p, months, qa)
        quality = et.quality(p, months, evals, self.facts, self.agent_name, self.n_agents)
        for mi, m in enumerate(months):
            sla[mi] += et.evidence_sla(p, versions[mi], m, evals, ss_rows)
        for mi, w in enumerate(worked):
            f = self.facts[mi]
            w["resolved_contacts"] = f["resolved_total"]
            w["contained_sessions"] = {r["channel"]: r["contained"] for r in ss_rows if r["period_month"] == w["period_month"]}
        self.worked, self.ss_rows = worked, ss_rows
        return {"worked_time": worked, "workforce": by_site, "self_service": ss_rows, "quality": quality,
                "evidence_quirks": quirks.notes}

    def observed(self, mi: int) -> dict:
        """(category, channel) -> evidenced quantity for the month's invoice, with the billing factors."""
        w = self.worked[mi]
        factors = {}
        for cat, (at, (lo, hi)) in OVERBILLING[self.p.vendor_id].items():
            if at % len(self.months) == mi:
                factors[cat] = D(str(round(float(self.rng("overbill", mi, len(cat)).uniform(lo, hi)), 3)))
        return {
            ("productive_hours", None): hours(w["productive_seconds"]),
            ("training_hours", None): hours(w["training_seconds"]),
            ("fte_months", None): D(w["paid_seconds"]) / D(3600 * w["fte_hours_per_month"]),
            ("resolved_contacts", None): D(w["resolved_contacts"]),
            ("contained_sessions", "ivr"): D(w["contained_sessions"]["ivr"]),
            "factors": factors,
        }
