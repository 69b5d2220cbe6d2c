{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope() }}",
) }}
-- depends_on: {{ ref('int_build_scope') }}
-- Contact volumes per vendor × contract month × channel × queue, from the
-- latest version of every interaction: the small table that cost-to-serve,
-- observed invoice quantities, the contract-month spine and the interval
-- parameters read instead of scanning every interaction again (and the SLA contact
-- counts, to join the contacts to their lines on equal keys). Incremental by
-- vendor × contract month like int_interaction_facts (tag `scoped`).
select
    vendor_id,
    period_month,
    channel,
    queue,
    count(*) as offered_contacts,
    count(*) filter (where is_answered) as answered_contacts,
    count(*) filter (where is_answered and resolved) as answered_resolved_contacts,
    coalesce(sum(handle_seconds) filter (where is_answered), 0) as answered_handle_seconds
from {{ ref('int_interaction_facts') }}
{% if is_incremental() %}
where {{ in_build_scope() }}
{% endif %}
group by vendor_id, period_month, channel, queue
