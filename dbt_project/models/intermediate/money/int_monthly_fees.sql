-- The month's fees, the base for service credits (domain.md): amounts of that
-- month's invoice lines in priced, non-pass-through categories, after
-- revisions, before credits and tax. In contract (invoice) currency.
select
    vendor_id,
    period_month,
    any_value(currency) as currency,
    sum(amount) as fees_amount
from {{ ref('int_invoice_lines_in_force') }}
where is_priced
    and not passthrough
    and category not in ('service_credit', 'tax', 'minimum_commitment_shortfall')
group by vendor_id, period_month
