-- Latest load wins for a repeated survey_id.
select
    s.vendor_id,
    s.survey_id,
    s.interaction_id,
    s.responded_at,
    s.csat,
    s.nps,
    s.resolved_self_reported,
    s.has_comment
from {{ source('raw', 'surveys') }} as s
join {{ source('raw', 'load_manifest') }} as m on m.load_id = s._load_id
qualify row_number() over (
    partition by s.vendor_id, s.survey_id order by m.processed_at desc, s._row_number desc
) = 1
