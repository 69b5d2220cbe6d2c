-- Every invoice line of every revision as landed (raw.invoice_lines keeps them
-- all): which revision counts is a business rule, applied in
-- int_invoice_lines_latest. period_month: the month of period_start.
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
    _load_id,
    _row_number,
    _loaded_at
from {{ source('raw', 'invoice_lines') }}
