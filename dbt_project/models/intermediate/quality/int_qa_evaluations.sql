{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(scope='int_build_qa_scope') }}",
) }}
-- depends_on: {{ ref('int_build_qa_scope') }}
-- One row per QA evaluation (latest load of each evaluation_id) with the QA
-- rules' inputs (domain.md "Worked time (agent_time), self-service and
-- quality"): its month (evaluated_at in the vendor's timezone) and its value
-- score / max_score, 0 where auto_fail. The evaluated interaction's channel
-- and queue (null while the interaction has not arrived) serve SLA lines that
-- name a channel or queue. A table: the SLA counts, the calibration pairs and
-- the agent months all read it. Incremental by vendor × month of evaluated_at
-- (tag `scoped`): a build recomputes the months of int_build_qa_scope (the
-- evaluations of touched interactions, new QA files, changed contracts); a full
-- build computes every month with the same SQL.
with evaluations as (
    select
        q.*,
        {{ vendor_month('q.evaluated_at', 'q.vendor_id') }} as period_month
    from {{ ref('stg_qa_evaluations') }} as q
    where {{ build_scope_vendors_filter('q.vendor_id', scope='int_build_qa_scope') }}
)

select
    q.vendor_id,
    q.evaluation_id,
    q.interaction_id,
    q.agent_id,
    q.evaluated_at,
    q.period_month,
    q.evaluator_side,
    q.form,
    q.score,
    q.max_score,
    q.auto_fail,
    q.calibration,
    -- an auto-fail counts as 0 whatever the form's score says
    case when q.auto_fail then 0.0 else cast(q.score as double) / cast(q.max_score as double) end as qa_value,
    i.channel,
    i.queue
from evaluations as q
left join (
    select vendor_id, interaction_id, channel, queue
    from {{ ref('int_interaction_facts') }}
    where {{ build_scope_vendors_filter(scope='int_build_qa_scope') }}
) as i
    on i.vendor_id = q.vendor_id and i.interaction_id = q.interaction_id
{% if is_incremental() %}
where {{ in_build_scope('q.vendor_id', 'q.period_month', scope='int_build_qa_scope') }}
{% endif %}
