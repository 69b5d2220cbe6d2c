-- Findings on invoice lines (domain.md § Findings, DEVELOPERS.md "Marts:
-- shared semantics"), one row per finding, in invoice currency, before FX
-- and before rounding. Every finding keeps its evidence: the contract
-- version, the rate or cap used, the quantities.
--   outside_contract_period  no version in force          -> billed amount (no other finding)
--   off_contract_item        category not priced          -> billed amount (no other finding)
--   duplicate_line           repeat of an earlier line     -> the duplicate's amount
--   arithmetic_error         amount - quantity x unit_price, per line
--   rate_variance            per category x pricing-line channel group: sum(qty x unit_price)
--                            - contract price of sum(qty), on the group's first line
--   passthrough_over_cap     month's sum(amount) - monthly_cap, on the line whose
--                            running total first exceeds the cap
--   unapproved_passthrough   requires_approval line without approval_ref -> billed amount
-- Duplicates are excluded from every other finding's arithmetic. Only a
-- positive amount_at_risk above tolerance.amount_abs is reported (no version:
-- tolerance 0).
{%- set common %}
        l.vendor_id,
        l.invoice_id,
        l.revision,
        l.line_id,
        l.line_seq,
        l.invoice_date,
        l.period_start,
        l.period_end,
        l.period_month,
        l.currency,
        l.category,
        l.channel,
        l.quantity,
        l.unit_price,
        l.amount as line_amount,
        l.version_id,
        l.pricing_line,
        coalesce(l.tolerance_amount_abs, 0) as tolerance_amount_abs
{%- endset %}
{%- set money = "decimal(38,8)" %}

with lines as (
    select * from {{ ref('int_invoice_lines_classified') }}
),

outside_contract_period as (
    select
        {{ common }},
        'outside_contract_period' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        cast(null as decimal(18,4)) as contract_rate,
        cast(null as decimal(18,4)) as cap_applied,
        cast(null as decimal(38,4)) as billed_quantity,
        cast(null as integer) as tier_reached,
        cast(null as varchar) as pricing_basis,
        'No contract version of ' || l.vendor_id || ' covers ' || strftime(l.period_month, '%Y-%m')
            || '; the line bills ' || {{ fmt_money('l.amount') }} || ' ' || l.currency
            || ' for ' || l.category || ' outside any contract period.' as detail
    from lines as l
    where l.is_outside_period
),

off_contract_item as (
    select
        {{ common }},
        'off_contract_item' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        cast(null as decimal(18,4)) as contract_rate,
        cast(null as decimal(18,4)) as cap_applied,
        cast(null as decimal(38,4)) as billed_quantity,
        cast(null as integer) as tier_reached,
        cast(null as varchar) as pricing_basis,
        'Category ''' || l.category || '''' || coalesce(' (channel ' || l.channel || ')', '')
            || ' is not priced in contract version ' || l.version_id
            || '; the line bills ' || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from lines as l
    where l.is_off_contract
),

duplicate_line as (
    select
        {{ common }},
        'duplicate_line' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        cast(null as decimal(18,4)) as contract_rate,
        cast(null as decimal(18,4)) as cap_applied,
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        cast(null as integer) as tier_reached,
        cast(null as varchar) as pricing_basis,
        'Duplicate of line ' || l.duplicate_of_line_id || ' on invoice ' || l.duplicate_of_invoice_id
            || ' for the same period ' || strftime(l.period_month, '%Y-%m')
            || ': same category ' || l.category || coalesce(', channel ' || l.channel, ', no channel')
            || ', quantity ' || {{ fmt_num('l.quantity') }}
            || ' and amount ' || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from lines as l
    where l.is_duplicate
),

checked as (
    -- lines that may get the arithmetic / rate / pass-through findings
    select * from lines
    where not is_outside_period and not is_off_contract and not is_duplicate
),

arithmetic_error as (
    select
        {{ common }},
        'arithmetic_error' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4)) as expected_amount,
        cast(l.amount as decimal(38,4))
            - cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4)) as amount_at_risk,
        cast(null as decimal(18,4)) as contract_rate,
        cast(null as decimal(18,4)) as cap_applied,
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        cast(null as integer) as tier_reached,
        cast(null as varchar) as pricing_basis,
        'Line amount ' || {{ fmt_money('l.amount') }} || ' ' || l.currency || ' but quantity '
            || {{ fmt_num('l.quantity') }} || ' x unit price ' || {{ fmt_num('l.unit_price') }}
            || ' = ' || {{ fmt_money('cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4))') }}
            || '; overbilled by '
            || {{ fmt_money('cast(l.amount as decimal(38,4)) - cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4))') }}
            || '.' as detail
    from checked as l
    where l.quantity is not null and l.unit_price is not null
),

rate_groups as (
    select
        g.*,
        e.expected_amount,
        e.marginal_rate,
        e.tier_reached,
        e.tier_basis,
        e.tier_count,
        p.is_tiered
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
),

rate_variance as (
    select
        {{ common }},
        'rate_variance' as finding,
        g.billed_amount,
        g.expected_amount,
        g.billed_amount - g.expected_amount as amount_at_risk,
        g.marginal_rate as contract_rate,
        cast(null as decimal(18,4)) as cap_applied,
        g.billed_quantity,
        g.tier_reached,
        case
            when not g.is_tiered then 'flat'
            when g.tier_basis = 'whole' then 'whole'
            else 'marginal'
        end as pricing_basis,
        'Billed ' || {{ fmt_money('g.billed_amount') }} || ' ' || l.currency || ' for '
            || {{ fmt_num('g.billed_quantity') }} || ' ' || l.category
            || coalesce(' (' || g.channel || ')', '') || ' in ' || strftime(l.period_month, '%Y-%m')
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
),

passthrough_running as (
    select
        *,
        sum(cast(amount as decimal(38,4))) over (
            partition by vendor_id, period_month, category, pricing_line
            order by line_seq
            rows between unbounded preceding and current row
        ) as running_amount,
        sum(cast(amount as decimal(38,4))) over (partition by vendor_id, period_month, category, pricing_line)
            as month_amount,
        max(monthly_cap) over (partition by vendor_id, period_month, category, pricing_line) as cap
    from checked
    where passthrough and monthly_cap is not null
),

passthrough_crossing as (
    select *
    from passthrough_running
    where running_amount > cap
    qualify row_number() over (partition by vendor_id, period_month, category, pricing_line order by line_seq) = 1
),

passthrough_over_cap as (
    select
        {{ common }},
        'passthrough_over_cap' as finding,
        cast(l.month_amount as {{ money }}) as billed_amount,
        cast(l.cap as {{ money }}) as expected_amount,
        cast(l.month_amount - l.cap as {{ money }}) as amount_at_risk,
        cast(null as decimal(18,4)) as contract_rate,
        l.cap as cap_applied,
        cast(null as decimal(38,4)) as billed_quantity,
        cast(null as integer) as tier_reached,
        cast(null as varchar) as pricing_basis,
        'Pass-through ' || l.category || ' billed ' || {{ fmt_money('l.month_amount') }} || ' ' || l.currency
            || ' in ' || strftime(l.period_month, '%Y-%m') || ' against a monthly cap of '
            || {{ fmt_money('l.cap') }} || ' (contract version ' || l.version_id
            || '); the running total first exceeds the cap on this line; excess '
            || {{ fmt_money('l.month_amount - l.cap') }} || '.' as detail
    from passthrough_crossing as l
),

unapproved_passthrough as (
    select
        {{ common }},
        'unapproved_passthrough' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        cast(null as decimal(18,4)) as contract_rate,
        l.monthly_cap as cap_applied,
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        cast(null as integer) as tier_reached,
        cast(null as varchar) as pricing_basis,
        'Pass-through ' || l.category || ' requires the client''s approval (contract version '
            || l.version_id || ') but the line carries no approval_ref; billed '
            || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from checked as l
    where l.passthrough and l.requires_approval and nullif(trim(l.approval_ref), '') is null
),

all_findings as (
    select * from outside_contract_period
    union all by name select * from off_contract_item
    union all by name select * from duplicate_line
    union all by name select * from arithmetic_error
    union all by name select * from rate_variance
    union all by name select * from passthrough_over_cap
    union all by name select * from unapproved_passthrough
)

select
    *,
    -- quantity variance (a later finding) fills these from the interaction logs
    cast(null as decimal(38,4)) as observed_quantity,
    cast(null as varchar) as observed_quantity_source
from all_findings
where amount_at_risk > 0
    and amount_at_risk > tolerance_amount_abs
