{{ config(materialized='table') }}
-- Materialized as a table: every KPI model reads it, so stg_interactions
-- (dedupe + timezone conversion) is evaluated once per build.
-- One row per interaction (latest version, from stg_interactions) with the
-- per-contact facts every KPI needs, plus the customer's next contact for FCR.
-- FCR (domain.md § KPIs): an answered contact is resolved on first contact if
-- the same customer_ref makes no further contact (any later arrived_at,
-- answered or abandoned, any month) in the same vendor and queue within the
-- SLA line's repeat_window_days. The window is a parameter of the SLA line, so
-- this model only records when the next contact arrived; int_sla_actuals
-- applies the window (window_days × 86,400 s, so DST days do not shift it).
-- Contacts without customer_ref fall back to the agent's `resolved` disposition.
with interactions as (
    select
        *,
        -- earliest contact of the same customer in the same vendor and queue that
        -- arrived strictly later (peers with the same arrived_at are excluded)
        case when customer_ref_hash is not null then
            min(arrived_at) over (
                partition by vendor_id, queue, customer_ref_hash
                order by arrived_at
                range between current row and unbounded following
                exclude group
            )
        end as next_contact_arrived_at
    from {{ ref('stg_interactions') }}
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
    next_contact_arrived_at,
    epoch(next_contact_arrived_at - arrived_at) as seconds_to_next_contact
from interactions
