-- Dagster shows this test as a check of int_service_credits (it reads two models, so dagster-dbt cannot tell
-- which one it checks and warns on every run).
{{ config(meta={'dagster': {'ref': {'name': 'int_service_credits'}}}) }}
-- int_service_credits spreads the month's service credit over its missed SLA
-- lines (marts.sla_compliance shows them); missing_service_credit reuses the
-- month's sum of credit_due_amount.
-- This checks that sum against the DEVELOPERS.md rule computed independently:
--   min( sum over missed lines of round_half_even(credit_pct x fees, 4),
--        round_half_even(service_credit_cap_pct x fees, 4) )
-- with fees from int_monthly_fees (0 without fees or with fees <= 0).
with lines as (
    select
        s.vendor_id,
        s.period_month,
        s.met,
        s.credit_pct,
        s.service_credit_cap_pct,
        s.credit_due_amount,
        greatest(coalesce(f.fees_amount, 0), 0) as fees
    from {{ ref('int_service_credits') }} as s
    left join {{ ref('int_monthly_fees') }} as f
        on f.vendor_id = s.vendor_id
        and f.period_month = s.period_month
),

months as (
    select
        vendor_id,
        period_month,
        sum(credit_due_amount) as credit_due_mart,
        least(
            coalesce(sum(case when met = false then {{ round_half_even('credit_pct * fees', 4) }} end), 0),
            any_value({{ round_half_even('service_credit_cap_pct * fees', 4) }})
        ) as credit_due_rule
    from lines
    group by vendor_id, period_month
)

select *
from months
where credit_due_mart is distinct from credit_due_rule
