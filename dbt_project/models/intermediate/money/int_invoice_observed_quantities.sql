-- What the evidence supports for each quantity-checked rate group
-- (DEVELOPERS.md "quantity_variance"), per vendor x period_month x the pricing
-- line's channel (a channel-less pricing line: all channels together).
--   handled_contacts:   answered contacts of that channel in the contract month;
--   handle_minutes:     sum(talk + hold + wrap seconds) of those contacts / 60,
--                       rounded half-even to 4 places;
--   resolved_contacts:  answered contacts with `resolved` of that channel;
--   productive_hours, training_hours: worked seconds of that class / 3600
--                       (int_worked_time_months: month split, DST, overlaps);
--   fte_months:         delivered FTE = paid seconds / (3600 x fte_hours_per_month);
--   contained_sessions: self-service sessions `contained` of that channel
--                       (ivr, bot, web; channel-less = all) in the local month.
-- Contacts come from raw.interactions after updates (int_interaction_facts:
-- latest updated_at / file wins) in their contract month (arrived_at in the vendor's
-- timezone). A handled_contacts / handle_minutes group without any interaction
-- observes 0 (as before evidence billing); the evidence categories have a row
-- only where their feed has data for the vendor and month (no evidence loaded:
-- no row, so no finding; marts.billed_vs_worked says so). The exact quantity
-- is observed_exact_numerator / observed_exact_denominator (hours and FTE rarely
-- terminate): the finding compares and prices with it; observed_quantity is
-- that, half-even to 4 places, for display.
with groups as (
    select * from {{ ref('int_invoice_rate_groups') }}
    where category in ('handled_contacts', 'handle_minutes', 'resolved_contacts', 'productive_hours',
                       'training_hours', 'fte_months', 'contained_sessions')
),

activity as (
    select
        vendor_id,
        period_month,
        channel,
        sum(offered_contacts) as offered_contacts,
        sum(answered_contacts) as answered_contacts,
        sum(answered_resolved_contacts) as resolved_contacts,
        sum(answered_handle_seconds) as handle_seconds
    from {{ ref('int_interaction_activity') }}
    group by vendor_id, period_month, channel
),

interaction_groups as (
    select
        g.vendor_id,
        g.period_month,
        g.category,
        g.channel,
        g.version_id,
        g.pricing_line,
        'interactions' as evidence_feed,
        cast(coalesce(sum(a.answered_contacts), 0) as bigint) as answered_contacts,
        cast(coalesce(sum(a.handle_seconds), 0) as bigint) as handle_seconds,
        cast(coalesce(sum(a.resolved_contacts), 0) as bigint) as resolved_contacts
    from groups as g
    left join activity as a
        on a.vendor_id = g.vendor_id
        and a.period_month = g.period_month
        and (g.channel is null or a.channel = g.channel)
    where g.category in ('handled_contacts', 'handle_minutes', 'resolved_contacts')
    group by all
    -- resolved contacts: only where interactions of the month were loaded
    having g.category <> 'resolved_contacts' or coalesce(sum(a.offered_contacts), 0) > 0
),

interaction_observed as (
    select
        {{ star_except(['evidence_feed'], 'o') }},
        o.evidence_feed,
        cast(
            case
                when o.category = 'handled_contacts' then cast(o.answered_contacts as decimal(38,4))
                when o.category = 'resolved_contacts' then cast(o.resolved_contacts as decimal(38,4))
                else {{ decimal_div('o.handle_seconds', 60, 4) }}
            end
        as decimal(38,12)) as observed_exact_numerator,
        cast(1 as decimal(38,4)) as observed_exact_denominator,
        'raw.interactions: '
            || case
                when o.category = 'handled_contacts' then 'answered ' || coalesce(o.channel, 'all-channel') || ' contacts'
                when o.category = 'resolved_contacts' then 'answered ' || coalesce(o.channel, 'all-channel')
                    || ' contacts with resolved = true'
                else 'handle minutes (talk + hold + wrap seconds / 60) of answered '
                    || coalesce(o.channel, 'all-channel') || ' contacts'
               end
            || ' in ' || {{ format_date('o.period_month', '%Y-%m') }} || ' (' || coalesce(c.timezone, 'UTC') || ')'
            as observed_quantity_source
    from interaction_groups as o
    left join {{ ref('stg_contracts') }} as c
        on c.vendor_id = o.vendor_id
),

worked_observed as (
    -- agent time of the vendor's month, whatever the pricing line's channel (agent_time has none)
    select
        g.vendor_id,
        g.period_month,
        g.category,
        g.channel,
        g.version_id,
        g.pricing_line,
        cast(null as bigint) as answered_contacts,
        cast(null as bigint) as handle_seconds,
        cast(null as bigint) as resolved_contacts,
        'agent_time' as evidence_feed,
        cast(
            case g.category
                when 'productive_hours' then w.productive_seconds
                when 'training_hours' then w.training_seconds
                else w.paid_seconds
            end
        as decimal(38,12)) as observed_exact_numerator,
        cast(
            case when g.category = 'fte_months' then 3600 * cast(w.fte_hours_per_month as decimal(38,4)) else 3600 end
        as decimal(38,4)) as observed_exact_denominator,
        'raw.agent_time: '
            || case g.category
                when 'productive_hours' then 'productive hours (seconds / 3600)'
                when 'training_hours' then 'training hours (seconds / 3600)'
                else 'delivered FTE (paid hours ' || {{ fmt_num('w.paid_hours') }} || ' / '
                    || {{ fmt_num('w.fte_hours_per_month') }} || ' hours per FTE)'
               end
            || ' of ' || w.agents || ' agent(s) in ' || {{ format_date('g.period_month', '%Y-%m') }}
            || ' (' || coalesce(c.timezone, 'UTC') || ', split at local month ends, overlaps counted once); hours by class: '
            || 'productive ' || {{ fmt_num('w.productive_hours') }} || ', training ' || {{ fmt_num('w.training_hours') }}
            || ', paid_other ' || {{ fmt_num('w.paid_other_hours') }} || ', unpaid ' || {{ fmt_num('w.unpaid_hours') }}
            || ', overlap not counted ' || {{ fmt_num('w.overlap_hours') }}
            || case when w.delivered_fte is not null then '; delivered FTE ' || {{ fmt_num('w.delivered_fte') }} else '' end
            || '; files: ' || coalesce(w.source_files, '-') as observed_quantity_source
    from groups as g
    join {{ ref('int_worked_time_months') }} as w
        on w.vendor_id = g.vendor_id
        and w.period_month = g.period_month
    left join {{ ref('stg_contracts') }} as c
        on c.vendor_id = g.vendor_id
    where g.category in ('productive_hours', 'training_hours', 'fte_months')
        -- no fte_hours_per_month in the version: no FTE evidence
        and (g.category <> 'fte_months' or w.fte_hours_per_month > 0)
),

self_service_months as (
    select vendor_id, period_month, channel, contained, source_files
    from {{ ref('int_self_service_months') }}
),

self_service_observed as (
    select
        g.vendor_id,
        g.period_month,
        g.category,
        g.channel,
        g.version_id,
        g.pricing_line,
        cast(null as bigint) as answered_contacts,
        cast(null as bigint) as handle_seconds,
        cast(null as bigint) as resolved_contacts,
        'self_service' as evidence_feed,
        cast(coalesce(sum(s.contained) filter (where g.channel is null or s.channel = g.channel), 0)
            as decimal(38,12)) as observed_exact_numerator,
        cast(1 as decimal(38,4)) as observed_exact_denominator,
        'raw.self_service: ' || coalesce(g.channel, 'all-channel') || ' sessions with outcome contained in '
            || {{ format_date('g.period_month', '%Y-%m') }} || ' (' || coalesce(any_value(c.timezone), 'UTC') || '); files: '
            || coalesce({{ string_agg_ordered('s.source_files', "', '", 's.source_files', distinct=true,
                filter='g.channel is null or s.channel = g.channel') }}, '-') as observed_quantity_source
    from groups as g
    -- any session of the vendor's month means the feed was loaded for it
    join self_service_months as s
        on s.vendor_id = g.vendor_id
        and s.period_month = g.period_month
    left join {{ ref('stg_contracts') }} as c
        on c.vendor_id = g.vendor_id
    where g.category = 'contained_sessions'
    group by g.vendor_id, g.period_month, g.category, g.channel, g.version_id, g.pricing_line
),

observed as (
    {{ union_all_by_name(['interaction_observed', 'worked_observed', 'self_service_observed'], columns=[
        'vendor_id', 'period_month', 'category', 'channel', 'version_id', 'pricing_line', 'answered_contacts',
        'handle_seconds', 'resolved_contacts', 'evidence_feed', 'observed_exact_numerator',
        'observed_exact_denominator', 'observed_quantity_source']) }}
)

select
    vendor_id,
    period_month,
    category,
    channel,
    version_id,
    pricing_line,
    answered_contacts,
    handle_seconds,
    resolved_contacts,
    evidence_feed,
    observed_exact_numerator,
    observed_exact_denominator,
    cast({{ decimal_div('observed_exact_numerator', 'observed_exact_denominator', 4) }} as decimal(38,4))
        as observed_quantity,
    observed_quantity_source
from observed
