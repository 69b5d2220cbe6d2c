"""`adapter` for sqlfluff's offline jinja templater (.sqlfluff `library_path`): dbt's adapter.dispatch
picks a macro by engine (dbt_project/macros/cross_db.sql); lint renders the DuckDB one, `default__<name>`."""

from __future__ import annotations

import jinja2


@jinja2.pass_context
def dispatch(context, macro_name: str, macro_namespace: str | None = None):
    return context.resolve_or_missing(f"default__{macro_name}")
