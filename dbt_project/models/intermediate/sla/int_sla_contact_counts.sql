{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(fcr_lookback=true) }}",
) }}
-- depends_on: {{ ref('int_build_scope') }}
-- The contact counts behind each contact-metric SLA line (service level, ASA,
-- AHT, abandon, transfer, complaint and FCR rates): one row per vendor ×
-- contract month × SLA line of the version in force that matches at least one
-- contact (int_sla_actuals counts 0 for a line without a row here). The one
-- SLA model that reads every interaction, hence incremental by vendor ×
-- contract month (tag `scoped`), including the FCR look-back months; a contract
-- change restates the whole vendor.
-- An SLA line with a null channel / queue covers all channels / queues.
{% set contact_metrics = sla_contact_metrics() %}

with lines as (
    select *
    from {{ ref('int_sla_lines') }}
    where metric in ('{{ contact_metrics | join("', '") }}')
    {% if is_incremental() %}
        and {{ in_build_scope(fcr_lookback=true) }}
    {% endif %}
),

-- each line with the channels and queues of its month it covers (int_interaction_activity: every
-- vendor × contract month × channel × queue with contacts), so that the contacts are joined on
-- equal keys, each to exactly the lines that count it: joined on the month alone, every contact met
-- every line of its month before the channel and queue filter (1M contacts: 6M rows, then 3.3M)
line_combos as (
    select l.*, a.channel as contact_channel, a.queue as contact_queue
    from lines as l
    join {{ ref('int_interaction_activity') }} as a
        on a.vendor_id = l.vendor_id
        and a.period_month = l.period_month
        and (l.channel is null or a.channel = l.channel)
        and (l.queue is null or a.queue = l.queue)
)

select
    l.vendor_id,
    l.period_month,
    l.sla_line,
    count(*) as offered,
    count(*) filter (where f.is_answered) as answered,
    count(*) filter (where f.is_abandoned) as abandoned,
    count(*) filter (where f.is_abandoned and f.wait_seconds < l.short_abandon_seconds) as short_abandoned,
    count(*) filter (where f.is_answered and f.wait_seconds <= l.threshold_seconds) as answered_within_threshold,
    count(*) filter (where f.is_abandoned and f.wait_seconds <= l.threshold_seconds) as abandoned_within_threshold,
    sum(f.wait_seconds) filter (where f.is_answered) as answered_wait_seconds,
    sum(f.handle_seconds) filter (where f.is_answered) as handle_seconds,
    count(*) filter (where f.is_answered and f.transferred) as transferred,
    count(*) filter (where f.is_answered and f.complaint) as complaints,
    count(*) filter (where f.is_answered and f.has_customer_ref) as fcr_repeat_basis_contacts,
    count(*) filter (where f.is_answered and not f.has_customer_ref) as fcr_disposition_basis_contacts,
    count(*) filter (
        where f.is_answered and f.has_customer_ref
        and (f.seconds_to_next_contact is null or f.seconds_to_next_contact > l.repeat_window_days * 86400)
    ) as fcr_repeat_basis_resolved,
    count(*) filter (
        where f.is_answered and not f.has_customer_ref and coalesce(f.resolved, false)
    ) as fcr_disposition_basis_resolved
from line_combos as l
join {{ ref('int_interaction_facts') }} as f
    on f.vendor_id = l.vendor_id
    and f.period_month = l.period_month
    and f.channel = l.contact_channel
    and f.queue = l.contact_queue
group by l.vendor_id, l.period_month, l.sla_line
