{#- Integer division of two non-negative HUGEINT expressions, rounded half-even
    (banker's, like Python's Decimal.quantize). Used to keep service credits in
    exact integer units of 0.0001 (see marts/sla_compliance.sql). -#}
{% macro sla_div_half_even(num, den) -%}
(
    ({{ num }}) // ({{ den }})
    + case
        when 2 * (({{ num }}) % ({{ den }})) > ({{ den }}) then 1
        when 2 * (({{ num }}) % ({{ den }})) = ({{ den }}) and (({{ num }}) // ({{ den }})) % 2 = 1 then 1
        else 0
      end
)
{%- endmacro %}
