-- missing_service_credit: the credit due for month M (int_service_credits)
-- minus the credits applied (-sum of non-duplicate service_credit lines) on the
-- invoice(s) of month M + 1, with month M's tolerance, on their first
-- service_credit line (else their first line), reported in month M + 1. No
-- invoice for M + 1 yet: nothing is reported yet.
with lines as (
    select * from {{ ref('int_invoice_lines_classified') }}
),

versions as (
    select * from {{ ref('int_contract_versions') }}
),

credits_due as (
    -- month M: int_service_credits spreads the month's credit over the missed lines
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
        {{ string_agg_ordered(
            "s.metric || coalesce(' ' || s.channel, '') || coalesce(' ' || s.queue, '')
                || ' (actual ' || coalesce(cast(round(s.actual, 4) as " ~ dbt.type_string() ~ "), '?') || ' vs target '
                || " ~ fmt_num('s.target') ~ " || ', credit ' || " ~ fmt_num('s.credit_pct * 100') ~ " || '%)'",
            "'; '", 's.sla_line', filter='s.met = false and s.credit_pct > 0') }} as missed_text,
        bool_or(s.credit_cap_applied) as cap_bites
    from {{ ref('int_service_credits') }} as s
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

finding as (
    select
        {{ finding_columns('missing_service_credit', billed='-coalesce(a.credit_applied, 0)', expected='-d.credit_due',
                           line_version=false) }},
        -- the clause and tolerance of the month of the misses
        d.version_id,
        coalesce(v.tolerance_amount_abs, 0) as tolerance_amount_abs,
        {{ round_half_even('d.service_credit_cap_pct * d.fees_amount', 4) }} as cap_applied,
        d.credit_month as credit_period_month,
        cast(d.fees_amount as decimal(38,4)) as fees_amount,
        cast(d.credit_due as decimal(38,4)) as credit_due_amount,
        cast(coalesce(a.credit_applied, 0) as decimal(38,4)) as credit_applied_amount,
        'Version ' || d.version_id || ': service credits for missed SLAs, capped at '
            || {{ fmt_num('d.service_credit_cap_pct * 100') }} || '% of the month''s fees' as contract_clause,
        'marts.sla_compliance ' || {{ format_date('d.credit_month', '%Y-%m') }} || ': missed ' || d.missed_text
            || '; fees ' || {{ fmt_money('d.fees_amount') }}
            || case when d.cap_bites then '; cap applied' else '' end
            || '; credit due ' || {{ fmt_money('d.credit_due') }} || ', applied on ' || {{ finding_month_text('l') }}
            || ' invoice(s) ' || {{ fmt_money('coalesce(a.credit_applied, 0)') }} as evidence,
        'SLA misses in ' || {{ format_date('d.credit_month', '%Y-%m') }} || ' (' || d.missed_text
            || ') give a service credit of ' || {{ fmt_money('d.credit_due') }} || ' ' || l.currency
            || ' (contract version ' || d.version_id || ', fees ' || {{ fmt_money('d.fees_amount') }}
            || case when d.cap_bites then ', capped at ' || {{ fmt_num('d.service_credit_cap_pct * 100') }} || '%' else '' end
            || '), due on the ' || {{ finding_month_text('l') }} || ' invoice, which applies '
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
)

select * from finding
where {{ finding_is_reported() }}
