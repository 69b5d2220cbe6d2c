-- Latest load wins for a repeated evaluation_id (an update re-sent in a later
-- file); the QA rules (month, value, calibration pairs) live in
-- intermediate/quality.
with replaced as (
    {{ replaced_versions('qa_evaluations', 'evaluation_id') }}
)

select
    q.vendor_id,
    q.evaluation_id,
    q.interaction_id,
    q.agent_id,
    q.evaluated_at,
    q.evaluator_side,
    q.form,
    q.score,
    q.max_score,
    q.auto_fail,
    q.calibration
from {{ source('raw', 'qa_evaluations') }} as q
join {{ source('raw', 'load_manifest') }} as m on m.load_id = q._load_id
left join replaced as x on x._load_id = q._load_id and x._row_number = q._row_number
where x._load_id is null
