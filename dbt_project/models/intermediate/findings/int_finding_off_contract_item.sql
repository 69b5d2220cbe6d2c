-- off_contract_item: category (and channel) not priced in the version in
-- force (service_credit, tax and minimum_commitment_shortfall never are);
-- amount_at_risk = the line's amount; such a line gets no other finding,
-- except that a repeat of it is a duplicate_line.
with finding as (
    select
        {{ finding_columns('off_contract_item', billed='l.amount', expected='0') }},
        'Version ' || l.version_id || ': category ' || l.category || coalesce(' (' || l.channel || ')', '')
            || ' not priced' as contract_clause,
        'Category ''' || l.category || '''' || coalesce(' (channel ' || l.channel || ')', '')
            || ' billed on line ' || l.line_id as evidence,
        'Category ''' || l.category || '''' || coalesce(' (channel ' || l.channel || ')', '')
            || ' is not priced in contract version ' || l.version_id
            || '; the line bills ' || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from {{ ref('int_invoice_lines_classified') }} as l
    where l.is_off_contract
)

select * from finding
where {{ finding_is_reported() }}
