{{ config(materialized='table') }}
-- Worked time per vendor × local month (all agents): seconds and exact hours
-- by class (hours = seconds / 3600, half-even to 10 places: seconds / 3600 rarely
-- terminates; findings use the seconds), delivered FTE = paid hours /
-- fte_hours_per_month of the version in force, and the agent_time files the
-- month's time came from (dispute evidence). The evidence of the
-- productive_hours, training_hours and fte_months invoice lines.
with agents as (
    select * from {{ ref('int_agent_months') }}
),

months as (
    select
        vendor_id,
        period_month,
        {{ worked_time_sums() }}
    from agents
    group by vendor_id, period_month
),

files as (
    select vendor_id, period_month, {{ string_agg_ordered('file_name', "', '", 'file_name', distinct=true) }} as source_files
    from {{ ref('int_agent_time_month_parts') }}
    group by vendor_id, period_month
)

select
    m.vendor_id,
    m.period_month,
    m.version_id,
    m.agents,
    m.agents_without_contacts,
    {%- for c in ['productive', 'training', 'paid_other', 'unpaid', 'paid', 'overlap'] %}
    cast(m.{{ c }}_seconds as decimal(38,6)) as {{ c }}_seconds,
    {{ decimal_div('m.' ~ c ~ '_seconds', 3600, 10) }} as {{ c }}_hours,
    {%- endfor %}
    m.handle_seconds,
    m.handled_contacts,
    v.fte_hours_per_month,
    {{ decimal_div('m.paid_seconds', 'cast(v.fte_hours_per_month as decimal(38,4)) * 3600', 10) }} as delivered_fte,
    f.source_files
from months as m
left join {{ ref('stg_contract_versions') }} as v
    on v.vendor_id = m.vendor_id
    and v.version_id = m.version_id
left join files as f
    on f.vendor_id = m.vendor_id
    and f.period_month = m.period_month
