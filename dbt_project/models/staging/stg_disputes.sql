-- The dispute register as the user wrote it (contracts folder, disputes.csv):
-- one row per finding, keyed like marts.unforeseen_costs. Amounts left empty
-- stay null here; their defaults are the mart's rule.
select
    vendor_id,
    invoice_id,
    line_id,
    finding,
    status,
    sent_on,
    resolved_on,
    amount_disputed,
    amount_accepted,
    amount_recovered,
    reference,
    note,
    register_line,
    sha256 as register_sha256
from {{ source('raw', 'disputes') }}
