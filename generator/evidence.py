"""Evidence feeds (generator option `evidence`): agent_time, self_service, qa_evaluations.

Contract additions (worked_time, hour/FTE/outcome/self-service pricing, QA and containment SLAs) and the
vectorised generation of one vendor-month's evidence rows. The ground truth derived from them lives in
`evidence_truth.py`; nothing here imports pipeline code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .interactions import _bool, agent_ids, interaction_ids
from .periods import Month, day_number
from .timeconv import ambiguous_wall_clock, format_ts, localize, to_local_naive
from .vendors import VendorProfile

D = Decimal
DAY = 86400
HOUR = 3600

# the generator's own (semantic) agent states; each vendor names them its own way
AV, OC, ACW, TR, CO, BR, LU, ME, OF = range(9)
STATE_CLASS = ("productive", "productive", "productive", "training", "training", "paid_other", "unpaid",
               "paid_other", "unpaid")
STATE_NAMES = {
    "acme_mx": ("available", "on_call", "after_call_work", "training", "coaching", "break", "lunch", "team_meeting",
                "offline"),
    "pacific_ph": ("ready", "talking", "wrap_up", "nesting", "coaching", "break", "meal", "huddle", "logged_out"),
    "iberia_es": ("disponible", "en_llamada", "postllamada", "formacion", "coaching", "pausa", "comida", "reunion",
                  "desconectado"),
    "inhouse_us": ("available", "on_contact", "acw", "training", "coaching", "break", "lunch", "meeting", "offline"),
}
FTE_HOURS = {"acme_mx": 160, "pacific_ph": 170, "iberia_es": 150, "inhouse_us": 160}
CLASS_INDEX = {"productive": 0, "training": 1, "paid_other": 2, "unpaid": 3}

# one normal shift; VAR is a training / meeting / coaching / offline / extra available slot
_VAR = -1
SHIFT = np.array([AV, OC, ACW, OC, ACW, BR, AV, OC, ACW, LU, AV, OC, ACW, _VAR, OC, ACW, BR, AV, OC, ACW])
NEW_HIRE = np.array([TR, BR, TR, LU, TR, CO, BR, TR])
SHIFT_PRODUCTIVE_S = 6.5 * HOUR  # target productive seconds in one shift
LAST_END_S = 23 * HOUR  # shifts end by 23:00 local (night quirks are placed after it)

# ---------------------------------------------------------------- contracts


def contract_additions(p: VendorProfile) -> dict[str, Any]:
    """What an evidence-mode contract version adds: pricing lines, SLA lines and the worked_time section."""
    names = STATE_NAMES[p.vendor_id]
    pricing: list[dict[str, Any]] = []
    sla: list[dict[str, Any]] = []
    if p.vendor_id == "acme_mx":  # productive_hours and training_hours are priced already
        pricing.append({"category": "contained_sessions", "channel": "ivr", "unit": "session", "rate": D("3.80")})
        sla.append({"metric": "containment_rate", "target": D("0.38"), "credit_pct": D("0.01")})
    elif p.vendor_id == "pacific_ph":
        pricing.append({"category": "fte_months", "unit": "fte_month", "rate": D("78000.00")})
        sla += [
            {"metric": "qa_score", "target": D("0.86"), "evaluator_side": "client", "credit_pct": D("0.02")},
            {"metric": "qa_auto_fail_rate", "target": D("0.03"), "credit_pct": D("0.01")},
            {"metric": "qa_calibration_gap", "target": D("0.06"), "credit_pct": D("0.0")},
        ]
    elif p.vendor_id == "iberia_es":
        pricing.append({"category": "resolved_contacts", "unit": "contact", "rate": D("0.90")})
    return {
        "pricing": pricing,
        "sla": sla,
        "worked_time": {"states": {n: STATE_CLASS[i] for i, n in enumerate(names)},
                        "fte_hours_per_month": FTE_HOURS[p.vendor_id]},
    }


# ---------------------------------------------------------------- agent time


@dataclass
class AgentTime:
    """One file's rows (arrays of equal length); `seq` numbers the record ids within the month."""

    agent: np.ndarray
    state: np.ndarray
    start: np.ndarray
    end: np.ndarray
    seq: np.ndarray

    def take(self, idx) -> AgentTime:
        return AgentTime(self.agent[idx], self.state[idx], self.start[idx], self.end[idx], self.seq[idx])

    @staticmethod
    def concat(parts: list[AgentTime]) -> AgentTime:
        return AgentTime(*(np.concatenate([getattr(x, k) for x in parts]) for k in ("agent", "state", "start", "end",
                                                                                      "seq")))

    @property
    def n(self) -> int:
        return int(self.agent.size)


def _dirichlet_split(rng: np.random.Generator, total: np.ndarray, k: int) -> np.ndarray:
    return total[:, None] * rng.dirichlet(np.full(k, 3.0), size=total.size)


def shifts(p: VendorProfile, month: Month, handle: np.ndarray, talk_share: np.ndarray, new_hire: np.ndarray,
           rng: np.random.Generator) -> AgentTime:
    """Shifts of every agent for the month: productive time = the agent's handle time / occupancy.

    handle: handle seconds of the agent's answered contacts in the month (per agent index); agents with
    no contact and not new hires get no shift. New hires spend the month in training.
    """
    n_agents = handle.size
    days = month.days
    occ = rng.uniform(0.74, 0.90, n_agents)
    productive = handle / occ
    n_sh = np.where(handle > 0, np.ceil(productive / SHIFT_PRODUCTIVE_S), 0).astype(np.int64)
    n_sh = np.where(new_hire, rng.integers(10, 16, n_agents), n_sh)
    n_sh = np.minimum(n_sh, days)
    per_shift = np.where(n_sh > 0, productive / np.maximum(n_sh, 1), 0.0)
    per_shift = np.minimum(per_shift, 7.2 * HOUR)
    # distinct days per agent
    day_order = np.argsort(rng.random((n_agents, days)), axis=1)
    take = np.arange(days)[None, :] < n_sh[:, None]
    sh_agent = np.nonzero(take)[0]
    sh_day = day_order[take]
    s = sh_agent.size
    is_new = new_hire[sh_agent]
    width = SHIFT.size
    state = np.tile(SHIFT, (s, 1))
    dur = np.zeros((s, width))
    ps = per_shift[sh_agent] * rng.uniform(0.85, 1.15, s)
    o = occ[sh_agent]
    ts = talk_share[sh_agent]
    oc_cols = np.flatnonzero(SHIFT == OC)
    acw_cols = np.flatnonzero(SHIFT == ACW)
    av_cols = np.flatnonzero(SHIFT == AV)
    dur[:, oc_cols] = _dirichlet_split(rng, ps * o * ts, oc_cols.size)
    dur[:, acw_cols] = _dirichlet_split(rng, ps * o * (1 - ts), acw_cols.size)
    dur[:, av_cols] = _dirichlet_split(rng, ps * (1 - o), av_cols.size)
    dur[:, SHIFT == BR] = rng.uniform(780, 1080, (s, 2))
    dur[:, SHIFT == LU] = rng.uniform(1800, 2700, (s, 1))
    var_col = int(np.flatnonzero(SHIFT == _VAR)[0])
    u = rng.random(s)
    var_state = np.select([u < 0.15, u < 0.30, u < 0.35, u < 0.40], [TR, ME, CO, OF], AV)
    var_dur = np.select([var_state == TR, var_state == ME, var_state == CO, var_state == OF],
                        [rng.uniform(1800, 7200, s), rng.uniform(900, 2700, s), rng.uniform(900, 1800, s),
                         rng.uniform(300, 1200, s)], rng.uniform(300, 900, s))
    state[:, var_col] = var_state
    dur[:, var_col] = var_dur
    # new hires: a training day instead
    k = NEW_HIRE.size
    if is_new.any():
        nh = np.flatnonzero(is_new)
        state[nh, :k] = NEW_HIRE
        state[nh, k:] = AV
        nd = np.zeros((nh.size, width))
        nd[:, :k] = np.select([NEW_HIRE == TR, NEW_HIRE == BR, NEW_HIRE == LU], [4500.0, 900.0, 2400.0], 1200.0)
        nd[:, :k] *= rng.uniform(0.85, 1.15, (nh.size, k))
        dur[nh] = nd
    dur = np.where(dur > 0, np.maximum(np.floor(dur), 30), 0).astype(np.int64)
    length = dur.sum(axis=1)
    begin = rng.integers(7, 13, s) * HOUR + rng.integers(0, 4, s) * 900
    begin = np.minimum(begin, LAST_END_S - length)
    local0 = (day_number(month.first) + sh_day).astype(np.int64) * DAY + begin
    offsets = np.concatenate([np.zeros((s, 1), dtype=np.int64), np.cumsum(dur, axis=1)], axis=1)
    keep = dur > 0
    a_local = (local0[:, None] + offsets[:, :-1])[keep]
    e_local = (local0[:, None] + offsets[:, 1:])[keep]
    agent = np.broadcast_to(sh_agent[:, None], dur.shape)[keep]
    st = state[keep]
    start, end = localize(a_local, p.timezone), localize(e_local, p.timezone)
    order = np.lexsort((agent, start))
    at = AgentTime(agent[order].astype(np.int64), st[order].astype(np.int64), start[order], end[order],
                   np.arange(1, order.size + 1, dtype=np.int64))
    return at


def local_instant(tz: str, d, hour: int, minute: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, hour, minute, tzinfo=ZoneInfo(tz)).timestamp())


def dst_nights(tz: str, months: list[Month]) -> list[tuple[int, Any]]:
    """(month index, local date) of each night whose UTC offset changes between 00:30 and 05:30."""
    out = []
    z = ZoneInfo(tz)
    for mi, m in enumerate(months):
        for d in range(m.days):
            day = m.first + timedelta(days=d)
            a = datetime(day.year, day.month, day.day, 0, 30, tzinfo=z).utcoffset()
            b = datetime(day.year, day.month, day.day, 5, 30, tzinfo=z).utcoffset()
            if a != b:
                out.append((mi, day))
    return out


@dataclass
class Quirks:
    """Data quirks injected into a vendor's agent time (the ground truth records what and where)."""

    extra: dict[int, list[tuple[int, int, int, int, str]]] = field(default_factory=dict)  # month -> rows + kind
    corrections: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # month -> (seq, true end, wrong end)
    notes: list[dict] = field(default_factory=list)


def inject_quirks(p: VendorProfile, months: list[Month], files: list[AgentTime], rng: np.random.Generator,
                  agent_name) -> Quirks:
    """Adds to month files: a duplicated overlapping interval, a start tie lost on record_id, an interval across
    the first month's end (local), an interval across a DST night; and a wrongly ended interval that a later
    corrections file fixes. Each uses its own agent, away from its shifts (shifts run 07:00-23:00 local)."""
    q = Quirks()
    tz = p.timezone
    f0 = files[0]
    # agents with contacts this month (new hires only train: no on-contact or available interval)
    busy = np.intersect1d(np.unique(f0.agent[f0.state == OC]), np.unique(f0.agent[f0.state == AV]))
    if busy.size < 5:
        return q
    pick = rng.choice(busy, size=5, replace=False)

    def add(mi: int, agent: int, state: int, start: int, end: int, kind: str):
        q.extra.setdefault(mi, []).append((agent, state, start, end, kind))

    # 1. a duplicated interval 10 minutes late (the export sent it twice)
    rows = np.flatnonzero((f0.agent == pick[0]) & (f0.state == OC))
    i = int(rows[len(rows) // 2])
    add(0, int(pick[0]), OC, int(f0.start[i]) + 600, int(f0.end[i]) + 600, "duplicate_overlap")
    q.notes.append({"kind": "duplicate_overlap", "agent_id": agent_name(pick[0]), "month_index": 0,
                    "overlap_seconds": int(f0.end[i] - f0.start[i]),
                    "detail": "an on-contact interval sent again under a new record_id, 10 minutes later"})
    # 2. a training interval starting at the same second as an available one with a lower record_id
    rows = np.flatnonzero((f0.agent == pick[1]) & (f0.state == AV))
    j = int(rows[len(rows) // 2])
    tlen = int(min(1200, f0.end[j] - f0.start[j]))
    add(0, int(pick[1]), TR, int(f0.start[j]), int(f0.start[j]) + tlen, "start_tie")
    q.notes.append({"kind": "start_tie", "agent_id": agent_name(pick[1]), "month_index": 0, "overlap_seconds": tlen,
                    "detail": "a training interval starting with an available one of lower record_id: "
                              "the time is productive"})
    # 3. across the first month's end (local midnight)
    if len(months) > 1:
        last = months[0].last
        s = local_instant(tz, last, 23, 30)
        nxt = months[1].first
        e = local_instant(tz, nxt, 2, 30)
        add(0, int(pick[2]), AV, s, e, "month_end")
        q.notes.append({"kind": "month_end", "agent_id": agent_name(pick[2]), "month_index": 0,
                        "seconds_before_midnight": local_instant(tz, nxt, 0, 0) - s,
                        "seconds_after_midnight": e - local_instant(tz, nxt, 0, 0),
                        "detail": f"available from {last} 23:30 to {nxt} 02:30 local"})
    # 4. across a DST night
    for mi, day in dst_nights(tz, months)[:1]:
        s, e = local_instant(tz, day, 0, 30), local_instant(tz, day, 5, 30)
        add(mi, int(pick[3]), AV, s, e, "dst_night")
        q.notes.append({"kind": "dst_night", "agent_id": agent_name(pick[3]), "month_index": mi,
                        "elapsed_seconds": e - s, "wall_clock_seconds": 5 * HOUR,
                        "detail": f"available 00:30-05:30 local on {day} (real elapsed time differs)"})
    # 5. the last interval of a shift ended two hours late, corrected in a later file
    rows = np.flatnonzero(f0.agent == pick[4])
    ends_day = to_local_naive(f0.end[rows], tz) // DAY - day_number(months[0].first)
    ok = rows[ends_day < months[0].days - 2]
    if ok.size:
        k = int(ok[-1])  # the agent's last interval before the month's final days: ends a shift
        true_end = int(f0.end[k])
        f0.end[k] = true_end + 2 * HOUR
        q.corrections.setdefault(0, []).append((int(f0.seq[k]), true_end, true_end + 2 * HOUR))
        q.notes.append({"kind": "corrected_in_later_file", "agent_id": agent_name(pick[4]), "month_index": 0,
                        "seq": int(f0.seq[k]), "wrong_extra_seconds": 2 * HOUR,
                        "detail": "a shift's last interval ended 2 h late in the month file; the corrections "
                                  "file re-sends the record_id with the true end"})
    return q


def apply_extra(at: AgentTime, rows: list[tuple[int, int, int, int, str]]) -> AgentTime:
    if not rows:
        return at
    n = at.n
    add = AgentTime(np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64),
                    np.array([r[2] for r in rows], dtype=np.int64), np.array([r[3] for r in rows], dtype=np.int64),
                    np.arange(n + 1, n + 1 + len(rows), dtype=np.int64))
    return AgentTime.concat([at, add])


def record_ids(p: VendorProfile, month: Month, seq: np.ndarray) -> pl.Series:
    return (f"{p.agent_prefix.rstrip('-')}-AT-{month.compact}-"
            + pl.Series(np.asarray(seq, dtype=np.int64)).cast(pl.Utf8).str.zfill(7)).alias("record_id")


def file_style(p: VendorProfile) -> str:
    return "parquet_naive" if p.interactions_format == "parquet" else p.ts_style


def agent_time_frame(p: VendorProfile, month: Month, at: AgentTime) -> pl.DataFrame:
    names = pl.Series(list(STATE_NAMES[p.vendor_id]))
    style = file_style(p)
    cols = {
        "record_id": record_ids(p, month, at.seq),
        "agent_id": agent_ids(p, at.agent).alias("agent_id"),
        "site": pl.Series(list(p.sites)).gather(at.agent % len(p.sites)).alias("site"),
        "state": names.gather(at.state).alias("state"),
        "started_at": format_ts("started_at", at.start, None, p.timezone, style),
        "ended_at": format_ts("ended_at", at.end, None, p.timezone, style),
    }
    # Pacific's WFM export puts the agent first (readers must go by column name)
    order = (["agent_id", "state", "started_at", "ended_at", "record_id", "site"] if p.vendor_id == "pacific_ph"
             else ["record_id", "agent_id", "site", "state", "started_at", "ended_at"])
    df = pl.DataFrame([cols[c] for c in order])
    if p.include_vendor_id_column:
        df = df.select(pl.lit(p.vendor_id).alias("vendor_id"), pl.all())
    return df


# ---------------------------------------------------------------- self-service

SS_CHANNELS = ("ivr", "bot", "web")
SS_TARGET = {"ivr": 0, "bot": 1, "web": 2}  # interaction channel a session is transferred to (voice, chat, email)
# sessions per offered contact of the target channel, and the outcome shares (contained, transferred, abandoned)
SS_RATE = {"ivr": 0.75, "bot": 0.55, "web": 0.30}
SS_OUTCOMES = {"ivr": (0.42, 0.46, 0.12), "bot": (0.50, 0.33, 0.17), "web": (0.76, 0.04, 0.20)}
SS_DURATION = {"ivr": (60, 420), "bot": (90, 900), "web": (60, 1200)}
OUTCOMES = ("contained", "transferred", "abandoned")
INTENTS = ("billing", "tech_support", "sales", "retention", "general", "balance_check", "password_reset",
           "order_status")


@dataclass
class SelfService:
    channel: np.ndarray  # index into SS_CHANNELS
    outcome: np.ndarray  # index into OUTCOMES
    start: np.ndarray
    end: np.ndarray
    interaction: np.ndarray  # row index of the month's interactions, -1 if none
    intent: np.ndarray
    cust: np.ndarray  # customer pool index, -1 if unknown


def self_service(p: VendorProfile, month: Month, a: dict[str, np.ndarray], rng: np.random.Generator) -> SelfService:
    """Sessions of the month (started in it, local time). Transferred ones end just before the arrival of the
    interaction they became (an interaction is the target of at most one session)."""
    tz = p.timezone
    naive = file_style(p) != "offset" and file_style(p) != "utc_z"
    month_start = localize(np.array([day_number(month.first) * DAY]), tz)[0]
    parts = []
    for ci, ch in enumerate(SS_CHANNELS):
        target = SS_TARGET[ch]
        offered = int((a["channel"] == target).sum())
        n = int(round(offered * SS_RATE[ch]))
        shares = SS_OUTCOMES[ch]
        n_tr = int(round(n * shares[1]))
        # transfer targets: interactions of the channel arriving 2 h or more into the month, unambiguous times
        cand = np.flatnonzero((a["channel"] == target) & (a["arrived"] >= month_start + 2 * HOUR))
        lo, hi = SS_DURATION[ch]
        dur_tr = rng.integers(lo, hi, cand.size)
        gap = rng.integers(0, 20, cand.size)
        end_c = a["arrived"][cand] - gap
        start_c = end_c - dur_tr
        if naive and cand.size:
            ok = ~(ambiguous_wall_clock(start_c, tz) | ambiguous_wall_clock(end_c, tz))
            cand, start_c, end_c = cand[ok], start_c[ok], end_c[ok]
        n_tr = min(n_tr, cand.size)
        pick = np.sort(rng.choice(cand.size, size=n_tr, replace=False)) if n_tr else np.zeros(0, dtype=np.int64)
        n_other = max(0, n - n_tr)
        other_out = rng.choice([0, 2], size=n_other, p=np.array([shares[0], shares[2]]) / (shares[0] + shares[2]))
        day = rng.integers(0, month.days, n_other)
        secs = rng.integers(6 * HOUR, 23 * HOUR, n_other)  # self-care runs all day; the night is quiet
        local = (day_number(month.first) + day) * DAY + secs
        start_o = localize(local, tz)
        dur_o = rng.integers(lo, hi, n_other)
        dur_o = np.where(other_out == 2, np.maximum(dur_o // 3, 15), dur_o)
        end_o = start_o + dur_o
        if naive and n_other:
            for _ in range(4):
                bad = ambiguous_wall_clock(start_o, tz) | ambiguous_wall_clock(end_o, tz)
                if not bad.any():
                    break
                start_o[bad] += 2 * HOUR
                end_o[bad] += 2 * HOUR
        rows_tr = cand[pick]
        cust_tr = np.where(a["has_ref"][rows_tr], a["cust"][rows_tr], -1)
        cust_o = np.where(rng.random(n_other) < 0.6, rng.integers(0, max(1, int(a["cust"].max()) + 1), n_other), -1)
        parts.append(SelfService(
            channel=np.full(n_tr + n_other, ci, dtype=np.int64),
            outcome=np.concatenate([np.ones(n_tr, dtype=np.int64), other_out.astype(np.int64)]),
            start=np.concatenate([start_c[pick], start_o]), end=np.concatenate([end_c[pick], end_o]),
            interaction=np.concatenate([rows_tr, np.full(n_other, -1)]).astype(np.int64),
            intent=np.concatenate([a["queue"][rows_tr].astype(np.int64),
                                   rng.integers(0, len(INTENTS), n_other)]),
            cust=np.concatenate([cust_tr, cust_o]).astype(np.int64),
        ))
    ss = SelfService(*(np.concatenate([getattr(x, k) for x in parts]) for k in SelfService.__dataclass_fields__))
    order = np.lexsort((ss.channel, ss.start))
    return SelfService(*(getattr(ss, k)[order] for k in SelfService.__dataclass_fields__))


def self_service_frame(p: VendorProfile, month: Month, ss: SelfService, pool) -> pl.DataFrame:
    n = ss.start.size
    style = file_style(p)
    has_i = ss.interaction >= 0
    iid = interaction_ids(p, month, np.maximum(ss.interaction, 0))
    known = ss.cust >= 0
    df = pl.DataFrame([
        (f"{p.id_prefix}SS{month.compact}" + pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(8))
        .alias("session_id"),
        pl.Series(list(SS_CHANNELS)).gather(ss.channel).alias("channel"),
        format_ts("started_at", ss.start, None, p.timezone, style),
        format_ts("ended_at", ss.end, None, p.timezone, style),
        pl.Series(list(INTENTS)).gather(ss.intent).alias("intent"),
        pl.Series(list(OUTCOMES)).gather(ss.outcome).alias("outcome"),
        pl.select(pl.when(pl.Series(has_i)).then(iid).otherwise(None).alias("interaction_id")).to_series(),
        pl.select(pl.when(pl.Series(known)).then(pool.refs(np.maximum(ss.cust, 0))).otherwise(None)
                  .alias("customer_ref")).to_series(),
    ])
    if p.include_vendor_id_column:
        df = df.select(pl.lit(p.vendor_id).alias("vendor_id"), pl.all())
    return df


# ---------------------------------------------------------------- QA evaluations

QA_FORM = {"acme_mx": ("FORMA-CALIDAD-V3", 100), "pacific_ph": ("PH-QA-2026", 50), "iberia_es": ("CAL-ES-10", 10),
           "inhouse_us": ("US-QA-CORE", 100)}
QA_VENDOR_SHARE = 0.02  # of handled contacts, scored by the vendor's QA team
QA_CLIENT_SHARE = 0.006  # scored by the client
QA_AUTO_FAIL = {"acme_mx": 0.035, "pacific_ph": 0.025, "iberia_es": 0.02, "inhouse_us": 0.015}
QA_QUALITY = {"acme_mx": 0.84, "pacific_ph": 0.88, "iberia_es": 0.86, "inhouse_us": 0.90}


@dataclass
class QaRows:
    month_row: np.ndarray  # (month index, interaction row) of the evaluated contact
    row: np.ndarray
    agent: np.ndarray
    side: np.ndarray  # 0 vendor, 1 client
    calibration: np.ndarray
    auto_fail: np.ndarray
    score: np.ndarray  # in half points
    evaluated: np.ndarray  # UTC epoch seconds


def qa_month(p: VendorProfile, mi: int, month: Month, a: dict[str, np.ndarray], rng: np.random.Generator) -> QaRows:
    """Evaluations of the month's answered contacts (evaluated_at may fall in a later month).

    Vendor side ~2 % of handled contacts; client side ~0.6 %, half of them on contacts the vendor scored too;
    calibration sessions: a few contacts scored by both sides with `calibration` true."""
    tz = p.timezone
    ans = np.flatnonzero(a["answered"])
    if ans.size == 0:
        return QaRows(*(np.zeros(0, dtype=np.int64) for _ in range(8)))
    nv = min(ans.size, max(8, int(round(ans.size * QA_VENDOR_SHARE))))
    vend = np.sort(rng.choice(ans, size=nv, replace=False))
    nc = max(4, int(round(ans.size * QA_CLIENT_SHARE)))
    both = np.sort(rng.choice(vend, size=min(nv, nc // 2), replace=False))
    rest = np.setdiff1d(ans, vend)
    only_c = np.sort(rng.choice(rest, size=min(rest.size, nc - both.size), replace=False))
    ncal = max(2, nc // 8)
    free = np.setdiff1d(ans, np.concatenate([vend, only_c]))
    cal = np.sort(rng.choice(free, size=min(ncal, free.size), replace=False))
    rows = np.concatenate([vend, both, only_c, cal, cal])
    side = np.concatenate([np.zeros(nv), np.ones(both.size + only_c.size), np.zeros(cal.size), np.ones(cal.size)])
    calib = np.concatenate([np.zeros(nv + both.size + only_c.size), np.ones(2 * cal.size)]).astype(bool)
    k = rows.size
    _, max_score = QA_FORM[p.vendor_id]
    # the contact's underlying quality, seen by both sides; the vendor scores its own work a little higher
    base = np.clip(rng.normal(QA_QUALITY[p.vendor_id], 0.07, a["answered"].size), 0.3, 1.0)
    q = np.clip(base[rows] + np.where(side == 0, 0.025, -0.01) + rng.normal(0, 0.03, k), 0.0, 1.0)
    score = np.rint(q * max_score * 2).astype(np.int64)  # half points
    auto_fail = rng.random(k) < QA_AUTO_FAIL[p.vendor_id] * np.where(side == 1, 1.3, 1.0)
    delay_days = np.where(side == 0, rng.integers(1, 6, k), rng.integers(2, 10, k))
    end_day = to_local_naive(a["ended"][rows], tz) // DAY
    local = (end_day + delay_days) * DAY + rng.integers(9 * HOUR, 18 * HOUR, k)  # office hours: never ambiguous
    evaluated = localize(local, tz)
    return QaRows(np.full(k, mi, dtype=np.int64), rows.astype(np.int64), a["agent"][rows].astype(np.int64),
                  side.astype(np.int64), calib, auto_fail, score, evaluated)


def qa_frame(p: VendorProfile, months: list[Month], qa: QaRows, month: Month) -> pl.DataFrame:
    n = qa.row.size
    form, max_score = QA_FORM[p.vendor_id]
    style = file_style(p)
    by_month = np.argsort(qa.month_row, kind="stable")
    iid = pl.concat([interaction_ids(p, months[mi], qa.row[qa.month_row == mi]) for mi in range(len(months))]
                    + [pl.Series("interaction_id", [], pl.Utf8)])
    iid = iid.gather(np.argsort(by_month))  # back to the rows' own order
    score = qa.score / 2.0
    bstyle = p.bool_style
    cols = [
        (f"{p.id_prefix}QA{month.compact}" + pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(6))
        .alias("evaluation_id"),
        iid.alias("interaction_id"),
        agent_ids(p, qa.agent).alias("agent_id"),
        format_ts("evaluated_at", qa.evaluated, None, p.timezone, style),
        pl.Series("evaluator_side", np.where(qa.side == 0, "vendor", "client")),
        pl.Series("form", [form] * n, dtype=pl.Utf8),
        pl.Series("score", score.astype(np.float64)),
        pl.Series("max_score", np.full(n, float(max_score))),
        _bool("auto_fail", qa.auto_fail, bstyle),
        _bool("calibration", qa.calibration, bstyle),
    ]
    df = pl.DataFrame(cols)
    if p.include_vendor_id_column:
        df = df.select(pl.lit(p.vendor_id).alias("vendor_id"), pl.all())
    return df
