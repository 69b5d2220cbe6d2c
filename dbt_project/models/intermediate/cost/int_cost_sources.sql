-- Every cost that cost-to-serve spreads over channels, before allocation, one
-- row per source item, in the currency it was billed / budgeted in:
--   * outsourcers: latest-revision invoice lines except tax; service_credit
--     lines are credits applied (negative amounts), everything else is
--     invoiced (including off-contract, duplicate and pass-through lines:
--     cost-to-serve is what was invoiced; disputes live in unforeseen_costs).
--     FX: the invoice's rate (latest rate_date on or before period_end).
--   * credits due but missing (cost_kind credit_missing): each
--     missing_service_credit finding (int_finding_missing_service_credit), as a negative
--     amount (-amount_at_risk), channel-less, in the month of the invoice that
--     should have applied it (period_month M + 1, like the credits applied on
--     that invoice), at that invoice's FX rate.
--   * in-house teams (kind in_house): the monthly_cost_base of the contract
--     version in force (int_contract_months) for each month with interactions, in contract
--     currency, converted at the latest rate on or before the month's last day.
-- channel null = to be allocated by handle minutes.
with invoice_lines as (
    select
        l.vendor_id,
        l.period_month,
        l.channel,
        'invoice' as cost_source,
        case when l.category = 'service_credit' then 'credit' else 'fee' end as cost_kind,
        l.invoice_id,
        l.line_id,
        l.currency,
        cast(l.amount as decimal(38,4)) as amount,
        fx.fx_rate
    from {{ ref('int_invoice_lines_in_force') }} as l
    left join {{ ref('int_fx_invoice_rates') }} as fx
        on fx.vendor_id = l.vendor_id
        and fx.invoice_id = l.invoice_id
    where l.category <> 'tax'
),

credits_missing as (
    -- amount_at_risk is exact to 4 places here (credit due and credits applied both are)
    select
        f.vendor_id,
        f.period_month,
        cast(null as {{ dbt.type_string() }}) as channel,
        'invoice' as cost_source,
        'credit_missing' as cost_kind,
        f.invoice_id,
        f.line_id,
        f.currency,
        -cast(f.amount_at_risk as decimal(38,4)) as amount,
        fx.fx_rate
    from {{ ref('int_finding_missing_service_credit') }} as f
    left join {{ ref('int_fx_invoice_rates') }} as fx
        on fx.vendor_id = f.vendor_id
        and fx.invoice_id = f.invoice_id
),

in_house_months as (
    select distinct a.vendor_id, a.period_month
    from {{ ref('int_interaction_activity') }} as a
    join {{ ref('stg_contracts') }} as c
        on c.vendor_id = a.vendor_id
    where c.kind = 'in_house'
),

cost_base as (
    select
        m.vendor_id,
        m.period_month,
        cast(m.period_month + interval 1 month - interval 1 day as date) as month_end,
        v.version_id,
        upper(v.contract_currency) as currency,
        cast(v.monthly_cost_base as decimal(38,4)) as amount
    from in_house_months as m
    join {{ ref('int_contract_months') }} as cm
        on cm.vendor_id = m.vendor_id
        and cm.period_month = m.period_month
    join {{ ref('int_contract_versions') }} as v
        on v.vendor_id = cm.vendor_id
        and v.version_id = cm.version_id
    where v.monthly_cost_base is not null
),

cost_base_fx as (
    select
        b.*,
        {{ fx_rate_or_identity('f.rate_to_reporting', 'b.currency') }} as fx_rate
    from cost_base as b
    {{ asof_left_join(ref('stg_fx_rates'), 'f', [('b.currency', 'currency')], 'b.month_end', 'rate_date') }}
)

select * from invoice_lines
union all
select * from credits_missing
union all
select
    vendor_id,
    period_month,
    cast(null as {{ dbt.type_string() }}) as channel,
    'cost_base' as cost_source,
    'fee' as cost_kind,
    cast(null as {{ dbt.type_string() }}) as invoice_id,
    version_id as line_id,
    currency,
    amount,
    fx_rate
from cost_base_fx
