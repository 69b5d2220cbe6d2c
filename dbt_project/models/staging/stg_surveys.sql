-- Latest load wins for a repeated survey_id.
with replaced as (
    {{ replaced_versions('surveys', 'survey_id') }}
)

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
left join replaced as x on x._load_id = s._load_id and x._row_number = s._row_number
where x._load_id is null
