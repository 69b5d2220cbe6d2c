{{ config(materialized='table') }}
-- The contacts interaction files loaded since the last successful build touch
-- (DEVELOPERS.md "Incremental builds"): their new rows, and the earlier
-- versions of the interactions those rows update (the interaction may move
-- out of that version's month, queue or customer). Vendors restated whole
-- (int_vendor_build_parameters fingerprint changed) are left out: all of
-- their months are rebuilt anyway.
with parameters as (
    select * from {{ ref('int_vendor_build_parameters') }}
),

whole_vendors as (
    select vendor_id from parameters where contract_changed
),

new_loads as (
    {{ unbuilt_loads('interactions') }}
),

new_rows as (
    select i.vendor_id, i.interaction_id, i.queue, i.customer_ref_hash, i.arrived_at
    from {{ ref('stg_interactions') }} as i
    where i._load_id in (select load_id from new_loads)
        and i.vendor_id in (select vendor_id from parameters)
        and i.vendor_id not in (select vendor_id from whole_vendors)
),

earlier_versions as (
    select i.vendor_id, i.interaction_id, i.queue, i.customer_ref_hash, i.arrived_at
    from {{ ref('stg_interactions') }} as i
    {{ semi_join() }} new_rows as n
        on n.vendor_id = i.vendor_id and n.interaction_id = i.interaction_id
    where i._load_id not in (select load_id from new_loads)
)

select *, true as is_new from new_rows
union all
select *, false as is_new from earlier_versions
