{#- The SLA metrics measured on interactions (int_sla_contact_counts counts them;
    int_sla_actuals gives their counts, 0 when no contact matched, and nulls to the others). -#}
{% macro sla_contact_metrics() -%}
    {{ return(['service_level', 'asa_seconds', 'aht_seconds', 'abandon_rate', 'transfer_rate', 'complaint_rate', 'fcr_rate']) }}
{%- endmacro %}
