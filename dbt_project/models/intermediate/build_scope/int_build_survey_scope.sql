{{ config(materialized='table') }}
-- The vendor × contract months int_survey_responses recomputes in this build
-- (DEVELOPERS.md "Incremental builds"). A response row takes the month,
-- channel, queue and agent of its interaction's facts, so it changes when:
--   * its interaction is touched (loaded later than the survey, updated, moved
--     to another month): the restated months of int_build_scope hold both the
--     month it leaves and the one it enters (FCR look-back months are left
--     out: a response reads no FCR fact);
--   * the vendor's contract changes (timezone, hence months): whole vendor;
--   * the survey itself is loaded or re-sent (an update by survey_id may even
--     name another interaction, whose month the last build cannot tell):
--     every month of the vendors with a survey file loaded since the last
--     successful build (the load's vendor is the rows' vendor: a file lands
--     in its vendor's folder).
select vendor_id, period_month, whole_vendor, false as fcr_lookback
from {{ ref('int_build_scope') }}
where not fcr_lookback
union
select m.vendor_id, cast(null as date) as period_month, true as whole_vendor, false as fcr_lookback
from {{ ref('stg_load_manifest') }} as m
where m.load_id in ({{ unbuilt_loads('surveys') }}) and m.vendor_id is not null
