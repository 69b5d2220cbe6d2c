{{ config(materialized='table') }}
-- One row per vendor × month × agent with an evaluation, a calibration pair
-- or a handled (answered) contact that month: the sums marts.quality rolls up
-- to agent, site and vendor (so every grain adds up exactly).
--   QA (domain.md): evaluations with calibration false, month of evaluated_at
--   in the vendor's timezone; calibration pairs in the month of their latest
--   client evaluation (int_qa_calibration_pairs), on the agent it names.
--   Complaints and handled contacts: answered contacts in the month of their
--   arrived_at (the contract month), by the agent who answered.
--   site: where the agent worked that month (int_agent_months: the site of
--   most of its agent time), else the site of its latest agent survey naming
--   one (int_esat_agent_sites); null when neither feed names one.
with evaluations as (
    select
        vendor_id,
        period_month,
        agent_id,
        count(*) as evaluations,
        {{ qa_score_sums('e') }},
        count(*) filter (where auto_fail) as auto_fails
    from {{ ref('int_qa_evaluations') }} as e
    where not e.calibration
    group by vendor_id, period_month, agent_id
),

pairs as (
    select
        vendor_id,
        period_month,
        agent_id,
        count(*) as calibration_pairs,
        sum(calibration_gap) as calibration_gap_sum
    from {{ ref('int_qa_calibration_pairs') }}
    group by vendor_id, period_month, agent_id
),

contacts as (
    select
        vendor_id,
        period_month,
        agent_id,
        count(*) as handled_contacts,
        count(*) filter (where complaint) as complaints
    from {{ ref('int_interaction_facts') }}
    where is_answered and agent_id is not null
    group by vendor_id, period_month, agent_id
),

agent_months as (
    select vendor_id, period_month, agent_id from evaluations
    union
    select vendor_id, period_month, agent_id from pairs
    union
    select vendor_id, period_month, agent_id from contacts
)

select
    m.vendor_id,
    m.period_month,
    m.agent_id,
    coalesce(w.site, s.site) as site,
    coalesce(e.evaluations, 0) as evaluations,
    coalesce(e.qa_value_sum, 0) as qa_value_sum,
    coalesce(e.qa_score_units, 0) as qa_score_units,
    e.qa_max_units_min,
    e.qa_max_units_max,
    coalesce(e.auto_fails, 0) as auto_fails,
    coalesce(p.calibration_pairs, 0) as calibration_pairs,
    coalesce(p.calibration_gap_sum, 0) as calibration_gap_sum,
    coalesce(c.handled_contacts, 0) as handled_contacts,
    coalesce(c.complaints, 0) as complaints
from agent_months as m
left join evaluations as e using (vendor_id, period_month, agent_id)
left join pairs as p using (vendor_id, period_month, agent_id)
left join contacts as c using (vendor_id, period_month, agent_id)
left join {{ ref('int_agent_months') }} as w
    on w.vendor_id = m.vendor_id and w.period_month = m.period_month and w.agent_id = m.agent_id
left join {{ ref('int_esat_agent_sites') }} as s
    on s.vendor_id = m.vendor_id and s.agent_id = m.agent_id
