-- SLA lines as written in the contract; their defaults (short_abandon_seconds,
-- abandons, repeat_window_days) are resolved in int_contract_sla_lines.
select
    vendor_id,
    version_id,
    sla_line,
    metric,
    channel,
    queue,
    target,
    threshold_seconds,
    short_abandon_seconds,
    abandons,
    repeat_window_days,
    credit_pct,
    evaluator_side
from {{ source('raw', 'contract_sla') }}
