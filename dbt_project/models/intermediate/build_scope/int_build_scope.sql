{{ config(materialized='table') }}
-- The vendor × contract months the scoped incremental models recompute in
-- this build (DEVELOPERS.md "Incremental builds"):
--   * whole_vendor: every month of a vendor whose contract fingerprint differs
--     from the one the marts were last built with (and every vendor on the
--     first build);
--   * restated months: the months of the touched contacts (new rows and the
--     earlier versions they replace, int_build_touched_contacts);
--   * fcr_lookback months: months that only hold earlier contacts whose next
--     contact may change (int_build_fcr_lookback): only the FCR counts of
--     those months are recomputed (int_sla_contact_counts).
-- Months are in the vendor's timezone, like every contract month.
with whole_vendors as (
    select vendor_id from {{ ref('int_vendor_build_parameters') }} where contract_changed
),

restated as (
    select distinct vendor_id, {{ vendor_month('arrived_at') }} as period_month
    from {{ ref('int_build_touched_contacts') }}
),

lookback_ranges as (
    select distinct
        vendor_id,
        {{ vendor_month('from_arrived_at') }} as first_month,
        {{ vendor_month('to_arrived_at') }} as last_month
    from {{ ref('int_build_fcr_lookback') }}
),

lookback as (
    select distinct
        vendor_id,
        {{ month_series('first_month', 'last_month') }} as period_month
    from lookback_ranges
)

select vendor_id, cast(null as date) as period_month, true as whole_vendor, false as fcr_lookback
from whole_vendors
union all
select vendor_id, period_month, false as whole_vendor, false as fcr_lookback
from restated
union all
select vendor_id, period_month, false as whole_vendor, true as fcr_lookback
from lookback
where not exists (
    select 1 from restated as r where r.vendor_id = lookback.vendor_id and r.period_month = lookback.period_month
)
