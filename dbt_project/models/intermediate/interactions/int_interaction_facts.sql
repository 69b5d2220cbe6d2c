{{ config(
    materialized='incremental',
    incremental_strategy='append',
    tags=['scoped'],
    pre_hook="{{ delete_build_scope(fcr_lookback_rows=true) }}",
) }}
-- depends_on: {{ ref('int_build_scope') }}
-- depends_on: {{ ref('int_build_fcr_lookback') }}
-- One row per interaction (latest version) with the per-contact facts every
-- KPI needs, plus the customer's next contact for FCR. Incremental by vendor ×
-- contract month (tag `scoped`, macros/build_scope.sql): a build recomputes
-- only the restated months of int_build_scope and the FCR look-back contacts
-- of int_build_fcr_lookback; a full build (first build, or
-- --full-refresh) computes every month, with the same SQL and the same result.
--
-- Latest version: a repeated (vendor_id, interaction_id) is an update; the
-- latest updated_at wins, else the latest loaded file, else the later row.
-- Local (vendor timezone) time and the contract month are derived here so
-- every KPI model uses the same definitions.
--
-- FCR (domain.md § KPIs): an answered contact is resolved on first contact if
-- the same customer_ref makes no further contact (any later arrived_at,
-- answered or abandoned, any month) in the same vendor and queue within the
-- SLA line's repeat_window_days. This model records the next contact that
-- arrived at most fcr_horizon_days (the vendor's longest repeat window) later,
-- which is all int_sla_actuals needs to apply each line's window (window_days
-- × 86,400 s, so DST days do not shift it) and what keeps incremental builds
-- exact: a new contact changes no fact of a contact outside its look-back.
-- Contacts without customer_ref fall back to the agent's `resolved` disposition.
{% set scoped = is_incremental() %}

with parameters as (
    select * from {{ ref('int_vendor_build_parameters') }}
),

{% if scoped %}
-- interactions with a version in a restated month or among the FCR look-back
-- contacts (int_build_fcr_lookback): every version of them
scoped_ids as (
    select i.vendor_id, i.interaction_id
    from {{ ref('stg_interactions') }} as i
    where i.vendor_id in (select vendor_id from {{ ref('int_build_scope') }})
        and {{ in_build_scope('i.vendor_id', vendor_month('i.arrived_at', 'i.vendor_id')) }}
    union
    select i.vendor_id, i.interaction_id
    from {{ ref('stg_interactions') }} as i
    {{ fcr_lookback_join('i') }}
),
{% endif %}

versions as (
    select i.*
    from {{ ref('stg_interactions') }} as i
    {% if scoped %}
    {{ semi_join() }} scoped_ids as s on s.vendor_id = i.vendor_id and s.interaction_id = i.interaction_id
    {% endif %}
),

latest as (
    select *
    from versions
    qualify row_number() over (
        partition by vendor_id, interaction_id
        order by updated_at desc nulls last, file_processed_at desc, _row_number desc
    ) = 1
),

contacts as (
    select
        l.vendor_id,
        l.interaction_id,
        l.channel,
        l.queue,
        {{ vendor_month('l.arrived_at', 'l.vendor_id') }} as period_month,
        l.arrived_at,
        {{ vendor_local_time('l.arrived_at', 'l.vendor_id') }} as arrived_at_local,
        l.answered_at,
        l.ended_at,
        l.answered_at is not null as is_answered,
        l.answered_at is null as is_abandoned,
        -- wait: until answer for answered contacts, until the customer left for abandons
        {{ seconds_between('l.arrived_at', 'coalesce(l.answered_at, l.ended_at)') }} as wait_seconds,
        case when l.answered_at is not null
            then coalesce(l.talk_seconds, 0) + coalesce(l.hold_seconds, 0) + coalesce(l.wrap_seconds, 0)
        end as handle_seconds,
        coalesce(l.transferred, false) as transferred,
        coalesce(l.complaint, false) as complaint,
        l.resolved,
        l.agent_id,
        l.customer_ref_hash,
        p.fcr_horizon_days
    from latest as l
    join parameters as p on p.vendor_id = l.vendor_id
    {% if scoped %}
    where {{ in_build_scope('l.vendor_id', vendor_month('l.arrived_at', 'l.vendor_id')) }}
        -- a look-back contact: judged on its latest version, like the rows the pre-hook deletes
        or (l.vendor_id, l.interaction_id) in (
            select x.vendor_id, x.interaction_id from latest as x {{ fcr_lookback_join('x') }}
        )
    {% endif %}
),

-- every contact that can be the next contact of one being built: on a full
-- build all of them; on a scoped build the built ones plus the kept ones (rows
-- of this table outside the scope) of the same customers up to the horizon later
candidates as (
    select *, true as is_built
    from contacts
    {% if scoped %}
    union all by name
    select t.vendor_id, t.queue, t.customer_ref_hash, t.arrived_at, false as is_built
    from {{ this }} as t
    {{ semi_join() }} (
        select vendor_id, queue, customer_ref_hash,
            min(arrived_at) as first_arrived_at,
            max(arrived_at) + {{ seconds_interval('max(fcr_horizon_days) * 86400') }} as last_relevant_at
        from contacts
        where customer_ref_hash is not null
        group by all
    ) as c
        on c.vendor_id = t.vendor_id and c.queue = t.queue and c.customer_ref_hash = t.customer_ref_hash
        and t.arrived_at > c.first_arrived_at and t.arrived_at <= c.last_relevant_at
    {% endif %}
),

with_next as (
    select
        *,
        -- earliest contact of the same customer in the same vendor and queue that arrived strictly
        -- later (timestamps are in microseconds, so 1 µs on is "later"; peers at the same instant are not)
        case when customer_ref_hash is not null then
            first_value(arrived_at) over (
                partition by vendor_id, queue, customer_ref_hash
                order by arrived_at
                range between interval 1 microsecond following and unbounded following
            )
        end as next_arrived_at
    from candidates
    qualify is_built
)

select
    vendor_id,
    interaction_id,
    channel,
    queue,
    period_month,
    arrived_at,
    arrived_at_local,
    answered_at,
    ended_at,
    is_answered,
    is_abandoned,
    wait_seconds,
    handle_seconds,
    transferred,
    complaint,
    resolved,
    agent_id,
    customer_ref_hash,
    customer_ref_hash is not null as has_customer_ref,
    -- only within the horizon (see above)
    case when {{ seconds_between('arrived_at', 'next_arrived_at') }} <= fcr_horizon_days * 86400 then next_arrived_at end
        as next_contact_arrived_at,
    case when {{ seconds_between('arrived_at', 'next_arrived_at') }} <= fcr_horizon_days * 86400
        then {{ seconds_between('arrived_at', 'next_arrived_at') }} end as seconds_to_next_contact
from with_next
