{#- QA score = mean of score / max_score (auto-fail as 0) over `n` evaluations
    (domain.md "quality"). When every evaluation has the same max_score
    (one QA form, the usual case) it is computed as ONE division of exact
    integers, Σ score (auto-fails left out, in units of 0.0001) / (max_score
    units × n), so it is the correctly rounded double of the exact mean and a
    score exactly at an SLA target compares equal to it; with several
    max_scores, the sum of the evaluations' double values / n.
    Arguments are the aggregates qa_score_sums() gives (or sums / min / max of them). -#}
{% macro qa_score(n, value_sum, score_units, max_units_min, max_units_max) -%}
    case when {{ n }} > 0 then
        case when {{ max_units_min }} = {{ max_units_max }}
            then cast({{ score_units }} as double) / cast(cast({{ max_units_min }} as {{ int128() }}) * {{ n }} as double)
            else {{ value_sum }} / {{ n }}
        end
    end
{%- endmacro %}

{#- The per-group aggregates qa_score() needs, over rows of int_qa_evaluations (alias `e`). -#}
{% macro qa_score_sums(e='e') -%}
    sum({{ e }}.qa_value) as qa_value_sum,
    cast(sum(case when not {{ e }}.auto_fail then cast({{ e }}.score * 10000 as {{ int128() }}) else 0 end) as {{ int128() }})
        as qa_score_units,
    cast(min({{ e }}.max_score * 10000) as {{ int128() }}) as qa_max_units_min,
    cast(max({{ e }}.max_score * 10000) as {{ int128() }}) as qa_max_units_max
{%- endmacro %}
