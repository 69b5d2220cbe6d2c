{#-
  Incremental builds by vendor × contract month (DEVELOPERS.md "Incremental builds").

  Models tagged `scoped` are incremental tables keyed by (vendor_id, period_month).
  Each build recomputes only the vendor-months in ref('int_build_scope') (those new
  interaction files touch, plus the FCR look-back, plus every month of a vendor
  whose contract changed): the pre-hook `delete_build_scope()` removes those rows
  and the model inserts them again, in the same transaction. The ledger in
  schema build_state records which loads and contract fingerprints the marts
  include; it is written by `record_build_state()` only after a build in which
  every scoped model succeeded, so a failed or partial build is simply redone.
-#}

{% macro in_build_scope(vendor_column='vendor_id', month_column='period_month', fcr_lookback=false,
                        scope='int_build_scope') -%}
    {#- the scope's columns are renamed so that unqualified outer column names cannot bind to them;
        fcr_lookback: also the months where only FCR next contacts may change; scope: the scope model
        (worked time has its own: int_build_worked_time_scope, int_build_agent_month_scope) -#}
    exists (
        select 1
        from (
            select vendor_id as scope_vendor_id, period_month as scope_period_month,
                whole_vendor as scope_whole_vendor, fcr_lookback as scope_fcr_lookback
            from {{ ref(scope) }}
        ) as build_scope
        where build_scope.scope_vendor_id = {{ vendor_column }}
            and (build_scope.scope_whole_vendor or (
                build_scope.scope_period_month = {{ month_column }}
                {%- if not fcr_lookback %} and not build_scope.scope_fcr_lookback{% endif %}))
    )
{%- endmacro %}


{% macro unbuilt_loads(feed) -%}
    {#- the loads of a feed that the last successful build did not include (the ledger) -#}
    select m.load_id
    from {{ ref('stg_load_manifest') }} as m
    where m.status = 'loaded'
        and m.feed = '{{ feed }}'
        and not exists (
            select 1 from build_state.built_loads as b where b.load_id = m.load_id
        )
{%- endmacro %}


{% macro fcr_lookback_join(alias) -%}
    {#- join condition: a contact whose FCR next contact the touched contacts can change
        (int_build_fcr_lookback). A join, not an OR'ed EXISTS: DuckDB plans that one as a
        per-row mark join (8.7 s instead of 0.4 s on a 10M-row delete). -#}
    join {{ ref('int_build_fcr_lookback') }} as lookback
        on lookback.vendor_id = {{ alias }}.vendor_id
        and lookback.queue = {{ alias }}.queue
        and lookback.customer_ref_hash = {{ alias }}.customer_ref_hash
        and {{ alias }}.arrived_at between lookback.from_arrived_at and lookback.to_arrived_at
{%- endmacro %}


{% macro delete_build_scope(fcr_lookback=false, fcr_lookback_rows=false, scope='int_build_scope') -%}
    {#- fcr_lookback: also the FCR look-back months; fcr_lookback_rows: also the look-back contacts -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where rowid in (
            select target.rowid from {{ this }} as target
            where {{ in_build_scope('target.vendor_id', 'target.period_month', fcr_lookback, scope) }}
            {%- if fcr_lookback_rows %}
            union all
            select target.rowid from {{ this }} as target
            {{ fcr_lookback_join('target') }}
            {%- endif %}
        )
    {%- else -%}
        select 1 -- full build: nothing to delete
    {%- endif -%}
{%- endmacro %}


{% macro create_build_state() -%}
    {{ return(adapter.dispatch('create_build_state', 'bpo_warehouse')()) }}
{%- endmacro %}

{% macro default__create_build_state() -%}
    create schema if not exists build_state;
    create table if not exists build_state.built_loads (
        load_id varchar primary key,
        built_at timestamptz not null
    );
    create table if not exists build_state.built_contracts (
        vendor_id varchar primary key,
        fingerprint varchar not null,
        built_at timestamptz not null
    );
{%- endmacro %}

{#- Spark: the same (empty) ledger, so the scope models build; it is never advanced there
    (spark__record_build_state), so every Spark build is a full one. -#}
{% macro spark__create_build_state() -%}
    {%- if execute -%}
        {%- do run_query("create schema if not exists build_state") -%}
        {%- do run_query("create table if not exists build_state.built_loads (load_id string, built_at timestamp) using parquet") -%}
        {%- do run_query("create table if not exists build_state.built_contracts (vendor_id string, fingerprint string, built_at timestamp) using parquet") -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{% macro record_build_state(results) -%}
    {{ return(adapter.dispatch('record_build_state', 'bpo_warehouse')(results)) }}
{%- endmacro %}

{% macro spark__record_build_state(results) -%}
    select 1 -- Spark builds are full builds (docs/growing.md): the ledger stays empty
{%- endmacro %}

{% macro default__record_build_state(results) -%}
    {#- Only a build without a failure may advance the ledger, and only for the loads whose scoped models
        it built: a load is recorded once every scoped model (and every build-scope model) downstream of
        its raw table succeeded in this invocation. A build that selected only what changed
        (transform/dbt_selection.py) records the loads of the tables it built from; a partial build by
        hand (`--select`) records none of the loads its scoped models did not take in. The contract
        fingerprints are recorded only when every scoped model was built. -#}
    {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
    {%- set succeeded = [] -%}
    {%- set failed = [] -%}
    {%- for r in results -%}
        {%- if r.status in ('error', 'fail', 'runtime error') -%}{%- do failed.append(r.node.unique_id) -%}{%- endif -%}
        {%- if r.node.resource_type == 'model' and r.status == 'success' -%}{%- do succeeded.append(r.node.unique_id) -%}{%- endif -%}
    {%- endfor -%}
    {%- set required = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and ('scoped' in node.tags or 'build_scope' in node.tags) -%}
            {%- do required.append(node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set missing = required | reject('in', succeeded) | list -%}
    {#- relation names from the graph: ref() is not allowed in a conditional hook -#}
    {%- set parameters = (graph.nodes.values() | selectattr('name', 'equalto', 'int_vendor_build_parameters') | first).relation_name -%}
    {%- set manifest = (graph.sources.values() | selectattr('source_name', 'equalto', 'raw')
                        | selectattr('name', 'equalto', 'load_manifest') | first).relation_name -%}
    {%- if failed -%}
        {{ log("build_state not advanced (failed: " ~ (failed | length) ~ ")", info=False) }}
        {{ return('select 1') }}
    {%- endif -%}
    {#- the raw sources upstream of the required models this invocation did not build -#}
    {%- set seen = upstream_of(missing) -%}
    {%- set held = [] -%}
    {%- for source in graph.sources.values() if source.source_name == 'raw' and source.unique_id in seen -%}
        {%- do held.append(source) -%}
    {%- endfor -%}
    {#- of those, the feed tables (their rows carry the load that wrote them) -#}
    {%- set feed_tables = run_query("select table_name from duckdb_columns() where database_name = current_database()"
                                    " and schema_name = 'raw' and column_name = '_load_id'").columns[0].values() -%}
    begin transaction;
    insert into build_state.built_loads (load_id, built_at)
    select m.load_id, now()
    from {{ manifest }} as m
    where m.status = 'loaded'
        and not exists (select 1 from build_state.built_loads as b where b.load_id = m.load_id)
        {%- for source in held if source.name in feed_tables %}
        -- {{ source.name }}: a scoped model downstream of it was not built
        and not exists (select 1 from {{ source.relation_name }} as r where r._load_id = m.load_id)
        {%- endfor %}
    group by m.load_id;
    {%- if not missing %}
    delete from build_state.built_contracts;
    insert into build_state.built_contracts (vendor_id, fingerprint, built_at)
    select vendor_id, fingerprint, now() from {{ parameters }};
    {%- endif %}
    commit;
{%- endmacro %}


{% macro upstream_of(unique_ids) -%}
    {#- The given nodes and every node and source they read, directly or not (unique ids). Jinja has
        no while loop: walk the parents as a work list; each edge is pushed at most once per node
        seen, so (edges + given nodes) pops always empty it. -#}
    {%- set wanted = unique_ids | list -%}
    {%- set seen = [] -%}
    {%- set ns = namespace(steps=wanted | length) -%}
    {%- for node in graph.nodes.values() -%}
        {%- set ns.steps = ns.steps + (node.depends_on.nodes | length) -%}
    {%- endfor -%}
    {%- for _ in range(ns.steps) if wanted -%}
        {%- set unique_id = wanted.pop() -%}
        {%- if unique_id not in seen -%}
            {%- do seen.append(unique_id) -%}
            {%- if unique_id in graph.nodes -%}{%- do wanted.extend(graph.nodes[unique_id].depends_on.nodes) -%}{%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(seen) }}
{%- endmacro %}


{% macro scoped_logic_fingerprint() -%}
    {#- The code the scoped models are computed with: the checksum of every scoped model and of
        every model it reads, directly or not, plus var scoped_logic_version (bump it when a macro
        those models call changes: macros have no checksum in the graph). Part of each vendor's
        fingerprint (int_vendor_build_parameters), so an upgrade that changes this code restates
        every month once, instead of keeping rows computed by the old code next to new ones. -#}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set wanted = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and 'scoped' in node.tags -%}
        {%- do wanted.append(node.unique_id) -%}
    {%- endfor -%}
    {%- set seen = upstream_of(wanted) | select('in', graph.nodes) | list -%}
    {%- set parts = ['version ' ~ var('scoped_logic_version', 1)] -%}
    {%- for unique_id in seen | sort -%}
        {%- do parts.append(graph.nodes[unique_id].name ~ ' ' ~ graph.nodes[unique_id].checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join(' | '))) }}
{%- endmacro %}


{% macro build_scope_vendors_filter(vendor_column='vendor_id', scope='int_build_scope') -%}
    {#- On an incremental build, `<vendor_column> in (<the scope's vendors as literals>)`, read when the
        model runs (`false` for an empty scope); else `true`. A narrowing the in_build_scope() filter
        implies, written as constants because DuckDB pushes a constant filter on vendor_id through the
        latest-version window of a staging view (stg_surveys ...), not a subquery. -#}
    {%- if execute and is_incremental() -%}
        {%- set vendors = run_query('select distinct vendor_id from ' ~ ref(scope) ~ ' where vendor_id is not null')
                          .columns[0].values() | sort -%}
        {%- if vendors -%}
            {{ vendor_column }} in ({% for v in vendors %}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %})
        {%- else -%}
            false
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
