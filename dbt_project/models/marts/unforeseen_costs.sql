-- One row per finding on an invoice line (latest revisions only), with the
-- evidence for a dispute and the amount at risk in invoice and reporting
-- currency. Money is rounded half-even to 4 places;
-- amount_at_risk_reporting = round(amount_at_risk x fx_rate, 4) with the rate
-- of the latest rate_date on or before the invoice's period_end.
-- A missing FX rate does not fail the build: fx_rate_missing is true,
-- fx_rate and amount_at_risk_reporting are null, and the dbt test
-- fx_rate_missing_for_invoice (severity warn) reports the invoice; it shows as
-- a failed asset check in Dagster.
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
        '{{ var("reporting_currency") }}' as reporting_currency,
        fx.fx_rate,
        fx.rate_date as fx_rate_date
    from findings as f
    left join fx
        on fx.vendor_id = f.vendor_id
        and fx.invoice_id = f.invoice_id
)

select
    r.vendor_id,
    c.vendor_name,
    r.invoice_id,
    r.revision,
    r.line_id,
    r.invoice_date,
    r.period_start,
    r.period_end,
    r.period_month,
    r.category,
    r.channel,
    r.line_description,
    r.finding,
    r.detail,
    r.contract_clause,
    r.evidence,
    cast(r.line_amount as decimal(18,4)) as line_amount,
    cast(r.quantity as decimal(18,4)) as quantity,
    cast(r.unit_price as decimal(18,4)) as unit_price,
    cast({{ round_half_even('r.billed_amount', 4) }} as decimal(18,4)) as billed_amount,
    cast({{ round_half_even('r.expected_amount', 4) }} as decimal(18,4)) as expected_amount,
    r.amount_at_risk_4 as amount_at_risk,
    r.currency,
    c.currency as contract_currency,
    r.reporting_currency,
    r.fx_rate,
    r.fx_rate_date,
    r.fx_rate is null as fx_rate_missing,
    cast({{ round_half_even('cast(r.amount_at_risk_4 as decimal(38,4)) * cast(r.fx_rate as decimal(38,8))', 4) }}
        as decimal(18,4)) as amount_at_risk_reporting,
    r.version_id,
    r.pricing_line,
    r.contract_rate,
    r.pricing_basis,
    r.tier_reached,
    r.cap_applied,
    cast(r.billed_quantity as decimal(18,4)) as billed_quantity,
    cast(r.observed_quantity as decimal(18,4)) as observed_quantity,
    r.observed_quantity_source,
    cast(r.tolerance_amount_abs as decimal(18,4)) as tolerance_amount_abs,
    cast(r.tolerance_quantity_pct as decimal(9,6)) as tolerance_quantity_pct,
    r.minimum_commitment,
    r.fees_amount,
    r.credit_period_month,
    r.credit_due_amount,
    r.credit_applied_amount
from rounded as r
left join {{ ref('stg_contracts') }} as c
    on c.vendor_id = r.vendor_id
