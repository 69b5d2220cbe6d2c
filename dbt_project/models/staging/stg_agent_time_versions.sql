-- Every landed version of every agent state interval (no dedupe): what the
-- incremental worked-time build scope needs to find the months a corrected
-- record used to be in (stg_agent_time keeps only the latest version).
select
    a.vendor_id,
    a.record_id,
    a.agent_id,
    a.started_at,
    a.ended_at,
    a._load_id
from {{ source('raw', 'agent_time') }} as a
