-- One row per vendor (outsourcers and the in-house team), from their contracts: the vendor
-- dimension every metric can be grouped by (vendor__kind, vendor__vendor_name), and a small
-- lookup table for BI.
select
    vendor_id,
    vendor_name,
    kind,
    timezone,
    currency
from {{ ref('stg_contracts') }}
