-- Only the highest revision of each invoice counts: it replaces the lower ones whole.
-- (Every revision stays in raw.invoice_lines for history.)
with lines as (
    select
        l.*,
        max(l.revision) over (partition by l.vendor_id, l.invoice_id) as latest_revision
    from {{ source('raw', 'invoice_lines') }} as l
)

select
    vendor_id,
    invoice_id,
    revision,
    invoice_date,
    period_start,
    period_end,
    cast(date_trunc('month', period_start) as date) as period_month,
    currency,
    line_id,
    category,
    channel,
    description,
    quantity,
    unit,
    unit_price,
    amount,
    tax_amount,
    approval_ref,
    _load_id
from lines
where revision = latest_revision
