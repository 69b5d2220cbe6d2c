-- Latest-revision invoice lines (int_invoice_lines_latest) matched to
--   * the contract version in force for their month (int_contract_months: the
--     version whose [effective_from, effective_to] (inclusive) covers the first
--     day of period_month = date_trunc('month', period_start), DEVELOPERS.md);
--   * the pricing line of that version for their category and channel
--     (a channel-specific pricing line wins over a channel-less one).
-- line_seq numbers the vendor's lines of the period_month in line order
-- (invoice_date, invoice_id, line_id; a missing invoice_date sorts last).
with lines as (
    select * from {{ ref('int_invoice_lines_latest') }}
),

pricing as (
    select * from {{ ref('stg_contract_pricing') }}
),

with_version as (
    select
        lines.*,
        versions.version_id,
        versions.contract_currency,
        versions.tolerance_amount_abs,
        versions.tolerance_quantity_pct
    from lines
    left join {{ ref('int_contract_months') }} as months
        on months.vendor_id = lines.vendor_id
        and months.period_month = lines.period_month
    left join {{ ref('int_contract_versions') }} as versions
        on versions.vendor_id = months.vendor_id
        and versions.version_id = months.version_id
),

matched as (
    select
        w.*,
        p.pricing_line,
        p.channel as pricing_channel,
        p.rate as contract_rate,
        coalesce(p.is_tiered, false) as is_tiered,
        coalesce(p.passthrough, false) as passthrough,
        p.monthly_cap,
        coalesce(p.requires_approval, false) as requires_approval,
        p.pricing_line is not null as is_priced
    from with_version as w
    left join pricing as p
        on p.vendor_id = w.vendor_id
        and p.version_id = w.version_id
        and p.category = w.category
        and (p.channel = w.channel or p.channel is null)
    qualify row_number() over (
        partition by w.vendor_id, w.invoice_id, w.line_id
        order by (p.channel is null), p.pricing_line
    ) = 1
)

select
    *,
    version_id is not null as has_version,
    -- categories that are contract mechanisms rather than priced services:
    -- never off-contract, never rate-checked (domain.md taxonomy)
    category in ('service_credit', 'tax', 'minimum_commitment_shortfall') as is_contract_mechanism,
    row_number() over (
        partition by vendor_id, period_month
        order by invoice_date nulls last, invoice_id, line_id
    ) as line_seq
from matched
