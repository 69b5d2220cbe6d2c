-- Rate-variance groups: vendor x period_month x category x channel over the
-- non-duplicate lines of priced, non-pass-through categories. The channel is
-- the pricing line's: lines of several channels priced by one channel-less
-- pricing line form one group (its tiers apply to the category's month
-- quantity); a channel-specific pricing line groups its channel only.
-- billed_amount = sum(quantity x unit_price); the group's first line in
-- line order carries the finding.
with lines as (
    select * from {{ ref('int_invoice_lines_classified') }}
    where is_priced
        and not passthrough
        and not is_duplicate
        and not is_outside_period
        and not is_off_contract
)

select
    vendor_id,
    period_month,
    category,
    pricing_channel as channel,
    version_id,
    pricing_line,
    any_value(tolerance_amount_abs) as tolerance_amount_abs,
    count(*) as line_count,
    sum(cast(quantity as decimal(38,4))) as billed_quantity,
    sum(cast(quantity as decimal(38,4)) * cast(unit_price as decimal(38,4))) as billed_amount,
    min(line_seq) as first_line_seq
from lines
group by vendor_id, period_month, category, pricing_channel, version_id, pricing_line
