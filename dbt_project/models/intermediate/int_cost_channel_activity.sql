-- Handled (answered) contacts per vendor x contract month (vendor timezone)
-- x channel: the denominators of cost-to-serve and the weights that allocate
-- channel-less costs (handle seconds = talk + hold + wrap).
select
    vendor_id,
    period_month,
    channel,
    count(*) as handled_contacts,
    count_if(resolved) as resolved_contacts,
    cast(sum(handle_seconds) as bigint) as handle_seconds
from {{ ref('stg_interactions') }}
where is_answered
group by vendor_id, period_month, channel
