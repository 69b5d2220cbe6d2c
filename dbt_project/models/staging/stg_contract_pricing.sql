select
    vendor_id,
    version_id,
    pricing_line,
    category,
    channel,
    unit,
    rate,
    is_tiered,
    passthrough,
    monthly_cap,
    requires_approval
from {{ source('raw', 'contract_pricing') }}
