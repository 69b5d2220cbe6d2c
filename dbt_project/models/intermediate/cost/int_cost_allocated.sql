-- Costs spread over channels: a cost with a channel stays on it; a cost
-- without one is allocated to the channels of the vendor's month in
-- proportion to their handle seconds (domain.md § Cost-to-serve), exact to
-- 8 decimals (half-even). When the month has no handle time at all the cost
-- stays unallocated (channel null).
with sources as (
    select * from {{ ref('int_cost_sources') }}
),

activity as (
    select * from {{ ref('int_cost_channel_activity') }}
    where handle_seconds > 0
),

month_totals as (
    select vendor_id, period_month, sum(handle_seconds) as total_handle_seconds
    from activity
    group by vendor_id, period_month
),

direct as (
    select
        s.*,
        cast(s.amount as decimal(38,8)) as allocated_amount
    from sources as s
    where s.channel is not null
),

unallocatable as (
    select
        s.*,
        cast(s.amount as decimal(38,8)) as allocated_amount
    from sources as s
    left join month_totals as t
        on t.vendor_id = s.vendor_id
        and t.period_month = s.period_month
    where s.channel is null
        and t.total_handle_seconds is null
),

allocated as (
    select
        {{ star_except(['channel'], 's') }},
        a.channel,
        {{ decimal_div('s.amount * a.handle_seconds', 't.total_handle_seconds', 8) }} as allocated_amount
    from sources as s
    join month_totals as t
        on t.vendor_id = s.vendor_id
        and t.period_month = s.period_month
    join activity as a
        on a.vendor_id = s.vendor_id
        and a.period_month = s.period_month
    where s.channel is null
)

{{ union_all_by_name(['direct', 'unallocatable', 'allocated'], columns=[
    'vendor_id', 'period_month', 'channel', 'cost_source', 'cost_kind', 'invoice_id', 'line_id', 'currency', 'amount',
    'fx_rate', 'allocated_amount']) }}
