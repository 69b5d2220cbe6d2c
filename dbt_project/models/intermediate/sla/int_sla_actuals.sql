{{ config(materialized='table') }}
-- A table: its two data tests and int_service_credits read it (as a view each of them computed it
-- again from the survey responses and the counts).
-- One row per vendor × contract month × SLA line of the version in force,
-- with the counts behind the metric, the actual and its sample size
-- (domain.md § KPIs). Every parameter comes from the SLA line (threshold,
-- resolved short_abandon_seconds, abandons treatment, repeat window).
-- Months evaluated: every vendor × contract month with interaction or survey
-- data and a version in force (int_contract_months).
-- An SLA line with a null channel / queue covers all channels / queues.
-- ESAT / eNPS lines: agent surveys carry a site, not a channel or queue, so
-- they are evaluated on all the vendor's agent surveys of the month
-- (responded_at in the vendor's timezone).
-- containment_rate lines: contained / self-service sessions of the month on the
-- line's channel (int_sla_containment_counts; null channel = ivr, bot and web).
-- QA lines (qa_score, qa_auto_fail_rate, qa_calibration_gap): counts from
-- int_sla_qa_counts (evaluator_side, calibration and pair rules live there).
{% set contact_metrics = sla_contact_metrics() %}
{% set survey_metrics = ['csat_top2box', 'nps'] %}
{% set agent_metrics = ['esat_top2box', 'enps'] %}

with lines as (
    select * from {{ ref('int_sla_lines') }}
),

contact_counts as (
    select * from {{ ref('int_sla_contact_counts') }}
),

survey_counts as (
    select
        l.vendor_id,
        l.period_month,
        l.sla_line,
        count(r.csat) as csat_responses,
        count(*) filter (where r.is_csat_top2box) as csat_top2box_responses,
        count(r.nps) as nps_responses,
        count(*) filter (where r.is_nps_promoter) as nps_promoters,
        count(*) filter (where r.is_nps_detractor) as nps_detractors
    from lines as l
    left join {{ ref('int_survey_responses') }} as r
        on r.vendor_id = l.vendor_id
        and r.period_month = l.period_month
        and (l.channel is null or r.channel = l.channel)
        and (l.queue is null or r.queue = l.queue)
    where l.metric in ('{{ survey_metrics | join("', '") }}')
    group by l.vendor_id, l.period_month, l.sla_line
),

agent_counts as (
    select
        l.vendor_id,
        l.period_month,
        l.sla_line,
        count(a.esat) as esat_responses,
        count(*) filter (where a.esat in (4, 5)) as esat_top2box_responses,
        count(a.enps) as enps_responses,
        count(*) filter (where a.enps >= 9) as enps_promoters,
        count(*) filter (where a.enps <= 6) as enps_detractors
    from lines as l
    left join {{ ref('int_agent_survey_responses') }} as a
        on a.vendor_id = l.vendor_id
        and a.period_month = l.period_month
    where l.metric in ('{{ agent_metrics | join("', '") }}')
    group by l.vendor_id, l.period_month, l.sla_line
),

-- counts are null on lines whose metric does not use them; a contact line with
-- no matching contact (no row in int_sla_contact_counts) counts 0
counts as (
    select
        l.*,
        {#- the columns in their original order: the waits and handle time are sums, null without contacts -#}
        {%- for column in ['offered', 'answered', 'abandoned', 'short_abandoned', 'answered_within_threshold',
                           'abandoned_within_threshold', 'answered_wait_seconds', 'handle_seconds', 'transferred',
                           'complaints', 'fcr_repeat_basis_contacts', 'fcr_disposition_basis_contacts'] %}
        {%- if column.endswith('_seconds') %}
        c.{{ column }},
        {%- else %}
        case when l.metric in ('{{ contact_metrics | join("', '") }}') then coalesce(c.{{ column }}, 0) end
            as {{ column }},
        {%- endif %}
        {%- endfor %}
        case when l.metric in ('{{ contact_metrics | join("', '") }}')
            then coalesce(c.fcr_repeat_basis_resolved, 0) + coalesce(c.fcr_disposition_basis_resolved, 0)
        end as fcr_resolved_contacts,
        cc.self_service_sessions,
        cc.contained_sessions,
        s.csat_responses,
        s.csat_top2box_responses,
        s.nps_responses,
        s.nps_promoters,
        s.nps_detractors,
        a.esat_responses,
        a.esat_top2box_responses,
        a.enps_responses,
        a.enps_promoters,
        a.enps_detractors,
        q.qa_evaluations,
        q.qa_score,
        q.qa_auto_fails,
        q.calibration_pairs,
        q.calibration_gap
    from lines as l
    left join contact_counts as c using (vendor_id, period_month, sla_line)
    left join survey_counts as s using (vendor_id, period_month, sla_line)
    left join agent_counts as a using (vendor_id, period_month, sla_line)
    left join {{ ref('int_sla_containment_counts') }} as cc using (vendor_id, period_month, sla_line)
    left join {{ ref('int_sla_qa_counts') }} as q using (vendor_id, period_month, sla_line)
),

sized as (
    select
        *,
        case metric
            when 'service_level' then case abandons
                when 'exclude_short' then offered - short_abandoned
                when 'exclude_all' then answered
                when 'count_against' then offered
                when 'count_for_within' then offered
            end
            when 'asa_seconds' then answered
            when 'aht_seconds' then answered
            when 'transfer_rate' then answered
            when 'complaint_rate' then answered
            when 'fcr_rate' then answered
            when 'abandon_rate' then offered - short_abandoned
            when 'csat_top2box' then csat_responses
            when 'nps' then nps_responses
            when 'esat_top2box' then esat_responses
            when 'enps' then enps_responses
            when 'containment_rate' then self_service_sessions
            when 'qa_score' then qa_evaluations
            when 'qa_auto_fail_rate' then qa_evaluations
            when 'qa_calibration_gap' then calibration_pairs
        end as sample_size_raw
    from counts
),

sized_final as (
    -- metrics the pipeline cannot measure yet have no sample
    select {{ star_except(['sample_size_raw']) }}, coalesce(sample_size_raw, 0) as sample_size
    from sized
)

select
    *,
    case when sample_size > 0 then
        case metric
            when 'service_level' then case abandons
                when 'count_for_within'
                    then cast(answered_within_threshold + abandoned_within_threshold as double) / sample_size
                else cast(answered_within_threshold as double) / sample_size
            end
            when 'asa_seconds' then cast(answered_wait_seconds as double) / sample_size
            when 'aht_seconds' then cast(handle_seconds as double) / sample_size
            when 'transfer_rate' then cast(transferred as double) / sample_size
            when 'complaint_rate' then 1000.0 * complaints / sample_size
            when 'fcr_rate' then cast(fcr_resolved_contacts as double) / sample_size
            when 'abandon_rate' then cast(abandoned - short_abandoned as double) / sample_size
            when 'csat_top2box' then cast(csat_top2box_responses as double) / sample_size
            when 'nps' then 100.0 * (nps_promoters - nps_detractors) / sample_size
            when 'esat_top2box' then cast(esat_top2box_responses as double) / sample_size
            when 'enps' then 100.0 * (enps_promoters - enps_detractors) / sample_size
            when 'containment_rate' then cast(contained_sessions as double) / sample_size
            when 'qa_score' then qa_score
            when 'qa_auto_fail_rate' then cast(qa_auto_fails as double) / sample_size
            when 'qa_calibration_gap' then calibration_gap
        end
    end as actual,
    case
        when metric = 'fcr_rate' and sample_size > 0 then
            case
                when fcr_disposition_basis_contacts = 0 then 'repeat_contact'
                when fcr_repeat_basis_contacts = 0 then 'disposition'
                else 'mixed'
            end
    end as fcr_basis
from sized_final
