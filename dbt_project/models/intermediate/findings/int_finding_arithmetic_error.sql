-- arithmetic_error: per checked line, amount - quantity x unit_price when it
-- exceeds tolerance.amount_abs.
with finding as (
    select
        {{ finding_columns('arithmetic_error', billed='l.amount',
                           expected='cast(l.quantity as decimal(38,4)) * cast(l.unit_price as decimal(38,4))') }},
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
    from {{ ref('int_invoice_lines_classified') }} as l
    where l.is_checked and l.quantity is not null and l.unit_price is not null
)

select * from finding
where {{ finding_is_reported() }}
