"""The one place that leans on private or patched internals of dagster-dbt, Great Expectations
and dbt-duckdb, and the versions it was written for.

Each module here uses names its library does not promise to keep (underscored attributes,
internal modules, methods patched on a class) and calls `check_versions` for its libraries when
imported, so an upgrade fails at once, here, in one line, instead of somewhere deep in a run:

- `compat.dagster_dbt_inprocess`: dagster-dbt's `DbtCliResource` / `DbtCliInvocation` fed by dbt
  running in this process (the Dagster dbt step);
- `compat.dbt_duckdb`: closing the DuckDB database dbt-duckdb keeps open for the process;
- `compat.gx`: two Great Expectations speed patches applied when the validator is built;
- `compat.gx_duckdb`: GX's SQL execution engine on DuckDB (the empty-result fix, the caller's connection);
- `compat.dagster_sqlite`: Dagster's SQLite event log with pooled, open connections (`bpo run`).

After an upgrade: read those modules against the new library, run tests/compat and the tests of
the rooms that use them, then update `WRITTEN_FOR`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

# distribution -> the version the private uses were written and tested for ("1.11.*": any 1.11.x)
WRITTEN_FOR: dict[str, str] = {
    "dagster": "1.13.27",  # compat.dagster_sqlite
    "dagster-dbt": "0.29.27",
    "dbt-core": "1.11.*",
    "dbt-duckdb": "1.11.1",
    "great-expectations": "1.24.1",
    "duckdb-engine": "0.17.0",  # compat.gx_duckdb: GX's SQL engine on DuckDB
    "sqlalchemy": "2.1.*",
}


class UnsupportedVersion(RuntimeError):
    """An installed library is not the version the compat module was written for."""


def _matches(installed: str, wanted: str) -> bool:
    if wanted.endswith(".*"):
        return installed.startswith(wanted[:-1])
    return installed == wanted


def check_versions(*distributions: str, installed: Callable[[str], str] = metadata.version) -> None:
    """Raise UnsupportedVersion (one line) unless each distribution is the version in WRITTEN_FOR."""
    for name in distributions or tuple(WRITTEN_FOR):
        wanted = WRITTEN_FOR[name]
        try:
            found = installed(name)
        except metadata.PackageNotFoundError:
            raise UnsupportedVersion(f"{name} is not installed; compat/ was written for {name} {wanted}") from None
        if not _matches(found, wanted):
            raise UnsupportedVersion(
                f"{name} {found} is installed but compat/ relies on private internals of {name} {wanted}: "
                f"check compat/ against {found}, then update WRITTEN_FOR (or install {name} {wanted})")
