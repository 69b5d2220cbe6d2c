"""Raw-row builders for the invoice / money tests (findings, cost-to-serve,
scorecard): contracts, versions, pricing, invoice lines, interactions.

Every builder returns plain dicts for `harness.create_raw`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D


def contract(tables, vendor_id, *, currency="USD", kind="outsourcer", tz="UTC",
             versions=None):
    """Add a contract with its versions, pricing lines and tiers to `tables`.

    versions: list of dicts {effective_from, effective_to, pricing: [...],
    tolerance_amount_abs, monthly_cost_base, ...}; pricing entries are dicts
    with category, channel, rate, passthrough, monthly_cap, requires_approval
    and optionally tiers: [(up_to, rate, basis), ...].
    """
    tables["contracts"].append(dict(vendor_id=vendor_id, name=vendor_id.upper(), kind=kind,
                                    timezone=tz, currency=currency))
    for v in versions or [{}]:
        eff_from = v.get("effective_from", date(2026, 1, 1))
        version_id = f"{vendor_id}@{eff_from.isoformat()}"
        tables["contract_versions"].append(dict(
            vendor_id=vendor_id, version_id=version_id, effective_from=eff_from,
            effective_to=v.get("effective_to"),
            minimum_monthly_commitment=v.get("minimum_monthly_commitment"),
            monthly_cost_base=v.get("monthly_cost_base"),
            service_credit_cap_pct=v.get("service_credit_cap_pct", D("0.10")),
            tolerance_quantity_pct=v.get("tolerance_quantity_pct", D("0.02")),
            tolerance_amount_abs=v.get("tolerance_amount_abs", D("1.00")),
        ))
        for n, p in enumerate(v.get("pricing", []), start=1):
            tiers = p.get("tiers")
            tables["contract_pricing"].append(dict(
                vendor_id=vendor_id, version_id=version_id, pricing_line=n,
                category=p["category"], channel=p.get("channel"), unit=p.get("unit"),
                rate=None if tiers else p.get("rate"), is_tiered=bool(tiers),
                passthrough=p.get("passthrough", False), monthly_cap=p.get("monthly_cap"),
                requires_approval=p.get("requires_approval", False),
            ))
            lower = D(0)
            for t, (up_to, rate, basis) in enumerate(tiers or [], start=1):
                tables["contract_pricing_tiers"].append(dict(
                    vendor_id=vendor_id, version_id=version_id, pricing_line=n, tier_number=t,
                    lower_bound=lower, up_to=up_to, rate=rate, basis=basis,
                ))
                lower = up_to


def month_end(month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def line(vendor_id, invoice_id, line_id, category, quantity, unit_price, amount, *,
         month=date(2026, 1, 1), channel=None, revision=0, currency="USD",
         invoice_date=None, approval_ref=None, tax_amount=0):
    return dict(
        vendor_id=vendor_id, invoice_id=invoice_id, revision=revision,
        invoice_date=invoice_date or month_end(month) + timedelta(days=1),
        period_start=month, period_end=month_end(month), currency=currency,
        line_id=line_id, category=category, channel=channel, description=category,
        quantity=None if quantity is None else D(str(quantity)),
        unit="each", unit_price=None if unit_price is None else D(str(unit_price)),
        amount=D(str(amount)), tax_amount=tax_amount, approval_ref=approval_ref,
    )


_seq = defaultdict(int)


def interaction(vendor_id, channel, arrived_at: datetime, *, handle_seconds=None,
                resolved=True, queue="q1"):
    """An interaction; answered when handle_seconds is given (all of it talk time)."""
    _seq[vendor_id] += 1
    answered = handle_seconds is not None
    arrived = arrived_at.replace(tzinfo=arrived_at.tzinfo or timezone.utc)
    return dict(
        vendor_id=vendor_id, interaction_id=f"{vendor_id}-{_seq[vendor_id]}", channel=channel,
        queue=queue, arrived_at=arrived,
        answered_at=arrived + timedelta(seconds=10) if answered else None,
        ended_at=arrived + timedelta(seconds=10 + (handle_seconds or 0)),
        talk_seconds=handle_seconds if answered else None,
        hold_seconds=0 if answered else None, wrap_seconds=0 if answered else None,
        agent_id="a1" if answered else None, transferred=False,
        resolved=resolved if answered else False,
    )


def new_tables():
    return defaultdict(list)
