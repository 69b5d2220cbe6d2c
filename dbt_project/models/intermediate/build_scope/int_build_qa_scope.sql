{{ config(materialized='table') }}
-- The vendor × months (evaluated_at in the vendor's timezone) int_qa_evaluations
-- recomputes in this build (DEVELOPERS.md "Incremental builds"). An evaluation
-- row takes its month from evaluated_at and the channel and queue from the
-- evaluated interaction's facts, so it changes when:
--   * its interaction is touched (arrives after the evaluation, is updated or
--     moved; int_build_touched_contacts): the months of the evaluations of
--     those interactions, wherever evaluated_at falls;
--   * the vendor's contract changes (timezone, hence months): whole vendor;
--   * the evaluation itself is loaded or re-sent (an update by evaluation_id
--     may move evaluated_at to another month): every month of the vendors with
--     a qa_evaluations file loaded since the last successful build (the load's
--     vendor is the rows' vendor: a file lands in its vendor's folder).
with whole_vendors as (
    select vendor_id from {{ ref('int_vendor_build_parameters') }} where contract_changed
    union
    select m.vendor_id
    from {{ ref('stg_load_manifest') }} as m
    where m.load_id in ({{ unbuilt_loads('qa_evaluations') }}) and m.vendor_id is not null
),

touched_evaluations as (
    select distinct q.vendor_id, {{ vendor_month('q.evaluated_at', 'q.vendor_id') }} as period_month
    from {{ ref('stg_qa_evaluations') }} as q
    {{ semi_join() }} {{ ref('int_build_touched_contacts') }} as t
        on t.vendor_id = q.vendor_id and t.interaction_id = q.interaction_id
    where q.vendor_id not in (select vendor_id from whole_vendors)
)

select vendor_id, cast(null as date) as period_month, true as whole_vendor, false as fcr_lookback
from whole_vendors
union all
select vendor_id, period_month, false as whole_vendor, false as fcr_lookback
from touched_evaluations
