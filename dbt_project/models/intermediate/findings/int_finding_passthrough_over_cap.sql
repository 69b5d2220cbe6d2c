-- passthrough_over_cap: per vendor x month x pass-through pricing line with a
-- monthly_cap, sum(amount) of the checked lines - cap when positive, on the
-- line at which the running total (line order) first exceeds the cap.
with checked as (
    -- lines that may get the arithmetic / rate / pass-through / quantity findings
    select * from {{ ref('int_invoice_lines_classified') }}
    where is_checked
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

finding as (
    select
        {{ finding_columns('passthrough_over_cap', billed='l.month_amount', expected='l.cap') }},
        l.cap as cap_applied,
        'Version ' || l.version_id || ', pricing line ' || l.pricing_line || ': ' || l.category
            || ' at cost up to ' || {{ fmt_money('l.cap') }} || ' a month' as contract_clause,
        l.month_lines || ' ' || l.category || ' line(s) in ' || {{ finding_month_text('l') }} || ' totalling '
            || {{ fmt_money('l.month_amount') }} || '; running total '
            || {{ fmt_money('l.running_amount') }} || ' first exceeds the cap on line ' || l.line_id as evidence,
        'Pass-through ' || l.category || ' billed ' || {{ fmt_money('l.month_amount') }} || ' ' || l.currency
            || ' in ' || {{ finding_month_text('l') }} || ' against a monthly cap of '
            || {{ fmt_money('l.cap') }} || ' (contract version ' || l.version_id
            || '); the running total first exceeds the cap on this line; excess '
            || {{ fmt_money('l.month_amount - l.cap') }} || '.' as detail
    from passthrough_crossing as l
)

select * from finding
where {{ finding_is_reported() }}
