{{ config(materialized='table') }}
-- Self-service sessions per vendor × channel (ivr, bot, web) × local month of
-- started_at (vendor timezone), by outcome (domain.md "self-service": an
-- abandoned session is not contained), with the files they came from. The
-- evidence of contained_sessions invoice lines and the base of containment_rate.
select
    vendor_id,
    channel,
    {{ vendor_month('started_at') }} as period_month,
    count(*) as sessions,
    count(*) filter (where outcome = 'contained') as contained,
    count(*) filter (where outcome = 'transferred') as transferred,
    count(*) filter (where outcome = 'abandoned') as abandoned,
    {{ string_agg_ordered('file_name', "', '", 'file_name', distinct=true) }} as source_files
from {{ ref('stg_self_service') }}
group by all
