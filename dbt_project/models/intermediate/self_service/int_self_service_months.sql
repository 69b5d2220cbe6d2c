{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(scope='int_build_self_service_scope') }}",
) }}
-- depends_on: {{ ref('int_build_self_service_scope') }}
-- Self-service sessions per vendor × channel (ivr, bot, web) × local month of
-- started_at (vendor timezone), by outcome (domain.md "self-service": an
-- abandoned session is not contained), with the files they came from. The
-- evidence of contained_sessions invoice lines and the base of containment_rate.
-- Incremental by vendor (tag `scoped`): a build recomputes every month of the
-- vendors of int_build_self_service_scope (new self_service files, changed
-- contracts) and nothing else; a full build computes every vendor.
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
where {{ build_scope_vendors_filter(scope='int_build_self_service_scope') }}
{% if is_incremental() %}
    and {{ in_build_scope(month_column=vendor_month('started_at'), scope='int_build_self_service_scope') }}
{% endif %}
group by all
