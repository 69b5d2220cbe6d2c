-- Findings on invoice lines (domain.md § Findings, DEVELOPERS.md "Marts:
-- shared semantics"), one row per finding, in invoice currency, before FX
-- and before rounding: the union of the finding models (int_finding_<type>,
-- one per finding type, each with its rule), with the columns every finding
-- has (null where a finding has no such value). Every finding keeps its evidence: the contract
-- version, the rate or cap used, the quantities (`contract_clause` and
-- `evidence` say it in words for a dispute letter).
--   outside_contract_period  no version in force          -> billed amount (no other finding)
--   off_contract_item        category not priced          -> billed amount (no other finding)
--   duplicate_line           repeat of an earlier line     -> the duplicate's amount
--   arithmetic_error         amount - quantity x unit_price, per line
--   rate_variance            per category x pricing-line channel group: sum(qty x unit_price)
--                            - contract price of sum(qty), on the group's first line
--   quantity_variance        contacts / minutes / resolved / hours / FTE / contained-session
--                            group whose billed sum(qty) exceeds its evidence
--                            x (1 + tolerance.quantity_pct) (int_finding_quantity_variance):
--                            (billed - observed) x the marginal rate of the tier the billed
--                            quantity reaches (flat rate otherwise), on the group's first line
--   passthrough_over_cap     month's sum(amount) - monthly_cap, on the line whose
--                            running total first exceeds the cap
--   unapproved_passthrough   requires_approval line without approval_ref -> billed amount
--   missing_service_credit   credit due for month M (int_service_credits) - credits applied
--                            (-sum of service_credit lines) on the invoice(s) of month M + 1,
--                            on their first service_credit line (else their first line)
--   minimum_commitment_misbilled  billed shortfall (sum of minimum_commitment_shortfall lines)
--                            - max(0, minimum_monthly_commitment - fees), on the first shortfall line
-- Duplicates are excluded from every other finding's arithmetic; lines
-- outside any contract period and off-contract lines get no other finding.
-- Only a positive amount_at_risk above tolerance.amount_abs is reported (no
-- version: tolerance 0). Signs: amount_at_risk = billed_amount - expected_amount
-- for every finding except quantity_variance, where it is rounded on its own.
{%- set finding_types = [
    'outside_contract_period',
    'off_contract_item',
    'duplicate_line',
    'arithmetic_error',
    'rate_variance',
    'quantity_variance',
    'passthrough_over_cap',
    'unapproved_passthrough',
    'missing_service_credit',
    'minimum_commitment_misbilled',
] %}

with all_findings as (
    {%- set parts = [] %}
    {%- for finding_type in finding_types %}{% do parts.append(ref('int_finding_' ~ finding_type)) %}{% endfor %}
    {{ union_all_by_name(parts) }}
)

select
    vendor_id,
    invoice_id,
    revision,
    line_id,
    line_seq,
    invoice_date,
    period_start,
    period_end,
    period_month,
    currency,
    category,
    channel,
    line_description,
    quantity,
    unit_price,
    line_amount,
    finding,
    detail,
    contract_clause,
    evidence,
    billed_amount,
    expected_amount,
    amount_at_risk,
    version_id,
    pricing_line,
    cast(contract_rate as decimal(18,4)) as contract_rate,
    pricing_basis,
    cast(tier_reached as integer) as tier_reached,
    cast(cap_applied as decimal(18,4)) as cap_applied,
    cast(billed_quantity as decimal(38,4)) as billed_quantity,
    cast(observed_quantity as decimal(38,4)) as observed_quantity,
    observed_quantity_source,
    tolerance_amount_abs,
    tolerance_quantity_pct,
    cast(minimum_commitment as decimal(18,4)) as minimum_commitment,
    cast(fees_amount as decimal(18,4)) as fees_amount,
    credit_period_month,
    cast(credit_due_amount as decimal(18,4)) as credit_due_amount,
    cast(credit_applied_amount as decimal(18,4)) as credit_applied_amount
from all_findings
