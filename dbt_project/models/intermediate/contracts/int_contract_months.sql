{{ config(materialized='table') }}
-- Spine: one row per vendor × contract month that has any data (interactions,
-- customer surveys, agent surveys, QA evaluations or invoice lines), with the contract version
-- in force: the version whose [effective_from, effective_to] (inclusive, null =
-- open-ended) covers the month's first day (DEVELOPERS.md). version_id is null
-- when no version covers the month. The one place that decides the version in
-- force: invoice lines, service credits and the in-house cost base join here.
-- Months: interactions and customer surveys by the interaction's contract
-- month (arrived_at in the vendor's timezone), agent surveys by responded_at
-- in the vendor's timezone, QA evaluations by evaluated_at in the vendor's
-- timezone, invoices by date_trunc('month', period_start).
with activity as (
    select vendor_id, period_month, 'interactions' as source, sum(offered_contacts) as items
    from {{ ref('int_interaction_activity') }}
    group by vendor_id, period_month

    union all

    select vendor_id, period_month, 'surveys' as source, count(*) as items
    from {{ ref('int_survey_responses') }}
    group by vendor_id, period_month

    union all

    select vendor_id, period_month, 'agent_surveys' as source, count(*) as items
    from {{ ref('int_agent_survey_responses') }}
    where period_month is not null
    group by vendor_id, period_month

    union all

    select vendor_id, period_month, 'qa_evaluations' as source, count(*) as items
    from {{ ref('int_qa_evaluations') }}
    group by vendor_id, period_month

    union all

    select vendor_id, period_month, 'invoice_lines' as source, count(*) as items
    from {{ ref('int_invoice_lines_latest') }}
    group by vendor_id, period_month
),

months as (
    select
        vendor_id,
        period_month,
        cast(coalesce(sum(items) filter (where source = 'interactions'), 0) as bigint) as interaction_count,
        cast(coalesce(sum(items) filter (where source = 'surveys'), 0) as bigint) as survey_count,
        cast(coalesce(sum(items) filter (where source = 'agent_surveys'), 0) as bigint) as agent_survey_count,
        cast(coalesce(sum(items) filter (where source = 'qa_evaluations'), 0) as bigint) as qa_evaluation_count,
        cast(coalesce(sum(items) filter (where source = 'invoice_lines'), 0) as bigint) as invoice_line_count
    from activity
    group by vendor_id, period_month
)

select
    m.vendor_id,
    m.period_month,
    v.version_id,
    v.effective_from as version_effective_from,
    v.effective_to as version_effective_to,
    v.service_credit_cap_pct,
    c.kind,
    c.timezone,
    c.currency as contract_currency,
    m.interaction_count,
    m.survey_count,
    m.agent_survey_count,
    m.qa_evaluation_count,
    m.invoice_line_count,
    (m.interaction_count + m.survey_count + m.agent_survey_count + m.qa_evaluation_count) > 0 as has_kpi_data
from months as m
left join {{ ref('stg_contracts') }} as c
    on c.vendor_id = m.vendor_id
left join {{ ref('int_contract_versions') }} as v
    on v.vendor_id = m.vendor_id
    and m.period_month >= v.effective_from
    and (v.effective_to is null or m.period_month <= v.effective_to)
-- versions must not overlap (contract validation); if they ever do, the later one wins
qualify row_number() over (
    partition by m.vendor_id, m.period_month order by v.effective_from desc nulls last
) = 1
