{{ config(materialized='table') }}
-- Each agent state interval (latest version of its record_id, stg_agent_time)
-- with the part that counts and the part that is overlap (domain.md "Worked
-- time"): per agent, intervals in order of (started_at, record_id); `covered_until`
-- is the latest end of the intervals before it in that order, so time when an
-- agent's intervals overlap counts once, in the class of the interval that
-- started first (ties: the lower record_id). The interval counts from
-- counted_from (started_at, or covered_until when that covers the start, at most
-- ended_at) to ended_at; [started_at, counted_from) is overlap, never counted.
with ordered as (
    select
        *,
        max(ended_at) over (
            partition by vendor_id, agent_id
            order by started_at, record_id
            rows between unbounded preceding and 1 preceding
        ) as covered_until
    from {{ ref('stg_agent_time') }}
)

select
    vendor_id,
    record_id,
    agent_id,
    site,
    state,
    started_at,
    ended_at,
    covered_until,
    case
        when covered_until is null or covered_until <= started_at then started_at
        else least(covered_until, ended_at)
    end as counted_from,
    _load_id,
    file_name
from ordered
