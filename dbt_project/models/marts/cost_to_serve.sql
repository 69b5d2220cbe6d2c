-- Cost-to-serve per vendor x channel x contract month (domain.md).
-- net_cost = invoiced_amount - credits_amount - credits_due_missing, in the
-- invoice (in-house: contract) currency; net_cost_reporting converts each
-- source item at its own rate (invoice period_end / month end) and sums.
-- credits_due_missing: missing_service_credit findings (marts.unforeseen_costs)
-- in the month of the invoice that should have applied them, allocated to
-- channels by handle seconds like every channel-less amount.
-- An item without an FX rate: fx_rate_missing true, net_cost_reporting and the
-- unit costs null (test fx_rate_missing_for_cost_base warns).
-- Self-service (ivr, bot, web): a line billed on a self-service channel
-- (contained_sessions) stays on that channel's row, so self-care cost is seen
-- apart from agent-handled cost (cost_per_contained_session); channel-less
-- costs are allocated over the agent channels only (handle minutes).
-- Unit costs are in the reporting currency, half-even to 4 places; a zero
-- denominator gives null. A vendor-month with activity but no cost source
-- (no invoice yet, no cost base) has null cost columns (cost_source null).
with allocated as (
    select * from {{ ref('int_cost_allocated') }}
),

activity as (
    select * from {{ ref('int_cost_channel_activity') }}
),

costs as (
    select
        vendor_id,
        period_month,
        channel,
        any_value(currency) as currency,
        {{ string_agg_ordered('cost_source', "','", 'cost_source', distinct=true) }} as cost_source,
        sum(case when cost_kind = 'fee' then allocated_amount else 0 end) as invoiced_exact,
        -sum(case when cost_kind = 'credit' then allocated_amount else 0 end) as credits_exact,
        -sum(case when cost_kind = 'credit_missing' then allocated_amount else 0 end) as credits_missing_exact,
        -- one item without an FX rate makes the channel-month's reporting amount null (not an understatement)
        bool_or(fx_rate is null) as fx_rate_missing,
        sum(cast(allocated_amount as decimal(38,8)) * cast(fx_rate as decimal(38,8))) as net_reporting_exact
    from allocated
    group by vendor_id, period_month, channel
),

vendor_months as (
    -- months of a vendor that have a cost source at all
    select vendor_id, period_month, any_value(currency) as currency,
        {{ string_agg_ordered('cost_source', "','", 'cost_source', distinct=true) }} as cost_source
    from allocated
    group by vendor_id, period_month
),

grid as (
    select vendor_id, period_month, channel from costs
    union
    select vendor_id, period_month, channel from activity
),

joined as (
    select
        g.vendor_id,
        g.channel,
        g.period_month,
        coalesce(c.currency, vm.currency, k.currency) as currency,
        vm.cost_source,
        case when vm.vendor_id is not null then coalesce(c.invoiced_exact, 0) end as invoiced_exact,
        case when vm.vendor_id is not null then coalesce(c.credits_exact, 0) end as credits_exact,
        case when vm.vendor_id is not null then coalesce(c.credits_missing_exact, 0) end as credits_missing_exact,
        case when vm.vendor_id is not null then coalesce(c.fx_rate_missing, false) end as fx_rate_missing,
        case when vm.vendor_id is not null and not coalesce(c.fx_rate_missing, false)
            then coalesce(c.net_reporting_exact, 0) end as net_reporting_exact,
        coalesce(a.handled_contacts, 0) as handled_contacts,
        coalesce(a.resolved_contacts, 0) as resolved_contacts,
        coalesce(a.handle_seconds, 0) as handle_seconds,
        ss.sessions as self_service_sessions,
        ss.contained as contained_sessions
    from grid as g
    left join costs as c
        on c.vendor_id = g.vendor_id
        and c.period_month = g.period_month
        and c.channel is not distinct from g.channel
    left join activity as a
        on a.vendor_id = g.vendor_id
        and a.period_month = g.period_month
        and a.channel is not distinct from g.channel
    left join {{ ref('int_self_service_months') }} as ss
        on ss.vendor_id = g.vendor_id
        and ss.period_month = g.period_month
        and ss.channel = g.channel
    left join vendor_months as vm
        on vm.vendor_id = g.vendor_id
        and vm.period_month = g.period_month
    left join {{ ref('stg_contracts') }} as k
        on k.vendor_id = g.vendor_id
),

rounded as (
    select
        *,
        cast({{ round_half_even('invoiced_exact', 4) }} as decimal(18,4)) as invoiced_amount,
        cast({{ round_half_even('credits_exact', 4) }} as decimal(18,4)) as credits_amount,
        cast({{ round_half_even('credits_missing_exact', 4) }} as decimal(18,4)) as credits_due_missing,
        cast({{ round_half_even('net_reporting_exact', 4) }} as decimal(18,4)) as net_cost_reporting
    from joined
)

select
    vendor_id,
    channel,
    period_month,
    currency,
    '{{ var("reporting_currency") }}' as reporting_currency,
    cost_source,
    invoiced_amount,
    credits_amount,
    credits_due_missing,
    cast(invoiced_amount - credits_amount - credits_due_missing as decimal(18,4)) as net_cost,
    net_cost_reporting,
    fx_rate_missing,
    handled_contacts,
    resolved_contacts,
    handle_seconds,
    cast({{ decimal_div('handle_seconds', 3600, 4) }} as decimal(18,4)) as handle_hours,
    cast({{ decimal_div('net_cost_reporting', 'handled_contacts', 4) }} as decimal(18,4)) as cost_per_contact,
    cast({{ decimal_div('net_cost_reporting', 'resolved_contacts', 4) }} as decimal(18,4)) as cost_per_resolved_contact,
    cast({{ decimal_div('net_cost_reporting * 60', 'handle_seconds', 4) }} as decimal(18,4)) as cost_per_handle_minute,
    self_service_sessions,
    contained_sessions,
    cast({{ decimal_div('net_cost_reporting', 'contained_sessions', 4) }} as decimal(18,4)) as cost_per_contained_session
from rounded
