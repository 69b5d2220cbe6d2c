{{ config(materialized='table') }}
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
with intervals as (
    select * from {{ ref('int_agent_time_intervals') }}
),

segments as (
    select vendor_id, record_id, agent_id, site, state, file_name,
        'counted' as part, counted_from as seg_start, ended_at as seg_end
    from intervals
    where ended_at > counted_from
    union all
    select vendor_id, record_id, agent_id, site, state, file_name,
        'overlap' as part, started_at as seg_start, counted_from as seg_end
    from intervals
    where counted_from > started_at
),

vendor_span as (
    select
        b.vendor_id,
        c.timezone,
        cast(date_trunc('month', timezone(c.timezone, b.first_start)) as date) as first_month,
        cast(date_trunc('month', timezone(c.timezone, b.last_end)) as date) as last_month
    from (
        select vendor_id, min(started_at) as first_start, max(ended_at) as last_end
        from intervals
        group by vendor_id
    ) as b
    join {{ ref('stg_contracts') }} as c on c.vendor_id = b.vendor_id
),

vendor_months as (
    -- the UTC instants of local midnight starting each month (and the next)
    select
        v.vendor_id,
        cast(m.period_month as date) as period_month,
        timezone(v.timezone, cast(m.period_month as timestamp)) as month_start,
        timezone(v.timezone, cast(m.period_month + interval 1 month as timestamp)) as month_end
    from vendor_span as v,
        lateral (select unnest(generate_series(v.first_month, v.last_month, interval 1 month)) as period_month) as m
),

pieces as (
    select
        s.vendor_id,
        s.record_id,
        s.agent_id,
        s.site,
        s.state,
        s.file_name,
        s.part,
        m.period_month,
        greatest(s.seg_start, m.month_start) as piece_start,
        least(s.seg_end, m.month_end) as piece_end
    from segments as s
    join vendor_months as m
        on m.vendor_id = s.vendor_id
        and m.month_start < s.seg_end
        and m.month_end > s.seg_start
),

versions as (
    select vendor_id, version_id, effective_from, effective_to
    from {{ ref('int_contract_versions') }}
)

select
    p.vendor_id,
    p.record_id,
    p.agent_id,
    p.site,
    p.state,
    p.period_month,
    v.version_id,
    w.work_class,
    p.part,
    p.piece_start,
    p.piece_end,
    -- exact elapsed seconds (microsecond resolution), never a float
    cast(epoch_us(p.piece_end) - epoch_us(p.piece_start) as decimal(38,0)) * cast('0.000001' as decimal(38,6))
        as seconds,
    p.file_name
from pieces as p
join versions as v
    on v.vendor_id = p.vendor_id
    and p.period_month >= v.effective_from
    and (v.effective_to is null or p.period_month <= v.effective_to)
join {{ ref('stg_contract_worked_time_states') }} as w
    on w.vendor_id = p.vendor_id
    and w.version_id = v.version_id
    and w.state = p.state
-- versions must not overlap (contract validation); if they ever do, the later one wins (as int_contract_months)
qualify row_number() over (
    partition by p.vendor_id, p.record_id, p.part, p.period_month order by v.effective_from desc
) = 1
