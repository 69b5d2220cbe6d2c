{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(scope='int_build_worked_time_scope') }}",
) }}
-- depends_on: {{ ref('int_build_worked_time_scope') }}
-- Each agent state interval (latest version of its record_id, stg_agent_time)
-- with the part that counts and the part that is overlap (domain.md "Worked
-- time"): per agent, intervals in order of (started_at, record_id); `covered_until`
-- is the latest end of the intervals before it in that order, so time when an
-- agent's intervals overlap counts once, in the class of the interval that
-- started first (ties: the lower record_id). The interval counts from
-- counted_from (started_at, or covered_until when that covers the start, at most
-- ended_at) to ended_at; [started_at, counted_from) is overlap, never counted.
--
-- Incremental by vendor × local month of started_at (period_month; tag `scoped`,
-- int_build_worked_time_scope): a build recomputes the intervals starting in the
-- scope's months. Their covered_until also depends on the agent's intervals of
-- earlier months kept from previous builds (an interval across a month end, a
-- long one): the look-back reads, per agent and kept month, the latest end of
-- its kept intervals. A month's intervals all start before the next month's, so
-- that one row per kept month stands in for them exactly in the running maximum.
{% set scoped = is_incremental() %}
{% set scope = 'int_build_worked_time_scope' %}

with latest as (
    select
        *,
        {{ vendor_month('started_at') }} as period_month,
        {{ vendor_month('ended_at - interval 1 microsecond') }} as end_month
    from {{ ref('stg_agent_time') }}
    {% if scoped %}
    where vendor_id in (select vendor_id from {{ ref(scope) }})
    {% endif %}
),

built as (
    select *, true as is_built
    from latest
    {% if scoped %}
    where {{ in_build_scope(scope=scope) }}
    {% endif %}
),

candidates as (
    select * from built
    {% if scoped %}
    union all by name
    -- the look-back: the latest end of the agent's kept intervals, one row per kept month before its last
    -- recomputed one (record_id null sorts after the month's real starts; no recomputed row is in that month)
    select
        t.vendor_id,
        t.agent_id,
        t.period_month,
        max(t.started_at) as started_at,
        max(t.ended_at) as ended_at,
        false as is_built
    from {{ this }} as t
    {{ semi_join() }} (
        select vendor_id, agent_id, max(period_month) as last_month from built group by vendor_id, agent_id
    ) as b
        on b.vendor_id = t.vendor_id and b.agent_id = t.agent_id and t.period_month < b.last_month
    where not {{ in_build_scope('t.vendor_id', 't.period_month', scope=scope) }}
    group by t.vendor_id, t.agent_id, t.period_month
    {% endif %}
),

ordered as (
    select
        *,
        max(ended_at) over (
            partition by vendor_id, agent_id
            order by started_at, record_id nulls last
            rows between unbounded preceding and 1 preceding
        ) as covered_until
    from candidates
)

select
    vendor_id,
    record_id,
    agent_id,
    site,
    state,
    started_at,
    ended_at,
    period_month,
    end_month,
    covered_until,
    case
        when covered_until is null or covered_until <= started_at then started_at
        else least(covered_until, ended_at)
    end as counted_from,
    _load_id,
    file_name
from ordered
where is_built
