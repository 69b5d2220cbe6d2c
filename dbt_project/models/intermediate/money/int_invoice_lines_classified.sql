{{ config(materialized='table') }}
-- Every latest-revision invoice line with the flags that decide which
-- findings it can get (DEVELOPERS.md "Marts: shared semantics"):
--   * is_outside_period: no contract version in force for the month; such
--     lines get no other finding;
--   * is_duplicate: same vendor and period_month (any invoice), equal
--     category, channel (null-safe), quantity and amount as an earlier line
--     in line order; the first is the original. Duplicates get only
--     duplicate_line and are excluded from every other finding's arithmetic
--     (also a repeated off-contract line: the copy is a duplicate_line);
--   * is_off_contract (non-duplicates only): category (and channel) not
--     priced in the version in force (service_credit, tax and
--     minimum_commitment_shortfall are contract mechanisms, never
--     off-contract); such lines get no other finding;
--   * is_checked: none of the three: the line may get the arithmetic, rate,
--     quantity, pass-through and minimum-commitment findings.
with lines as (
    select
        *,
        not has_version as is_outside_period
    from {{ ref('int_invoice_lines_in_force') }}
),

ranked as (
    select
        *,
        -- window partitions treat nulls as equal: null-safe channel/quantity
        row_number() over dup_group as dup_rank,
        first_value(invoice_id) over dup_group as original_invoice_id,
        first_value(line_id) over dup_group as original_line_id
    from lines
    where not is_outside_period
    window dup_group as (
        partition by vendor_id, period_month, category, channel, quantity, amount
        order by line_seq
    )
),

flagged as (
    select
        l.*,
        coalesce(r.dup_rank > 1, false) as is_duplicate,
        l.has_version and not l.is_priced and not l.is_contract_mechanism
            and not coalesce(r.dup_rank > 1, false) as is_off_contract,
        case when r.dup_rank > 1 then r.original_invoice_id end as duplicate_of_invoice_id,
        case when r.dup_rank > 1 then r.original_line_id end as duplicate_of_line_id
    from lines as l
    left join ranked as r
        on r.vendor_id = l.vendor_id
        and r.invoice_id = l.invoice_id
        and r.line_id = l.line_id
)

select
    *,
    not is_outside_period and not is_off_contract and not is_duplicate as is_checked
from flagged
