"""Contracts of the demo vendors: a Python model (Decimals) and its YAML text.

Rates are fixed per vendor; amounts that only make sense relative to volume
(the voice tier threshold, pass-through caps, the monthly management fee, the
minimum commitment, the in-house cost base) are derived from the expected
monthly volume, so the same contracts stay plausible at any `scale`.
Contracts do not depend on the seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .evidence import contract_additions
from .vendors import VendorProfile

D = Decimal

# rough share of offered contacts that get answered; used only to size contracts
_ANSWERED_SHARE = 0.93
# rough base handle seconds of an email (see interactions.py)
_EMAIL_HANDLE_S = 270.0


def nice(x: float, digits: int = 2, minimum: int = 1) -> Decimal:
    """Round a positive amount to `digits` significant digits (an integer >= minimum)."""
    if x <= 0:
        return D(minimum)
    q = D(repr(float(x)))
    exp = q.adjusted() - digits + 1
    if exp < 0:
        exp = 0
    step = D(10) ** exp
    val = (q / step).quantize(D(1)) * step
    return max(D(int(val)), D(minimum))


@dataclass(frozen=True)
class Sizing:
    """Expected monthly volumes of one vendor (used to size its contract)."""

    offered: float

    def answered(self, share: float) -> float:
        return self.offered * share * _ANSWERED_SHARE


def expected_variable_fees(p: VendorProfile, s: Sizing) -> float:
    voice = s.answered(p.channel_mix[0])
    chat = s.answered(p.channel_mix[1])
    email_min = s.answered(p.channel_mix[2]) * _EMAIL_HANDLE_S * p.aht_factor / 60.0
    fees = 0.0
    if p.voice_tiers:
        fees += voice * float(p.voice_tiers.rate2)
    if p.chat_rate:
        fees += chat * float(p.chat_rate)
    if p.email_minute_rate:
        fees += email_min * float(p.email_minute_rate)
    return fees


def build_contract(p: VendorProfile, effective_from: date, s: Sizing, evidence: bool = False) -> dict[str, Any]:
    """The vendor's contract; `evidence` adds worked_time and the hour/FTE/outcome/self-service pricing and
    QA/containment SLA lines of evidence.contract_additions() (every version)."""
    version: dict[str, Any] = {"effective_from": effective_from, "effective_to": None}
    if p.kind == "in_house":
        # fully loaded monthly cost of the in-house team, about USD 6.40 per offered contact
        version["monthly_cost_base"] = nice(s.offered * 6.40, digits=3)
    else:
        fees = expected_variable_fees(p, s)
        voice_answered = s.answered(p.channel_mix[0])
        pricing: list[dict[str, Any]] = []
        tiers = [
            {"up_to": nice(0.8 * voice_answered, minimum=10), "rate": p.voice_tiers.rate1},
            {"up_to": None, "rate": p.voice_tiers.rate2},
        ]
        if p.voice_tiers.basis != "marginal":
            for t in tiers:
                t["basis"] = p.voice_tiers.basis
        pricing.append({"category": "handled_contacts", "channel": "voice", "unit": "contact", "tiers": tiers})
        pricing.append({"category": "handled_contacts", "channel": "chat", "unit": "contact", "rate": p.chat_rate})
        pricing.append({"category": "handle_minutes", "channel": "email", "unit": "minute", "rate": p.email_minute_rate})
        pricing.append({"category": "training_hours", "unit": "hour", "rate": p.training_rate})
        if p.fixed_category == "productive_hours":
            pricing.append({"category": "productive_hours", "unit": "hour", "rate": p.fixed_rate})
        else:
            pricing.append({"category": "management_fee", "unit": "each", "rate": nice(0.06 * fees, digits=2, minimum=100)})
        pricing.append({"category": "telecom_passthrough", "passthrough": True, "monthly_cap": nice(0.05 * fees, minimum=100)})
        pricing.append(
            {"category": "travel", "passthrough": True, "requires_approval": True, "monthly_cap": nice(0.03 * fees, minimum=100)}
        )
        version["pricing"] = pricing
        version["minimum_monthly_commitment"] = nice(p.minimum_share * fees, minimum=100)

    t, c = p.sla_targets, p.credit_pcts
    version["sla"] = [
        {"metric": "service_level", "channel": "voice", "threshold_seconds": p.voice_threshold, "target": t["sl_voice"],
         "short_abandon_seconds": 5, "abandons": p.sla_abandons, "credit_pct": c["sl_voice"]},
        {"metric": "service_level", "channel": "chat", "threshold_seconds": p.chat_threshold, "target": t["sl_chat"],
         "short_abandon_seconds": 5, "abandons": p.sla_abandons, "credit_pct": c["sl_chat"]},
        {"metric": "asa_seconds", "channel": "voice", "target": t["asa_voice"], "credit_pct": c["asa_voice"]},
        {"metric": "abandon_rate", "channel": "voice", "target": t["abandon_voice"], "credit_pct": c["abandon_voice"]},
        {"metric": "aht_seconds", "channel": "chat", "target": t["aht_chat"], "credit_pct": c["aht_chat"]},
        {"metric": "csat_top2box", "target": t["csat"], "credit_pct": c["csat"]},
        {"metric": "fcr_rate", "target": t["fcr"], "repeat_window_days": 7, "credit_pct": c["fcr"]},
    ]
    if p.kind != "in_house":
        version["service_credit_cap_pct"] = p.service_credit_cap_pct
    version["tolerance"] = {"quantity_pct": D("0.02"), "amount_abs": D("1.00")}
    if evidence:
        add = contract_additions(p)
        if "pricing" in version:
            version["pricing"][-2:-2] = add["pricing"]  # before the pass-through lines
        version["sla"] += add["sla"]
        version["worked_time"] = add["worked_time"]
    versions = [version]
    if p.version2:
        # a renegotiated version from the third month: one rate and one SLA target change
        y, m = effective_from.year, effective_from.month + 2
        if m > 12:
            y, m = y + 1, m - 12
        v2 = copy.deepcopy(version)
        v2["effective_from"] = date(y, m, 1)
        version["effective_to"] = v2["effective_from"] - timedelta(days=1)
        for pl in v2["pricing"]:
            if (pl["category"], pl.get("channel")) == ("handled_contacts", "chat") and "chat_rate" in p.version2:
                pl["rate"] = p.version2["chat_rate"]
        for sl in v2["sla"]:
            if (sl["metric"], sl.get("channel")) == ("service_level", "voice") and "sl_voice" in p.version2:
                sl["target"] = p.version2["sl_voice"]
        versions.append(v2)
    return {
        "vendor_id": p.vendor_id,
        "name": p.name,
        "kind": p.kind,
        "timezone": p.timezone,
        "currency": p.currency,
        "versions": versions,
    }


def version_in_force(contract: dict[str, Any], first_day: date) -> dict[str, Any] | None:
    """The version whose [effective_from, effective_to] (inclusive) covers the month's first day."""
    for v in contract["versions"]:
        if v["effective_from"] <= first_day and (v["effective_to"] is None or first_day <= v["effective_to"]):
            return v
    return None


# ---------------------------------------------------------------- YAML text

def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if s == "" or any(ch in s for ch in ":#{}[],&*!|>'\"%@`") or s.strip() != s:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def _flow(d: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in d.items()) + "}"


def contract_yaml(c: dict[str, Any]) -> str:
    lines = [
        "# Demo contract written by generator (synthetic; not a real agreement).",
        f"vendor_id: {_scalar(c['vendor_id'])}",
        f"name: {_scalar(c['name'])}",
        f"kind: {_scalar(c['kind'])}",
        f"timezone: {_scalar(c['timezone'])}",
        f"currency: {_scalar(c['currency'])}",
        "versions:",
    ]
    for v in c["versions"]:
        lines.append(f"  - effective_from: {_scalar(v['effective_from'])}")
        lines.append(f"    effective_to: {_scalar(v['effective_to'])}")
        if "monthly_cost_base" in v:
            lines.append(f"    monthly_cost_base: {_scalar(v['monthly_cost_base'])}")
        if "pricing" in v:
            lines.append("    pricing:")
            for p in v["pricing"]:
                if "tiers" in p:
                    first = True
                    for k, val in p.items():
                        if k == "tiers":
                            continue
                        lines.append(f"      {'- ' if first else '  '}{k}: {_scalar(val)}")
                        first = False
                    lines.append("        tiers:")
                    for t in p["tiers"]:
                        lines.append(f"          - {_flow(t)}")
                else:
                    lines.append(f"      - {_flow(p)}")
        if "minimum_monthly_commitment" in v:
            lines.append(f"    minimum_monthly_commitment: {_scalar(v['minimum_monthly_commitment'])}")
        if "sla" in v:
            lines.append("    sla:")
            for s in v["sla"]:
                lines.append(f"      - {_flow(s)}")
        if "service_credit_cap_pct" in v:
            lines.append(f"    service_credit_cap_pct: {_scalar(v['service_credit_cap_pct'])}")
        lines.append(f"    tolerance: {_flow(v['tolerance'])}")
        if "worked_time" in v:
            wt = v["worked_time"]
            lines.append("    worked_time:")
            lines.append("      states:")
            for state, cls in wt["states"].items():
                lines.append(f"        {_scalar(state)}: {_scalar(cls)}")
            lines.append(f"      fte_hours_per_month: {_scalar(wt['fte_hours_per_month'])}")
    return "\n".join(lines) + "\n"
