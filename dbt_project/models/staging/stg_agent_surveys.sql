-- Latest load wins for a repeated response_id (the contract month is derived
-- in int_agent_survey_responses).
select
    a.vendor_id,
    a.response_id,
    a.agent_id,
    a.site,
    a.responded_at,
    a.esat,
    a.enps
from {{ source('raw', 'agent_surveys') }} as a
join {{ source('raw', 'load_manifest') }} as m on m.load_id = a._load_id
qualify row_number() over (
    partition by a.vendor_id, a.response_id order by m.processed_at desc, a._row_number desc
) = 1
