-- History of every invoice revision ever loaded (stg_invoice_lines keeps them
-- all), one row per vendor x invoice x revision. Only the highest revision of
-- an invoice counts (it replaces the lower ones whole); the others are
-- superseded = true. findings / amount_at_risk are those of the current
-- revision in marts.unforeseen_costs (0 for superseded revisions).
with lines as (
    select
        l.*,
        m.file_name
    from {{ ref('stg_invoice_lines') }} as l
    left join {{ ref('stg_load_manifest') }} as m
        on m.load_id = l._load_id
),

revisions as (
    select
        vendor_id,
        invoice_id,
        revision,
        any_value(currency) as currency,
        min(invoice_date) as invoice_date,
        min(period_start) as period_start,
        max(period_end) as period_end,
        cast(date_trunc('month', min(period_start)) as date) as period_month,
        count(*) as lines,
        sum(amount) as total_amount,
        sum(tax_amount) as tax_amount,
        max(_loaded_at) as loaded_at,
        {{ string_agg_ordered('file_name', "', '", 'file_name', distinct=true) }} as source_files
    from lines
    group by vendor_id, invoice_id, revision
),

findings as (
    select
        vendor_id,
        invoice_id,
        revision,
        count(*) as findings,
        sum(amount_at_risk) as amount_at_risk
    from {{ ref('unforeseen_costs') }}
    group by vendor_id, invoice_id, revision
)

select
    r.vendor_id,
    c.vendor_name,
    c.currency as contract_currency,
    r.invoice_id,
    r.revision,
    max(r.revision) over (partition by r.vendor_id, r.invoice_id) as latest_revision,
    r.revision < max(r.revision) over (partition by r.vendor_id, r.invoice_id) as superseded,
    r.invoice_date,
    r.period_start,
    r.period_end,
    r.period_month,
    r.currency,
    r.lines,
    cast(r.total_amount as decimal(18,4)) as total_amount,
    cast(r.tax_amount as decimal(18,4)) as tax_amount,
    r.loaded_at,
    r.source_files,
    coalesce(f.findings, 0) as findings,
    cast(coalesce(f.amount_at_risk, 0) as decimal(18,4)) as amount_at_risk
from revisions as r
left join {{ ref('stg_contracts') }} as c
    on c.vendor_id = r.vendor_id
left join findings as f
    on f.vendor_id = r.vendor_id
    and f.invoice_id = r.invoice_id
    and f.revision = r.revision
