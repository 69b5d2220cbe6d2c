-- Billed vs evidenced quantity per vendor × month × hour / FTE / outcome
-- category priced in the contract version in force (productive_hours,
-- training_hours, fte_months, resolved_contacts, contained_sessions), for every
-- month with invoice lines. billed = Σ quantity of the latest-revision,
-- non-duplicate lines of the pricing line's group (int_invoice_rate_groups, as
-- the quantity_variance rule counts them; 0 when none was billed); evidence
-- from int_invoice_observed_quantities (agent_time, interactions,
-- self_service): null where that feed has nothing for the vendor and month
-- (then no finding is possible). amount_at_risk is the quantity_variance
-- finding's amount (exact, the mart unforeseen_costs rounds it), 0 when the
-- bill is within tolerance or below the evidence.
{% set categories = ['productive_hours', 'training_hours', 'fte_months', 'resolved_contacts', 'contained_sessions'] %}
with months as (
    select vendor_id, period_month, version_id, contract_currency
    from {{ ref('int_contract_months') }}
    where version_id is not null and invoice_line_count > 0
),

pricing as (
    select p.*, v.tolerance_quantity_pct
    from {{ ref('stg_contract_pricing') }} as p
    join {{ ref('stg_contract_versions') }} as v
        on v.vendor_id = p.vendor_id
        and v.version_id = p.version_id
    where p.category in ('{{ categories | join("', '") }}')
),

findings as (
    select vendor_id, period_month, category, version_id, pricing_line, sum(amount_at_risk) as amount_at_risk
    from {{ ref('int_finding_quantity_variance') }}
    group by all
),

rows as (
    select
        m.vendor_id,
        m.period_month,
        p.category,
        p.channel,
        p.unit,
        m.version_id,
        p.pricing_line,
        m.contract_currency as currency,
        coalesce(g.billed_quantity, 0) as billed_quantity,
        coalesce(g.line_count, 0) as billed_lines,
        o.evidence_feed,
        o.observed_exact_numerator as num,
        o.observed_exact_denominator as den,
        o.observed_quantity_source,
        coalesce(g.marginal_rate, p.rate) as contract_rate,
        p.tolerance_quantity_pct,
        f.amount_at_risk
    from months as m
    join pricing as p
        on p.vendor_id = m.vendor_id
        and p.version_id = m.version_id
    left join {{ ref('int_invoice_rate_groups_priced') }} as g
        on g.vendor_id = m.vendor_id
        and g.period_month = m.period_month
        and g.version_id = m.version_id
        and g.pricing_line = p.pricing_line
    left join {{ ref('int_invoice_observed_quantities') }} as o
        on o.vendor_id = m.vendor_id
        and o.period_month = m.period_month
        and o.version_id = m.version_id
        and o.pricing_line = p.pricing_line
    left join findings as f
        on f.vendor_id = m.vendor_id
        and f.period_month = m.period_month
        and f.version_id = m.version_id
        and f.pricing_line = p.pricing_line
)

select
    vendor_id,
    period_month,
    category,
    channel,
    unit,
    version_id,
    pricing_line,
    currency,
    cast(billed_quantity as decimal(38,4)) as billed_quantity,
    cast(billed_lines as bigint) as billed_lines,
    cast({{ decimal_div('num', 'den', 10) }} as decimal(38,10)) as evidenced_quantity,
    evidence_feed as evidence,
    observed_quantity_source as evidence_source,
    cast({{ decimal_div('billed_quantity * den - num', 'den', 10) }} as decimal(38,10)) as variance_quantity,
    cast({{ decimal_div('billed_quantity * den - num', 'num', 10) }} as decimal(38,10)) as variance_pct,
    cast(contract_rate as decimal(18,4)) as contract_rate,
    cast(tolerance_quantity_pct as decimal(18,6)) as tolerance_pct,
    evidence_feed is not null and amount_at_risk is not null as finding,
    cast(
        case when evidence_feed is not null then coalesce(amount_at_risk, 0) end
    as decimal(18,4)) as amount_at_risk
from rows
