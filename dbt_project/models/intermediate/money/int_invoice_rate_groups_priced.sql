{{ config(materialized='table') }}
-- Each rate group (int_invoice_rate_groups) priced by the contract
-- (int_pricing_expected_amounts): expected amount, marginal rate and tier
-- reached, the pricing basis (flat, marginal, whole) and the pricing clause in
-- words; read by the rate_variance and quantity_variance findings.
select
    g.*,
    e.expected_amount,
    e.marginal_rate,
    e.tier_reached,
    e.tier_basis,
    e.tier_count,
    p.is_tiered,
    case
        when not p.is_tiered then 'flat'
        when e.tier_basis = 'whole' then 'whole'
        else 'marginal'
    end as pricing_basis,
    -- the pricing clause in words: flat rate, or tier reached and its rate
    'Version ' || g.version_id || ', pricing line ' || g.pricing_line || ' (' || g.category
        || coalesce(', ' || g.channel, ', all channels') || '): '
        || case
            when not p.is_tiered then 'flat rate ' || {{ fmt_num('e.marginal_rate') }}
            when e.tier_basis = 'whole' then 'whole quantity at tier ' || e.tier_reached
                || ' rate ' || {{ fmt_num('e.marginal_rate') }}
            else 'marginal tiers, tier ' || e.tier_reached || ' reached at rate '
                || {{ fmt_num('e.marginal_rate') }}
           end as contract_clause
from {{ ref('int_invoice_rate_groups') }} as g
join {{ ref('int_pricing_expected_amounts') }} as e
    on e.vendor_id = g.vendor_id
    and e.period_month = g.period_month
    and e.category = g.category
    and e.channel is not distinct from g.channel
    and e.version_id = g.version_id
    and e.pricing_line = g.pricing_line
join {{ ref('stg_contract_pricing') }} as p
    on p.vendor_id = g.vendor_id
    and p.version_id = g.version_id
    and p.pricing_line = g.pricing_line
