-- The FX rate of each invoice: the fx_rates rate of the latest rate_date on or
-- before the invoice's period_end, for the invoice currency (domain.md).
-- The reporting currency converts at 1 when the feed has no row for it.
-- A currency with no rate on or before period_end gets a null fx_rate here;
-- the warn-severity test fx_rate_missing_for_invoice lists it and the marts
-- flag it (fx_rate_missing = true, reporting amounts null).
with invoices as (
    select distinct vendor_id, invoice_id, revision, upper(currency) as currency, period_end
    from {{ ref('int_invoice_lines_latest') }}
)

select
    i.vendor_id,
    i.invoice_id,
    i.revision,
    i.currency,
    i.period_end,
    '{{ var("reporting_currency") }}' as reporting_currency,
    f.rate_date,
    {{ fx_rate_or_identity('f.rate_to_reporting', 'i.currency') }} as fx_rate
from invoices as i
{{ asof_left_join(ref('stg_fx_rates'), 'f', [('i.currency', 'currency')], 'i.period_end', 'rate_date') }}
