-- Every priced, non-pass-through pricing line as a list of tiers, so one
-- engine prices flat and tiered lines alike: a flat rate is a single
-- marginal tier [0, unbounded). Tier bounds: a quantity q falls in a tier
-- when lower_bound < q <= up_to (up_to inclusive: a quantity exactly at a
-- tier edge belongs to the lower tier); up_to null = unbounded.
with pricing as (
    select * from {{ ref('stg_contract_pricing') }}
    where not passthrough
),

flat as (
    select
        vendor_id,
        version_id,
        pricing_line,
        1 as tier_number,
        cast(0 as decimal(18,4)) as lower_bound,
        cast(null as decimal(18,4)) as up_to,
        rate,
        'marginal' as basis
    from pricing
    where not is_tiered and rate is not null
),

tiered as (
    select
        t.vendor_id,
        t.version_id,
        t.pricing_line,
        t.tier_number,
        t.lower_bound,
        t.up_to,
        t.rate,
        coalesce(lower(t.basis), 'marginal') as basis
    from {{ ref('stg_contract_pricing_tiers') }} as t
    join pricing as p
        on p.vendor_id = t.vendor_id
        and p.version_id = t.version_id
        and p.pricing_line = t.pricing_line
    where p.is_tiered
)

select * from flat
union all
select * from tiered
