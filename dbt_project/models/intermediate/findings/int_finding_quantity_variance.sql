-- quantity_variance: a handled_contacts / handle_minutes rate group whose
-- billed sum(quantity) exceeds what the interaction logs support
-- (int_invoice_observed_quantities) x (1 + tolerance.quantity_pct);
-- amount_at_risk = (billed - observed) x the marginal rate of the tier the
-- billed quantity reaches (flat rate otherwise), half-even to 4 places, on the
-- group's first line.
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
        -- amount_at_risk is rounded on its own: the excess at the rate, half-even to 4 places
        {{ finding_columns('quantity_variance',
                           billed='g.billed_quantity * cast(g.marginal_rate as decimal(38,4))',
                           expected='o.observed_quantity * cast(g.marginal_rate as decimal(38,4))',
                           at_risk=round_half_even('(g.billed_quantity - o.observed_quantity) * cast(g.marginal_rate as decimal(38,4))', 4)) }},
        g.marginal_rate as contract_rate,
        g.billed_quantity,
        g.tier_reached,
        g.pricing_basis,
        o.observed_quantity,
        o.observed_quantity_source,
        l.tolerance_quantity_pct,
        g.contract_clause || '; quantity tolerance '
            || {{ fmt_num('l.tolerance_quantity_pct * 100') }} || '%' as contract_clause,
        'Billed ' || {{ fmt_num('g.billed_quantity') }} || ' over ' || g.line_count
            || ' line(s); observed ' || {{ fmt_num('o.observed_quantity') }} || ' ('
            || o.observed_quantity_source || ')' as evidence,
        'Billed ' || {{ fmt_num('g.billed_quantity') }} || ' ' || l.category
            || coalesce(' (' || g.channel || ')', ' (all channels)') || ' in ' || {{ finding_month_text('l') }}
            || ' but the interaction logs support ' || {{ fmt_num('o.observed_quantity') }}
            || ' (' || o.observed_quantity_source || '), beyond the '
            || {{ fmt_num('l.tolerance_quantity_pct * 100') }} || '% tolerance; the excess '
            || {{ fmt_num('g.billed_quantity - o.observed_quantity') }} || ' at the contract rate '
            || {{ fmt_num('g.marginal_rate') }} || ' (version ' || g.version_id
            || case when g.pricing_basis = 'flat' then ', flat' else ', tier ' || g.tier_reached || ' reached' end
            || ') is ' || {{ fmt_money('(g.billed_quantity - o.observed_quantity) * cast(g.marginal_rate as decimal(38,4))') }}
            || ' ' || l.currency || '.' as detail
    from rate_groups as g
    join {{ ref('int_invoice_observed_quantities') }} as o
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
    where g.billed_quantity > o.observed_quantity * (1 + l.tolerance_quantity_pct)
)

select * from finding
where {{ finding_is_reported() }}
