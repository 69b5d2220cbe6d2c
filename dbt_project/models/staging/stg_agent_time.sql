-- Agent state intervals; a repeated (vendor_id, record_id) is an update: the
-- row of the latest processed file wins (then the later row), as in stg_surveys.
select
    a.vendor_id,
    a.record_id,
    a.agent_id,
    a.site,
    a.state,
    a.started_at,
    a.ended_at,
    a._load_id,
    m.file_name
from {{ source('raw', 'agent_time') }} as a
join {{ source('raw', 'load_manifest') }} as m on m.load_id = a._load_id
qualify row_number() over (
    partition by a.vendor_id, a.record_id order by m.processed_at desc, a._row_number desc
) = 1
