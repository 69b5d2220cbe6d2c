{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(scope='int_build_survey_scope') }}",
) }}
-- depends_on: {{ ref('int_build_survey_scope') }}
-- A table: the SLA actuals, the contract-month spine and esat_csat all read it.
-- Customer survey responses attributed to the surveyed interaction: survey
-- metrics take the month (contract month, vendor timezone), channel and queue
-- of the interaction, not of the response (domain.md § KPIs). A survey may
-- load before its interaction; it is counted as soon as the interaction is
-- there (the interaction's month is then restated). Surveys whose interaction
-- has not arrived (yet) cannot be attributed and are left out.
-- Incremental by vendor × contract month (tag `scoped`): a build recomputes the
-- months of int_build_survey_scope (touched interactions, new survey files,
-- changed contracts); a full build computes every month with the same SQL.
with surveys as (
    select * from {{ ref('stg_surveys') }}
    where {{ build_scope_vendors_filter(scope='int_build_survey_scope') }}
),

facts as (
    select vendor_id, interaction_id, channel, queue, period_month, agent_id
    from {{ ref('int_interaction_facts') }}
    {% if is_incremental() %}
    where {{ build_scope_vendors_filter(scope='int_build_survey_scope') }}
        and {{ in_build_scope(scope='int_build_survey_scope') }}
    {% endif %}
)

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
from surveys as s
join facts as i
    on i.vendor_id = s.vendor_id and i.interaction_id = s.interaction_id
