-- A dispute register entry that names no finding of the warehouse (a typo in
-- vendor_id / invoice_id / line_id / finding, or a finding a later invoice
-- revision removed), or whose accepted / recovered amount exceeds the amount
-- disputed when that is the finding's amount at risk (the register's own amounts
-- are checked when it is read). Severity warn: the row stays in
-- marts.dispute_status (finding_found false) and the rest builds; fix the register.
{{ config(severity='warn') }}
select
    vendor_id,
    invoice_id,
    line_id,
    finding,
    register_line,
    case
        when not finding_found then 'disputes.csv line ' || register_line || ': no finding ' || finding
            || ' on line ' || line_id || ' of invoice ' || invoice_id || ' of ' || vendor_id
        else 'disputes.csv line ' || register_line || ': accepted or recovered amount exceeds the amount disputed'
    end as problem
from {{ ref('dispute_status') }}
where not finding_found
    or amount_accepted > amount_disputed
    or amount_recovered > amount_disputed
