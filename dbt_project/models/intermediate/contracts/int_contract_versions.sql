-- Contract versions with their defaults resolved (docs/interfaces.md): no
-- service_credit_cap_pct means no cap below the month's fees (1), and with
-- the contract's currency. Versions of a vendor without a contract row are
-- left out.
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
from {{ ref('stg_contract_versions') }} as v
join {{ ref('stg_contracts') }} as c on c.vendor_id = v.vendor_id
