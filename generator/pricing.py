"""The generator's own contract pricing, in `decimal.Decimal` (independent of dbt).

A pricing line is a dict as in the contract YAML:
  {category, channel?, unit?, rate}                         flat rate
  {category, channel?, unit?, tiers: [{up_to, rate, basis?}]}  tiers
  {category, passthrough: true, monthly_cap?, requires_approval?}

Tiers are marginal on the month's quantity unless the tiers say
`basis: whole`, in which case the whole quantity is priced at the rate of the
tier reached: the first tier whose `up_to` is null or >= quantity (an
`up_to` is inclusive).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from collections.abc import Mapping, Sequence

CENT = Decimal("0.01")
MONEY4 = Decimal("0.0001")


def dec(x: Any) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float):
        return Decimal(repr(x))
    return Decimal(str(x))


def round2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_EVEN)


def round4(x: Decimal) -> Decimal:
    return x.quantize(MONEY4, rounding=ROUND_HALF_EVEN)


def money4(x: Decimal) -> str:
    return str(round4(x))


def tier_basis(tiers: Sequence[Mapping[str, Any]]) -> str:
    bases = {t.get("basis", "marginal") for t in tiers}
    if len(bases) != 1:
        raise ValueError(f"mixed tier bases {sorted(bases)}")
    return bases.pop()


def reached_tier(quantity: Decimal, tiers: Sequence[Mapping[str, Any]]) -> int:
    """Index of the tier the quantity falls in (up_to inclusive)."""
    for i, t in enumerate(tiers):
        if t.get("up_to") is None or quantity <= dec(t["up_to"]):
            return i
    raise ValueError("quantity above the last tier, which must be open-ended")


def tier_split(quantity: Decimal, tiers: Sequence[Mapping[str, Any]]) -> list[tuple[int, Decimal, Decimal]]:
    """Marginal split: [(tier index, quantity in tier, rate)] for tiers with quantity > 0."""
    out = []
    lower = Decimal(0)
    for i, t in enumerate(tiers):
        up = None if t.get("up_to") is None else dec(t["up_to"])
        top = quantity if up is None else min(quantity, up)
        q = top - lower
        if q > 0:
            out.append((i, q, dec(t["rate"])))
        if up is None or quantity <= up:
            break
        lower = up
    return out


def expected_amount(quantity: Decimal, line: Mapping[str, Any]) -> Decimal:
    """Contract price (unrounded) of `quantity` units on a priced pricing line."""
    quantity = dec(quantity)
    if line.get("passthrough"):
        raise ValueError("pass-through lines are billed at cost, not priced")
    if "tiers" in line and line["tiers"]:
        tiers = line["tiers"]
        if tier_basis(tiers) == "whole":
            return quantity * dec(tiers[reached_tier(quantity, tiers)]["rate"])
        return sum((q * r for _, q, r in tier_split(quantity, tiers)), Decimal(0))
    return quantity * dec(line["rate"])


def find_pricing_line(pricing: Sequence[Mapping[str, Any]], category: str, channel: str | None):
    """The pricing line for (category, channel): exact channel first, then a channel-less line."""
    exact = [p for p in pricing if p["category"] == category and p.get("channel") == channel]
    if exact:
        return exact[0]
    generic = [p for p in pricing if p["category"] == category and p.get("channel") is None]
    return generic[0] if generic else None
