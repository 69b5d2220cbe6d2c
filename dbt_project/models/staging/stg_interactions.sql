-- Every version of every interaction as landed: a repeated (vendor_id,
-- interaction_id) is an update, resolved in int_interaction_facts (latest
-- updated_at, else the latest processed file, else the later row), which
-- is why each version carries when its file was processed.
select
    i.vendor_id,
    i.interaction_id,
    i.channel,
    i.queue,
    i.language,
    i.arrived_at,
    i.answered_at,
    i.ended_at,
    i.talk_seconds,
    i.hold_seconds,
    i.wrap_seconds,
    i.agent_id,
    i.transferred,
    i.resolved,
    i.customer_ref_hash,
    i.complaint,
    i.updated_at,
    i._load_id,
    i._row_number,
    m.processed_at as file_processed_at
from {{ source('raw', 'interactions') }} as i
join {{ source('raw', 'load_manifest') }} as m on m.load_id = i._load_id
