"""dbt's cross-database macros the models call (`dbt.<name>`), for sqlfluff's offline jinja templater
(.sqlfluff `library_path`), rendered as dbt-duckdb renders them."""

from __future__ import annotations


def type_string() -> str:
    return "varchar"


def string_literal(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"(date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp))"
