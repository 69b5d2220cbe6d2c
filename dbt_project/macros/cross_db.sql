{#-
  The one home of SQL that DuckDB and Spark spell differently (DEVELOPERS.md
  "Two engines: adapter.dispatch"). A model calls the macro; `adapter.dispatch`
  picks `spark__<name>` on the spark target and `default__<name>` (DuckDB, the
  embedded default) otherwise. Where dbt has a cross-database macro it is used
  directly (dbt.type_string(), dbt.string_literal()); these are the rest.
  Every default__ renders exactly the SQL the models had before, so DuckDB's
  marts do not change (tests/dbt/compare_marts.py).
-#}

{#- A 128-bit integer for exact money arithmetic on scaled integers (macros/money.sql).
    Spark has none: DECIMAL(38,0) holds the same range and stays exact. -#}
{% macro int128() -%}{{ return(adapter.dispatch('int128', 'bpo_warehouse')()) }}{%- endmacro %}
{% macro default__int128() -%}hugeint{%- endmacro %}
{% macro spark__int128() -%}decimal(38,0){%- endmacro %}

{#- Integer division truncated toward zero (DuckDB's `//`). Spark's `div` returns a BIGINT,
    which overflows on 128-bit money units: subtract the remainder, then divide exactly. -#}
{% macro int_div(num, den) -%}{{ return(adapter.dispatch('int_div', 'bpo_warehouse')(num, den)) }}{%- endmacro %}
{% macro default__int_div(num, den) -%}({{ num }}) // ({{ den }}){%- endmacro %}
{% macro spark__int_div(num, den) -%}
cast((({{ num }}) - ({{ num }}) % ({{ den }})) / ({{ den }}) as decimal(38,0))
{%- endmacro %}

{#- A number's integer part (toward zero); Spark's trunc() is for dates only. -#}
{% macro trunc_number(x) -%}{{ return(adapter.dispatch('trunc_number', 'bpo_warehouse')(x)) }}{%- endmacro %}
{% macro default__trunc_number(x) -%}trunc({{ x }}){%- endmacro %}
{#- x % 1 keeps x's sign (truncated remainder), so x - x % 1 is x toward zero, exact on decimals -#}
{% macro spark__trunc_number(x) -%}(({{ x }}) - ({{ x }}) % 1){%- endmacro %}

{#- `<alias>.*` without some columns: DuckDB `* exclude (...)`, Spark `* except (...)`.
    replace: {column: expression} to give in place of a column (DuckDB `replace (...)`, same
    position); Spark has no REPLACE, so there the column comes last (the comparison with DuckDB's
    marts matches columns by name). -#}
{% macro star_except(columns, alias=none, replace={}) -%}
{{ return(adapter.dispatch('star_except', 'bpo_warehouse')(columns, alias, replace)) }}
{%- endmacro %}
{% macro default__star_except(columns, alias, replace) -%}
{%- if alias %}{{ alias }}.{% endif %}* exclude ({{ columns | join(', ') }})
{%- if replace %} replace ({% for name, expr in replace.items() %}{{ expr }} as {{ name }}{{ ', ' if not loop.last }}{% endfor %}){% endif %}
{%- endmacro %}
{% macro spark__star_except(columns, alias, replace) -%}
{%- if alias %}{{ alias }}.{% endif %}* except ({{ (columns + (replace.keys() | list)) | join(', ') }})
{%- for name, expr in replace.items() %}, {{ expr }} as {{ name }}{% endfor %}
{%- endmacro %}

{#- A whole row of a relation (its alias) as text, for fingerprints (DuckDB casts the struct). -#}
{% macro row_as_text(alias) -%}{{ return(adapter.dispatch('row_as_text', 'bpo_warehouse')(alias)) }}{%- endmacro %}
{% macro default__row_as_text(alias) -%}cast({{ alias }} as varchar){%- endmacro %}
{% macro spark__row_as_text(alias) -%}to_json(struct({{ alias }}.*)){%- endmacro %}

{#- A date as text; `format` in strftime codes (%Y, %m, %d), translated for Spark's date_format. -#}
{% macro format_date(d, format) -%}
{{ return(adapter.dispatch('format_date', 'bpo_warehouse')(d, format)) }}
{%- endmacro %}
{% macro default__format_date(d, format) -%}strftime({{ d }}, '{{ format }}'){%- endmacro %}
{% macro spark__format_date(d, format) -%}
date_format({{ d }}, '{{ format | replace("%Y", "yyyy") | replace("%m", "MM") | replace("%d", "dd") }}')
{%- endmacro %}

{#- string_agg with an order (and distinct), over the rows that pass `filter` (a condition; none = all):
    DuckDB's `string_agg(x, sep order by o) filter (where ...)`, Spark's `listagg(x, sep) within group
    (order by o)`. Spark 4.3 fails (ClassCastException) on listagg distinct with a filter, so a distinct
    list, which is ordered by its own values, is array_join(array_sort(collect_set(x))) there (null, as
    string_agg, when no row has a value). -#}
{% macro string_agg_ordered(expr, separator, order_by, distinct=false, filter=none) -%}
{{ return(adapter.dispatch('string_agg_ordered', 'bpo_warehouse')(expr, separator, order_by, distinct, filter)) }}
{%- endmacro %}
{% macro default__string_agg_ordered(expr, separator, order_by, distinct, filter) -%}
string_agg({% if distinct %}distinct {% endif %}{{ expr }}, {{ separator }} order by {{ order_by }})
{%- if filter is not none %} filter (where {{ filter }}){% endif %}
{%- endmacro %}
{% macro spark__string_agg_ordered(expr, separator, order_by, distinct, filter) -%}
{%- set where = ' filter (where ' ~ filter ~ ')' if filter is not none else '' -%}
{%- if distinct -%}
{%- if order_by != expr -%}
{{ exceptions.raise_compiler_error("string_agg_ordered: a distinct list is ordered by its own values") }}
{%- endif -%}
nullif(array_join(array_sort(collect_set({{ expr }}){{ where }}), {{ separator }}), '')
{%- else -%}
listagg({{ expr }}, {{ separator }}) within group (order by {{ order_by }}){{ where }}
{%- endif -%}
{%- endmacro %}

{#- The value of the row with the largest / smallest key (DuckDB arg_max / arg_min, Spark max_by / min_by). -#}
{% macro arg_max_of(value, key) -%}{{ return(adapter.dispatch('arg_max_of', 'bpo_warehouse')(value, key)) }}{%- endmacro %}
{% macro default__arg_max_of(value, key) -%}arg_max({{ value }}, {{ key }}){%- endmacro %}
{% macro spark__arg_max_of(value, key) -%}max_by({{ value }}, {{ key }}){%- endmacro %}
{% macro arg_min_of(value, key) -%}{{ return(adapter.dispatch('arg_min_of', 'bpo_warehouse')(value, key)) }}{%- endmacro %}
{% macro default__arg_min_of(value, key) -%}arg_min({{ value }}, {{ key }}){%- endmacro %}
{% macro spark__arg_min_of(value, key) -%}min_by({{ value }}, {{ key }}){%- endmacro %}

{#- An instant as microseconds since the epoch (BIGINT). -#}
{% macro epoch_microseconds(ts) -%}{{ return(adapter.dispatch('epoch_microseconds', 'bpo_warehouse')(ts)) }}{%- endmacro %}
{% macro default__epoch_microseconds(ts) -%}epoch_us({{ ts }}){%- endmacro %}
{% macro spark__epoch_microseconds(ts) -%}unix_micros({{ ts }}){%- endmacro %}
{#- The instant `us` microseconds after the epoch (TIMESTAMPTZ): arithmetic on instants without DuckDB's
    ICU calendar (TIMESTAMPTZ - INTERVAL goes through it). -#}
{% macro instant_from_epoch_microseconds(us) -%}
{{ return(adapter.dispatch('instant_from_epoch_microseconds', 'bpo_warehouse')(us)) }}
{%- endmacro %}
{% macro default__instant_from_epoch_microseconds(us) -%}make_timestamptz({{ us }}){%- endmacro %}
{% macro spark__instant_from_epoch_microseconds(us) -%}timestamp_micros({{ us }}){%- endmacro %}

{#- Seconds from one instant to another, DOUBLE: the UTC difference in microseconds / 10^6, on both engines.
    DuckDB: not epoch(end - start), which subtracts two TIMESTAMPTZ in the session's calendar (ICU): 40x slower
    (1M rows: 2.8 s against 0.07 s), and off by the DST hour when the session's TimeZone is not UTC. In a UTC
    session both give the same DOUBLE (checked on 2.4M interactions and agent intervals). -#}
{% macro seconds_between(start, end) -%}
{{ return(adapter.dispatch('seconds_between', 'bpo_warehouse')(start, end)) }}
{%- endmacro %}
{% macro default__seconds_between(start, end) -%}
((epoch_us({{ end }}) - epoch_us({{ start }})) / 1000000)
{%- endmacro %}
{% macro spark__seconds_between(start, end) -%}
((unix_micros({{ end }}) - unix_micros({{ start }})) / 1000000.0d)
{%- endmacro %}

{#- An interval of n minutes (n: an integer expression). -#}
{% macro minutes_interval(n) -%}{{ return(adapter.dispatch('minutes_interval', 'bpo_warehouse')(n)) }}{%- endmacro %}
{% macro default__minutes_interval(n) -%}to_minutes({{ n }}){%- endmacro %}
{% macro spark__minutes_interval(n) -%}make_dt_interval(0, 0, cast({{ n }} as int), 0){%- endmacro %}

{#- One DATE per month from `first_month` to `last_month` (first days), as a set-returning
    expression of a select list (DuckDB unnest(generate_series), Spark explode(sequence), which
    takes no expression around it). -#}
{% macro month_series(first_month, last_month) -%}
{{ return(adapter.dispatch('month_series', 'bpo_warehouse')(first_month, last_month)) }}
{%- endmacro %}
{% macro default__month_series(first_month, last_month) -%}
cast(unnest(generate_series({{ first_month }}, {{ last_month }}, interval 1 month)) as date)
{%- endmacro %}
{% macro spark__month_series(first_month, last_month) -%}
explode(sequence({{ first_month }}, {{ last_month }}, interval 1 month))
{%- endmacro %}

{#- A UTC instant as wall-clock time in `zone` (a TIMESTAMP without zone). -#}
{% macro utc_to_local(ts, zone) -%}{{ return(adapter.dispatch('utc_to_local', 'bpo_warehouse')(ts, zone)) }}{%- endmacro %}
{% macro default__utc_to_local(ts, zone) -%}timezone({{ zone }}, {{ ts }}){%- endmacro %}
{% macro spark__utc_to_local(ts, zone) -%}from_utc_timestamp({{ ts }}, {{ zone }}){%- endmacro %}

{#- Wall-clock time in `zone` (a TIMESTAMP without zone) as the UTC instant. -#}
{% macro local_to_utc(local_ts, zone) -%}
{{ return(adapter.dispatch('local_to_utc', 'bpo_warehouse')(local_ts, zone)) }}
{%- endmacro %}
{% macro default__local_to_utc(local_ts, zone) -%}timezone({{ zone }}, {{ local_ts }}){%- endmacro %}
{% macro spark__local_to_utc(local_ts, zone) -%}to_utc_timestamp({{ local_ts }}, {{ zone }}){%- endmacro %}

{#- An interval of n seconds (n: an integer expression). -#}
{% macro seconds_interval(n) -%}{{ return(adapter.dispatch('seconds_interval', 'bpo_warehouse')(n)) }}{%- endmacro %}
{% macro default__seconds_interval(n) -%}to_seconds({{ n }}){%- endmacro %}
{% macro spark__seconds_interval(n) -%}make_dt_interval(0, 0, 0, {{ n }}){%- endmacro %}

{#- As-of join: each left row with the row of `relation` (as `alias`) whose `time_column` is the
    latest on or before `left_time`, among the rows with equal `by` columns ([(left expression,
    relation column), ...]); no match: nulls. DuckDB's ASOF LEFT JOIN; Spark has none, so each row
    there carries the next row's time and the join takes the row whose interval holds left_time
    (time_column must be unique per `by`, as an as-of lookup needs anyway). -#}
{% macro asof_left_join(relation, alias, by, left_time, time_column) -%}
{{ return(adapter.dispatch('asof_left_join', 'bpo_warehouse')(relation, alias, by, left_time, time_column)) }}
{%- endmacro %}
{% macro default__asof_left_join(relation, alias, by, left_time, time_column) -%}
asof left join {{ relation }} as {{ alias }}
    on {% for left, right in by %}{{ alias }}.{{ right }} = {{ left }}
    and {% endfor %}{{ left_time }} >= {{ alias }}.{{ time_column }}
{%- endmacro %}
{% macro spark__asof_left_join(relation, alias, by, left_time, time_column) -%}
left join (
    select *, lead({{ time_column }}) over (
        partition by {% for left, right in by %}{{ right }}{{ ', ' if not loop.last }}{% endfor %}
        order by {{ time_column }}) as _asof_next_time
    from {{ relation }}
) as {{ alias }}
    on {% for left, right in by %}{{ alias }}.{{ right }} = {{ left }}
    and {% endfor %}{{ left_time }} >= {{ alias }}.{{ time_column }}
    and ({{ alias }}._asof_next_time is null or {{ left_time }} < {{ alias }}._asof_next_time)
{%- endmacro %}

{#- UNION ALL of `parts` matching columns by name (DuckDB `union all by name`: the first part's
    columns, then any new ones; a part without a column gives null). Spark has no BY NAME: there
    each part selects the columns by name, in that order. parts: relations (ref()), whose columns
    Spark reads from the catalog, or CTE names, for which `columns` lists every column (each part
    must have them all). With `columns`, DuckDB selects exactly those too, so a column added to the
    parts but not to the list is missing on both engines alike (the marts' tests notice), never on
    Spark alone. -#}
{% macro union_all_by_name(parts, columns=none) -%}
{{ return(adapter.dispatch('union_all_by_name', 'bpo_warehouse')(parts, columns)) }}
{%- endmacro %}
{% macro default__union_all_by_name(parts, columns) -%}
{%- for part in parts %}
    {% if not loop.first %}union all by name {% endif %}select {{ columns | join(', ') if columns is not none else '*' }} from {{ part }}
{%- endfor %}
{%- endmacro %}
{% macro spark__union_all_by_name(parts, columns) -%}
{%- set per_part = [] -%}
{%- set names = [] -%}
{%- for part in parts -%}
    {%- if columns is not none -%}
        {%- set part_columns = columns -%}
    {%- elif execute -%}
        {%- set part_columns = adapter.get_columns_in_relation(part) | map(attribute='name') | list -%}
    {%- else -%}
        {%- set part_columns = [] -%}
    {%- endif -%}
    {%- do per_part.append(part_columns) -%}
    {%- for name in part_columns if name not in names -%}{%- do names.append(name) -%}{%- endfor -%}
{%- endfor -%}
{%- for part in parts %}
    {% if not loop.first %}union all {% endif %}select
    {%- if names %}
        {%- set have = per_part[loop.index0] %}
        {%- for name in names %} {{ name if name in have else 'null as ' ~ name }}{{ ',' if not loop.last }}{% endfor %}
    {%- else %} *{% endif %}
    from {{ part }}
{%- endfor %}
{%- endmacro %}

{#- The semi join keyword (rows of the left side with a match, once): Spark spells it LEFT SEMI JOIN. -#}
{% macro semi_join() -%}{{ return(adapter.dispatch('semi_join', 'bpo_warehouse')()) }}{%- endmacro %}
{% macro default__semi_join() -%}semi join{%- endmacro %}
{% macro spark__semi_join() -%}left semi join{%- endmacro %}

{#- A query of one DATE column `name` per day from `first_day` up to `end_day` (excluded); literals 'YYYY-MM-DD'. -#}
{% macro day_series(first_day, end_day, name) -%}
{{ return(adapter.dispatch('day_series', 'bpo_warehouse')(first_day, end_day, name)) }}
{%- endmacro %}
{% macro default__day_series(first_day, end_day, name) -%}
select cast(range as date) as {{ name }}
from range(date '{{ first_day }}', date '{{ end_day }}', interval 1 day)
{%- endmacro %}
{% macro spark__day_series(first_day, end_day, name) -%}
select explode(sequence(date '{{ first_day }}', date_sub(date '{{ end_day }}', 1), interval 1 day)) as {{ name }}
{%- endmacro %}

{#- `text` without the trailing characters in `characters` (DuckDB rtrim(text, characters); Spark's
    two-argument rtrim takes them the other way round, so the standard TRIM(TRAILING ...) there). -#}
{% macro rtrim_chars(text, characters) -%}
{{ return(adapter.dispatch('rtrim_chars', 'bpo_warehouse')(text, characters)) }}
{%- endmacro %}
{% macro default__rtrim_chars(text, characters) -%}rtrim({{ text }}, {{ characters }}){%- endmacro %}
{% macro spark__rtrim_chars(text, characters) -%}trim(trailing {{ characters }} from {{ text }}){%- endmacro %}
