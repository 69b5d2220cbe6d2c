{{ config(materialized='table') }}
-- The vendor × local months the worked-time models (intermediate/workforce,
-- tag `scoped`) recompute in this build (DEVELOPERS.md "Incremental builds"):
--   * whole_vendor: every month of a vendor whose contract fingerprint changed
--     (int_vendor_build_parameters: worked_time states and fte_hours_per_month
--     included), and every vendor on the first build;
--   * else every month spanned by a touched interval: the agent_time rows
--     loaded since the last successful build and every earlier version of the
--     same record_ids (a corrected interval leaves the months it was in).
-- Why the spans suffice: adding or removing an interval [s, e) of an agent can
-- only change the overlap of that agent's intervals starting in [s, e), and only
-- within [s, e) (each counts from the latest end of the ones before it); the
-- models that recompute a month read the kept intervals of earlier months for
-- that running latest end (the look-back).
with parameters as (
    select * from {{ ref('int_vendor_build_parameters') }}
),

new_loads as (
    {{ unbuilt_loads('agent_time') }}
),

touched_ids as (
    select distinct v.vendor_id, v.record_id
    from {{ ref('stg_agent_time_versions') }} as v
    where v._load_id in (select load_id from new_loads)
        and v.vendor_id in (select vendor_id from parameters where not contract_changed)
),

spans as (
    -- every version of the touched records, new and earlier; the end is exclusive
    select distinct
        v.vendor_id,
        {{ vendor_month('v.started_at', 'v.vendor_id') }} as first_month,
        {{ vendor_month('v.ended_at - interval 1 microsecond', 'v.vendor_id') }} as last_month
    from {{ ref('stg_agent_time_versions') }} as v
    {{ semi_join() }} touched_ids as t on t.vendor_id = v.vendor_id and t.record_id = v.record_id
),

months as (
    select distinct
        vendor_id,
        {{ month_series('first_month', 'last_month') }} as period_month
    from spans
)

select vendor_id, cast(null as date) as period_month, true as whole_vendor, false as fcr_lookback
from parameters
where contract_changed
union all
select vendor_id, period_month, false as whole_vendor, false as fcr_lookback
from months
