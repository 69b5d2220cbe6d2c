"""dbt-duckdb internals: the process-wide DuckDB database its connection manager keeps open, and
running dbt in this process, which must release it after every invocation; and dbt-core's partial-parse
check, which must not take a warehouse's file path for a change of the project.

Private uses: `DuckDBConnectionManager._ENV` / `_LOCK` (dbt-duckdb 1.11.1);
`ManifestLoader.build_manifest_state_check` and `ManifestStateCheck.profile_hash` (dbt-core 1.11).
"""

from __future__ import annotations

from collections.abc import Sequence

from compat import check_versions

check_versions("dbt-duckdb", "dbt-core")


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the process (it only forgets it).

    dbt-duckdb holds the file in the class attribute `DuckDBConnectionManager._ENV` after an
    in-process invocation; until it is closed, no other process (publish, the next run, a
    reader) can open the warehouse.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None:
            env.close()


def ignore_path_in_parse_check() -> None:
    """dbt's partial parsing without the DuckDB file's path in its profile check (idempotent).

    dbt re-parses the whole project when the profile's connection values differ from those of the
    saved parse (`ManifestStateCheck.profile_hash`: every `connection_info()` pair, the path
    included), so each new warehouse, or a test's temporary one, cost a full parse (~5 s). What
    the parse takes from the connection is the catalog name (`database`, the file's stem, written
    into every node) and whatever project Jinja reads from `target`; the hash keeps every pair but
    the path, and this project never reads `target.path` (tests/dbt/test_parse_reuse.py checks it).
    Only for DuckDB profiles, only in this process (in-process dbt: `run_dbt`).
    """
    import pprint

    from dbt.contracts.files import FileHash
    from dbt.parser.manifest import ManifestLoader

    original = ManifestLoader.build_manifest_state_check
    if getattr(original, "_bpo_without_path", False):
        return

    def build_manifest_state_check(self):
        state = original(self)
        credentials = self.root_project.credentials
        if credentials.type == "duckdb":
            pairs = sorted((k, v) for k, v in credentials.connection_info() if k != "path")
            state.profile_hash = FileHash.from_contents(pprint.pformat(pairs))  # as dbt hashes them
        return state

    build_manifest_state_check._bpo_without_path = True
    ManifestLoader.build_manifest_state_check = build_manifest_state_check


def run_dbt(args: Sequence[str], *, manifest=None, callbacks: Sequence = ()):
    """dbt in this process (`dbtRunner`), then the warehouse released; returns dbt's result.

    manifest: a parsed manifest to reuse (no parsing); callbacks: called with each dbt event.
    A target folder without dbt's partial-parse state starts from the project's shared one for the same
    vars and profile, and a successful parse shares its own (transform.dbt_build `reuse_shared_parse`,
    `share_parse`); the warehouse's path is left out of dbt's check (`ignore_path_in_parse_check`).
    """
    from dbt.cli.main import dbtRunner

    from transform.dbt_build import reuse_shared_parse, share_parse

    ignore_path_in_parse_check()
    if manifest is None:
        reuse_shared_parse(args)
    try:
        result = dbtRunner(manifest=manifest, callbacks=list(callbacks)).invoke(list(args))
    finally:
        release_duckdb()  # dbt-duckdb keeps the file open for the process otherwise
    if manifest is None and result.success:
        share_parse(args)
    return result
