{{ config(materialized='table') }}
-- A table: the SLA actuals, the contract-month spine and esat_csat all read it.
-- Customer survey responses attributed to the surveyed interaction: survey
-- metrics take the month (contract month, vendor timezone), channel and queue
-- of the interaction, not of the response (domain.md § KPIs). A survey may
-- load before its interaction; marts are rebuilt from raw, so it is counted
-- as soon as the interaction is there. Surveys whose interaction has not
-- arrived (yet) cannot be attributed and are left out.
select
    s.vendor_id,
    s.survey_id,
    s.interaction_id,
    s.responded_at,
    s.csat,
    s.nps,
    s.resolved_self_reported,
    i.channel,
    i.queue,
    i.period_month,
    i.agent_id,
    s.csat in (4, 5) as is_csat_top2box,
    s.nps >= 9 as is_nps_promoter,
    s.nps <= 6 as is_nps_detractor
from {{ ref('stg_surveys') }} as s
join {{ ref('int_interaction_facts') }} as i
    on i.vendor_id = s.vendor_id and i.interaction_id = s.interaction_id
