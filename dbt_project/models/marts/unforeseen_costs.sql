-- One row per finding on an invoice line (latest revisions only), with the
-- evidence for a dispute and the amount at risk in invoice and reporting
-- currency. amount_at_risk is rounded half-even to 4 places;
-- amount_at_risk_reporting = round(amount_at_risk x fx_rate, 4) with the rate
-- of the latest rate_date on or before the invoice's period_end.
with findings as (
    select * from {{ ref('int_invoice_findings') }}
),

fx as (
    select * from {{ ref('int_fx_invoice_rates') }}
),

rounded as (
    select
        f.*,
        cast({{ round_half_even('f.amount_at_risk', 4) }} as decimal(18,4)) as amount_at_risk_4,
        fx.reporting_currency,
        fx.fx_rate,
        fx.rate_date as fx_rate_date
    from findings as f
    left join fx
        on fx.vendor_id = f.vendor_id
        and fx.invoice_id = f.invoice_id
)

select
    vendor_id,
    invoice_id,
    revision,
    line_id,
    invoice_date,
    period_start,
    period_end,
    period_month,
    category,
    channel,
    finding,
    detail,
    cast(line_amount as decimal(18,4)) as line_amount,
    cast(quantity as decimal(18,4)) as quantity,
    cast(unit_price as decimal(18,4)) as unit_price,
    cast({{ round_half_even('billed_amount', 4) }} as decimal(18,4)) as billed_amount,
    cast({{ round_half_even('expected_amount', 4) }} as decimal(18,4)) as expected_amount,
    amount_at_risk_4 as amount_at_risk,
    currency,
    reporting_currency,
    fx_rate,
    fx_rate_date,
    cast({{ round_half_even('cast(amount_at_risk_4 as decimal(38,4)) * cast(fx_rate as decimal(38,8))', 4) }}
        as decimal(18,4)) as amount_at_risk_reporting,
    version_id,
    pricing_line,
    contract_rate,
    pricing_basis,
    tier_reached,
    cap_applied,
    cast(billed_quantity as decimal(18,4)) as billed_quantity,
    cast(tolerance_amount_abs as decimal(18,4)) as tolerance_amount_abs,
    cast(observed_quantity as decimal(18,4)) as observed_quantity,
    observed_quantity_source
from rounded
