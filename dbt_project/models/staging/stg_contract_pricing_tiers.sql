select
    vendor_id,
    version_id,
    pricing_line,
    tier_number,
    lower_bound,
    up_to,
    rate,
    basis
from {{ source('raw', 'contract_pricing_tiers') }}
