-- Quality beside efficiency (domain.md "quality"): per vendor × month at three
-- grains (column `grain`), for every vendor and month with an evaluation, a
-- calibration pair or a handled contact, whatever the contract says:
--   vendor: every agent of the vendor;
--   site:   the agents of one site (site null = agents whose site is unknown,
--           so the site rows add up to the vendor row);
--   agent:  one agent (which agents drive the auto-fails).
-- Every grain rolls up the same agent-month sums (int_quality_agent_months).
with agent_months as (
    select * from {{ ref('int_quality_agent_months') }}
),

rolled as (
    select
        'vendor' as grain, vendor_id, period_month, cast(null as {{ dbt.type_string() }}) as site, cast(null as {{ dbt.type_string() }}) as agent_id,
        sum(evaluations) as evaluations, sum(qa_value_sum) as qa_value_sum, sum(qa_score_units) as qa_score_units,
        min(qa_max_units_min) as qa_max_units_min, max(qa_max_units_max) as qa_max_units_max, sum(auto_fails) as auto_fails,
        sum(calibration_pairs) as calibration_pairs, sum(calibration_gap_sum) as calibration_gap_sum,
        sum(complaints) as complaints, sum(handled_contacts) as handled_contacts
    from agent_months
    group by vendor_id, period_month

    union all

    select
        'site' as grain, vendor_id, period_month, site, cast(null as {{ dbt.type_string() }}) as agent_id,
        sum(evaluations), sum(qa_value_sum), sum(qa_score_units), min(qa_max_units_min), max(qa_max_units_max),
        sum(auto_fails),
        sum(calibration_pairs), sum(calibration_gap_sum),
        sum(complaints), sum(handled_contacts)
    from agent_months
    group by vendor_id, period_month, site

    union all

    select
        'agent' as grain, vendor_id, period_month, site, agent_id,
        evaluations, qa_value_sum, qa_score_units, qa_max_units_min, qa_max_units_max, auto_fails,
        calibration_pairs, calibration_gap_sum,
        complaints, handled_contacts
    from agent_months
)

select
    r.vendor_id,
    c.kind,
    r.period_month,
    r.grain,
    r.site,
    r.agent_id,
    cast(r.evaluations as bigint) as evaluations,
    {{ qa_score('r.evaluations', 'r.qa_value_sum', 'r.qa_score_units', 'r.qa_max_units_min', 'r.qa_max_units_max') }}
        as qa_score,
    cast(r.auto_fails as bigint) as auto_fails,
    case when r.evaluations > 0 then cast(r.auto_fails as double) / r.evaluations end as auto_fail_rate,
    cast(r.calibration_pairs as bigint) as calibration_pairs,
    case when r.calibration_pairs > 0 then r.calibration_gap_sum / r.calibration_pairs end as calibration_gap,
    cast(r.complaints as bigint) as complaints,
    cast(r.handled_contacts as bigint) as handled_contacts,
    case when r.handled_contacts > 0 then 1000.0 * r.complaints / r.handled_contacts end as complaint_rate
from rolled as r
left join {{ ref('stg_contracts') }} as c on c.vendor_id = r.vendor_id
