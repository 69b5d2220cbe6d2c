"""Outsourcer invoices: a clean invoice per month, then injected defects.

The clean invoice bills exactly what the contract and the month's
interactions support. Defects are then injected one per line group, and
their `amount_at_risk` is computed from the final lines by the rules in
DEVELOPERS.md ("Marts: shared semantics"). `audit()` is an independent
re-implementation of those rules over the finished invoice; the generator
checks that it finds exactly the injected defects and nothing else.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from .periods import Month, add_days
from .pricing import CENT, dec, expected_amount, find_pricing_line, reached_tier, round2, tier_basis, tier_split
from .vendors import FX_BASE, VendorProfile

D = Decimal
FINDINGS = ("rate_variance", "off_contract_item", "duplicate_line", "arithmetic_error", "passthrough_over_cap")
INVOICE_COLUMNS = [
    "invoice_id", "revision", "invoice_date", "period_start", "period_end", "currency", "line_id", "category",
    "channel", "description", "quantity", "unit", "unit_price", "amount", "tax_amount", "approval_ref",
]
GROUP_ORDER = ("voice", "chat", "email", "training", "fixed", "telecom", "travel")


@dataclass
class Line:
    category: str
    channel: str | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    approval_ref: str | None = None
    group: str = ""
    line_id: str = ""
    defect: str | None = None

    def key(self) -> tuple:
        return (self.category, self.channel, self.quantity, self.amount)


@dataclass
class Invoice:
    vendor: VendorProfile
    month: Month
    invoice_id: str
    invoice_date: date
    lines: list[Line] = field(default_factory=list)
    revision: int = 0

    @property
    def period_start(self) -> date:
        return self.month.first

    @property
    def period_end(self) -> date:
        return self.month.last

    @property
    def file_name(self) -> str:
        return f"invoice_{self.invoice_id}_r{self.revision}.csv"


@dataclass
class Defect:
    finding: str
    line: Line
    amount_at_risk: Decimal
    detail: str


@dataclass(frozen=True)
class Observed:
    """What the month's interactions support (for quantities on the invoice)."""

    voice: int
    chat: int
    email: int
    email_handle_seconds: int

    @property
    def answered(self) -> int:
        return self.voice + self.chat + self.email


def _q(x: Decimal) -> Decimal:
    return x.quantize(CENT)


def _local_money(usd: float, currency: str, rng: np.random.Generator) -> Decimal:
    """A plausible price in `currency` for something worth about `usd` dollars."""
    v = usd / FX_BASE[currency] * rng.uniform(0.9, 1.1)
    if v >= 100:
        return D(int(round(v)))
    return round2(dec(round(v, 2)))


def _money(x: float) -> Decimal:
    return round2(dec(round(float(x), 2)))


def _approval(month: Month, rng: np.random.Generator) -> str:
    return f"APR-{month.compact}-{int(rng.integers(100, 999))}"


def _passthrough_lines(cat: str, total: Decimal, parts: list[float], month: Month, rng, descr: list[str]) -> list[Line]:
    out = []
    for i, share in enumerate(parts):
        amt = _money(float(total) * share)
        out.append(Line(cat, None, descr[i % len(descr)], D(1), "each", amt, amt,
                        approval_ref=_approval(month, rng) if cat == "travel" else None,
                        group="telecom" if cat == "telecom_passthrough" else "travel"))
    return out


TELECOM_DESCR = ["Carrier minutes and toll-free numbers (at cost)", "SIP trunks and DID rental (at cost)",
                 "Telecom carrier charges (at cost)"]
TRAVEL_DESCR = ["Trainer travel to client site (at cost)", "Team lead travel for process workshop (at cost)",
                "Quarterly business review travel (at cost)"]


def clean_invoice(p: VendorProfile, month: Month, version: dict[str, Any], obs: Observed,
                  rng: np.random.Generator) -> Invoice:
    pricing = version["pricing"]
    inv = Invoice(p, month, f"{p.invoice_prefix}-{month.year:04d}-{month.month:02d}", add_days(month.last, 5))
    lines: list[Line] = []

    voice = find_pricing_line(pricing, "handled_contacts", "voice")
    qv = D(obs.voice)
    if qv > 0:
        tiers = voice["tiers"]
        if tier_basis(tiers) == "whole":
            i = reached_tier(qv, tiers)
            r = dec(tiers[i]["rate"])
            lines.append(Line("handled_contacts", "voice", f"Handled voice contacts, volume tier {i + 1} (whole volume)",
                              qv, "contact", r, round2(qv * r), group="voice"))
        else:
            for i, q, r in tier_split(qv, tiers):
                lines.append(Line("handled_contacts", "voice", f"Handled voice contacts, tier {i + 1}",
                                  q, "contact", r, round2(q * r), group="voice"))
    chat = find_pricing_line(pricing, "handled_contacts", "chat")
    if obs.chat > 0:
        r = dec(chat["rate"])
        lines.append(Line("handled_contacts", "chat", "Handled chat conversations", D(obs.chat), "contact", r,
                          round2(D(obs.chat) * r), group="chat"))
    email = find_pricing_line(pricing, "handle_minutes", "email")
    minutes = round2(D(obs.email_handle_seconds) / D(60))
    if minutes > 0:
        r = dec(email["rate"])
        lines.append(Line("handle_minutes", "email", "E-mail handling minutes", minutes, "minute", r,
                          round2(minutes * r), group="email"))
    training = find_pricing_line(pricing, "training_hours", None)
    hours = max(D(4), _q(D(int(obs.answered * rng.uniform(0.012, 0.025) * 2)) / 2))
    r = dec(training["rate"])
    lines.append(Line("training_hours", None, "Nesting and refresher training", hours, "hour", r,
                      round2(hours * r), group="training"))
    prod = find_pricing_line(pricing, "productive_hours", None)
    if prod is not None:
        ph = max(D(8), _q(D(int(obs.answered * rng.uniform(0.03, 0.05) * 4)) / 4))
        r = dec(prod["rate"])
        lines.append(Line("productive_hours", None, "Back-office productive hours", ph, "hour", r,
                          round2(ph * r), group="fixed"))
    fee = find_pricing_line(pricing, "management_fee", None)
    if fee is not None:
        r = dec(fee["rate"])
        lines.append(Line("management_fee", None, f"Account management fee {month.key}", D(1), "each", r, r,
                          group="fixed"))
    tel = find_pricing_line(pricing, "telecom_passthrough", None)
    cap = dec(tel["monthly_cap"])
    n_tel = int(rng.integers(1, 3))
    share = rng.uniform(0.5, 0.85)
    parts = list(rng.dirichlet(np.ones(n_tel) * 4) * share) if n_tel > 1 else [share]
    lines += _passthrough_lines("telecom_passthrough", cap, parts, month, rng, TELECOM_DESCR)
    trav = find_pricing_line(pricing, "travel", None)
    if rng.random() < 0.6:
        n_tr = int(rng.integers(1, 3))
        share = rng.uniform(0.2, 0.7)
        parts = list(rng.dirichlet(np.ones(n_tr) * 4) * share) if n_tr > 1 else [share]
        lines += _passthrough_lines("travel", dec(trav["monthly_cap"]), parts, month, rng, TRAVEL_DESCR)
    inv.lines = lines
    keys = [ln.key() for ln in lines]
    if len(set(keys)) != len(keys):  # astronomically unlikely; keep clean invoices free of duplicates
        raise RuntimeError(f"clean invoice {inv.invoice_id} has accidentally equal lines")
    return inv


# ------------------------------------------------------------- defects

def _rotate(seq: list[str], k: int) -> list[str]:
    k %= len(seq)
    return seq[k:] + seq[:k]


def _groups(inv: Invoice) -> dict[str, list[Line]]:
    out: dict[str, list[Line]] = {}
    for ln in inv.lines:
        if ln.group in GROUP_ORDER:
            out.setdefault(ln.group, []).append(ln)
    return out


OFF_CONTRACT_ITEMS = [
    ("quality_monitoring_fee", "Quality monitoring and call calibration", "hour", 18.0, (4, 2000)),
    ("software_licence", "Workforce management software seats", "each", 45.0, (2, 3000)),
    ("recruitment_fee", "Recruitment fee, new hires", "each", 350.0, (1, 200)),
]


def inject_defects(inv: Invoice, version: dict[str, Any], kinds: list[str], counters: dict[str, int],
                   rng: np.random.Generator, tolerance: Decimal) -> list[tuple[str, Line, str]]:
    """Mutates `inv`; returns (finding, line, detail) per injected defect (line ids not yet assigned)."""
    pricing = version["pricing"]
    used: set[str] = set()
    appended: list[Line] = []
    out: list[tuple[str, Line, str]] = []
    cur = inv.vendor.currency

    def bump_for(rate: Decimal, qty: Decimal) -> Decimal:
        b = round2(rate * dec(round(rng.uniform(0.03, 0.08), 4)))
        floor = round2(D(3) * tolerance / qty) + CENT
        return max(b, floor, CENT)

    for kind in kinds:
        k = counters.get(kind, 0)
        counters[kind] = k + 1
        g = _groups(inv)
        if kind == "rate_variance":
            for grp in _rotate(["voice", "chat", "fixed", "voice", "training"], k):
                if grp in g and grp not in used:
                    break
            else:
                continue
            used.add(grp)
            lines = g[grp]
            first = lines[0]
            pl_ = find_pricing_line(pricing, first.category, first.channel)
            if grp == "voice" and tier_basis(pl_["tiers"]) == "whole" and reached_tier(first.quantity, pl_["tiers"]) > 0:
                old = first.unit_price
                first.unit_price = dec(pl_["tiers"][0]["rate"])
                detail = (f"whole volume of {first.quantity} voice contacts billed at the tier-1 rate "
                          f"{first.unit_price} instead of the tier reached ({old})")
            else:
                rate = first.unit_price
                first.unit_price = rate + bump_for(rate, first.quantity)
                detail = (f"{first.category}{'/' + first.channel if first.channel else ''}: billed {first.unit_price} "
                          f"per {first.unit} vs contract rate {rate} (quantity {first.quantity})")
            first.amount = round2(first.quantity * first.unit_price)
            first.defect = kind
            out.append((kind, first, detail))
        elif kind == "arithmetic_error":
            for grp in _rotate(["email", "training", "fixed", "chat"], k):
                if grp in g and grp not in used and len(g[grp]) == 1:
                    break
            else:
                continue
            used.add(grp)
            ln = g[grp][0]
            delta = max(D(int(float(ln.amount) * rng.uniform(0.03, 0.12))), D(25))
            correct = ln.amount
            ln.amount = ln.amount + delta
            ln.defect = kind
            out.append((kind, ln, f"amount {ln.amount} but {ln.quantity} x {ln.unit_price} = {correct}"))
        elif kind == "duplicate_line":
            for grp in _rotate(["chat", "training", "email", "fixed"], k):
                if grp in g and grp not in used and len(g[grp]) == 1:
                    break
            else:
                continue
            used.add(grp)
            orig = g[grp][0]
            copy = replace(orig, group="dup", defect=kind)
            appended.append(copy)
            out.append((kind, copy, ""))  # detail filled once line ids are known
        elif kind == "off_contract_item":
            cat, descr, unit, usd, (lo, hi) = OFF_CONTRACT_ITEMS[k % len(OFF_CONTRACT_ITEMS)]
            price = _local_money(usd, cur, rng)
            fees = sum((ln.amount for ln in inv.lines if ln.group in ("voice", "chat", "email")), D(0))
            # about 2-6 % of the month's contact fees, within the item's usual quantity range
            qty = D(int(min(hi, max(lo, round(float(fees) * rng.uniform(0.02, 0.06) / float(price))))))
            ln = Line(cat, None, descr, qty, unit, price, round2(qty * price), group="off", defect=kind)
            appended.append(ln)
            out.append((kind, ln, f"category {cat} is not priced in the contract"))
        elif kind == "passthrough_over_cap":
            for variant in _rotate(["travel_split", "telecom", "travel_single"], k):
                grp = "telecom" if variant == "telecom" else "travel"
                if grp not in used:
                    break
            else:
                continue
            used.add(grp)
            cat = "telecom_passthrough" if grp == "telecom" else "travel"
            cap = dec(find_pricing_line(pricing, cat, None)["monthly_cap"])
            if variant == "travel_split":
                parts = [rng.uniform(0.38, 0.47) for _ in range(3)]
            elif variant == "telecom":
                parts = [rng.uniform(0.55, 0.7), rng.uniform(0.5, 0.65)]
            else:
                parts = [rng.uniform(1.1, 1.35)]
            new = _passthrough_lines(cat, cap, parts, inv.month, rng, TELECOM_DESCR if grp == "telecom" else TRAVEL_DESCR)
            for ln in new:
                ln.defect = kind
            # replace the group's lines in place (or add the group at its position)
            idx = [i for i, ln in enumerate(inv.lines) if ln.group == grp]
            if idx:
                inv.lines[idx[0]: idx[-1] + 1] = new
            else:
                pos = len([ln for ln in inv.lines if GROUP_ORDER.index(ln.group) <= GROUP_ORDER.index(grp)])
                inv.lines[pos:pos] = new
            out.append((kind, new, f"{cat} billed over the monthly cap {cap}"))  # type: ignore[arg-type]
        else:
            raise ValueError(kind)
    inv.lines.extend(appended)
    for i, ln in enumerate(inv.lines, start=1):
        ln.line_id = f"L{i:03d}"
    return out


def evaluate_defects(inv: Invoice, version: dict[str, Any], injected) -> list[Defect]:
    """amount_at_risk and reporting line of each injected defect, from the final lines."""
    pricing = version["pricing"]
    out = []
    for kind, target, detail in injected:
        if kind == "rate_variance":
            grp = [ln for ln in inv.lines if ln.group == target.group]
            billed = sum((ln.quantity * ln.unit_price for ln in grp), D(0))
            qty = sum((ln.quantity for ln in grp), D(0))
            expected = expected_amount(qty, find_pricing_line(pricing, target.category, target.channel))
            out.append(Defect(kind, grp[0], billed - expected,
                              f"{detail}; billed {billed} vs expected {expected} for quantity {qty}"))
        elif kind == "arithmetic_error":
            out.append(Defect(kind, target, target.amount - target.quantity * target.unit_price, detail))
        elif kind == "duplicate_line":
            orig = next(ln for ln in inv.lines if ln.key() == target.key() and ln is not target)
            out.append(Defect(kind, target, target.amount,
                              f"same {target.category} {target.channel or ''} quantity {target.quantity} amount "
                              f"{target.amount} as {orig.line_id}".replace("  ", " ")))
        elif kind == "off_contract_item":
            out.append(Defect(kind, target, target.amount, detail))
        elif kind == "passthrough_over_cap":
            lines = target
            cap = dec(find_pricing_line(pricing, lines[0].category, None)["monthly_cap"])
            running = D(0)
            hit = None
            for ln in lines:
                running += ln.amount
                if hit is None and running > cap:
                    hit = ln
            total = sum((ln.amount for ln in lines), D(0))
            out.append(Defect(kind, hit, total - cap,
                              f"{detail}: {len(lines)} line(s) totalling {total}, cap exceeded at {hit.line_id}"))
    return out


# ------------------------------------------------------------- audit

def audit(lines: list[dict[str, Any]], version: dict[str, Any], observed: dict[tuple[str, str], Decimal]) -> list[dict]:
    """Independent evaluation of the DEVELOPERS.md invoice rules on one vendor-month.

    `lines`: dicts with invoice_id, revision, invoice_date, line_id, category, channel, quantity,
    unit_price, amount, approval_ref (Decimals for numbers). `observed`: (category, channel) ->
    quantity supported by the interactions. Returns [{line_id, invoice_id, finding, amount_at_risk}].
    """
    tol = dec(version["tolerance"]["amount_abs"])
    qtol = dec(version["tolerance"]["quantity_pct"])
    pricing = version["pricing"]
    latest: dict[str, int] = {}
    for ln in lines:
        latest[ln["invoice_id"]] = max(latest.get(ln["invoice_id"], -1), ln["revision"])
    rows = sorted((ln for ln in lines if ln["revision"] == latest[ln["invoice_id"]]),
                  key=lambda r: (r["invoice_date"], r["invoice_id"], r["line_id"]))
    found: list[dict] = []

    def add(r, finding, amt):
        if amt > tol:
            found.append({"invoice_id": r["invoice_id"], "line_id": r["line_id"], "finding": finding,
                          "amount_at_risk": amt})

    seen: set = set()
    dups: set = set()
    for r in rows:
        k = (r["category"], r["channel"], r["quantity"], r["amount"])
        if k in seen:
            dups.add(id(r))
            add(r, "duplicate_line", r["amount"])
        seen.add(k)
    live = [r for r in rows if id(r) not in dups]
    priced = {p["category"] for p in pricing}
    groups: dict[tuple, list] = {}
    for r in live:
        if r["category"] not in priced:
            add(r, "off_contract_item", r["amount"])
            continue
        add(r, "arithmetic_error", r["amount"] - r["quantity"] * r["unit_price"])
        pline = find_pricing_line(pricing, r["category"], r["channel"])
        if pline is None:  # priced only for another channel
            add(r, "off_contract_item", r["amount"])
            continue
        key = (r["category"], r["channel"] if pline.get("channel") is not None else None)
        groups.setdefault(key, []).append((r, pline))
    for (cat, ch), members in groups.items():
        pline = members[0][1]
        if pline.get("passthrough"):
            cap = pline.get("monthly_cap")
            running = D(0)
            for r, _ in members:
                if pline.get("requires_approval") and not r.get("approval_ref"):
                    add(r, "unapproved_passthrough", r["amount"])
            if cap is not None:
                hit = None
                for r, _ in members:
                    running += r["amount"]
                    if hit is None and running > dec(cap):
                        hit = r
                if hit is not None:
                    add(hit, "passthrough_over_cap", running - dec(cap))
            continue
        qty = sum((r["quantity"] for r, _ in members), D(0))
        billed = sum((r["quantity"] * r["unit_price"] for r, _ in members), D(0))
        add(members[0][0], "rate_variance", billed - expected_amount(qty, pline))
        obs = observed.get((cat, ch))
        if obs is not None and qty - obs > qtol * obs:
            add(members[0][0], "quantity_variance", qty - obs)
    return found


# ------------------------------------------------------------- output

def _fmt(x: Decimal | None) -> str:
    return "" if x is None else str(x)


def _fmt_money(x: Decimal | None) -> str:
    """Money with at least 2 decimals (more only if the value has them)."""
    if x is None:
        return ""
    return str(x.quantize(CENT)) if x.as_tuple().exponent > -2 else str(x)


def invoice_rows(inv: Invoice) -> list[dict[str, Any]]:
    vat = inv.vendor.vat_rate
    return [{
        "invoice_id": inv.invoice_id, "revision": inv.revision, "invoice_date": inv.invoice_date,
        "period_start": inv.period_start, "period_end": inv.period_end, "currency": inv.vendor.currency,
        "line_id": ln.line_id, "category": ln.category, "channel": ln.channel, "description": ln.description,
        "quantity": ln.quantity, "unit": ln.unit, "unit_price": ln.unit_price, "amount": ln.amount,
        "tax_amount": round2(ln.amount * vat), "approval_ref": ln.approval_ref,
    } for ln in inv.lines]


def invoice_csv(inv: Invoice) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(INVOICE_COLUMNS)
    for r in invoice_rows(inv):
        w.writerow([
            r["invoice_id"], r["revision"], r["invoice_date"].isoformat(), r["period_start"].isoformat(),
            r["period_end"].isoformat(), r["currency"], r["line_id"], r["category"], r["channel"] or "",
            r["description"], _fmt(r["quantity"]), r["unit"], _fmt_money(r["unit_price"]), _fmt_money(r["amount"]),
            _fmt_money(r["tax_amount"]), r["approval_ref"] or "",
        ])
    return buf.getvalue().encode()
