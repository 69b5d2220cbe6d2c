-- Workforce per vendor × site × local month (domain.md "Worked time"): worked
-- hours by class from agent_time (month split at local midnight, real elapsed
-- time across DST, overlaps counted once: int_agent_time_month_parts), agents,
-- delivered FTE, shrinkage, occupancy and agents without contacts. An agent
-- counts in the site of most of its time that month (int_agent_months). Hours
-- and ratios are exact decimals (half-even to 10 places), never floats.
with agents as (
    select * from {{ ref('int_agent_months') }}
),

sites as (
    select
        vendor_id,
        site,
        period_month,
        {{ worked_time_sums() }}
    from agents
    group by vendor_id, site, period_month
)

select
    s.vendor_id,
    s.site,
    s.period_month,
    s.version_id,
    cast(s.agents as bigint) as agents,
    {%- for c in ['paid', 'productive', 'training', 'paid_other', 'unpaid', 'overlap'] %}
    cast({{ decimal_div('s.' ~ c ~ '_seconds', 3600, 10) }} as decimal(38,10)) as {{ c }}_hours,
    {%- endfor %}
    {%- for c in ['paid', 'productive', 'training', 'paid_other', 'unpaid', 'overlap'] %}
    cast(s.{{ c }}_seconds as decimal(38,6)) as {{ c }}_seconds,
    {%- endfor %}
    s.handle_seconds,
    s.handled_contacts,
    v.fte_hours_per_month,
    cast({{ decimal_div('s.paid_seconds', 'cast(v.fte_hours_per_month as decimal(38,4)) * 3600', 10) }}
        as decimal(38,10)) as delivered_fte,
    cast({{ decimal_div('s.paid_seconds - s.productive_seconds', 's.paid_seconds', 10) }} as decimal(38,10))
        as shrinkage,
    cast({{ decimal_div('s.handle_seconds', 's.productive_seconds', 10) }} as decimal(38,10)) as occupancy,
    cast(s.agents_without_contacts as bigint) as agents_without_contacts
from sites as s
left join {{ ref('stg_contract_versions') }} as v
    on v.vendor_id = s.vendor_id
    and v.version_id = s.version_id
