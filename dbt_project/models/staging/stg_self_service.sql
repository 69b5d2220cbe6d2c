-- Self-service sessions; a repeated (vendor_id, session_id) is an update: the
-- row of the latest processed file wins (then the later row), as in stg_surveys.
select
    s.vendor_id,
    s.session_id,
    s.channel,
    s.started_at,
    s.ended_at,
    s.intent,
    s.outcome,
    s.interaction_id,
    s.customer_ref_hash,
    s._load_id,
    m.file_name
from {{ source('raw', 'self_service') }} as s
join {{ source('raw', 'load_manifest') }} as m on m.load_id = s._load_id
qualify row_number() over (
    partition by s.vendor_id, s.session_id order by m.processed_at desc, s._row_number desc
) = 1
