-- A report card per vendor x contract month, outsourcers and the in-house
-- team on equal terms (the same columns, components and weights).
--   sla_met / sla_total: SLA lines of the version in force that were met /
--     evaluated (lines with no sample, met null, count in neither; see
--     sla_no_sample) from marts.sla_compliance;
--   qa_score, auto_fail_rate, complaint_rate (+ evaluations, complaints,
--     handled_contacts): marts.quality, vendor grain (both evaluator sides);
--   containment_rate: contained / self-service sessions of the month, all
--     self-service channels (int_self_service_months); null without sessions;
--   delivered_fte, billed_fte, shrinkage, occupancy (domain.md "Worked time"):
--     from the month's agent time (int_worked_time_months: paid hours /
--     fte_hours_per_month, 1 - productive / paid, handle time / productive
--     time) and the fte_months lines billed (marts.billed_vs_worked); exact
--     decimals, null without agent time (billed_fte: without an FTE line);
--     listed after rank so the existing columns keep their places;
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
--   score_<component>: each component scored 0-1, 1 = best (macros/scorecard.sql,
--     weights in the var `scorecard`, dbt_project.yml): shares as they are,
--     auto_fail 1 - rate, complaints 1 - rate / complaint_rate_ceiling (floor
--     0), cost the month's lowest cost_per_contact among the ranked vendors /
--     own; null when the component has no data;
--   score: weighted mean of the component scores present (score_weight = the
--     sum of their weights), so a vendor is not marked down for a feed it does
--     not send; null when no weighted component has data;
--   rank (1 = best) within the month by score, equal scores share a rank.
--     Only a vendor-month with at least one evaluated SLA is ranked (a month
--     with an invoice but no KPI data is not compared): rank null otherwise.
{% set sc = scorecard_settings() %}
{% set w = sc['weights'] %}
with sla as (
    select
        vendor_id,
        period_month,
        count_if(met) as sla_met,
        count(met) as sla_total,
        count_if(met is null) as sla_no_sample,
        {{ arg_min_of('actual', 'sla_line') }} filter (
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

quality as (
    select vendor_id, period_month, evaluations, qa_score, auto_fail_rate, complaints, handled_contacts,
        complaint_rate
    from {{ ref('quality') }}
    where grain = 'vendor'
),

containment as (
    select
        vendor_id,
        period_month,
        cast(sum(sessions) as bigint) as self_service_sessions,
        cast(sum(contained) as double) / nullif(sum(sessions), 0) as containment_rate
    from {{ ref('int_self_service_months') }}
    group by vendor_id, period_month
),

worked as (
    select vendor_id, period_month, paid_seconds, productive_seconds, handle_seconds, delivered_fte
    from {{ ref('int_worked_time_months') }}
),

billed_fte as (
    -- latest revisions, duplicates left out, as the quantity rule counts them; none billed: no row
    select vendor_id, period_month, sum(billed_quantity) as billed_fte
    from {{ ref('billed_vs_worked') }}
    where category = 'fte_months' and billed_lines > 0
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
    union select vendor_id, period_month from quality
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
        coalesce(q.evaluations, 0) as qa_evaluations,
        q.qa_score,
        q.auto_fail_rate,
        q.complaints,
        q.handled_contacts,
        q.complaint_rate,
        coalesce(ss.self_service_sessions, 0) as self_service_sessions,
        ss.containment_rate,
        cast({{ decimal_div('k.net_cost_reporting', 'k.handled_contacts', 4) }} as decimal(18,4)) as cost_per_contact,
        cast(case when f.vendor_id is null then 0 else f.amount_at_risk end as decimal(18,4)) as amount_at_risk,
        coalesce(f.findings, 0) as findings,
        coalesce(f.fx_rate_missing, false) or coalesce(k.fx_rate_missing, false) as fx_rate_missing,
        cast(case when w.paid_seconds > 0 then w.delivered_fte end as decimal(38,10)) as delivered_fte,
        cast(bf.billed_fte as decimal(38,4)) as billed_fte,
        cast({{ decimal_div('w.paid_seconds - w.productive_seconds', 'w.paid_seconds', 10) }} as decimal(38,10))
            as shrinkage,
        cast({{ decimal_div('w.handle_seconds', 'w.productive_seconds', 10) }} as decimal(38,10)) as occupancy
    from grid as g
    left join {{ ref('stg_contracts') }} as c on c.vendor_id = g.vendor_id
    left join sla as s on s.vendor_id = g.vendor_id and s.period_month = g.period_month
    left join satisfaction as sat on sat.vendor_id = g.vendor_id and sat.period_month = g.period_month
    left join cost as k on k.vendor_id = g.vendor_id and k.period_month = g.period_month
    left join findings as f on f.vendor_id = g.vendor_id and f.period_month = g.period_month
    left join quality as q on q.vendor_id = g.vendor_id and q.period_month = g.period_month
    left join containment as ss on ss.vendor_id = g.vendor_id and ss.period_month = g.period_month
    left join worked as w on w.vendor_id = g.vendor_id and w.period_month = g.period_month
    left join billed_fte as bf on bf.vendor_id = g.vendor_id and bf.period_month = g.period_month
),

components as (
    select
        *,
        sla_total > 0 as is_ranked,
        cast(sla_met_share as double) as score_sla_met_share,
        qa_score as score_qa_score,
        1 - auto_fail_rate as score_auto_fail_rate,
        -- (greatest() skips nulls: without a rate the component must stay null, not 0)
        case when complaint_rate is not null
            then greatest(0, 1 - complaint_rate / {{ sc['complaint_rate_ceiling'] }})
        end as score_complaint_rate,
        csat_top2box as score_csat_top2box,
        esat as score_esat,
        fcr_rate as score_fcr_rate,
        containment_rate as score_containment_rate,
        case when cost_per_contact > 0 then
            cast(min(cost_per_contact) filter (where sla_total > 0 and cost_per_contact > 0)
                over (partition by period_month) as double) / cast(cost_per_contact as double)
        end as score_cost_per_contact
    from scored
),

weighted as (
    select
        *,
        {%- for c in scorecard_components() %}
        {{ w[c] }} * coalesce(score_{{ c }}, 0){{ ' +' if not loop.last }}
        {%- endfor %} as weighted_sum,
        {%- for c in scorecard_components() %}
        case when score_{{ c }} is not null then {{ w[c] }} else 0 end{{ ' +' if not loop.last }}
        {%- endfor %} as score_weight
    from components
)

select
    {{ star_except(['is_ranked', 'weighted_sum', 'score_weight', 'delivered_fte', 'billed_fte', 'shrinkage',
                    'occupancy']) }},
    '{{ var("reporting_currency") }}' as reporting_currency,
    cast(score_weight as double) as score_weight,
    case when score_weight > 0 then weighted_sum / score_weight end as score,
    case when is_ranked and score_weight > 0 then
        rank() over (
            partition by period_month, is_ranked and score_weight > 0
            -- rounded so that equal scores reached by different float sums tie
            order by round(weighted_sum / nullif(score_weight, 0), 9) desc
        )
    end as rank,
    delivered_fte,
    billed_fte,
    shrinkage,
    occupancy
from weighted
