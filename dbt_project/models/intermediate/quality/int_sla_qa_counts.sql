-- The counts behind the QA SLA metrics, one row per vendor × contract month ×
-- qa_* SLA line of the version in force (int_sla_lines); int_sla_actuals turns
-- them into actual and sample_size (domain.md):
--   qa_score, qa_auto_fail_rate: evaluations with calibration false of the
--     month (evaluated_at, vendor timezone) from the line's evaluator_side
--     (null = both sides);
--   qa_calibration_gap: interactions scored by both sides, in the month of
--     their latest client evaluation (evaluator_side does not apply).
-- A line naming a channel or queue counts only evaluations (pairs) of
-- interactions of that channel / queue that have arrived.
with lines as (
    select * from {{ ref('int_sla_lines') }}
    where metric in ('qa_score', 'qa_auto_fail_rate', 'qa_calibration_gap')
),

evaluations as (
    select
        l.vendor_id,
        l.period_month,
        l.sla_line,
        count(e.evaluation_id) as qa_evaluations,
        {{ qa_score_sums('e') }},
        count(*) filter (where e.auto_fail) as qa_auto_fails
    from lines as l
    left join {{ ref('int_qa_evaluations') }} as e
        on e.vendor_id = l.vendor_id
        and e.period_month = l.period_month
        and not e.calibration
        and (l.evaluator_side is null or e.evaluator_side = l.evaluator_side)
        and (l.channel is null or e.channel = l.channel)
        and (l.queue is null or e.queue = l.queue)
    where l.metric in ('qa_score', 'qa_auto_fail_rate')
    group by l.vendor_id, l.period_month, l.sla_line
),

pairs as (
    select
        l.vendor_id,
        l.period_month,
        l.sla_line,
        count(p.interaction_id) as calibration_pairs,
        sum(p.calibration_gap) as calibration_gap_sum
    from lines as l
    left join {{ ref('int_qa_calibration_pairs') }} as p
        on p.vendor_id = l.vendor_id
        and p.period_month = l.period_month
        and (l.channel is null or p.channel = l.channel)
        and (l.queue is null or p.queue = l.queue)
    where l.metric = 'qa_calibration_gap'
    group by l.vendor_id, l.period_month, l.sla_line
)

select
    l.vendor_id,
    l.period_month,
    l.sla_line,
    e.qa_evaluations,
    -- rounded to 12 places: a mean of floating-point quotients that is exactly the target (a number of
    -- at most 6 places) then compares equal to it, so met is judged on the exact value
    round(
        {{ qa_score('e.qa_evaluations', 'e.qa_value_sum', 'e.qa_score_units', 'e.qa_max_units_min', 'e.qa_max_units_max') }},
        12
    ) as qa_score,
    e.qa_auto_fails,
    p.calibration_pairs,
    round(p.calibration_gap_sum / nullif(p.calibration_pairs, 0), 12) as calibration_gap
from lines as l
left join evaluations as e using (vendor_id, period_month, sla_line)
left join pairs as p using (vendor_id, period_month, sla_line)
