-- What the interaction logs support for each quantity-checked rate group
-- (DEVELOPERS.md "quantity_variance"): categories handled_contacts and
-- handle_minutes, per vendor x period_month x the pricing line's channel
-- (a channel-less pricing line: all channels together).
--   handled_contacts: answered contacts of that channel in the contract month;
--   handle_minutes:   sum(talk + hold + wrap seconds) of those contacts / 60,
--                     rounded half-even to 4 places.
-- Contacts come from raw.interactions after updates (int_interaction_facts:
-- latest updated_at / file wins) in their contract month (arrived_at in the vendor's
-- timezone). A group without any interaction observes 0.
with groups as (
    select * from {{ ref('int_invoice_rate_groups') }}
    where category in ('handled_contacts', 'handle_minutes')
),

activity as (
    select
        vendor_id,
        period_month,
        channel,
        handled_contacts as answered_contacts,
        handle_seconds
    from {{ ref('int_cost_channel_activity') }}
),

observed as (
    select
        g.vendor_id,
        g.period_month,
        g.category,
        g.channel,
        g.version_id,
        g.pricing_line,
        cast(coalesce(sum(a.answered_contacts), 0) as bigint) as answered_contacts,
        cast(coalesce(sum(a.handle_seconds), 0) as bigint) as handle_seconds
    from groups as g
    left join activity as a
        on a.vendor_id = g.vendor_id
        and a.period_month = g.period_month
        and (g.channel is null or a.channel = g.channel)
    group by all
)

select
    o.*,
    cast(
        case
            when o.category = 'handled_contacts' then cast(o.answered_contacts as decimal(38,4))
            else {{ decimal_div('o.handle_seconds', 60, 4) }}
        end
    as decimal(38,4)) as observed_quantity,
    'raw.interactions: '
        || case
            when o.category = 'handled_contacts' then 'answered ' || coalesce(o.channel, 'all-channel') || ' contacts'
            else 'handle minutes (talk + hold + wrap seconds / 60) of answered '
                || coalesce(o.channel, 'all-channel') || ' contacts'
           end
        || ' in ' || strftime(o.period_month, '%Y-%m') || ' (' || coalesce(c.timezone, 'UTC') || ')'
        as observed_quantity_source
from observed as o
left join {{ ref('stg_contracts') }} as c
    on c.vendor_id = o.vendor_id
