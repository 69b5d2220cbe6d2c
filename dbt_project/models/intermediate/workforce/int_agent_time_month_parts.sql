{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(scope='int_build_worked_time_scope') }}",
) }}
-- depends_on: {{ ref('int_build_worked_time_scope') }}
-- Worked time per agent interval and local month, classified (domain.md
-- "Worked time"): the counted and the overlap part of each interval
-- (int_agent_time_intervals) cut at local midnight of each month's first day
-- in the vendor's timezone; each part goes to its month. Durations are real
-- elapsed time (UTC instants), so a DST night's interval is an hour shorter
-- or longer than its wall clock. Seconds are exact DECIMAL (microseconds
-- kept). Each part is classified by the contract version in force in its
-- month (first day within [effective_from, effective_to], as int_contract_months
-- decides; that spine is built from other feeds, so the rule is applied here
-- on int_contract_versions) and its worked_time.states; a part no version
-- classifies is left out (the loader checks states only where a version is in force).
-- Only the intervals that cross a local month start are joined to the months;
-- the version is looked up once per vendor-month (4M intervals: a range join of
-- every interval and a window over every part ran out of the 1.5 GB build memory).
-- Incremental by vendor × part month (tag `scoped`, int_build_worked_time_scope):
-- a build recomputes the parts in the scope's months, from every interval that
-- reaches into them (those that started in an earlier, kept month included).
{% set scoped = is_incremental() %}
{% set scope = 'int_build_worked_time_scope' %}
with intervals as (
    select i.*
    from {{ ref('int_agent_time_intervals') }} as i
    {% if scoped %}
    {{ semi_join() }} {{ ref(scope) }} as s
        on s.vendor_id = i.vendor_id
        and (s.whole_vendor or s.period_month between i.period_month and i.end_month)
    {% endif %}
),

segments as (
    -- with the local months of the interval's start and end (int_agent_time_intervals)
    select vendor_id, record_id, agent_id, site, state, file_name,
        'counted' as part, counted_from as seg_start, ended_at as seg_end,
        period_month as interval_month, end_month as interval_end_month
    from intervals
    where ended_at > counted_from
    union all
    select vendor_id, record_id, agent_id, site, state, file_name,
        'overlap' as part, started_at as seg_start, counted_from as seg_end,
        period_month as interval_month, end_month as interval_end_month
    from intervals
    where counted_from > started_at
),

vendor_span as (
    select
        b.vendor_id,
        c.timezone,
        cast(date_trunc('month', {{ utc_to_local('b.first_start', 'c.timezone') }}) as date) as first_month,
        cast(date_trunc('month', {{ utc_to_local('b.last_end', 'c.timezone') }}) as date) as last_month
    from (
        select vendor_id, min(started_at) as first_start, max(ended_at) as last_end
        from intervals
        group by vendor_id
    ) as b
    join {{ ref('stg_contracts') }} as c on c.vendor_id = b.vendor_id
),

vendor_months as (
    -- the UTC instants of local midnight starting each month (and the next), and the
    -- version in force that month: a handful of rows per vendor
    select
        v.vendor_id,
        cast(m.period_month as date) as period_month,
        {{ local_to_utc('cast(m.period_month as timestamp)', 'v.timezone') }} as month_start,
        {{ local_to_utc('cast(m.period_month + interval 1 month as timestamp)', 'v.timezone') }} as month_end,
        cv.version_id
    from vendor_span as v,
        lateral (select {{ month_series('v.first_month', 'v.last_month') }} as period_month) as m
    join {{ ref('int_contract_versions') }} as cv
        on cv.vendor_id = v.vendor_id
        and cast(m.period_month as date) >= cv.effective_from
        and (cv.effective_to is null or cast(m.period_month as date) <= cv.effective_to)
    -- versions must not overlap (contract validation); if they ever do, the later one wins (as int_contract_months)
    qualify row_number() over (partition by v.vendor_id, m.period_month order by cv.effective_from desc) = 1
),

segments_monthed as (
    -- the local month of each end (the end is exclusive: an interval ending at midnight stays in its month).
    -- A segment lies between its interval's start and end, so in an interval within one month (nearly
    -- all) both ends are in that month: only the few intervals across a month start are converted
    -- (two time zone conversions per interval cost most of this model)
    select
        *,
        interval_month as start_month,
        interval_month as end_month
    from segments
    where interval_month = interval_end_month
    union all
    select
        *,
        {{ vendor_month('seg_start') }} as start_month,
        {{ vendor_month('seg_end - interval 1 microsecond') }} as end_month
    from segments
    where interval_month <> interval_end_month
),

pieces as (
    -- most intervals lie within one month: no join for them
    select
        s.vendor_id, s.record_id, s.agent_id, s.site, s.state, s.file_name, s.part,
        s.start_month as period_month, s.seg_start as piece_start, s.seg_end as piece_end
    from segments_monthed as s
    where s.start_month = s.end_month

    union all

    -- an interval across local midnight at a month's end: one piece per month
    select
        s.vendor_id, s.record_id, s.agent_id, s.site, s.state, s.file_name, s.part,
        m.period_month,
        greatest(s.seg_start, m.month_start) as piece_start,
        least(s.seg_end, m.month_end) as piece_end
    from segments_monthed as s
    join vendor_months as m
        on m.vendor_id = s.vendor_id
        and m.period_month between s.start_month and s.end_month
    where s.start_month <> s.end_month
)

select
    p.vendor_id,
    p.record_id,
    p.agent_id,
    p.site,
    p.state,
    p.period_month,
    m.version_id,
    w.work_class,
    p.part,
    p.piece_start,
    p.piece_end,
    -- exact elapsed seconds (microsecond resolution), never a float
    cast({{ epoch_microseconds('p.piece_end') }} - {{ epoch_microseconds('p.piece_start') }} as decimal(38,0)) * cast('0.000001' as decimal(38,6))
        as seconds,
    p.file_name
from pieces as p
join vendor_months as m
    on m.vendor_id = p.vendor_id
    and m.period_month = p.period_month
join {{ ref('stg_contract_worked_time_states') }} as w
    on w.vendor_id = p.vendor_id
    and w.version_id = m.version_id
    and w.state = p.state
{% if scoped %}
where {{ in_build_scope('p.vendor_id', 'p.period_month', scope=scope) }}
{% endif %}
