-- duplicate_line: same vendor and period_month (latest revisions, any
-- invoice), equal category, channel, quantity and amount as an earlier line in
-- line order (int_invoice_lines_classified); amount_at_risk = the duplicate's
-- amount. Duplicates are left out of every other finding's arithmetic.
with finding as (
    select
        {{ finding_columns('duplicate_line', billed='l.amount', expected='0') }},
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        'Version ' || coalesce(l.version_id, '?') || ': each service billed once' as contract_clause,
        'Same category, channel, quantity and amount as line ' || l.duplicate_of_line_id
            || ' on invoice ' || l.duplicate_of_invoice_id || ' (period ' || {{ finding_month_text('l') }} || ')' as evidence,
        'Duplicate of line ' || l.duplicate_of_line_id || ' on invoice ' || l.duplicate_of_invoice_id
            || ' for the same period ' || {{ finding_month_text('l') }}
            || ': same category ' || l.category || coalesce(', channel ' || l.channel, ', no channel')
            || ', quantity ' || {{ fmt_num('l.quantity') }}
            || ' and amount ' || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from {{ ref('int_invoice_lines_classified') }} as l
    where l.is_duplicate
)

select * from finding
where {{ finding_is_reported() }}
