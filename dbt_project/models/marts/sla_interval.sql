{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope() }}",
) }}
-- depends_on: {{ ref('int_build_scope') }}
-- Interval view: vendor × channel × queue × 30-minute interval of the vendor's
-- wall clock. interval_start_local is the local half hour (hh:00 or hh:30);
-- interval_start is the instant it starts: arrived_at minus the local minutes
-- past the half hour and the local seconds, which stays right across DST
-- changes (a fall-back night has two intervals with the same local start and
-- different instants) and in zones with :30/:45 offsets.
-- Parameters (threshold, short abandons, abandons treatment) come from
-- int_service_level_parameters (the channel's service_level SLA line of the
-- version in force for the interval's contract month; defaults 20 s / 0 s /
-- exclude_short when there is none).
-- Incremental by vendor × contract month (tag `scoped`, macros/build_scope.sql):
-- a build recomputes only the months new interaction files touch.
with facts as (
    select
        *,
        date_trunc('hour', arrived_at_local)
            + {{ minutes_interval(int_div('minute(arrived_at_local)', '30') ~ ' * 30') }} as interval_start_local
    from {{ ref('int_interaction_facts') }}
    {% if is_incremental() %}
    where {{ in_build_scope() }}
    {% endif %}
),

keyed as (
    select
        f.*,
        -- arrived_at - (arrived_at_local - interval_start_local), in microseconds
        {{ instant_from_epoch_microseconds(
            epoch_microseconds('f.arrived_at') ~ ' - (' ~ epoch_microseconds('f.arrived_at_local')
            ~ ' - ' ~ epoch_microseconds('f.interval_start_local') ~ ')'
        ) }} as interval_start,
        p.version_id,
        p.sla_line,
        p.threshold_seconds,
        p.short_abandon_seconds,
        p.abandons,
        p.is_default_parameters
    from facts as f
    join {{ ref('int_service_level_parameters') }} as p
        on p.vendor_id = f.vendor_id
        and p.period_month = f.period_month
        and p.channel = f.channel
        and p.queue = f.queue
),

counts as (
    select
        vendor_id,
        channel,
        queue,
        interval_start,
        interval_start_local,
        period_month,
        version_id,
        sla_line,
        threshold_seconds,
        short_abandon_seconds,
        abandons,
        is_default_parameters,
        -- Service level is a voice and chat measure (domain.md): email has a threshold only
        -- when its contract states a service_level line for it; otherwise the default 20 s
        -- would report a meaningless 0 %, so the threshold, the counts against it, service level
        -- and its sample stay null.
        not (channel = 'email' and is_default_parameters) as threshold_applies,
        count(*) as offered,
        count(*) filter (where is_answered) as answered,
        count(*) filter (where is_abandoned) as abandoned,
        count(*) filter (where is_abandoned and wait_seconds < short_abandon_seconds) as short_abandoned,
        count(*) filter (where is_answered and wait_seconds <= threshold_seconds) as answered_within_threshold,
        count(*) filter (where is_abandoned and wait_seconds <= threshold_seconds) as abandoned_within_threshold,
        avg(wait_seconds) filter (where is_answered) as asa_seconds,
        avg(handle_seconds) filter (where is_answered) as aht_seconds
    from keyed
    group by all
)

select
    vendor_id,
    channel,
    queue,
    interval_start,
    interval_start_local,
    period_month,
    offered,
    answered,
    abandoned,
    short_abandoned,
    case when threshold_applies then answered_within_threshold end as answered_within_threshold,
    case when threshold_applies then abandoned_within_threshold end as abandoned_within_threshold,
    case when threshold_applies then
        case abandons
            when 'exclude_short' then offered - short_abandoned
            when 'exclude_all' then answered
            else offered
        end
    end as service_level_sample_size,
    case when threshold_applies then
        cast(
            case abandons when 'count_for_within'
                then answered_within_threshold + abandoned_within_threshold
                else answered_within_threshold
            end as double
        ) / nullif(
            case abandons
                when 'exclude_short' then offered - short_abandoned
                when 'exclude_all' then answered
                else offered
            end, 0
        )
    end as service_level,
    asa_seconds,
    aht_seconds,
    case when threshold_applies then threshold_seconds end as threshold_seconds,
    short_abandon_seconds,
    abandons,
    version_id,
    sla_line,
    is_default_parameters
from counts
