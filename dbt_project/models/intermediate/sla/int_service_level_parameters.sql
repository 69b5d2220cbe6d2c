-- Service-level parameters per vendor × contract month × channel × queue that
-- has interactions, for the interval mart: the service_level SLA line of the
-- version in force that covers the channel and queue. A line naming the
-- channel wins over an all-channels line, a line naming the queue wins over an
-- all-queues line, then the lower sla_line. When no line covers them (or no
-- version is in force) the defaults apply: threshold 20 s, short abandons
-- < 0 s (none), abandons exclude_short (is_default_parameters = true).
with combos as (
    select vendor_id, period_month, channel, queue
    from {{ ref('int_interaction_activity') }}
),

candidates as (
    select
        c.vendor_id,
        c.period_month,
        c.channel,
        c.queue,
        m.version_id,
        s.sla_line,
        s.threshold_seconds,
        s.short_abandon_seconds,
        s.abandons
    from combos as c
    left join {{ ref('int_contract_months') }} as m
        on m.vendor_id = c.vendor_id and m.period_month = c.period_month
    left join {{ ref('int_contract_sla_lines') }} as s
        on s.vendor_id = m.vendor_id
        and s.version_id = m.version_id
        and s.metric = 'service_level'
        and (s.channel is null or s.channel = c.channel)
        and (s.queue is null or s.queue = c.queue)
    qualify row_number() over (
        partition by c.vendor_id, c.period_month, c.channel, c.queue
        order by (s.channel is null), (s.queue is null), s.sla_line
    ) = 1
)

select
    vendor_id,
    period_month,
    channel,
    queue,
    version_id,
    sla_line,
    coalesce(threshold_seconds, 20) as threshold_seconds,
    coalesce(short_abandon_seconds, 0) as short_abandon_seconds,
    coalesce(abandons, 'exclude_short') as abandons,
    sla_line is null as is_default_parameters
from candidates
