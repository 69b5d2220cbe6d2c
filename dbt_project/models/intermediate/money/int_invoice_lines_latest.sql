-- The invoice lines that count: only the highest revision of each invoice
-- (vendor_id, invoice_id), which replaces the lower ones whole (every
-- revision stays in stg_invoice_lines for marts.invoice_revisions).
with lines as (
    select
        *,
        max(revision) over (partition by vendor_id, invoice_id) as latest_revision
    from {{ ref('stg_invoice_lines') }}
)

select {{ star_except(['latest_revision', '_row_number', '_loaded_at']) }}
from lines
where revision = latest_revision
