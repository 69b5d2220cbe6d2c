{{ config(materialized='table') }}
-- The earlier contacts whose FCR next contact the touched contacts can change,
-- per vendor × queue × customer: those that arrived at most fcr_horizon_days
-- before a touched contact of the same customer in the same queue (a new
-- contact can become their next contact; a replaced version can stop being
-- it). int_interaction_facts recomputes these rows even outside the restated
-- months, and int_sla_contact_counts the months they are in
-- (int_build_scope.fcr_lookback), so FCR stays exact without restating the
-- look-back months whole.
select
    t.vendor_id,
    t.queue,
    t.customer_ref_hash,
    min(t.arrived_at) - {{ seconds_interval('max(p.fcr_horizon_days) * 86400') }} as from_arrived_at,
    max(t.arrived_at) as to_arrived_at
from {{ ref('int_build_touched_contacts') }} as t
join {{ ref('int_vendor_build_parameters') }} as p on p.vendor_id = t.vendor_id
where t.customer_ref_hash is not null and p.fcr_horizon_days > 0
group by t.vendor_id, t.queue, t.customer_ref_hash
