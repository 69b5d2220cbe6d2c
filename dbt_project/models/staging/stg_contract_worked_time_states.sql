-- worked_time.states of each contract version as written: the vendor's state
-- name and its class (productive, training, paid_other, unpaid).
select
    vendor_id,
    version_id,
    state,
    work_class
from {{ source('raw', 'contract_worked_time_states') }}
