-- SLA lines with their defaults resolved (domain.md § KPIs): an SLA line takes
-- short_abandon_seconds from itself, else from the same contract version's
-- service_level line for that channel, else 0; abandons defaults to
-- exclude_short, repeat_window_days to 7.
with sla as (
    select * from {{ ref('stg_contract_sla') }}
),

service_level_short as (
    select
        vendor_id,
        version_id,
        channel,
        min(short_abandon_seconds) as short_abandon_seconds
    from sla
    where metric = 'service_level' and short_abandon_seconds is not null
    group by all
)

select
    sla.vendor_id,
    sla.version_id,
    sla.sla_line,
    sla.metric,
    sla.channel,
    sla.queue,
    sla.target,
    sla.threshold_seconds,
    coalesce(sla.short_abandon_seconds, sl.short_abandon_seconds, 0) as short_abandon_seconds,
    coalesce(sla.abandons, 'exclude_short') as abandons,
    coalesce(sla.repeat_window_days, 7) as repeat_window_days,
    sla.credit_pct,
    sla.evaluator_side
from sla
left join service_level_short as sl
    on sl.vendor_id = sla.vendor_id
    and sl.version_id = sla.version_id
    and sl.channel is not distinct from sla.channel
