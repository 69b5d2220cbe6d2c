{#- The worked-time sums of a group of int_agent_months rows (an agent-month is
    in one site, so the counts add up across sites): agents with paid time,
    agents without contacts, seconds by class, handle time and contacts. Read by
    int_worked_time_months (vendor × month) and marts.workforce (× site). -#}
{% macro worked_time_sums() -%}
        any_value(version_id) as version_id,
        count(*) filter (where paid_seconds > 0) as agents,
        count(*) filter (where paid_seconds > 0 and handled_contacts = 0) as agents_without_contacts,
        {%- for c in ['productive', 'training', 'paid_other', 'unpaid', 'paid', 'overlap'] %}
        sum({{ c }}_seconds) as {{ c }}_seconds,
        {%- endfor %}
        cast(sum(handle_seconds) as bigint) as handle_seconds,
        cast(sum(handled_contacts) as bigint) as handled_contacts
{%- endmacro %}
