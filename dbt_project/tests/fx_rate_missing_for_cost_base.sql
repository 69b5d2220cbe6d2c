-- fx_rate_missing for cost-to-serve items: an in-house monthly cost base (or
-- any cost item) in a currency with no fx_rates rate on or before the month's
-- last day / the invoice's period_end. marts.cost_to_serve shows
-- fx_rate_missing = true and a null net_cost_reporting for that vendor-month.
-- Severity warn, like fx_rate_missing_for_invoice.
{{ config(severity='warn') }}
select
    vendor_id,
    period_month,
    cost_source,
    currency,
    'fx_rate_missing: no ' || currency || ' rate to {{ var("reporting_currency") }} for the '
        || cost_source || ' cost of ' || vendor_id || ' in ' || {{ format_date('period_month', '%Y-%m') }} as problem
from {{ ref('int_cost_sources') }}
where fx_rate is null
group by all
