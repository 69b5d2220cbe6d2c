"""Customer surveys (CSAT/NPS) and agent ESAT pulses for one vendor-month."""

from __future__ import annotations

import numpy as np
import polars as pl

from .interactions import MonthRows, agent_ids, interaction_ids
from .people import CustomerPool
from .periods import Month, day_number
from .timeconv import ambiguous_wall_clock, format_ts, localize
from .vendors import VendorProfile

SURVEY_SHARE = 0.15
DAY = 86400

# CSAT 1..5 distributions, interpolated by the vendor's csat_quality
_CSAT = {
    "poor_resolved": np.array([0.07, 0.08, 0.17, 0.36, 0.32]),
    "great_resolved": np.array([0.02, 0.03, 0.06, 0.27, 0.62]),
    "poor_unresolved": np.array([0.32, 0.22, 0.22, 0.15, 0.09]),
    "great_unresolved": np.array([0.16, 0.15, 0.25, 0.25, 0.19]),
}
_ESAT_POOR = np.array([0.10, 0.16, 0.30, 0.30, 0.14])
_ESAT_GREAT = np.array([0.03, 0.06, 0.16, 0.40, 0.35])

# free-text comments; {x} is filled with PII-looking text
_COMMENT_PARTS = [
    ("Please call me back on ", "phone", ", nobody followed up on my case."),
    ("Send the refund confirmation to ", "email", " please."),
    ("My name is ", "name", " and this is the third time I contact you about the same charge."),
    ("Account ", "acct", " still shows the wrong amount after the call."),
    ("Great agent, very patient. I am ", "name", ", happy to be contacted."),
    ("Too long on hold before anyone answered.", None, ""),
    ("The agent was friendly but my issue is not fixed.", None, ""),
    ("Quick and easy, thanks!", None, ""),
]


def _bool_col(name: str, values: np.ndarray, valid: np.ndarray, style: str) -> pl.Series:
    if style == "YN":
        s = pl.Series(name, np.where(values, "Y", "N"))
    elif style == "10":
        s = pl.Series(name, values.astype(np.int8))
    else:
        s = pl.Series(name, values.astype(bool))
    return pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()


def _int_col(name: str, values: np.ndarray, valid: np.ndarray) -> pl.Series:
    s = pl.Series(name, values.astype(np.int32))
    return pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()


def text_ts_style(p: VendorProfile) -> str:
    """Timestamp style of the vendor's CSV files (surveys, agent surveys)."""
    return "naive_iso" if p.interactions_format == "parquet" else p.ts_style


def text_bool_style(p: VendorProfile) -> str:
    return p.bool_style if p.bool_style in ("YN", "10") else "truefalse"


def generate_surveys(rows: MonthRows, rng: np.random.Generator, pool: CustomerPool):
    """Returns (frame, stats) where stats has per-row arrays used for the ground truth."""
    p, a, month = rows.vendor, rows.arrays, rows.month
    sel = np.flatnonzero(a["answered"] & (rng.random(rows.n) < SURVEY_SHARE))
    k = sel.size
    delay = np.clip(np.floor(rng.lognormal(np.log(2 * 3600), 1.1, k)), 120, 5 * DAY).astype(np.int64)
    responded = a["ended"][sel] + delay
    if text_ts_style(p).startswith("naive"):
        for _ in range(4):
            bad = ambiguous_wall_clock(responded, p.timezone)
            if not bad.any():
                break
            responded[bad] += 2 * 3600
    order = np.argsort(responded, kind="stable")
    sel, responded = sel[order], responded[order]

    q = p.csat_quality
    res = a["resolved"][sel]
    d_res = (1 - q) * _CSAT["poor_resolved"] + q * _CSAT["great_resolved"]
    d_unres = (1 - q) * _CSAT["poor_unresolved"] + q * _CSAT["great_unresolved"]
    u = rng.random(k)
    csat = np.where(res, np.searchsorted(np.cumsum(d_res), u, side="right"),
                    np.searchsorted(np.cumsum(d_unres), u, side="right"))
    csat = np.minimum(csat, 4) + 1
    nps = np.clip(np.rint(2.2 * csat - 1.0 + rng.normal(0.0, 1.4, k)), 0, 10).astype(np.int64)
    csat_ok = rng.random(k) >= 0.04
    nps_ok = rng.random(k) >= 0.08
    rsr = rng.random(k) < np.where(res, 0.88, 0.22)
    rsr_ok = rng.random(k) >= 0.06

    has_comment = rng.random(k) < 0.25
    tmpl = rng.integers(0, len(_COMMENT_PARTS), k)
    cust = a["cust"][sel]
    fills = {
        "phone": pool.phones(cust),
        "email": pool.emails(cust),
        "name": pool.names(cust),
        "acct": "55-" + pl.Series(rng.integers(0, 10**6, k)).cast(pl.Utf8).str.zfill(6),
    }
    tmpl_s = pl.Series(tmpl)
    expr = None
    for i, (pre, kind, post) in enumerate(_COMMENT_PARTS):
        val = pl.lit(pre + post) if kind is None else (pl.lit(pre) + fills[kind] + pl.lit(post))
        expr = (pl.when(tmpl_s == i).then(val) if expr is None else expr.when(tmpl_s == i).then(val))
    comment = pl.select(expr.otherwise(None).alias("comment")).to_series() if k else pl.Series("comment", [], pl.Utf8)
    comment = pl.select(pl.when(pl.Series(has_comment)).then(comment).otherwise(None).alias("comment")).to_series()

    ids = "SV" + pl.Series(np.arange(1, k + 1, dtype=np.int64)).cast(pl.Utf8).str.zfill(7)
    bstyle = text_bool_style(p)
    df = pl.DataFrame([
        (p.id_prefix + month.compact + ids).alias("survey_id"),
        interaction_ids(p, month, sel),
        format_ts("responded_at", responded, None, p.timezone, text_ts_style(p)),
        _int_col("csat", csat, csat_ok),
        _int_col("nps", nps, nps_ok),
        _bool_col("resolved_self_reported", rsr, rsr_ok, bstyle),
        comment,
    ])
    stats = {"rows": sel, "csat": csat, "csat_ok": csat_ok}
    return df, stats


def generate_agent_surveys(p: VendorProfile, month: Month, n_agents: int, rng: np.random.Generator) -> pl.DataFrame:
    share = rng.uniform(0.55, 0.85)
    agents = np.flatnonzero(rng.random(n_agents) < share)
    k = agents.size
    day = month.days - 1 - rng.integers(0, 7, k)  # the pulse runs in the month's last week
    local = (day_number(month.first) + day) * DAY + rng.integers(9 * 3600, 18 * 3600, k)
    responded = localize(local, p.timezone)
    order = np.argsort(responded, kind="stable")
    agents, responded = agents[order], responded[order]
    q = p.esat_quality
    dist = (1 - q) * _ESAT_POOR + q * _ESAT_GREAT
    esat = np.minimum(np.searchsorted(np.cumsum(dist), rng.random(k), side="right"), 4) + 1
    enps = np.clip(np.rint(2.3 * esat - 1.5 + rng.normal(0.0, 1.5, k)), 0, 10).astype(np.int64)
    enps_ok = rng.random(k) >= 0.10
    sites = pl.Series(list(p.sites)).gather(agents % len(p.sites))
    rid = (f"{p.agent_prefix.rstrip('-')}-ESAT-{month.compact}-" + pl.Series(np.arange(1, k + 1)).cast(pl.Utf8).str.zfill(5))
    return pl.DataFrame([
        rid.alias("response_id"),
        agent_ids(p, agents).alias("agent_id"),
        sites.alias("site"),
        format_ts("responded_at", responded, None, p.timezone, text_ts_style(p)),
        pl.Series("esat", esat.astype(np.int32)),
        _int_col("enps", enps, enps_ok),
    ])
