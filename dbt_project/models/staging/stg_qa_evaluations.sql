-- Latest load wins for a repeated evaluation_id (an update re-sent in a later
-- file); the QA rules (month, value, calibration pairs) live in
-- intermediate/quality.
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
qualify row_number() over (
    partition by q.vendor_id, q.evaluation_id order by m.processed_at desc, q._row_number desc
) = 1
