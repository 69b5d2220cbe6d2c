-- Every invoice currency must have an FX rate on or before each invoice's
-- period_end (the reporting currency converts at 1 without a row). A missing
-- rate would otherwise turn amount_at_risk_reporting / net_cost_reporting
-- into a silent null. Ingestion validates the same; this is the backstop.
{{ config(severity='error') }}
select vendor_id, invoice_id, currency, period_end
from {{ ref('int_fx_invoice_rates') }}
where fx_rate is null
