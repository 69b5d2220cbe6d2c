select
    vendor_id,
    name as vendor_name,
    kind,
    timezone,
    currency
from {{ source('raw', 'contracts') }}
