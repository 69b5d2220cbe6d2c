-- quantity_variance: a rate group of a quantity-checked category
-- (handled_contacts, handle_minutes, resolved_contacts, productive_hours,
-- training_hours, fte_months, contained_sessions) whose billed sum(quantity)
-- exceeds its evidence (int_invoice_observed_quantities: interactions,
-- agent_time or self_service) x (1 + tolerance.quantity_pct of the version);
-- no evidence loaded for the vendor, month and category: no row there, no finding.
-- amount_at_risk = (billed - evidenced) x the marginal rate of the tier the
-- billed quantity reaches (flat rate otherwise), half-even to 4 places, on the
-- group's first line. The evidence is exact (numerator / denominator: hours are
-- seconds / 3600, FTE paid seconds / (3600 x fte_hours_per_month)), so the
-- comparison and the amount are worked on it before any rounding.
{%- set at_risk_sql = decimal_div('(g.billed_quantity * o.observed_exact_denominator - o.observed_exact_numerator)'
                                  ~ ' * cast(g.marginal_rate as decimal(38,4))', 'o.observed_exact_denominator', 4) %}
with checked as (
    -- lines that may get the arithmetic / rate / pass-through / quantity findings
    select * from {{ ref('int_invoice_lines_classified') }}
    where is_checked
),

rate_groups as (
    select * from {{ ref('int_invoice_rate_groups_priced') }}
),

observed as (
    -- an evidence row without the exact pair (older inputs) is its observed_quantity
    select
        {{ star_except(['observed_exact_numerator', 'observed_exact_denominator', 'evidence_feed']) }},
        coalesce(observed_exact_numerator, observed_quantity) as observed_exact_numerator,
        coalesce(observed_exact_denominator, 1) as observed_exact_denominator,
        coalesce(evidence_feed, 'interactions') as evidence_feed
    from {{ ref('int_invoice_observed_quantities') }}
),

finding as (
    select
        -- amount_at_risk is rounded on its own: the excess at the rate, half-even to 4 places
        {{ finding_columns('quantity_variance',
                           billed='g.billed_quantity * cast(g.marginal_rate as decimal(38,4))',
                           expected=decimal_div('o.observed_exact_numerator * cast(g.marginal_rate as decimal(38,4))',
                                                'o.observed_exact_denominator', 8),
                           at_risk=at_risk_sql) }},
        g.marginal_rate as contract_rate,
        g.billed_quantity,
        g.tier_reached,
        g.pricing_basis,
        o.observed_quantity,
        o.observed_quantity_source,
        o.evidence_feed,
        l.tolerance_quantity_pct,
        g.contract_clause || '; quantity tolerance '
            || {{ fmt_num('l.tolerance_quantity_pct * 100') }} || '%' as contract_clause,
        'Billed ' || {{ fmt_num('g.billed_quantity') }} || ' over ' || g.line_count
            || ' line(s); observed ' || {{ fmt_num('o.observed_quantity') }} || ' ('
            || o.observed_quantity_source || ')' as evidence,
        'Billed ' || {{ fmt_num('g.billed_quantity') }} || ' ' || l.category
            || coalesce(' (' || g.channel || ')', ' (all channels)') || ' in ' || {{ finding_month_text('l') }}
            || ' but the ' || case o.evidence_feed
                when 'agent_time' then 'agent time records'
                when 'self_service' then 'self-service sessions'
                else 'interaction logs'
               end || ' support ' || {{ fmt_num('o.observed_quantity') }}
            || ' (' || o.observed_quantity_source || '), beyond the '
            || {{ fmt_num('l.tolerance_quantity_pct * 100') }} || '% tolerance; the excess '
            || {{ fmt_num('g.billed_quantity - o.observed_quantity') }} || ' at the contract rate '
            || {{ fmt_num('g.marginal_rate') }} || ' (version ' || g.version_id
            || case when g.pricing_basis = 'flat' then ', flat' else ', tier ' || g.tier_reached || ' reached' end
            || ') is ' || {{ fmt_money(at_risk_sql) }}
            || ' ' || l.currency || '.' as detail
    from rate_groups as g
    join observed as o
        on o.vendor_id = g.vendor_id
        and o.period_month = g.period_month
        and o.category = g.category
        and o.channel is not distinct from g.channel
        and o.version_id = g.version_id
        and o.pricing_line = g.pricing_line
    join checked as l
        on l.vendor_id = g.vendor_id
        and l.period_month = g.period_month
        and l.line_seq = g.first_line_seq
    where g.billed_quantity * o.observed_exact_denominator
        > o.observed_exact_numerator * (1 + l.tolerance_quantity_pct)
)

select * from finding
where {{ finding_is_reported() }}
