{{ config(materialized='table') }}
-- The vendor × local months int_agent_months recomputes in this build: the
-- worked-time months (int_build_worked_time_scope) and the months whose
-- interaction facts were restated (int_build_scope without the FCR look-back
-- months: an agent-month's handle time does not depend on FCR).
select vendor_id, period_month, whole_vendor, false as fcr_lookback
from {{ ref('int_build_worked_time_scope') }}
union
select vendor_id, period_month, whole_vendor, false as fcr_lookback
from {{ ref('int_build_scope') }}
where not fcr_lookback
