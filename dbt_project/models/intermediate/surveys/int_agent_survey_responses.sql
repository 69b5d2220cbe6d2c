-- Agent (ESAT) survey responses of vendors with a contract, in the contract
-- month of responded_at in the vendor's timezone (null when responded_at is).
select
    a.*,
    {{ vendor_month('a.responded_at', 'a.vendor_id') }} as period_month
from {{ ref('stg_agent_surveys') }} as a
join {{ ref('stg_contracts') }} as c on c.vendor_id = a.vendor_id
