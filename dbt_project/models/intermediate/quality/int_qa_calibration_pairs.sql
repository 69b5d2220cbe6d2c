-- One row per interaction scored by both sides (vendor and client): each
-- side's value is the mean of its evaluations of that interaction (score /
-- max_score, auto-fail as 0, the calibration flag ignored) and the gap is
-- |vendor − client| (domain.md). The pair counts in the month of its latest
-- client evaluation (vendor timezone); its agent is the one that latest
-- client evaluation names. Evaluations without interaction_id cannot pair.
select
    vendor_id,
    interaction_id,
    {{ arg_max_of('period_month', 'evaluated_at') }} filter (where evaluator_side = 'client') as period_month,
    {{ arg_max_of('agent_id', 'evaluated_at') }} filter (where evaluator_side = 'client') as agent_id,
    any_value(channel) as channel,
    any_value(queue) as queue,
    count(*) filter (where evaluator_side = 'vendor') as vendor_evaluations,
    count(*) filter (where evaluator_side = 'client') as client_evaluations,
    avg(qa_value) filter (where evaluator_side = 'vendor') as vendor_value,
    avg(qa_value) filter (where evaluator_side = 'client') as client_value,
    abs(
        avg(qa_value) filter (where evaluator_side = 'vendor') - avg(qa_value) filter (where evaluator_side = 'client')
    ) as calibration_gap
from {{ ref('int_qa_evaluations') }}
where interaction_id is not null
group by vendor_id, interaction_id
having count(*) filter (where evaluator_side = 'vendor') > 0
    and count(*) filter (where evaluator_side = 'client') > 0
