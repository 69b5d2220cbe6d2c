{#- Shared by the finding models (models/intermediate/findings/): each finding
    type is one model with these columns first, unioned by int_invoice_findings. -#}

{#- The invoice line a finding is reported on (alias of int_invoice_lines_classified). -#}
{% macro finding_line_columns(l='l') -%}
        {{ l }}.vendor_id,
        {{ l }}.invoice_id,
        {{ l }}.revision,
        {{ l }}.line_id,
        {{ l }}.line_seq,
        {{ l }}.invoice_date,
        {{ l }}.period_start,
        {{ l }}.period_end,
        {{ l }}.period_month,
        {{ l }}.currency,
        {{ l }}.category,
        {{ l }}.channel,
        {{ l }}.description as line_description,
        {{ l }}.quantity,
        {{ l }}.unit_price,
        {{ l }}.amount as line_amount,
        {{ l }}.pricing_line
{%- endmacro %}

{#- The contract version and tolerance of the line's own month; findings whose
    clause comes from another month (missing_service_credit) set their own. -#}
{% macro finding_line_version(l='l') -%}
        {{ l }}.version_id,
        coalesce({{ l }}.tolerance_amount_abs, 0) as tolerance_amount_abs
{%- endmacro %}

{#- The columns every finding starts with: its line, the version and tolerance of the
    line's month (unless line_version=false: the finding sets its own), its type and
    the amounts, exact; amount_at_risk is billed − expected unless given. All findings
    share one amount type: DuckDB unions DECIMAL(38,8) with DECIMAL(38,4) as
    DECIMAL(38,4), which would round half away from zero before the mart's half-even. -#}
{% macro finding_columns(finding, billed, expected, at_risk=none, l='l', line_version=true) -%}
        {{ finding_line_columns(l) }},
        {%- if line_version %}
        {{ finding_line_version(l) }},
        {%- endif %}
        '{{ finding }}' as finding,
        cast({{ billed }} as {{ finding_money() }}) as billed_amount,
        cast({{ expected }} as {{ finding_money() }}) as expected_amount,
        cast({{ at_risk if at_risk is not none else '(' ~ billed ~ ') - (' ~ expected ~ ')' }} as {{ finding_money() }})
            as amount_at_risk
{%- endmacro %}

{#- Exact money type of billed / expected amounts and amount_at_risk before rounding. -#}
{% macro finding_money() -%}decimal(38,8){%- endmacro %}

{#- The line's month as text, YYYY-MM. -#}
{% macro finding_month_text(l='l') -%}{{ format_date(l ~ '.period_month', '%Y-%m') }}{%- endmacro %}

{#- Only a positive amount_at_risk above the tolerance is reported (no version: tolerance 0). -#}
{% macro finding_is_reported() -%}
    amount_at_risk > 0 and amount_at_risk > tolerance_amount_abs
{%- endmacro %}
