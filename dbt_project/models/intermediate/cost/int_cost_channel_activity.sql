-- Handled (answered) contacts per vendor x contract month (vendor timezone)
-- x channel: the denominators of cost-to-serve and the weights that allocate
-- channel-less costs (handle seconds = talk + hold + wrap).
select
    vendor_id,
    period_month,
    channel,
    cast(sum(answered_contacts) as bigint) as handled_contacts,
    cast(sum(answered_resolved_contacts) as bigint) as resolved_contacts,
    cast(sum(answered_handle_seconds) as bigint) as handle_seconds
from {{ ref('int_interaction_activity') }}
group by vendor_id, period_month, channel
having sum(answered_contacts) > 0
