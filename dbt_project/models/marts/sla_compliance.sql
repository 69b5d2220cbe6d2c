-- SLA compliance: one row per vendor × contract month × SLA line of the
-- contract version in force (domain.md § KPIs, § Service credits): the actual
-- against the target (int_sla_actuals) and the service credit due
-- (int_service_credits, where the met and credit rules live).
with credits as (
    select * from {{ ref('int_service_credits') }}
)

select
    vendor_id,
    kind,
    channel,
    queue,
    period_month,
    version_id,
    sla_line,
    metric,
    target,
    actual,
    met,
    sample_size,
    threshold_seconds,
    short_abandon_seconds,
    abandons,
    repeat_window_days,
    offered,
    answered,
    abandoned,
    short_abandoned,
    answered_within_threshold,
    abandoned_within_threshold,
    fcr_basis,
    fcr_repeat_basis_contacts,
    fcr_disposition_basis_contacts,
    fcr_resolved_contacts,
    evaluator_side,
    credit_pct,
    fees_amount,
    service_credit_cap_pct,
    credit_before_cap_amount,
    credit_due_amount,
    credit_cap_applied,
    currency
from credits
