{#- Exact decimal helpers. DuckDB turns decimal / decimal into DOUBLE, and
    money must never become a float, so division and rounding are done on
    scaled integers (HUGEINT). Rounding is half-even (banker's), like Python's
    Decimal.quantize default, so the generator's ground truth and dbt agree
    on ties. Inputs may carry at most 12 decimals. -#}

{#- The one half-even division: integer num // den, rounded half-even (banker's)
    on the remainder. num and den: non-negative integer (HUGEINT) expressions.
    round_half_even, decimal_div and the service credits (int_service_credits,
    in integer units of 0.0001) all round here. -#}
{% macro div_half_even(num, den) -%}
(
    {{ int_div(num, den) }}
    + case
        when 2 * (({{ num }}) % ({{ den }})) > ({{ den }}) then 1
        when 2 * (({{ num }}) % ({{ den }})) = ({{ den }}) and ({{ int_div(num, den) }}) % 2 = 1 then 1
        else 0
      end
)
{%- endmacro %}

{%- macro _unit(places) -%}
{%- if places == 0 -%}cast(1 as decimal(38,0)){%- else -%}cast('0.{{ "0" * (places - 1) }}1' as decimal(38,{{ places }})){%- endif -%}
{%- endmacro -%}

{#- Round a DECIMAL expression half-even to `places` decimals -> DECIMAL(38, places). -#}
{% macro round_half_even(x, places=4) -%}
{%- set s = 10 ** (12 - places) -%}
{%- set n = "abs(cast(cast((" ~ x ~ ") as decimal(38,12)) * 1000000000000 as " ~ int128() ~ "))" -%}
(case when ({{ x }}) < 0 then -1 else 1 end
    * cast({{ div_half_even(n, s) }} as decimal(38,0))
    * {{ _unit(places) }})
{%- endmacro %}

{#- x (DECIMAL, scale <= 12, or integer) as a HUGEINT count of 1e-12 units. The whole
    and fractional parts are scaled separately: x * 1e12 as a DECIMAL(38) overflows from
    |x| >= 1e26 (e.g. an allocated cost: amount x handle seconds of a large month). -#}
{% macro _units_of_1e12(x) -%}
{%- set d = "cast((" ~ x ~ ") as decimal(38,12))" -%}
(cast({{ trunc_number(d) }} as {{ int128() }}) * 1000000000000 + cast(({{ d }} - {{ trunc_number(d) }}) * 1000000000000 as {{ int128() }}))
{%- endmacro %}

{#- num / den rounded half-even to `places` decimals -> DECIMAL(38, places);
    null when den is 0 or null. num and den: DECIMAL (scale <= 12) or integer;
    |num| below 1.7e38 / 10^(12 + places) (1.7e18 at 8 places: HUGEINT arithmetic). -#}
{% macro decimal_div(num, den, places=4) -%}
{%- set a = "abs(" ~ _units_of_1e12(num) ~ ")" -%}
{%- set b = "abs(" ~ _units_of_1e12(den) ~ ")" -%}
{%- set a_scaled = "(" ~ a ~ " * " ~ (10 ** places) ~ ")" -%}
(case when ({{ den }}) is null or ({{ den }}) = 0 or ({{ num }}) is null then null else
    (case when (({{ num }}) < 0) <> (({{ den }}) < 0) then -1 else 1 end)
    * cast({{ div_half_even(a_scaled, b) }} as decimal(38,0))
    * {{ _unit(places) }}
end)
{%- endmacro %}

{#- Presentation helpers for the plain-English `detail` texts. -#}
{% macro fmt_money(x) -%}
coalesce(cast({{ round_half_even(x, 2) }} as {{ dbt.type_string() }}), '?')
{%- endmacro %}

{% macro fmt_num(x) -%}
coalesce({{ rtrim_chars(rtrim_chars('cast(cast((' ~ x ~ ') as decimal(38,4)) as ' ~ dbt.type_string() ~ ')', "'0'"), "'.'") }}, '?')
{%- endmacro %}

{#- The rate to the reporting currency from an as-of FX join: the rate found,
    or 1 when the amount is already in the reporting currency; null otherwise
    (a missing rate is flagged, never guessed). -#}
{% macro fx_rate_or_identity(rate_column, currency_column) -%}
    cast(
        case
            when {{ rate_column }} is not null then {{ rate_column }}
            when {{ currency_column }} = '{{ var("reporting_currency") }}' then 1
        end
    as decimal(18,8))
{%- endmacro %}
