-- minimum_commitment_misbilled: billed shortfall (sum of
-- minimum_commitment_shortfall lines) - max(0, minimum_monthly_commitment -
-- fees), on the first shortfall line; a billed shortfall without a contract
-- minimum is misbilled.
with checked as (
    -- lines that may get the arithmetic / rate / pass-through / quantity findings
    select * from {{ ref('int_invoice_lines_classified') }}
    where is_checked
),

versions as (
    select * from {{ ref('int_contract_versions') }}
),

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

finding as (
    select
        {{ finding_columns('minimum_commitment_misbilled', billed='b.billed_shortfall',
                           expected='greatest(0, coalesce(v.minimum_monthly_commitment, 0) - coalesce(f.fees_amount, 0))') }},
        cast(v.minimum_monthly_commitment as decimal(38,4)) as minimum_commitment,
        cast(coalesce(f.fees_amount, 0) as decimal(38,4)) as fees_amount,
        'Version ' || l.version_id || ': minimum monthly commitment '
            || coalesce({{ fmt_money('v.minimum_monthly_commitment') }}, 'none') as contract_clause,
        'Fees of ' || {{ finding_month_text('l') }} || ' (priced, non-pass-through lines, latest revisions) '
            || {{ fmt_money('coalesce(f.fees_amount, 0)') }} || '; shortfall billed '
            || {{ fmt_money('b.billed_shortfall') }} || ' over ' || b.shortfall_lines || ' line(s)' as evidence,
        'Minimum commitment shortfall billed ' || {{ fmt_money('b.billed_shortfall') }} || ' ' || l.currency
            || ' for ' || {{ finding_month_text('l') }} || ' but the month''s fees are '
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
)

select * from finding
where {{ finding_is_reported() }}
