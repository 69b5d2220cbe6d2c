{#- The scorecard's ranking settings: the var `scorecard` (dbt_project.yml,
    section `vars: scorecard:`; override per run with
    --vars '{scorecard: {weights: {...}}}', which replaces the whole section).
      weights: component -> weight ≥ 0; a component left out weighs 0.
      complaint_rate_ceiling: complaints per 1,000 handled contacts that score 0
        (0 complaints score 1, linearly in between).
    An unknown component or a negative weight stops the build with one line. -#}
{% macro scorecard_components() -%}
    {{ return(['sla_met_share', 'qa_score', 'auto_fail_rate', 'complaint_rate', 'csat_top2box', 'esat',
               'fcr_rate', 'containment_rate', 'cost_per_contact']) }}
{%- endmacro %}

{% macro scorecard_settings() -%}
    {%- set cfg = var('scorecard', {}) or {} -%}
    {%- set given = cfg.get('weights', {}) or {} -%}
    {%- set known = scorecard_components() -%}
    {%- set weights = {} -%}
    {%- for name, w in given.items() -%}
        {%- if name not in known -%}
            {{ exceptions.raise_compiler_error("scorecard.weights: unknown component '" ~ name ~ "' (known: " ~ known | join(', ') ~ ")") }}
        {%- endif -%}
        {%- if w is none or w is string or w < 0 -%}
            {{ exceptions.raise_compiler_error("scorecard.weights." ~ name ~ ": expected a number >= 0, got " ~ w) }}
        {%- endif -%}
        {%- do weights.update({name: w}) -%}
    {%- endfor -%}
    {%- for name in known if name not in weights -%}
        {%- do weights.update({name: 0}) -%}
    {%- endfor -%}
    {%- set ceiling = cfg.get('complaint_rate_ceiling', 50) -%}
    {%- if ceiling is none or ceiling is string or ceiling <= 0 -%}
        {{ exceptions.raise_compiler_error("scorecard.complaint_rate_ceiling: expected a number > 0, got " ~ ceiling) }}
    {%- endif -%}
    {{ return({'weights': weights, 'complaint_rate_ceiling': ceiling}) }}
{%- endmacro %}
