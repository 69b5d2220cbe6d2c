{#-
  The raw sources on Spark (docs/growing.md "A distributed engine (Spark)"): each table of
  source `raw` is the Parquet folder publish exports (serving/export_parquet.py),
  `<var bpo_raw_parquet>/<table>/`, registered as an external table of the `raw`
  schema at the start of every build, so `source('raw', ...)` reads the same rows as
  on DuckDB. On DuckDB the sources are the warehouse's own tables: nothing to do.
-#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'bpo_warehouse')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set folder = var('bpo_raw_parquet', env_var('BPO_RAW_PARQUET', '')) -%}
        {%- if not folder -%}
            {{ exceptions.raise_compiler_error("Spark build: var bpo_raw_parquet (the raw Parquet folders publish writes) is not set") }}
        {%- endif -%}
        {%- do run_query("create schema if not exists raw") -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do run_query("drop table if exists raw." ~ source.name) -%}
            {%- do run_query("create table raw." ~ source.name ~ " using parquet location "
                             ~ dbt.string_literal(folder ~ '/' ~ source.name)) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
