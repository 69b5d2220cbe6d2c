-- unapproved_passthrough: a checked line of a requires_approval pass-through
-- category without approval_ref; amount_at_risk = its amount (it still counts
-- towards the category's cap).
with finding as (
    select
        {{ finding_columns('unapproved_passthrough', billed='l.amount', expected='0') }},
        l.monthly_cap as cap_applied,
        cast(l.quantity as decimal(38,4)) as billed_quantity,
        'Version ' || l.version_id || ', pricing line ' || l.pricing_line || ': ' || l.category
            || ' requires the client''s approval reference' as contract_clause,
        'Line ' || l.line_id || ' carries no approval_ref' as evidence,
        'Pass-through ' || l.category || ' requires the client''s approval (contract version '
            || l.version_id || ') but the line carries no approval_ref; billed '
            || {{ fmt_money('l.amount') }} || ' ' || l.currency || '.' as detail
    from {{ ref('int_invoice_lines_classified') }} as l
    where l.is_checked and l.passthrough and l.requires_approval and nullif(trim(l.approval_ref), '') is null
)

select * from finding
where {{ finding_is_reported() }}
