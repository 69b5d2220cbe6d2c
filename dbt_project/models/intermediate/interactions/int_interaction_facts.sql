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
--
-- Every column of stg_interactions (every version of every contact) is read
-- once: the latest version is decided on the versions' keys alone, and only
-- for the ids landed more than once; the next contact is found on keys
-- (customer, queue, arrival) and joined back by the version's row. Sorting or
-- windowing the wide rows cost most of a build (10M contacts: 29 s of 42 s).
{% set scoped = is_incremental() %}
{#- the versions this build reads: every one, or (scoped) those of the scoped ids -#}
{% set versions_from %}
    from {{ ref('stg_interactions') }} as i
    {% if scoped -%}
    {{ semi_join() }} scoped_ids as s on s.vendor_id = i.vendor_id and s.interaction_id = i.interaction_id
    {%- endif %}
{% endset %}

with parameters as (
    select vendor_id, fcr_horizon_days
    from {{ ref('int_vendor_build_parameters') }}
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

-- ids landed more than once (updates): the only ones with a version to leave out. Each step
-- below reads only the columns it needs of the versions (a scan of a few columns is cheap; holding
-- every version's keys between the steps would cost memory at 10M contacts).
repeated_ids as (
    select i.vendor_id, i.interaction_id
    {{ versions_from }}
    group by i.vendor_id, i.interaction_id
    having count(*) > 1
),

-- the versions a later one replaces (_load_id, _row_number name one raw row)
replaced as (
    select i._load_id, i._row_number
    {{ versions_from }}
    {{ semi_join() }} repeated_ids as r on r.vendor_id = i.vendor_id and r.interaction_id = i.interaction_id
    qualify row_number() over (
        partition by i.vendor_id, i.interaction_id
        order by i.updated_at desc nulls last, i.file_processed_at desc, i._row_number desc
    ) > 1
),

-- the latest version of every id (of a vendor with a contract), keys only
latest_keys as (
    select i.vendor_id, i.interaction_id, i.queue, i.customer_ref_hash, i.arrived_at, i._load_id, i._row_number
    {{ versions_from }}
    left join replaced as x on x._load_id = i._load_id and x._row_number = i._row_number
    where x._load_id is null
        and i.vendor_id in (select vendor_id from parameters)
),

built as (
    {% if scoped %}
    -- in a restated month, or a look-back contact (judged on its latest version, like the
    -- rows the pre-hook deletes)
    select l.*
    from latest_keys as l
    where {{ in_build_scope('l.vendor_id', vendor_month('l.arrived_at', 'l.vendor_id')) }}
    union
    select l.*
    from latest_keys as l
    {{ fcr_lookback_join('l') }}
    {% else %}
    select * from latest_keys
    {% endif %}
),

-- every contact that can be the next contact of one being built, keys only: on a full build
-- all of them; on a scoped build the built ones plus the kept ones (rows of this table outside
-- the scope) of the same customers up to the horizon later
candidates as (
    select vendor_id, interaction_id, queue, customer_ref_hash, arrived_at, true as is_built
    from built
    where customer_ref_hash is not null
    {% if scoped %}
    union all
    select t.vendor_id, t.interaction_id, t.queue, t.customer_ref_hash, t.arrived_at, false as is_built
    from {{ this }} as t
    {{ semi_join() }} (
        select b.vendor_id, b.queue, b.customer_ref_hash,
            min(b.arrived_at) as first_arrived_at,
            max(b.arrived_at) + {{ seconds_interval('max(p.fcr_horizon_days) * 86400') }} as last_relevant_at
        from built as b
        join parameters as p on p.vendor_id = b.vendor_id
        where b.customer_ref_hash is not null
        group by b.vendor_id, b.queue, b.customer_ref_hash
    ) as c
        on c.vendor_id = t.vendor_id and c.queue = t.queue and c.customer_ref_hash = t.customer_ref_hash
        and t.arrived_at > c.first_arrived_at and t.arrived_at <= c.last_relevant_at
    {% endif %}
),

-- the built contacts whose customer came back within the horizon, and when
next_contacts as (
    select w.vendor_id, w.interaction_id, w.next_arrived_at
    from (
        select
            vendor_id,
            interaction_id,
            arrived_at,
            -- earliest contact of the same customer in the same vendor and queue that arrived strictly
            -- later (timestamps are in microseconds, so 1 µs on is "later"; peers at the same instant are not)
            first_value(arrived_at) over (
                partition by vendor_id, queue, customer_ref_hash
                order by arrived_at
                range between interval 1 microsecond following and unbounded following
            ) as next_arrived_at
        from candidates
        qualify is_built
    ) as w
    join parameters as p on p.vendor_id = w.vendor_id
    -- only within the horizon (see above)
    where {{ seconds_between('w.arrived_at', 'w.next_arrived_at') }} <= p.fcr_horizon_days * 86400
),

-- the one pass over every column: the built versions' rows (a full build: every row but the
-- replaced versions, a small hash table; the vendor filter is the join with parameters below)
contacts as (
    select
        l.vendor_id,
        l.interaction_id,
        l.channel,
        l.queue,
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
        l.customer_ref_hash
    from {{ ref('stg_interactions') }} as l
    {% if scoped %}
    {{ semi_join() }} built as b on b._load_id = l._load_id and b._row_number = l._row_number
    {% else %}
    left join replaced as x on x._load_id = l._load_id and x._row_number = l._row_number
    where x._load_id is null
    {% endif %}
)

select
    c.vendor_id,
    c.interaction_id,
    c.channel,
    c.queue,
    -- vendor_month(arrived_at), from the local time converted once
    cast(date_trunc('month', c.arrived_at_local) as date) as period_month,
    c.arrived_at,
    c.arrived_at_local,
    c.answered_at,
    c.ended_at,
    c.is_answered,
    c.is_abandoned,
    c.wait_seconds,
    c.handle_seconds,
    c.transferred,
    c.complaint,
    c.resolved,
    c.agent_id,
    c.customer_ref_hash,
    c.customer_ref_hash is not null as has_customer_ref,
    n.next_arrived_at as next_contact_arrived_at,
    {{ seconds_between('c.arrived_at', 'n.next_arrived_at') }} as seconds_to_next_contact
from contacts as c
-- a vendor with a contract (latest_keys holds no other)
{{ semi_join() }} parameters as p on p.vendor_id = c.vendor_id
-- a few of the contacts: a small hash table, not one entry per contact
left join next_contacts as n on n.vendor_id = c.vendor_id and n.interaction_id = c.interaction_id
