-- Findings on invoice lines (domain.md § Findings, DEVELOPERS.md "Marts:
-- shared semantics"), one row per finding, in invoice currency, before FX
-- and before rounding. Every finding keeps its evidence: the contract
-- version, the rate or cap used, the quantities (`contract_clause` and
-- `evidence` say it in words for a dispute letter).
--   outside_contract_period  no version in force          -> billed amount (no other finding)
--   off_contract_item        category not priced          -> billed amount (no other finding)
--   duplicate_line           repeat of an earlier line     -> the duplicate's amount
--   arithmetic_error         amount - quantity x unit_price, per line
--   rate_variance            per category x pricing-line channel group: sum(qty x unit_price)
--                            - contract price of sum(qty), on the group's first line
--   quantity_variance        handled_contacts / handle_minutes group whose billed sum(qty)
--                            exceeds observed x (1 + tolerance.quantity_pct):
--                            (billed - observed) x the marginal rate of the tier the billed
--                            quantity reaches (flat rate otherwise), on the group's first line
--   passthrough_over_cap     month's sum(amount) - monthly_cap, on the line whose
--                            running total first exceeds the cap
--   unapproved_passthrough   requires_approval line without approval_ref -> billed amount
--   missing_service_credit   credit due for month M (marts.sla_compliance) - credits applied
--                            (-sum of service_credit lines) on the invoice(s) of month M + 1,
--                            on their first service_credit line (else their first line)
--   minimum_commitment_misbilled  billed shortfall (sum of minimum_commitment_shortfall lines)
--                            - max(0, minimum_monthly_commitment - fees), on the first shortfall line
-- Duplicates are excluded from every other finding's arithmetic; lines
-- outside any contract period and off-contract lines get no other finding.
-- Only a positive amount_at_risk above tolerance.amount_abs is reported (no
-- version: tolerance 0). Signs: amount_at_risk = billed_amount - expected_amount
-- for every finding except quantity_variance, where it is rounded on its own.
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
        l.description as line_description,
        l.quantity,
        l.unit_price,
        l.amount as line_amount,
        l.pricing_line
{%- endset %}
{#- the contract version and tolerance of the line's own month; findings whose
    clause comes from another month (missing_service_credit) set their own -#}
{%- set line_version %}
        l.version_id,
        coalesce(l.tolerance_amount_abs, 0) as tolerance_amount_abs
{%- endset %}
{%- set money = "decimal(38,8)" %}
{%- set month_of = "strftime(l.period_month, '%Y-%m')" %}

with lines as (
    select * from {{ ref('int_invoice_lines_classified') }}
),

versions as (
    select * from {{ ref('stg_contract_versions') }}
),

outside_contract_period as (
    select
        {{ common }},
        {{ line_version }},
        'outside_contract_period' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        'No contract version of ' || l.vendor_id || ' covers ' || {{ month_of }} as contract_clause,
        'Invoice period ' || strftime(l.period_start, '%Y-%m-%d') || ' to ' || strftime(l.period_end, '%Y-%m-%d')
            || ' (month ' || {{ month_of }} || ') is outside every contract version' as evidence,
        'No contract version of ' || l.vendor_id || ' covers ' || {{ month_of }}
            || '; the line bills ' || {{ fmt_money('l.amount') }} || ' ' || l.currency
            || ' for ' || l.category || ' outside any contract period.' as detail
    from lines as l
    where l.is_outside_period
),

off_contract_item as (
    select
        {{ common }},
        {{ line_version }},
        'off_contract_item' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        'Version ' || l.version_id || ': category ' || l.category || coalesce(' (' || l.channel || ')', '')
            || ' not priced' as contract_clause,
        'Category ''' || l.category || '''' || coalesce(' (channel ' || l.channel || ')', '')
            || ' billed on line ' || l.line_id as evidence,
        'Category ''' || l.category || '''' || coalesce(' (channel ' || l.channel || ')', '')
            || ' is not priced in contract version ' || l.version_id
            || '; the line bills ' || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from lines as l
    where l.is_off_contract
),

duplicate_line as (
    select
        {{ common }},
        {{ line_version }},
        'duplicate_line' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        'Version ' || coalesce(l.version_id, '?') || ': each service billed once' as contract_clause,
        'Same category, channel, quantity and amount as line ' || l.duplicate_of_line_id
            || ' on invoice ' || l.duplicate_of_invoice_id || ' (period ' || {{ month_of }} || ')' as evidence,
        'Duplicate of line ' || l.duplicate_of_line_id || ' on invoice ' || l.duplicate_of_invoice_id
            || ' for the same period ' || {{ month_of }}
            || ': same category ' || l.category || coalesce(', channel ' || l.channel, ', no channel')
            || ', quantity ' || {{ fmt_num('l.quantity') }}
            || ' and amount ' || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from lines as l
    where l.is_duplicate
),

checked as (
    -- lines that may get the arithmetic / rate / pass-through / quantity findings
    select * from lines
    where not is_outside_period and not is_off_contract and not is_duplicate
),

arithmetic_error as (
    select
        {{ common }},
        {{ line_version }},
        'arithmetic_error' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4)) as expected_amount,
        cast(l.amount as decimal(38,4))
            - cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4)) as amount_at_risk,
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        'Line amount = quantity x unit price' as contract_clause,
        'Quantity ' || {{ fmt_num('l.quantity') }} || ' x unit price ' || {{ fmt_num('l.unit_price') }}
            || ' = ' || {{ fmt_money('cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4))') }}
            || ', line amount ' || {{ fmt_money('l.amount') }} as evidence,
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
),

rate_variance as (
    select
        {{ common }},
        {{ line_version }},
        'rate_variance' as finding,
        g.billed_amount,
        g.expected_amount,
        g.billed_amount - g.expected_amount as amount_at_risk,
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
            || coalesce(' (' || g.channel || ')', '') || ' in ' || {{ month_of }}
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

quantity_variance as (
    select
        {{ common }},
        {{ line_version }},
        'quantity_variance' as finding,
        g.billed_quantity * cast(g.marginal_rate as decimal(38,4)) as billed_amount,
        o.observed_quantity * cast(g.marginal_rate as decimal(38,4)) as expected_amount,
        {{ round_half_even('(g.billed_quantity - o.observed_quantity) * cast(g.marginal_rate as decimal(38,4))', 4) }}
            as amount_at_risk,
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
            || coalesce(' (' || g.channel || ')', ' (all channels)') || ' in ' || {{ month_of }}
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
        count(*) over (partition by vendor_id, period_month, category, pricing_line) as month_lines,
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
        {{ line_version }},
        'passthrough_over_cap' as finding,
        cast(l.month_amount as {{ money }}) as billed_amount,
        cast(l.cap as {{ money }}) as expected_amount,
        cast(l.month_amount - l.cap as {{ money }}) as amount_at_risk,
        l.cap as cap_applied,
        'Version ' || l.version_id || ', pricing line ' || l.pricing_line || ': ' || l.category
            || ' at cost up to ' || {{ fmt_money('l.cap') }} || ' a month' as contract_clause,
        l.month_lines || ' ' || l.category || ' line(s) in ' || {{ month_of }} || ' totalling '
            || {{ fmt_money('l.month_amount') }} || '; running total '
            || {{ fmt_money('l.running_amount') }} || ' first exceeds the cap on line ' || l.line_id as evidence,
        'Pass-through ' || l.category || ' billed ' || {{ fmt_money('l.month_amount') }} || ' ' || l.currency
            || ' in ' || {{ month_of }} || ' against a monthly cap of '
            || {{ fmt_money('l.cap') }} || ' (contract version ' || l.version_id
            || '); the running total first exceeds the cap on this line; excess '
            || {{ fmt_money('l.month_amount - l.cap') }} || '.' as detail
    from passthrough_crossing as l
),

unapproved_passthrough as (
    select
        {{ common }},
        {{ line_version }},
        'unapproved_passthrough' as finding,
        cast(l.amount as {{ money }}) as billed_amount,
        cast(0 as {{ money }}) as expected_amount,
        cast(l.amount as {{ money }}) as amount_at_risk,
        l.monthly_cap as cap_applied,
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        'Version ' || l.version_id || ', pricing line ' || l.pricing_line || ': ' || l.category
            || ' requires the client''s approval reference' as contract_clause,
        'Line ' || l.line_id || ' carries no approval_ref' as evidence,
        'Pass-through ' || l.category || ' requires the client''s approval (contract version '
            || l.version_id || ') but the line carries no approval_ref; billed '
            || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from checked as l
    where l.passthrough and l.requires_approval and nullif(trim(l.approval_ref), '') is null
),

-- ---- missing_service_credit --------------------------------------------------
credits_due as (
    -- month M: sla_compliance spreads the month's credit over the missed lines
    -- so that they sum to min(sum round(credit_pct x fees, 4), round(cap x fees, 4))
    -- (checked by the test assert_credit_due_matches_rule)
    select
        s.vendor_id,
        s.period_month as credit_month,
        any_value(s.version_id) as version_id,
        any_value(s.fees_amount) as fees_amount,
        any_value(s.service_credit_cap_pct) as service_credit_cap_pct,
        sum(s.credit_due_amount) as credit_due,
        count_if(s.met = false and s.credit_pct > 0) as missed_lines,
        string_agg(
            s.metric || coalesce(' ' || s.channel, '') || coalesce(' ' || s.queue, '')
                || ' (actual ' || coalesce(cast(round(s.actual, 4) as varchar), '?') || ' vs target '
                || {{ fmt_num('s.target') }} || ', credit ' || {{ fmt_num('s.credit_pct * 100') }} || '%)',
            '; ' order by s.sla_line
        ) filter (where s.met = false and s.credit_pct > 0) as missed_text,
        bool_or(s.credit_cap_applied) as cap_bites
    from {{ ref('sla_compliance') }} as s
    group by s.vendor_id, s.period_month
    having sum(s.credit_due_amount) > 0
),

credits_applied as (
    -- credits applied on the invoice(s) of month M + 1 (duplicates excluded, as
    -- from every finding's arithmetic)
    select
        vendor_id,
        period_month,
        -sum(cast(amount as decimal(38,4))) filter (where category = 'service_credit' and not is_duplicate)
            as credit_applied,
        count(*) filter (where category = 'service_credit' and not is_duplicate) as credit_lines,
        -- the carrier: first service_credit line, else the month's first line
        coalesce(min(line_seq) filter (where category = 'service_credit'), min(line_seq)) as carrier_seq
    from lines
    group by vendor_id, period_month
),

missing_service_credit as (
    select
        {{ common }},
        d.version_id,
        coalesce(v.tolerance_amount_abs, 0) as tolerance_amount_abs,
        'missing_service_credit' as finding,
        cast(-coalesce(a.credit_applied, 0) as {{ money }}) as billed_amount,
        cast(-d.credit_due as {{ money }}) as expected_amount,
        cast(d.credit_due - coalesce(a.credit_applied, 0) as {{ money }}) as amount_at_risk,
        {{ round_half_even('d.service_credit_cap_pct * d.fees_amount', 4) }} as cap_applied,
        d.credit_month as credit_period_month,
        cast(d.fees_amount as decimal(38,4)) as fees_amount,
        cast(d.credit_due as decimal(38,4)) as credit_due_amount,
        cast(coalesce(a.credit_applied, 0) as decimal(38,4)) as credit_applied_amount,
        'Version ' || d.version_id || ': service credits for missed SLAs, capped at '
            || {{ fmt_num('d.service_credit_cap_pct * 100') }} || '% of the month''s fees' as contract_clause,
        'marts.sla_compliance ' || strftime(d.credit_month, '%Y-%m') || ': missed ' || d.missed_text
            || '; fees ' || {{ fmt_money('d.fees_amount') }}
            || case when d.cap_bites then '; cap applied' else '' end
            || '; credit due ' || {{ fmt_money('d.credit_due') }} || ', applied on ' || {{ month_of }}
            || ' invoice(s) ' || {{ fmt_money('coalesce(a.credit_applied, 0)') }} as evidence,
        'SLA misses in ' || strftime(d.credit_month, '%Y-%m') || ' (' || d.missed_text
            || ') give a service credit of ' || {{ fmt_money('d.credit_due') }} || ' ' || l.currency
            || ' (contract version ' || d.version_id || ', fees ' || {{ fmt_money('d.fees_amount') }}
            || case when d.cap_bites then ', capped at ' || {{ fmt_num('d.service_credit_cap_pct * 100') }} || '%' else '' end
            || '), due on the ' || {{ month_of }} || ' invoice, which applies '
            || {{ fmt_money('coalesce(a.credit_applied, 0)') }} || ' over ' || a.credit_lines
            || ' service_credit line(s); missing ' || {{ fmt_money('d.credit_due - coalesce(a.credit_applied, 0)') }}
            || '.' as detail
    from credits_due as d
    join credits_applied as a
        on a.vendor_id = d.vendor_id
        and a.period_month = cast(d.credit_month + interval 1 month as date)
    join lines as l
        on l.vendor_id = a.vendor_id
        and l.period_month = a.period_month
        and l.line_seq = a.carrier_seq
    left join versions as v
        on v.vendor_id = d.vendor_id
        and v.version_id = d.version_id
    -- a line outside any contract period gets no other finding
    where not l.is_outside_period
),

-- ---- minimum_commitment_misbilled -------------------------------------------
shortfall_billed as (
    select
        vendor_id,
        period_month,
        any_value(version_id) as version_id,
        sum(cast(amount as decimal(38,4))) as billed_shortfall,
        count(*) as shortfall_lines,
        min(line_seq) as first_line_seq
    from checked
    where category = 'minimum_commitment_shortfall'
    group by vendor_id, period_month
),

minimum_commitment_misbilled as (
    select
        {{ common }},
        {{ line_version }},
        'minimum_commitment_misbilled' as finding,
        cast(b.billed_shortfall as {{ money }}) as billed_amount,
        cast(greatest(0, coalesce(v.minimum_monthly_commitment, 0) - coalesce(f.fees_amount, 0)) as {{ money }})
            as expected_amount,
        cast(b.billed_shortfall
            - greatest(0, coalesce(v.minimum_monthly_commitment, 0) - coalesce(f.fees_amount, 0)) as {{ money }})
            as amount_at_risk,
        cast(v.minimum_monthly_commitment as decimal(38,4)) as minimum_commitment,
        cast(coalesce(f.fees_amount, 0) as decimal(38,4)) as fees_amount,
        'Version ' || l.version_id || ': minimum monthly commitment '
            || coalesce({{ fmt_money('v.minimum_monthly_commitment') }}, 'none') as contract_clause,
        'Fees of ' || {{ month_of }} || ' (priced, non-pass-through lines, latest revisions) '
            || {{ fmt_money('coalesce(f.fees_amount, 0)') }} || '; shortfall billed '
            || {{ fmt_money('b.billed_shortfall') }} || ' over ' || b.shortfall_lines || ' line(s)' as evidence,
        'Minimum commitment shortfall billed ' || {{ fmt_money('b.billed_shortfall') }} || ' ' || l.currency
            || ' for ' || {{ month_of }} || ' but the month''s fees are '
            || {{ fmt_money('coalesce(f.fees_amount, 0)') }} || ' against a minimum of '
            || coalesce({{ fmt_money('v.minimum_monthly_commitment') }}, 'none') || ' (contract version '
            || l.version_id || '), so the shortfall is '
            || {{ fmt_money('greatest(0, coalesce(v.minimum_monthly_commitment, 0) - coalesce(f.fees_amount, 0))') }}
            || '; overbilled by '
            || {{ fmt_money('b.billed_shortfall - greatest(0, coalesce(v.minimum_monthly_commitment, 0) - coalesce(f.fees_amount, 0))') }}
            || '.' as detail
    from shortfall_billed as b
    join checked as l
        on l.vendor_id = b.vendor_id
        and l.period_month = b.period_month
        and l.line_seq = b.first_line_seq
    left join versions as v
        on v.vendor_id = b.vendor_id
        and v.version_id = b.version_id
    left join {{ ref('int_monthly_fees') }} as f
        on f.vendor_id = b.vendor_id
        and f.period_month = b.period_month
),

all_findings as (
    select * from outside_contract_period
    union all by name select * from off_contract_item
    union all by name select * from duplicate_line
    union all by name select * from arithmetic_error
    union all by name select * from rate_variance
    union all by name select * from quantity_variance
    union all by name select * from passthrough_over_cap
    union all by name select * from unapproved_passthrough
    union all by name select * from missing_service_credit
    union all by name select * from minimum_commitment_misbilled
)

select
    vendor_id,
    invoice_id,
    revision,
    line_id,
    line_seq,
    invoice_date,
    period_start,
    period_end,
    period_month,
    currency,
    category,
    channel,
    line_description,
    quantity,
    unit_price,
    line_amount,
    finding,
    detail,
    contract_clause,
    evidence,
    billed_amount,
    expected_amount,
    amount_at_risk,
    version_id,
    pricing_line,
    cast(contract_rate as decimal(18,4)) as contract_rate,
    pricing_basis,
    cast(tier_reached as integer) as tier_reached,
    cast(cap_applied as decimal(18,4)) as cap_applied,
    cast(billed_quantity as decimal(38,4)) as billed_quantity,
    cast(observed_quantity as decimal(38,4)) as observed_quantity,
    observed_quantity_source,
    tolerance_amount_abs,
    tolerance_quantity_pct,
    cast(minimum_commitment as decimal(18,4)) as minimum_commitment,
    cast(fees_amount as decimal(18,4)) as fees_amount,
    credit_period_month,
    cast(credit_due_amount as decimal(18,4)) as credit_due_amount,
    cast(credit_applied_amount as decimal(18,4)) as credit_applied_amount
from all_findings
where amount_at_risk > 0
    and amount_at_risk > tolerance_amount_abs
