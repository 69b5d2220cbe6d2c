select
    v.vendor_id,
    v.version_id,
    v.effective_from,
    v.effective_to,
    v.minimum_monthly_commitment,
    v.monthly_cost_base,
    coalesce(v.service_credit_cap_pct, 1) as service_credit_cap_pct,
    v.tolerance_quantity_pct,
    v.tolerance_amount_abs,
    c.currency as contract_currency
from {{ source('raw', 'contract_versions') }} as v
join {{ source('raw', 'contracts') }} as c using (vendor_id)
