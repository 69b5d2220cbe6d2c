{#- Generic data test: no two rows share the same values in `columns`
    (nulls compare equal, as in GROUP BY). dbt_utils' unique_combination_of_columns
    without the package (the network is closed).
    Usage:  data_tests: [{unique_column_combination: {columns: [a, b]}}] -#}
{% test unique_column_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
