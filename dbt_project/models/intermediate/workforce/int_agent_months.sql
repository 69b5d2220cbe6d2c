{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(scope='int_build_agent_month_scope') }}",
) }}
-- depends_on: {{ ref('int_build_agent_month_scope') }}
-- One row per vendor × agent × local month with agent time in it
-- (int_agent_time_month_parts): seconds by class, paid (productive + training
-- + paid_other), overlap, and the handle time of the agent's answered
-- contacts counted in the month of the interaction's arrived_at
-- (int_interaction_facts). The agent's site in the month is the site of most of
-- its counted time (ties: the first site by name; null when none was sent), so
-- an agent counts in one site per month.
-- Incremental by vendor × month (tag `scoped`, int_build_agent_month_scope): the
-- months whose worked time or whose interaction facts this build recomputed.
{% set scoped = is_incremental() %}
{% set scope = 'int_build_agent_month_scope' %}
with parts as (
    select * from {{ ref('int_agent_time_month_parts') }}
    {% if scoped %}
    where {{ in_build_scope(scope=scope) }}
    {% endif %}
),

by_site as (
    select vendor_id, agent_id, period_month, site, sum(seconds) as site_seconds
    from parts
    group by all
),

agent_site as (
    select vendor_id, agent_id, period_month, site
    from by_site
    qualify row_number() over (
        partition by vendor_id, agent_id, period_month order by site_seconds desc, site nulls last
    ) = 1
),

worked as (
    select
        vendor_id,
        agent_id,
        period_month,
        any_value(version_id) as version_id,
        {%- for cls in ['productive', 'training', 'paid_other', 'unpaid'] %}
        cast(coalesce(sum(seconds) filter (where part = 'counted' and work_class = '{{ cls }}'), 0)
            as decimal(38,6)) as {{ cls }}_seconds,
        {%- endfor %}
        cast(coalesce(sum(seconds) filter (where part = 'overlap'), 0) as decimal(38,6)) as overlap_seconds
    from parts
    group by vendor_id, agent_id, period_month
),

handled as (
    select
        vendor_id,
        agent_id,
        period_month,
        count(*) as handled_contacts,
        cast(sum(handle_seconds) as bigint) as handle_seconds
    from {{ ref('int_interaction_facts') }}
    where is_answered and agent_id is not null
    {%- if scoped %}
        and {{ in_build_scope(scope=scope) }}
    {%- endif %}
    group by vendor_id, agent_id, period_month
)

select
    w.vendor_id,
    w.agent_id,
    w.period_month,
    s.site,
    w.version_id,
    w.productive_seconds,
    w.training_seconds,
    w.paid_other_seconds,
    w.unpaid_seconds,
    cast(w.productive_seconds + w.training_seconds + w.paid_other_seconds as decimal(38,6)) as paid_seconds,
    w.overlap_seconds,
    cast(coalesce(h.handled_contacts, 0) as bigint) as handled_contacts,
    cast(coalesce(h.handle_seconds, 0) as bigint) as handle_seconds
from worked as w
join agent_site as s using (vendor_id, agent_id, period_month)
left join handled as h using (vendor_id, agent_id, period_month)
