-- Contract versions as written; defaults and the contract currency are added
-- in int_contract_versions.
select
    vendor_id,
    version_id,
    effective_from,
    effective_to,
    minimum_monthly_commitment,
    monthly_cost_base,
    service_credit_cap_pct,
    tolerance_quantity_pct,
    tolerance_amount_abs,
    fte_hours_per_month
from {{ source('raw', 'contract_versions') }}
