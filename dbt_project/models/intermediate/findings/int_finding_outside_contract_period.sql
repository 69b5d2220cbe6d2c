-- outside_contract_period: a latest-revision line whose period_month no
-- contract version covers; amount_at_risk = its amount; no other finding and
-- no tolerance (DEVELOPERS.md "Marts: shared semantics").
with finding as (
    select
        {{ finding_columns('outside_contract_period', billed='l.amount', expected='0') }},
        'No contract version of ' || l.vendor_id || ' covers ' || {{ finding_month_text('l') }} as contract_clause,
        'Invoice period ' || {{ format_date('l.period_start', '%Y-%m-%d') }} || ' to ' || {{ format_date('l.period_end', '%Y-%m-%d') }}
            || ' (month ' || {{ finding_month_text('l') }} || ') is outside every contract version' as evidence,
        'No contract version of ' || l.vendor_id || ' covers ' || {{ finding_month_text('l') }}
            || '; the line bills ' || {{ fmt_money('l.amount') }} || ' ' || l.currency
            || ' for ' || l.category || ' outside any contract period.' as detail
    from {{ ref('int_invoice_lines_classified') }} as l
    where l.is_outside_period
)

select * from finding
where {{ finding_is_reported() }}
