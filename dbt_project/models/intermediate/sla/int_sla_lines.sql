-- The SLA lines to evaluate: one row per vendor × contract month × SLA line
-- of the version in force, for every month with interaction or survey data
-- (int_contract_months), with only the parameters the line's metric uses
-- (defaults resolved in int_contract_sla_lines). Shared by int_sla_contact_counts and
-- int_sla_actuals.
with months as (
    select *
    from {{ ref('int_contract_months') }}
    where version_id is not null and has_kpi_data
)

select
    m.vendor_id,
    m.period_month,
    m.version_id,
    s.sla_line,
    s.metric,
    s.channel,
    s.queue,
    s.target,
    -- only the parameters the metric uses (defaults resolved in int_contract_sla_lines)
    case when s.metric = 'service_level' then s.threshold_seconds end as threshold_seconds,
    case when s.metric in ('service_level', 'abandon_rate') then s.short_abandon_seconds end as short_abandon_seconds,
    case when s.metric = 'service_level' then s.abandons end as abandons,
    case when s.metric = 'fcr_rate' then s.repeat_window_days end as repeat_window_days,
    s.credit_pct,
    -- null = both sides
    case when s.metric in ('qa_score', 'qa_auto_fail_rate') then s.evaluator_side end as evaluator_side
from months as m
join {{ ref('int_contract_sla_lines') }} as s
    on s.vendor_id = m.vendor_id and s.version_id = m.version_id
