-- The pricing engine: the contract price of each rate group's total monthly
-- quantity Q under the version in force (domain.md § Pricing).
--   * flat rate: rate x Q (a single marginal tier);
--   * marginal tiers: sum over tiers of rate x (quantity falling in
--     (lower_bound, up_to]);
--   * basis whole: when the tier reached has basis 'whole', the whole Q at
--     that tier's rate.
-- The tier reached is the one with lower_bound < Q <= up_to (up_to
-- inclusive, null = unbounded); for Q <= 0 the first tier.
-- marginal_rate is the rate of the tier reached (used for quantity variance).
with groups as (
    select * from {{ ref('int_invoice_rate_groups') }}
),

tiers as (
    select * from {{ ref('int_pricing_schedule') }}
),

priced as (
    select
        g.vendor_id,
        g.period_month,
        g.category,
        g.channel,
        g.version_id,
        g.pricing_line,
        g.billed_quantity as quantity,
        t.tier_number,
        t.lower_bound,
        t.up_to,
        t.rate,
        t.basis,
        -- quantity of Q falling in this tier
        greatest(
            cast(0 as decimal(38,4)),
            least(g.billed_quantity, coalesce(cast(t.up_to as decimal(38,4)), g.billed_quantity)) - t.lower_bound
        ) as tier_quantity,
        (g.billed_quantity > t.lower_bound and (t.up_to is null or g.billed_quantity <= t.up_to))
            or (g.billed_quantity <= 0 and t.tier_number = 1) as is_tier_reached
    from groups as g
    join tiers as t
        on t.vendor_id = g.vendor_id
        and t.version_id = g.version_id
        and t.pricing_line = g.pricing_line
),

summed as (
    select
        vendor_id,
        period_month,
        category,
        channel,
        version_id,
        pricing_line,
        any_value(quantity) as quantity,
        count(*) as tier_count,
        sum(cast(rate as decimal(38,4)) * tier_quantity) as marginal_amount,
        max(case when is_tier_reached then tier_number end) as tier_reached,
        max(case when is_tier_reached then rate end) as marginal_rate,
        max(case when is_tier_reached then basis end) as tier_basis
    from priced
    group by all
)

select
    vendor_id,
    period_month,
    category,
    channel,
    version_id,
    pricing_line,
    quantity,
    tier_count,
    tier_reached,
    tier_basis,
    marginal_rate,
    case
        when tier_basis = 'whole' then cast(marginal_rate as decimal(38,4)) * quantity
        else marginal_amount
    end as expected_amount
from summed
