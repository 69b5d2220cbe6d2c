-- Self-service per vendor × channel (ivr, bot, web) × local month of
-- started_at (domain.md "self-service"): sessions by outcome, containment_rate
-- = contained / sessions, transfer_rate = transferred / sessions,
-- self_service_share = contained / (contained + the vendor's handled contacts
-- of the month, all agent channels). An abandoned session is not contained.
-- Ratios are exact decimals, half-even to 10 places; null without a denominator.
with sessions as (
    select * from {{ ref('int_self_service_months') }}
),

handled as (
    select vendor_id, period_month, cast(sum(answered_contacts) as bigint) as handled_contacts
    from {{ ref('int_interaction_activity') }}
    group by vendor_id, period_month
)

select
    s.vendor_id,
    s.channel,
    s.period_month,
    cast(s.sessions as bigint) as sessions,
    cast(s.contained as bigint) as contained,
    cast(s.transferred as bigint) as transferred,
    cast(s.abandoned as bigint) as abandoned,
    cast(coalesce(h.handled_contacts, 0) as bigint) as handled_contacts,
    cast({{ decimal_div('s.contained', 's.sessions', 10) }} as decimal(38,10)) as containment_rate,
    cast({{ decimal_div('s.transferred', 's.sessions', 10) }} as decimal(38,10)) as transfer_rate,
    cast({{ decimal_div('s.abandoned', 's.sessions', 10) }} as decimal(38,10)) as abandon_rate,
    cast({{ decimal_div('s.contained', 's.contained + coalesce(h.handled_contacts, 0)', 10) }} as decimal(38,10))
        as self_service_share,
    s.source_files
from sessions as s
left join handled as h
    on h.vendor_id = s.vendor_id
    and h.period_month = s.period_month
