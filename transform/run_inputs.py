"""Whether a run has anything to build: the inputs the published marts were built from.

A run whose inputs equal those of the last *published* build does no dbt build and no publish
(issue 16): the marts and the published copy are already what a build would write. The inputs:

- the load manifest (every load and its status: a new file, a replay, a quarantine);
- the contracts folder, byte for byte (contracts and the dispute register beside them);
- the dbt project's files and the build's vars (reporting currency, warehouse);
- the publishing code (serving/publish.py), which decides what the published copy holds.

The record lives in the warehouse, `build_state.published_inputs` (one row). It is set to
`building` before dbt starts and to `published` only after the published copy was swapped in,
so a build that failed or was killed half-way leaves `building` and the next run builds again,
whatever landed since. A published copy that is missing, or is not the copy that build
published (another build_id), is published again too.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from transform.dbt_build import DBT_PROJECT_DIR

_PUBLISH_CODE = Path(__file__).resolve().parents[1] / "serving" / "publish.py"
_PROJECT_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")
_PROJECT_SKIP = {"target", "logs", "dbt_packages"}

NOTHING_NEW = "nothing new: warehouse and published copy unchanged"


def _files_digest(digest, root: Path, files) -> None:
    for p in sorted(files):
        digest.update(p.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(p.read_bytes()).digest())


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, contracts: Path, build_vars: str) -> str:
    """sha256 of everything a build reads besides raw feed rows, plus the load manifest (which
    names every set of feed rows: rows only ever arrive with a new manifest row)."""
    digest = hashlib.sha256()
    digest.update(b"manifest\0")
    for load_id, status in con.execute("select load_id, status from raw.load_manifest order by load_id").fetchall():
        digest.update(f"{load_id}\0{status}\n".encode())
    digest.update(b"contracts\0")
    contracts = Path(contracts)
    _files_digest(digest, contracts, (p for p in contracts.rglob("*") if p.is_file()
                                      and not any(part.startswith(".") for part in p.relative_to(contracts).parts)))
    digest.update(b"dbt project\0")
    _files_digest(digest, DBT_PROJECT_DIR, (
        p for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in _PROJECT_SUFFIXES and p.is_file()
        and not any(part in _PROJECT_SKIP or part.startswith(".") for part in p.relative_to(DBT_PROJECT_DIR).parts)))
    digest.update(b"vars\0" + build_vars.encode())
    digest.update(b"publish\0" + hashlib.sha256(_PUBLISH_CODE.read_bytes()).digest())
    return digest.hexdigest()


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists build_state")
    con.execute("create table if not exists build_state.published_inputs ("
                "fingerprint varchar not null, state varchar not null, build_id varchar, "
                "updated_at timestamptz not null)")


def build_reason(con: duckdb.DuckDBPyConnection, fingerprint: str, published: Path) -> str | None:
    """Why this run must build and publish, or None when nothing changed since the last publication."""
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'build_state' "
                         "and table_name = 'published_inputs'").fetchone()[0]
    row = con.execute("select fingerprint, state, build_id from build_state.published_inputs").fetchone() \
        if exists else None
    if row is None:
        return "no build published yet"
    recorded, state, build_id = row
    if state != "published":
        return "the last build did not finish (failed or interrupted)"
    if recorded != fingerprint:
        return "new data, contracts or code since the last build"
    if not Path(published).exists():
        return "the published copy is missing"
    if published_build_id(Path(published)) != build_id:
        return "the published copy is not the last build's"
    return None


def published_build_id(published: Path) -> str | None:
    try:
        with duckdb.connect(str(published), read_only=True) as pub:
            row = pub.execute("select build_id from main.publication").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def mark_building(con: duckdb.DuckDBPyConnection, fingerprint: str) -> None:
    """Before dbt starts: until the publication, the recorded inputs say a build is under way."""
    _ensure_table(con)
    con.begin()
    con.execute("delete from build_state.published_inputs")
    con.execute("insert into build_state.published_inputs values (?, 'building', null, ?)",
                [fingerprint, datetime.now(timezone.utc)])
    con.commit()


def mark_published(con: duckdb.DuckDBPyConnection, build_id: str) -> None:
    """After the published copy was swapped in: the recorded inputs are now those of the published marts."""
    _ensure_table(con)
    con.execute("update build_state.published_inputs set state = 'published', build_id = ?, updated_at = ? "
                "where state = 'building'", [build_id, datetime.now(timezone.utc)])
