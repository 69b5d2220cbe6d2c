-- One row per (vendor, interaction_id): a repeated id is an update; the latest
-- updated_at wins, else the latest loaded file, else the later row.
-- Local (vendor timezone) time, contract month and derived flags live here so
-- every KPI model uses the same definitions.
with latest as (
    select i.*
    from {{ source('raw', 'interactions') }} as i
    join {{ source('raw', 'load_manifest') }} as m on m.load_id = i._load_id
    qualify row_number() over (
        partition by i.vendor_id, i.interaction_id
        order by i.updated_at desc nulls last, m.processed_at desc, i._row_number desc
    ) = 1
)

select
    l.vendor_id,
    l.interaction_id,
    l.channel,
    l.queue,
    l.language,
    l.arrived_at,
    l.answered_at,
    l.ended_at,
    timezone(c.timezone, l.arrived_at) as arrived_at_local,
    cast(date_trunc('month', timezone(c.timezone, l.arrived_at)) as date) as period_month,
    l.answered_at is not null as is_answered,
    l.answered_at is null as is_abandoned,
    -- wait: until answer for answered contacts, until the customer left for abandons
    epoch(coalesce(l.answered_at, l.ended_at) - l.arrived_at) as wait_seconds,
    case when l.answered_at is not null
        then coalesce(l.talk_seconds, 0) + coalesce(l.hold_seconds, 0) + coalesce(l.wrap_seconds, 0)
    end as handle_seconds,
    l.talk_seconds,
    l.hold_seconds,
    l.wrap_seconds,
    l.agent_id,
    coalesce(l.transferred, false) as transferred,
    l.resolved,
    l.customer_ref_hash,
    coalesce(l.complaint, false) as complaint,
    l.updated_at,
    l._load_id
from latest as l
join {{ source('raw', 'contracts') }} as c on c.vendor_id = l.vendor_id
