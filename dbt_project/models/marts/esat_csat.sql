-- Employee satisfaction (ESAT, eNPS from agent surveys, month of responded_at
-- in the vendor's timezone) next to customer satisfaction (CSAT top-2-box,
-- NPS from customer surveys, month of the surveyed interaction).
-- Agent surveys carry a site, customer surveys reach a queue (and an agent)
-- through their interaction, so rows come at three grains (column `grain`):
--   vendor: vendor × month, every response of both kinds;
--   site:   vendor × site × month; ESAT of the site's agents, CSAT of the
--           surveyed interactions those agents answered: the agent's site
--           that month is where it worked (most of its agent time), else the
--           site of its latest agent survey (int_quality_agent_months, the
--           same attribution as marts.quality); customer surveys whose agent
--           has no known site count only at the vendor and queue grains;
--   queue:  vendor × queue × month; CSAT / NPS only (agents are not tied to a
--           queue), ESAT columns null.
-- vendor_esat_csat_correlation: Pearson correlation of the vendor-grain
-- monthly esat_top2box and csat_top2box across the vendor's months where both
-- exist; null with fewer than 3 such months or when either series is constant.
-- site_esat_csat_correlation: the same across the months of one site (site
-- grain rows), so "ESAT drives CSAT" can be checked per site, with
-- site_correlation_months as its sample.
{% set esat_aggs -%}
    count(esat) as esat_responses,
    count(*) filter (where esat in (4, 5)) as esat_top2box_responses,
    cast(count(*) filter (where esat in (4, 5)) as double) / nullif(count(esat), 0) as esat_top2box,
    count(enps) as enps_responses,
    count(*) filter (where enps >= 9) as enps_promoters,
    count(*) filter (where enps <= 6) as enps_detractors,
    100.0 * (count(*) filter (where enps >= 9) - count(*) filter (where enps <= 6)) / nullif(count(enps), 0) as enps
{%- endset %}
{% set csat_aggs -%}
    count(csat) as csat_responses,
    count(*) filter (where csat in (4, 5)) as csat_top2box_responses,
    cast(count(*) filter (where csat in (4, 5)) as double) / nullif(count(csat), 0) as csat_top2box,
    count(nps) as nps_responses,
    count(*) filter (where nps >= 9) as nps_promoters,
    count(*) filter (where nps <= 6) as nps_detractors,
    100.0 * (count(*) filter (where nps >= 9) - count(*) filter (where nps <= 6)) / nullif(count(nps), 0) as nps
{%- endset %}

with agent_surveys as (
    select * from {{ ref('int_agent_survey_responses') }}
    where period_month is not null
),

customer_surveys as (
    select r.*, s.site as agent_site
    from {{ ref('int_survey_responses') }} as r
    left join {{ ref('int_quality_agent_months') }} as s
        on s.vendor_id = r.vendor_id and s.period_month = r.period_month and s.agent_id = r.agent_id
),

esat_vendor as (
    select vendor_id, period_month, {{ esat_aggs }}
    from agent_surveys
    group by vendor_id, period_month
),

csat_vendor as (
    select vendor_id, period_month, {{ csat_aggs }}
    from customer_surveys
    group by vendor_id, period_month
),

esat_site as (
    select vendor_id, period_month, site, {{ esat_aggs }}
    from agent_surveys
    where site is not null
    group by vendor_id, period_month, site
),

csat_site as (
    select vendor_id, period_month, agent_site as site, {{ csat_aggs }}
    from customer_surveys
    where agent_site is not null
    group by vendor_id, period_month, agent_site
),

csat_queue as (
    select vendor_id, period_month, queue, {{ csat_aggs }}
    from customer_surveys
    group by vendor_id, period_month, queue
),

vendor_rows as (
    select
        'vendor' as grain,
        coalesce(e.vendor_id, c.vendor_id) as vendor_id,
        coalesce(e.period_month, c.period_month) as period_month,
        cast(null as {{ dbt.type_string() }}) as site,
        cast(null as {{ dbt.type_string() }}) as queue,
        e.esat_responses, e.esat_top2box, e.enps_responses, e.enps,
        c.csat_responses, c.csat_top2box, c.nps_responses, c.nps,
        e.esat_top2box_responses, e.enps_promoters, e.enps_detractors,
        c.csat_top2box_responses, c.nps_promoters, c.nps_detractors
    from esat_vendor as e
    full join csat_vendor as c
        on c.vendor_id = e.vendor_id and c.period_month = e.period_month
),

site_rows as (
    select
        'site' as grain,
        coalesce(e.vendor_id, c.vendor_id) as vendor_id,
        coalesce(e.period_month, c.period_month) as period_month,
        coalesce(e.site, c.site) as site,
        cast(null as {{ dbt.type_string() }}) as queue,
        e.esat_responses, e.esat_top2box, e.enps_responses, e.enps,
        c.csat_responses, c.csat_top2box, c.nps_responses, c.nps,
        e.esat_top2box_responses, e.enps_promoters, e.enps_detractors,
        c.csat_top2box_responses, c.nps_promoters, c.nps_detractors
    from esat_site as e
    full join csat_site as c
        on c.vendor_id = e.vendor_id and c.period_month = e.period_month and c.site = e.site
),

queue_rows as (
    select
        'queue' as grain,
        vendor_id,
        period_month,
        cast(null as {{ dbt.type_string() }}) as site,
        queue,
        cast(null as bigint) as esat_responses,
        cast(null as double) as esat_top2box,
        cast(null as bigint) as enps_responses,
        cast(null as double) as enps,
        csat_responses, csat_top2box, nps_responses, nps,
        cast(null as bigint) as esat_top2box_responses,
        cast(null as bigint) as enps_promoters,
        cast(null as bigint) as enps_detractors,
        csat_top2box_responses, nps_promoters, nps_detractors
    from csat_queue
),

all_rows as (
    {{ union_all_by_name(['vendor_rows', 'site_rows', 'queue_rows'], columns=[
        'grain', 'vendor_id', 'period_month', 'site', 'queue', 'esat_responses', 'esat_top2box', 'enps_responses',
        'enps', 'csat_responses', 'csat_top2box', 'nps_responses', 'nps', 'esat_top2box_responses', 'enps_promoters',
        'enps_detractors', 'csat_top2box_responses', 'nps_promoters', 'nps_detractors']) }}
),

correlation as (
    select
        vendor_id,
        count(*) as correlation_months,
        case
            when count(*) >= 3 and stddev_pop(esat_top2box) > 0 and stddev_pop(csat_top2box) > 0
                then corr(csat_top2box, esat_top2box)
        end as vendor_esat_csat_correlation
    from vendor_rows
    where esat_top2box is not null and csat_top2box is not null
    group by vendor_id
),

site_correlation as (
    select
        vendor_id,
        site,
        count(*) as site_correlation_months,
        case
            when count(*) >= 3 and stddev_pop(esat_top2box) > 0 and stddev_pop(csat_top2box) > 0
                then corr(csat_top2box, esat_top2box)
        end as site_esat_csat_correlation
    from site_rows
    where esat_top2box is not null and csat_top2box is not null
    group by vendor_id, site
)

select
    r.vendor_id,
    k.kind,
    r.period_month,
    r.grain,
    r.site,
    r.queue,
    coalesce(r.esat_responses, 0) as esat_responses,
    r.esat_top2box,
    coalesce(r.enps_responses, 0) as enps_responses,
    r.enps,
    coalesce(r.csat_responses, 0) as csat_responses,
    r.csat_top2box,
    coalesce(r.nps_responses, 0) as nps_responses,
    r.nps,
    c.vendor_esat_csat_correlation,
    coalesce(c.correlation_months, 0) as correlation_months,
    sc.site_esat_csat_correlation,
    case when r.grain = 'site' then coalesce(sc.site_correlation_months, 0) end as site_correlation_months,
    -- the counts behind the shares (added last, so the columns above keep their places): they add up
    -- across months and queues, where the shares do not (the metrics divide their sums)
    coalesce(r.esat_top2box_responses, 0) as esat_top2box_responses,
    coalesce(r.enps_promoters, 0) as enps_promoters,
    coalesce(r.enps_detractors, 0) as enps_detractors,
    coalesce(r.csat_top2box_responses, 0) as csat_top2box_responses,
    coalesce(r.nps_promoters, 0) as nps_promoters,
    coalesce(r.nps_detractors, 0) as nps_detractors
from all_rows as r
left join {{ ref('stg_contracts') }} as k on k.vendor_id = r.vendor_id
left join correlation as c on c.vendor_id = r.vendor_id
left join site_correlation as sc on r.grain = 'site' and sc.vendor_id = r.vendor_id and sc.site = r.site
