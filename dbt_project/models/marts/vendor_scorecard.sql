-- One row per vendor x contract month, outsourcers and the in-house team on
-- equal terms.
--   sla_met / sla_total: SLA lines of the version in force that were met /
--     evaluated (lines with no sample, met null, count in neither; see
--     sla_no_sample) from marts.sla_compliance;
--   csat_top2box, nps, esat (top-2-box of agent ESAT): marts.esat_csat,
--     vendor grain;
--   fcr_rate: the actual of the contract's all-channel, all-queue fcr_rate
--     SLA line (its repeat window); null when the contract has none;
--   cost_per_contact: net_cost_reporting / handled contacts over all channels
--     (marts.cost_to_serve), reporting currency;
--   amount_at_risk: sum of the month's findings (marts.unforeseen_costs),
--     reporting currency; null when a finding's FX rate is missing;
--   fx_rate_missing: some finding or cost of the month has no FX rate
--     (its reporting-currency amounts are null, never a partial sum);
--   rank (1 = best) within the month across the vendors ranked that month:
--     share of SLAs met (sla_met / sla_total) descending, then
--     cost_per_contact ascending (without a cost: after those with one);
--     equal keys share a rank. Only a vendor-month with at least one
--     evaluated SLA is ranked: a month with an invoice or surveys but no SLA
--     sample would otherwise share rank 1 with 0/0 (rank null, not ranked).
with sla as (
    select
        vendor_id,
        period_month,
        count_if(met) as sla_met,
        count(met) as sla_total,
        count_if(met is null) as sla_no_sample,
        arg_min(actual, sla_line) filter (
            where metric = 'fcr_rate' and channel is null and queue is null
        ) as fcr_rate
    from {{ ref('sla_compliance') }}
    group by vendor_id, period_month
),

satisfaction as (
    select vendor_id, period_month, csat_top2box, nps, esat_top2box as esat
    from {{ ref('esat_csat') }}
    where grain = 'vendor'
),

cost as (
    select
        vendor_id,
        period_month,
        -- null when any channel's cost lacks an FX rate (never a partial sum)
        case when bool_or(coalesce(fx_rate_missing, false)) then null else sum(net_cost_reporting) end
            as net_cost_reporting,
        bool_or(coalesce(fx_rate_missing, false)) as fx_rate_missing,
        sum(handled_contacts) as handled_contacts
    from {{ ref('cost_to_serve') }}
    group by vendor_id, period_month
),

findings as (
    select
        vendor_id,
        period_month,
        count(*) as findings,
        case when bool_or(fx_rate_missing) then null else sum(amount_at_risk_reporting) end as amount_at_risk,
        bool_or(fx_rate_missing) as fx_rate_missing
    from {{ ref('unforeseen_costs') }}
    group by vendor_id, period_month
),

grid as (
    select vendor_id, period_month from sla
    union select vendor_id, period_month from satisfaction
    union select vendor_id, period_month from cost
    union select vendor_id, period_month from findings
),

scored as (
    select
        g.vendor_id,
        c.vendor_name,
        c.kind,
        g.period_month,
        coalesce(s.sla_met, 0) as sla_met,
        coalesce(s.sla_total, 0) as sla_total,
        coalesce(s.sla_no_sample, 0) as sla_no_sample,
        cast({{ decimal_div('s.sla_met', 's.sla_total', 6) }} as decimal(9,6)) as sla_met_share,
        sat.csat_top2box,
        sat.nps,
        sat.esat,
        s.fcr_rate,
        cast({{ decimal_div('k.net_cost_reporting', 'k.handled_contacts', 4) }} as decimal(18,4)) as cost_per_contact,
        cast(case when f.vendor_id is null then 0 else f.amount_at_risk end as decimal(18,4)) as amount_at_risk,
        coalesce(f.findings, 0) as findings,
        coalesce(f.fx_rate_missing, false) or coalesce(k.fx_rate_missing, false) as fx_rate_missing
    from grid as g
    left join {{ ref('stg_contracts') }} as c on c.vendor_id = g.vendor_id
    left join sla as s on s.vendor_id = g.vendor_id and s.period_month = g.period_month
    left join satisfaction as sat on sat.vendor_id = g.vendor_id and sat.period_month = g.period_month
    left join cost as k on k.vendor_id = g.vendor_id and k.period_month = g.period_month
    left join findings as f on f.vendor_id = g.vendor_id and f.period_month = g.period_month
)

select
    *,
    '{{ var("reporting_currency") }}' as reporting_currency,
    case when sla_total > 0 then
        rank() over (
            partition by period_month, sla_total > 0
            order by sla_met_share desc, cost_per_contact asc nulls last
        )
    end as rank
from scored
