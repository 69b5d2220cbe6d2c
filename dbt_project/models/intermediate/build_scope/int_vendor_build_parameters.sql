{{ config(materialized='table') }}
-- Per vendor, what the scoped (incremental) models depend on in its contract:
-- the FCR look-back horizon and a fingerprint of every contract field the
-- scoped models read (kind, timezone, versions, SLA lines, worked_time states), and of the code of the
-- scoped models (macros/build_scope.sql scoped_logic_fingerprint). A changed fingerprint restates
-- all of the vendor's months (int_build_scope); pricing changes need no
-- restatement because the money marts are rebuilt whole on every build.
-- fcr_horizon_days: the longest FCR repeat window of any version; next-contact
-- facts are kept only within it (int_interaction_facts), so a new contact can
-- only change facts of contacts at most this many days earlier.
with contract_rows as (
    select vendor_id, 'contract ' || kind || ' ' || timezone as fact
    from {{ ref('stg_contracts') }}
    union all
    select vendor_id, 'version ' || {{ row_as_text('v') }}
    from {{ ref('stg_contract_versions') }} as v
    union all
    select vendor_id, 'sla ' || {{ row_as_text('s') }}
    from {{ ref('stg_contract_sla') }} as s
    union all
    -- worked_time.states: the class of each state (fte_hours_per_month is on the version row)
    select vendor_id, 'state ' || {{ row_as_text('w') }}
    from {{ ref('stg_contract_worked_time_states') }} as w
    union all
    -- the code the scoped models are computed with: a change restates every vendor once
    select vendor_id, 'logic {{ scoped_logic_fingerprint() }}'
    from {{ ref('stg_contracts') }}
),

fingerprints as (
    select vendor_id, md5({{ string_agg_ordered('fact', "' | '", 'fact') }}) as fingerprint
    from contract_rows
    group by vendor_id
),

horizons as (
    select vendor_id, max(repeat_window_days) as fcr_horizon_days
    from {{ ref('int_contract_sla_lines') }}
    where metric = 'fcr_rate'
    group by vendor_id
)

select
    c.vendor_id,
    coalesce(h.fcr_horizon_days, 0) as fcr_horizon_days,
    f.fingerprint,
    -- build_state.*: the ledger the on-run hooks keep (macros/build_scope.sql), dbt's own
    -- bookkeeping rather than a source; no row yet (first build) counts as changed
    b.fingerprint is distinct from f.fingerprint as contract_changed
from {{ ref('stg_contracts') }} as c
join fingerprints as f on f.vendor_id = c.vendor_id
left join horizons as h on h.vendor_id = c.vendor_id
left join build_state.built_contracts as b on b.vendor_id = c.vendor_id
