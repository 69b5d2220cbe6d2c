{{ config(materialized='table') }}
-- The vendors whose self-service months int_self_service_months recomputes in
-- this build, every month of each (DEVELOPERS.md "Incremental builds"): those
-- whose contract changed (timezone, hence months) and those with a
-- self_service file loaded since the last successful build (the load's vendor
-- is the rows' vendor: a file lands in its vendor's folder). Whole vendors,
-- not months: a session re-sent by session_id may have moved to another month,
-- and staging keeps only its latest version, so the month it leaves is not
-- known; a vendor's sessions are a small share of a build.
select vendor_id, cast(null as date) as period_month, true as whole_vendor, false as fcr_lookback
from {{ ref('int_vendor_build_parameters') }}
where contract_changed
union
select m.vendor_id, cast(null as date) as period_month, true as whole_vendor, false as fcr_lookback
from {{ ref('stg_load_manifest') }} as m
where m.load_id in ({{ unbuilt_loads('self_service') }}) and m.vendor_id is not null
