{{ config(materialized='table') }}
-- The vendor × contract months the scoped incremental models recompute in
-- this build (DEVELOPERS.md "Incremental builds"):
--   * whole_vendor: every month of a vendor whose contract fingerprint differs
--     from the one the marts were last built with (and every vendor on the
--     first build);
--   * otherwise the months that interaction files loaded since the last
--     successful build touch: the month of each new row, the months of the
--     earlier versions of interactions those rows update (the interaction may
--     move out of them), and the FCR look-back (months of arrived_at minus the
--     vendor's fcr_horizon_days: earlier contacts whose next contact changed).
-- Months are in the vendor's timezone, like every contract month.
-- build_state.* is the ledger the on-run hooks keep (macros/build_scope.sql),
-- not a source: it is dbt's own bookkeeping, not an input of the pipeline.
with parameters as (
    select * from {{ ref('int_vendor_build_parameters') }}
),

whole_vendors as (
    select p.vendor_id
    from parameters as p
    left join build_state.built_contracts as b on b.vendor_id = p.vendor_id
    where b.fingerprint is distinct from p.fingerprint
),

new_loads as (
    select m.load_id
    from {{ source('raw', 'load_manifest') }} as m
    where m.status = 'loaded'
        and m.feed = 'interactions'
        and not exists (
            select 1 from build_state.built_loads as b where b.load_id = m.load_id
        )
),

new_rows as (
    select i.vendor_id, i.interaction_id, i.arrived_at, i._load_id
    from {{ source('raw', 'interactions') }} as i
    where i._load_id in (select load_id from new_loads)
        and i.vendor_id not in (select vendor_id from whole_vendors)
),

earlier_versions as (
    select i.vendor_id, i.arrived_at
    from {{ source('raw', 'interactions') }} as i
    semi join new_rows as n
        on n.vendor_id = i.vendor_id and n.interaction_id = i.interaction_id
    where i._load_id not in (select load_id from new_loads)
),

touched as (
    select vendor_id, arrived_at from new_rows
    union all
    select vendor_id, arrived_at from earlier_versions
),

month_ranges as (
    select distinct
        t.vendor_id,
        {{ vendor_month('t.arrived_at - to_seconds(p.fcr_horizon_days * 86400)', 't.vendor_id') }} as first_month,
        {{ vendor_month('t.arrived_at', 't.vendor_id') }} as last_month
    from touched as t
    join parameters as p on p.vendor_id = t.vendor_id
),

months as (
    select distinct
        vendor_id,
        cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as period_month
    from month_ranges
)

select vendor_id, cast(null as date) as period_month, true as whole_vendor
from whole_vendors
union all
select vendor_id, period_month, false as whole_vendor
from months
