-- containment_rate SLA lines (int_sla_lines) with their sessions and contained
-- sessions: the vendor's self-service sessions of the month on the line's
-- channel (null = ivr, bot and web together). No session: 0 (no sample).
select
    l.vendor_id,
    l.period_month,
    l.sla_line,
    cast(coalesce(sum(s.sessions), 0) as bigint) as self_service_sessions,
    cast(coalesce(sum(s.contained), 0) as bigint) as contained_sessions
from {{ ref('int_sla_lines') }} as l
left join {{ ref('int_self_service_months') }} as s
    on s.vendor_id = l.vendor_id
    and s.period_month = l.period_month
    and (l.channel is null or s.channel = l.channel)
where l.metric = 'containment_rate'
group by l.vendor_id, l.period_month, l.sla_line
