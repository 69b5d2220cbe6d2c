{{ config(materialized='table') }}
-- The service-credit rule (domain.md § Service credits), one row per vendor ×
-- contract month × SLA line of the version in force (int_sla_actuals), read by
-- marts.sla_compliance and by the missing_service_credit finding.
-- met: actual ≥ target for service_level, csat_top2box, nps, esat_top2box,
-- enps, fcr_rate, qa_score, containment_rate; actual ≤ target for asa_seconds, aht_seconds, abandon_rate,
-- complaint_rate, transfer_rate, qa_auto_fail_rate, qa_calibration_gap; NULL when there is no sample (not met, not missed).
-- Credits: for each missed line credit_pct × the month's fees
-- (int_monthly_fees), rounded half-even to 0.0001; when the month's total
-- exceeds service_credit_cap_pct × fees, every missed line is scaled pro rata
-- so the month's credits sum exactly to the cap (largest-remainder rounding
-- to 0.0001, ties to the lower sla_line). All credit arithmetic is done in
-- integer units of 0.0001 (HUGEINT): money never becomes a float.
-- A month without invoiced fees (in-house teams, invoice not yet in, or
-- fees ≤ 0) has fees_amount null/≤0 and credit_due_amount 0.

{% set higher_is_better = ['service_level', 'csat_top2box', 'nps', 'esat_top2box', 'enps', 'fcr_rate', 'qa_score', 'containment_rate'] %}

with actuals as (
    select * from {{ ref('int_sla_actuals') }}
),

months as (
    select * from {{ ref('int_contract_months') }}
),

fees as (
    select * from {{ ref('int_monthly_fees') }}
),

judged as (
    select
        a.*,
        m.kind,
        m.service_credit_cap_pct,
        coalesce(f.currency, m.contract_currency) as currency,
        f.fees_amount,
        case
            when a.sample_size = 0 or a.actual is null then null
            when a.metric in ('{{ higher_is_better | join("', '") }}') then a.actual >= cast(a.target as double)
            else a.actual <= cast(a.target as double)
        end as met
    from actuals as a
    join months as m
        on m.vendor_id = a.vendor_id and m.period_month = a.period_month
    left join fees as f
        on f.vendor_id = a.vendor_id and f.period_month = a.period_month
),

units as (
    select
        *,
        cast(greatest(coalesce(fees_amount, 0), 0) * 10000 as {{ int128() }}) as fees_units
    from judged
),

raw_credit as (
    select
        *,
        case when met = false
            then {{ div_half_even('cast(credit_pct * 1000000 as ' ~ int128() ~ ') * fees_units', '1000000') }}
            else cast(0 as {{ int128() }})
        end as raw_units,
        {{ div_half_even('cast(service_credit_cap_pct * 1000000 as ' ~ int128() ~ ') * fees_units', '1000000') }} as cap_units
    from units
),

month_total as (
    select
        *,
        sum(raw_units) over (partition by vendor_id, period_month) as month_raw_units
    from raw_credit
),

scaled as (
    select
        *,
        month_raw_units > cap_units as cap_bites,
        case when month_raw_units > cap_units
            then {{ int_div('raw_units * cap_units', 'month_raw_units') }} else raw_units
        end as floor_units,
        case when month_raw_units > cap_units
            then (raw_units * cap_units) % month_raw_units else cast(0 as {{ int128() }})
        end as remainder_units
    from month_total
),

distributed as (
    select
        *,
        cap_units - sum(floor_units) over (partition by vendor_id, period_month) as residual_units,
        row_number() over (
            partition by vendor_id, period_month order by remainder_units desc, sla_line
        ) as remainder_rank
    from scaled
)

select
    {{ star_except(['fees_units', 'raw_units', 'cap_units', 'month_raw_units', 'cap_bites', 'floor_units',
                    'remainder_units', 'residual_units', 'remainder_rank'],
                   replace={'fees_amount': 'cast(fees_amount as decimal(18,4))'}) }},
    cast(cast(raw_units as decimal(38,0)) * cast(0.0001 as decimal(5,4)) as decimal(18,4)) as credit_before_cap_amount,
    cast(
        cast(
            floor_units + case when cap_bites and remainder_rank <= residual_units then 1 else 0 end
        as decimal(38,0)) * cast(0.0001 as decimal(5,4))
    as decimal(18,4)) as credit_due_amount,
    coalesce(cap_bites and met = false, false) as credit_cap_applied
from distributed
