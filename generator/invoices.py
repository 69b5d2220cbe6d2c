"""Outsourcer invoices: a clean invoice per month, then injected defects.

The clean invoice bills exactly what the contract and the month's
interactions support, the service credit due for the previous month and,
where fees fall below the minimum commitment, the correct shortfall.
Defects are then injected one per line group (some on a supplementary
invoice or a revision), and their `amount_at_risk` is computed from the
final lines by the rules in DEVELOPERS.md ("Marts: shared semantics").
`audit()` is an independent re-implementation of those rules over all the
invoice files of a vendor; the generator checks that it finds exactly the
injected defects and nothing else.
"""

from __future__ import annotations

import csv
import io
import copy
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from .periods import Month, add_days
from .pricing import CENT, dec, expected_amount, find_pricing_line, reached_tier, round2, round4, tier_basis, tier_split
from .vendors import FX_BASE, VendorProfile

D = Decimal
# injected per vendor-month (outside_contract_period comes from a pilot invoice, see pilot_invoice())
FINDINGS = ("rate_variance", "off_contract_item", "duplicate_line", "arithmetic_error", "passthrough_over_cap",
            "quantity_variance", "unapproved_passthrough", "missing_service_credit", "minimum_commitment_misbilled")
ALL_FINDINGS = (*FINDINGS, "outside_contract_period")
# never off-contract, never in fees
SPECIAL = ("service_credit", "tax", "minimum_commitment_shortfall")
INVOICE_COLUMNS = [
    "invoice_id", "revision", "invoice_date", "period_start", "period_end", "currency", "line_id", "category",
    "channel", "description", "quantity", "unit", "unit_price", "amount", "tax_amount", "approval_ref",
]
GROUP_ORDER = ("voice", "chat", "email", "training", "fixed", "fte", "resolved", "contained", "shortfall", "credit",
               "telecom", "travel")
# billed against the evidence feeds (generator option `evidence`): category -> (line group, unit, description)
EVIDENCE_LINES = {
    "fte_months": ("fte", "fte_month", "Dedicated agents (delivered FTE)"),
    "resolved_contacts": ("resolved", "contact", "Resolution bonus, resolved contacts"),
    "contained_sessions": ("contained", "session", "IVR self-service sessions contained"),
}
EVIDENCE_CATEGORIES = ("productive_hours", "training_hours", "fte_months", "resolved_contacts", "contained_sessions")


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
    invoice: Invoice | None = None


@dataclass(frozen=True)
class Observed:
    """What the month's interactions support (for quantities on the invoice)."""

    voice: int
    chat: int
    email: int
    email_handle_seconds: int
    # evidence mode: (category, channel) -> evidenced quantity, and "factors": category -> billed / evidenced
    evidence: dict | None = None

    @property
    def answered(self) -> int:
        return self.voice + self.chat + self.email

    def quantity(self, category: str, channel: str) -> Decimal | None:
        """What the interactions support for a (category, channel) billed quantity (DEVELOPERS.md)."""
        if category == "handled_contacts":
            return D({"voice": self.voice, "chat": self.chat, "email": self.email}[channel])
        if category == "handle_minutes" and channel == "email":
            return round4(D(self.email_handle_seconds) / D(60))
        if self.evidence is not None and category in EVIDENCE_CATEGORIES:
            return self.evidence.get((category, channel), self.evidence.get((category, None)))
        return None

    def billed_evidence(self, category: str, channel: str | None) -> Decimal:
        """The quantity a clean (or deliberately overbilled) invoice bills for an evidence category."""
        q = self.quantity(category, channel)
        f = self.evidence["factors"].get(category, D(1))
        if category in ("resolved_contacts", "contained_sessions"):
            return q if f == 1 else D(int(q * f) + 1)
        return round2(q * f)


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
                  rng: np.random.Generator, credit_prev: Decimal = D(0), prev: Month | None = None) -> Invoice:
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
    if obs.evidence is not None:  # hours worked in training, from agent_time
        hours = obs.billed_evidence("training_hours", None)
    r = dec(training["rate"])
    lines.append(Line("training_hours", None, "Nesting and refresher training", hours, "hour", r,
                      round2(hours * r), group="training"))
    prod = find_pricing_line(pricing, "productive_hours", None)
    if prod is not None:
        ph = max(D(8), _q(D(int(obs.answered * rng.uniform(0.03, 0.05) * 4)) / 4))
        if obs.evidence is not None:
            ph = obs.billed_evidence("productive_hours", None)
        r = dec(prod["rate"])
        lines.append(Line("productive_hours", None, "Back-office productive hours", ph, "hour", r,
                          round2(ph * r), group="fixed"))
    fee = find_pricing_line(pricing, "management_fee", None)
    if fee is not None:
        r = dec(fee["rate"])
        lines.append(Line("management_fee", None, f"Account management fee {month.key}", D(1), "each", r, r,
                          group="fixed"))
    for cat, (grp, unit, descr) in EVIDENCE_LINES.items():
        pl_ = find_pricing_line(pricing, cat, "ivr" if cat == "contained_sessions" else None)
        if pl_ is None or obs.evidence is None:
            continue
        q = obs.billed_evidence(cat, pl_.get("channel"))
        r = dec(pl_["rate"])
        lines.append(Line(cat, pl_.get("channel"), descr, q, unit, r, round2(q * r), group=grp))
    credit = round2(credit_prev)
    if credit > 0:  # the previous month's service credit, 2 decimals (within tolerance of the 4-decimal due)
        lines.append(Line("service_credit", None, f"Service credit for SLA misses in {prev.key if prev else ''}".strip(),
                          D(1), "each", -credit, -credit, group="credit"))
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


def _insert_group(inv: Invoice, grp: str, new: list[Line]) -> None:
    """Replace the group's lines in place (or add the group at its position in GROUP_ORDER)."""
    idx = [i for i, ln in enumerate(inv.lines) if ln.group == grp]
    if idx:
        inv.lines[idx[0]: idx[-1] + 1] = new
    else:
        pos = len([ln for ln in inv.lines if GROUP_ORDER.index(ln.group) <= GROUP_ORDER.index(grp)])
        inv.lines[pos:pos] = new


OFF_CONTRACT_ITEMS = [
    ("quality_monitoring_fee", "Quality monitoring and call calibration", "hour", 18.0, (4, 2000)),
    ("software_licence", "Workforce management software seats", "each", 45.0, (2, 3000)),
    ("recruitment_fee", "Recruitment fee, new hires", "each", 350.0, (1, 200)),
]
# processing order inside one vendor-month: kinds that need a specific line group go first
KIND_ORDER = ("missing_service_credit", "unapproved_passthrough", "quantity_variance", "rate_variance",
              "arithmetic_error", "duplicate_line", "off_contract_item", "passthrough_over_cap",
              "minimum_commitment_misbilled")


@dataclass
class Bill:
    """The invoices of one vendor-month: the main one (latest revision), a supplementary one, a superseded r0."""

    main: Invoice
    supp: Invoice | None = None
    r0: Invoice | None = None
    revision_note: dict | None = None

    def invoices(self) -> list[Invoice]:
        """Latest revisions, in line order (invoice_date, invoice_id)."""
        return sorted([i for i in (self.main, self.supp) if i is not None], key=lambda i: (i.invoice_date, i.invoice_id))

    def ordered(self) -> list[tuple[Invoice, Line]]:
        return [(inv, ln) for inv in self.invoices() for ln in sorted(inv.lines, key=lambda x: x.line_id)]


def is_fee(line: Line, version: dict[str, Any]) -> bool:
    """Priced, non-pass-through category other than service_credit / tax / minimum_commitment_shortfall."""
    if line.category in SPECIAL:
        return False
    pl = [p for p in version["pricing"] if p["category"] == line.category]
    return bool(pl) and not pl[0].get("passthrough")


def bill_fees(bill: Bill, version: dict[str, Any]) -> Decimal:
    return sum((ln.amount for inv in bill.invoices() for ln in inv.lines if is_fee(ln, version)), D(0))


def _number(inv: Invoice) -> None:
    for i, ln in enumerate(inv.lines, start=1):
        ln.line_id = f"L{i:03d}"


def inject_defects(bill: Bill, version: dict[str, Any], kinds: list[str], counters: dict[str, int],
                   rng: np.random.Generator, tolerance: Decimal, obs: Observed, credit_prev: Decimal,
                   revise: bool = False) -> list[tuple[str, Any, str]]:
    """Mutates the bill; returns (finding, target, detail) per injected defect.

    Line-level defects first, then the minimum commitment (which depends on the final fees), then line ids.
    With `revise`, the main invoice becomes revision 1: it adds an off-contract item, and its revision 0
    carries an arithmetic error that revision 1 fixed.
    """
    inv = bill.main
    pricing = version["pricing"]
    used: set[str] = set()
    appended: list[Line] = []
    out: list[tuple[str, Any, str]] = []
    cur = inv.vendor.currency
    kinds = sorted(kinds, key=KIND_ORDER.index)

    def bump_for(rate: Decimal, qty: Decimal) -> Decimal:
        b = round2(rate * dec(round(rng.uniform(0.03, 0.08), 4)))
        floor = round2(D(3) * tolerance / qty) + CENT
        return max(b, floor, CENT)

    def off_contract_line(k: int) -> Line:
        cat, descr, unit, usd, (lo, hi) = OFF_CONTRACT_ITEMS[k % len(OFF_CONTRACT_ITEMS)]
        price = _local_money(usd, cur, rng)
        fees = sum((ln.amount for ln in inv.lines if ln.group in ("voice", "chat", "email")), D(0))
        # about 2-6 % of the month's contact fees, within the item's usual quantity range
        qty = D(int(min(hi, max(lo, round(float(fees) * rng.uniform(0.02, 0.06) / float(price))))))
        return Line(cat, None, descr, qty, unit, price, round2(qty * price), group="off", defect="off_contract_item")

    for kind in kinds:
        k = counters.get(kind, 0)
        counters[kind] = k + 1
        g = _groups(inv)
        if kind == "missing_service_credit":
            if "credit" not in g:
                continue
            ln = g["credit"][0]
            variant = "none" if k % 2 == 0 else "partial"
            if variant == "none" and ("duplicate_line" in kinds or "voice" not in g):
                variant = "partial"  # the finding would land on the first line: keep it unambiguous
            if variant == "none":
                inv.lines.remove(ln)
                used.add("voice")  # the finding is reported on the invoice's first line
                out.append((kind, "first_line", f"service credit of {round4(credit_prev)} due for the previous month "
                                                "not applied"))
            else:
                part = round2(credit_prev * dec(round(rng.uniform(0.3, 0.7), 2)))
                ln.unit_price = ln.amount = -part
                ln.defect = kind
                out.append((kind, ln, f"service credit applied {part} of {round4(credit_prev)} due"))
            used.add("credit")
        elif kind == "unapproved_passthrough":
            if "travel" in used:
                continue
            used.add("travel")
            cap = dec(find_pricing_line(pricing, "travel", None)["monthly_cap"])
            lines = g.get("travel", [])
            total = sum((ln.amount for ln in lines), D(0))
            if lines and k % 2 == 0:
                ln = lines[-1]
                ln.approval_ref = None
            else:
                amt = _money(float(cap - total) * rng.uniform(0.25, 0.8))
                ln = Line("travel", None, TRAVEL_DESCR[k % len(TRAVEL_DESCR)], D(1), "each", amt, amt, None, group="travel")
                _insert_group(inv, "travel", lines + [ln])
            ln.defect = kind
            out.append((kind, ln, f"travel {ln.amount} billed without an approval reference"))
        elif kind == "quantity_variance":
            for grp in _rotate(["voice", "chat", "email"], k):
                if grp in g and grp not in used:
                    break
            else:
                continue
            used.add(grp)
            lines = g[grp]
            first = lines[0]
            pl_ = find_pricing_line(pricing, first.category, first.channel)
            factor = dec(round(rng.uniform(1.03, 1.07), 3))
            total = sum((ln.quantity for ln in lines), D(0))
            if grp == "email":
                new_q = round2(total * factor)
            else:
                new_q = D(int(total * factor) + 1)
            if grp == "voice":
                tiers = pl_["tiers"]
                if tier_basis(tiers) == "whole":
                    i = reached_tier(new_q, tiers)
                    r = dec(tiers[i]["rate"])
                    new = [Line("handled_contacts", "voice", f"Handled voice contacts, volume tier {i + 1} (whole volume)",
                                new_q, "contact", r, round2(new_q * r), group="voice")]
                else:
                    new = [Line("handled_contacts", "voice", f"Handled voice contacts, tier {i + 1}", q, "contact", r,
                                round2(q * r), group="voice") for i, q, r in tier_split(new_q, tiers)]
            else:
                r = first.unit_price
                new = [replace(first, quantity=new_q, amount=round2(new_q * r))]
            for ln in new:
                ln.defect = kind
            _insert_group(inv, grp, new)
            obs_q = obs.quantity(first.category, first.channel)
            out.append((kind, new, f"{first.category}/{first.channel}: billed quantity {new_q} vs {obs_q} observed "
                                   f"in the interactions"))
        elif kind == "rate_variance":
            for grp in _rotate(["voice", "chat", "fixed", "voice", "training"], k):
                # a group billed at quantity 0 (no training worked, with evidence) has no price to get wrong
                if grp in g and grp not in used and g[grp][0].quantity > 0:
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
                # the copy's amount is the finding: a line within the tolerance (0 training hours billed
                # because none were worked, with evidence) would be a duplicate nobody may report
                if grp in g and grp not in used and len(g[grp]) == 1 and g[grp][0].amount > tolerance:
                    break
            else:
                continue
            used.add(grp)
            orig = g[grp][0]
            copy_ = replace(orig, group="dup", defect=kind)
            if k % 3 == 1 and not revise:  # across invoices: a supplementary invoice for the same period
                tr = find_pricing_line(pricing, "training_hours", None)
                r = dec(tr["rate"])
                hours = D(int(rng.integers(6, 30)))
                while any(ln.category == "training_hours" and ln.quantity == hours for ln in inv.lines):
                    hours += 1
                extra = Line("training_hours", None, "Additional refresher training (supplementary)", hours, "hour", r,
                             round2(hours * r), group="training")
                # with evidence the extra hours would be billed above the worked training hours
                supp_lines = [copy_] if obs.evidence is not None else [extra, copy_]
                bill.supp = Invoice(inv.vendor, inv.month, f"{inv.invoice_id}-S", add_days(inv.invoice_date, 3),
                                    supp_lines)
                out.append((kind, copy_, "across invoices"))
            else:
                appended.append(copy_)
                out.append((kind, copy_, ""))  # detail filled once line ids are known
        elif kind == "off_contract_item":
            ln = off_contract_line(k)
            appended.append(ln)
            out.append((kind, ln, f"category {ln.category} is not priced in the contract"))
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
            _insert_group(inv, grp, new)
            out.append((kind, new, f"{cat} billed over the monthly cap {cap}"))
        elif kind == "minimum_commitment_misbilled":
            pass  # below, once the fees are final
        else:
            raise ValueError(kind)

    if revise:  # revision 1 adds an off-contract item that revision 0 did not have
        k = counters.get("off_contract_item", 0)
        counters["off_contract_item"] = k + 1
        ln = off_contract_line(k)
        ln.group = "revision"
        appended.append(ln)
        out.append(("off_contract_item", ln, f"category {ln.category} is not priced in the contract "
                                             f"(added in revision 1)"))

    # ---- minimum commitment: the correct shortfall, or a misbilled one ----------------------------
    minimum = version.get("minimum_monthly_commitment")
    if minimum is not None:
        fees = bill_fees(bill, version) + sum((ln.amount for ln in appended if is_fee(ln, version)), D(0))
        expected = max(D(0), dec(minimum) - fees)
        billed, note = expected, None
        if "minimum_commitment_misbilled" in kinds:
            if expected > 0:
                billed = expected + max(round2(fees * dec(round(rng.uniform(0.01, 0.03), 4))), D(50))
                note = f"shortfall billed {billed} but minimum {minimum} - fees {fees} = {expected}"
            else:
                billed = round2(dec(minimum) * dec(round(rng.uniform(0.02, 0.06), 4)))
                note = f"shortfall {billed} billed although fees {fees} met the minimum {minimum}"
        if billed > 0:
            ln = Line("minimum_commitment_shortfall", None, f"Minimum monthly commitment shortfall {inv.month.key}",
                      D(1), "each", billed, billed, group="shortfall")
            _insert_group(inv, "shortfall", [ln])
            if note:
                ln.defect = "minimum_commitment_misbilled"
                out.append(("minimum_commitment_misbilled", ln, note))

    inv.lines.extend(appended)
    _number(inv)
    if bill.supp is not None:
        _number(bill.supp)
    if revise:
        _make_revision(bill, rng)
    return out


def _make_revision(bill: Bill, rng: np.random.Generator) -> None:
    """bill.main becomes revision 1; revision 0 lacks the revision's new line and has an arithmetic error."""
    r1 = bill.main
    r0_lines = [copy.copy(ln) for ln in r1.lines if ln.group != "revision"]
    cands = [ln for ln in r0_lines if ln.defect is None and ln.group in ("email", "training", "fixed", "chat")
             and sum(1 for x in r0_lines if x.group == ln.group) == 1]
    target = cands[int(rng.integers(0, len(cands)))]
    delta = max(D(int(float(target.amount) * rng.uniform(0.03, 0.12))), D(25))
    correct = target.amount
    target.amount = correct + delta
    target.defect = "arithmetic_error"
    r0 = Invoice(r1.vendor, r1.month, r1.invoice_id, r1.invoice_date, r0_lines, revision=0)
    _number(r0)
    r1.revision = 1
    r1.invoice_date = add_days(r1.invoice_date, 9)
    bill.r0 = r0
    bill.revision_note = {
        "fixed_in_revision_1": {"revision": 0, "line_id": target.line_id, "finding": "arithmetic_error",
                                "amount_at_risk": money(delta),
                                "detail": f"amount {target.amount} but {target.quantity} x {target.unit_price} = {correct}"},
        "introduced_in_revision_1": [{"revision": 1, "line_id": ln.line_id, "finding": "off_contract_item"}
                                     for ln in r1.lines if ln.group == "revision"],
    }


def money(x: Decimal) -> str:
    return str(round4(x))


def evaluate_defects(bill: Bill, version: dict[str, Any], injected, obs: Observed,
                     credit_prev: Decimal) -> list[Defect]:
    """amount_at_risk and reporting line of each injected defect, from the final lines of the bill."""
    pricing = version["pricing"]
    ordered = bill.ordered()
    where = {id(ln): inv for inv, ln in ordered}
    seen: set = set()
    dups: set = set()
    for _inv, ln in ordered:
        if ln.key() in seen:
            dups.add(id(ln))
        seen.add(ln.key())
    live = [ln for _, ln in ordered if id(ln) not in dups]
    out = []
    for kind, target, detail in injected:
        if kind in ("rate_variance", "quantity_variance"):
            first = target[0] if isinstance(target, list) else target
            pl_ = find_pricing_line(pricing, first.category, first.channel)
            grp = [ln for ln in live if ln.category == first.category and
                   (pl_.get("channel") is None or ln.channel == first.channel)]
            qty = sum((ln.quantity for ln in grp), D(0))
            if kind == "rate_variance":
                billed = sum((ln.quantity * ln.unit_price for ln in grp), D(0))
                expected = expected_amount(qty, pl_)
                out.append(Defect(kind, grp[0], billed - expected,
                                  f"{detail}; billed {billed} vs expected {expected} for quantity {qty}"))
            else:
                observed = obs.quantity(first.category, first.channel)
                rate = _rate_reached(qty, pl_)
                out.append(Defect(kind, grp[0], round4((qty - observed) * rate),
                                  f"{detail}; {qty - observed} x {rate} (rate of the tier reached)"))
        elif kind == "arithmetic_error":
            out.append(Defect(kind, target, target.amount - target.quantity * target.unit_price, detail))
        elif kind == "duplicate_line":
            orig = next(ln for _, ln in ordered if ln.key() == target.key() and ln is not target)
            d = (f"same {target.category} {target.channel or ''} quantity {target.quantity} amount "
                 f"{target.amount} as {where[id(orig)].invoice_id} {orig.line_id}").replace("  ", " ")
            out.append(Defect(kind, target, target.amount, d))
        elif kind in ("off_contract_item", "unapproved_passthrough"):
            out.append(Defect(kind, target, target.amount, detail))
        elif kind == "passthrough_over_cap":
            lines = [ln for ln in live if ln.category == target[0].category]
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
        elif kind == "missing_service_credit":
            applied = -sum((ln.amount for ln in live if ln.category == "service_credit"), D(0))
            credit_lines = [ln for ln in live if ln.category == "service_credit"]
            line = credit_lines[0] if credit_lines else ordered[0][1]
            out.append(Defect(kind, line, credit_prev - applied, detail))
        elif kind == "minimum_commitment_misbilled":
            fees = sum((ln.amount for _, ln in ordered if is_fee(ln, version)), D(0))
            expected = max(D(0), dec(version["minimum_monthly_commitment"]) - fees)
            short = [ln for ln in live if ln.category == "minimum_commitment_shortfall"]
            billed = sum((ln.amount for ln in short), D(0))
            out.append(Defect(kind, short[0], billed - expected, detail))
        else:
            raise ValueError(kind)
    for d in out:
        d.invoice = where[id(d.line)]
    return out


def _rate_reached(qty: Decimal, pl_: dict[str, Any]) -> Decimal:
    if pl_.get("tiers"):
        return dec(pl_["tiers"][reached_tier(qty, pl_["tiers"])]["rate"])
    return dec(pl_["rate"])


# ------------------------------------------------------------- pilot month (before the contract)

def pilot_invoice(p: VendorProfile, month: Month, version: dict[str, Any], voice_contacts: int,
                  rng: np.random.Generator) -> tuple[Invoice, list[Defect]]:
    """An invoice for a pilot month no contract version covers: every line is outside_contract_period."""
    pricing = version["pricing"]
    inv = Invoice(p, month, f"{p.invoice_prefix}-{month.year:04d}-{month.month:02d}", add_days(month.last, 5))
    voice = find_pricing_line(pricing, "handled_contacts", "voice")
    q = D(max(20, voice_contacts))
    r = dec(voice["tiers"][0]["rate"])
    inv.lines.append(Line("handled_contacts", "voice", "Pilot: handled voice contacts", q, "contact", r, round2(q * r)))
    tr = find_pricing_line(pricing, "training_hours", None)
    h = D(int(rng.integers(80, 240)))
    inv.lines.append(Line("training_hours", None, "Pilot: initial product training", h, "hour", dec(tr["rate"]),
                          round2(h * dec(tr["rate"]))))
    fee = find_pricing_line(pricing, "management_fee", None)
    if fee is not None:
        inv.lines.append(Line("management_fee", None, f"Account management fee {month.key}", D(1), "each",
                              dec(fee["rate"]), dec(fee["rate"])))
    else:
        ph = find_pricing_line(pricing, "productive_hours", None)
        h = D(int(rng.integers(40, 160)))
        inv.lines.append(Line("productive_hours", None, "Pilot: back-office productive hours", h, "hour",
                              dec(ph["rate"]), round2(h * dec(ph["rate"]))))
    _number(inv)
    defects = [Defect("outside_contract_period", ln, ln.amount,
                      f"period {month.key} is before the first contract version", inv) for ln in inv.lines]
    return inv, defects


# ------------------------------------------------------------- credits

def credit_due(version: dict[str, Any], fees: Decimal, sla: list[dict]) -> dict[str, Any]:
    """Service credit due for a vendor-month (DEVELOPERS.md): per missed line round4(pct x fees), capped."""
    if fees <= 0 or version.get("service_credit_cap_pct") is None:
        return {"fees": fees, "credit_due": D(0), "uncapped": D(0), "cap": D(0), "cap_applied": False, "missed": []}
    missed = [s for s in sla if s["met"] is False and dec(s["credit_pct"]) > 0]
    uncapped = sum((round4(dec(s["credit_pct"]) * fees) for s in missed), D(0))
    cap = round4(dec(version["service_credit_cap_pct"]) * fees)
    return {"fees": fees, "credit_due": min(uncapped, cap), "uncapped": uncapped, "cap": cap,
            "cap_applied": uncapped > cap,
            "missed": [f"{s['metric']}{'/' + s['channel'] if s['channel'] else ''}" for s in missed]}

# ------------------------------------------------------------- audit

def audit(lines: list[dict[str, Any]], contract: dict[str, Any], observed: dict[str, dict[tuple[str, str], Decimal]],
          sla: dict[str, list[dict]]) -> list[dict]:
    """Independent evaluation of the DEVELOPERS.md invoice rules on all invoice files of one vendor.

    `lines`: dicts with invoice_id, revision, invoice_date, period_start (date), line_id, category, channel,
    quantity, unit_price, amount, approval_ref (Decimals for numbers), from every revision of every invoice.
    `observed`: month key -> (category, channel) -> quantity the interactions support.
    `sla`: month key -> SLA results ({met, credit_pct}) under the version in force.
    Returns [{invoice_id, revision, line_id, period_month, finding, amount_at_risk}].
    """
    latest: dict[str, int] = {}
    for r in lines:
        latest[r["invoice_id"]] = max(latest.get(r["invoice_id"], -1), r["revision"])
    months: dict[str, list[dict]] = {}
    for r in sorted((r for r in lines if r["revision"] == latest[r["invoice_id"]]),
                    key=lambda r: (r["invoice_date"], r["invoice_id"], r["line_id"])):
        months.setdefault(r["period_start"].strftime("%Y-%m"), []).append(r)
    found: list[dict] = []

    def in_force(mk: str):
        first = date(int(mk[:4]), int(mk[5:]), 1)
        hits = [v for v in contract["versions"] if v["effective_from"] <= first
                and (v["effective_to"] is None or first <= v["effective_to"])]
        return hits[0] if hits else None

    def add(r, finding, amt, tol):
        if amt > tol:
            found.append({"invoice_id": r["invoice_id"], "revision": r["revision"], "line_id": r["line_id"],
                          "period_month": r["period_start"].strftime("%Y-%m"), "finding": finding,
                          "amount_at_risk": amt})

    due: dict[str, Decimal] = {}
    nondup_by_month: dict[str, list[dict]] = {}
    for mk, rows in months.items():
        version = in_force(mk)
        if version is None:
            for r in rows:
                add(r, "outside_contract_period", r["amount"], D(0))
            continue
        tol = dec(version["tolerance"]["amount_abs"])
        qtol = dec(version["tolerance"]["quantity_pct"])
        pricing = version["pricing"]
        seen: set = set()
        live = []
        for r in rows:
            key = (r["category"], r["channel"], r["quantity"], r["amount"])
            if key in seen:
                add(r, "duplicate_line", r["amount"], tol)
            else:
                live.append(r)
            seen.add(key)
        nondup_by_month[mk] = live
        priced = {p["category"]: p for p in pricing}
        groups: dict[tuple, list] = {}
        for r in live:
            cat = r["category"]
            if cat not in priced and cat not in SPECIAL:
                add(r, "off_contract_item", r["amount"], tol)
                continue
            add(r, "arithmetic_error", r["amount"] - r["quantity"] * r["unit_price"], tol)
            if cat in SPECIAL:
                continue
            pline = find_pricing_line(pricing, cat, r["channel"])
            if pline is None:  # priced only for another channel
                add(r, "off_contract_item", r["amount"], tol)
                continue
            groups.setdefault((cat, pline.get("channel")), []).append((r, pline))
        for (cat, ch), members in groups.items():
            pline = members[0][1]
            if pline.get("passthrough"):
                for r, _ in members:
                    if pline.get("requires_approval") and not r.get("approval_ref"):
                        add(r, "unapproved_passthrough", r["amount"], tol)
                if pline.get("monthly_cap") is not None:
                    cap = dec(pline["monthly_cap"])
                    running, hit = D(0), None
                    for r, _ in members:
                        running += r["amount"]
                        if hit is None and running > cap:
                            hit = r
                    if hit is not None:
                        add(hit, "passthrough_over_cap", running - cap, tol)
                continue
            qty = sum((r["quantity"] for r, _ in members), D(0))
            billed = sum((r["quantity"] * r["unit_price"] for r, _ in members), D(0))
            add(members[0][0], "rate_variance", billed - expected_amount(qty, pline), tol)
            obs_m = observed.get(mk, {})
            # no evidence loaded for an evidence category: no quantity finding
            if cat in ("handled_contacts", "handle_minutes") or (
                    cat in EVIDENCE_CATEGORIES and any(c == cat for c, _ in obs_m)):
                obs = (obs_m.get((cat, ch), D(0)) if ch is not None
                       else sum((v for (c, _), v in obs_m.items() if c == cat), D(0)))
                if qty > obs * (1 + qtol):
                    if pline.get("tiers"):
                        t = pline["tiers"]
                        rate = dec(next(x for x in t if x.get("up_to") is None or qty <= dec(x["up_to"]))["rate"])
                    else:
                        rate = dec(pline["rate"])
                    add(members[0][0], "quantity_variance", round4((qty - obs) * rate), tol)
        fees = sum((r["amount"] for r in rows if r["category"] in priced and r["category"] not in SPECIAL
                    and not priced[r["category"]].get("passthrough")), D(0))
        if version.get("minimum_monthly_commitment") is not None:
            expected = max(D(0), dec(version["minimum_monthly_commitment"]) - fees)
            short = [r for r in live if r["category"] == "minimum_commitment_shortfall"]
            if short:
                add(short[0], "minimum_commitment_misbilled", sum((r["amount"] for r in short), D(0)) - expected, tol)
        if contract["kind"] == "outsourcer" and fees > 0 and version.get("service_credit_cap_pct") is not None:
            per_line = [round4(dec(s["credit_pct"]) * fees) for s in sla.get(mk, []) if s["met"] is False]
            due[mk] = min(sum(per_line, D(0)), round4(dec(version["service_credit_cap_pct"]) * fees))
    for mk, amount in due.items():
        y, m = int(mk[:4]), int(mk[5:])
        nxt = f"{y + (m == 12):04d}-{m % 12 + 1:02d}"
        if nxt not in nondup_by_month:  # no invoice for M+1 yet (or M+1 outside the contract)
            continue
        tol = dec(in_force(nxt)["tolerance"]["amount_abs"])
        credits = [r for r in nondup_by_month[nxt] if r["category"] == "service_credit"]
        applied = -sum((r["amount"] for r in credits), D(0))
        add(credits[0] if credits else months[nxt][0], "missing_service_credit", amount - applied, tol)
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
        # VAT on the line; none on a (negative) service credit: the feed requires tax_amount >= 0
        "tax_amount": round2(max(ln.amount, D(0)) * vat), "approval_ref": ln.approval_ref,
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
