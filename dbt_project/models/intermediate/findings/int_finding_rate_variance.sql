-- rate_variance: per rate group (vendor x month x category x the pricing
-- line's channel, int_invoice_rate_groups_priced), billed = sum(quantity x
-- unit_price) of its non-duplicate lines, expected = the contract price of
-- sum(quantity) (flat, marginal tiers or whole quantity at the tier reached);
-- amount_at_risk = billed - expected, on the group's first line.
with checked as (
    -- lines that may get the arithmetic / rate / pass-through / quantity findings
    select * from {{ ref('int_invoice_lines_classified') }}
    where is_checked
),

rate_groups as (
    select * from {{ ref('int_invoice_rate_groups_priced') }}
),

finding as (
    select
        {{ finding_columns('rate_variance', billed='g.billed_amount', expected='g.expected_amount') }},
        g.marginal_rate as contract_rate,
        g.billed_quantity,
        g.tier_reached,
        g.pricing_basis,
        g.contract_clause,
        'Billed ' || {{ fmt_num('g.billed_quantity') }} || ' ' || l.category
            || coalesce(' (' || g.channel || ')', '') || ' over ' || g.line_count
            || ' line(s) for ' || {{ fmt_money('g.billed_amount') }} || '; contract price '
            || {{ fmt_money('g.expected_amount') }} as evidence,
        'Billed ' || {{ fmt_money('g.billed_amount') }} || ' ' || l.currency || ' for '
            || {{ fmt_num('g.billed_quantity') }} || ' ' || l.category
            || coalesce(' (' || g.channel || ')', '') || ' in ' || {{ finding_month_text('l') }}
            || ' over ' || g.line_count || ' line(s) (sum of quantity x unit price); contract version '
            || g.version_id || ' prices that quantity at ' || {{ fmt_money('g.expected_amount') }}
            || case
                when not g.is_tiered then ' (flat rate ' || {{ fmt_num('g.marginal_rate') }} || ')'
                when g.tier_basis = 'whole' then ' (whole quantity at tier ' || g.tier_reached
                    || ' rate ' || {{ fmt_num('g.marginal_rate') }} || ')'
                else ' (marginal tiers, tier reached ' || g.tier_reached
                    || ' at rate ' || {{ fmt_num('g.marginal_rate') }} || ')'
               end
            || '; overbilled by ' || {{ fmt_money('g.billed_amount - g.expected_amount') }} || '.' as detail
    from rate_groups as g
    join checked as l
        on l.vendor_id = g.vendor_id
        and l.period_month = g.period_month
        and l.line_seq = g.first_line_seq
)

select * from finding
where {{ finding_is_reported() }}
