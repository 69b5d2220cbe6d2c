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

What to build (`changed_raw_tables`): the record also keeps one digest per raw table dbt reads
(`input_parts`: a feed table by the loads it holds, a contracts table by its rows) and one of the
code. After a published build with the same code, only the models downstream of the raw tables
that changed need building (transform/dbt_selection.py); anything else builds everything.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingestion.feeds import FEEDS
from transform.dbt_build import DBT_PROJECT_DIR

_PUBLISH_CODE = Path(__file__).resolve().parents[1] / "serving" / "publish.py"
_PROJECT_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")
_PROJECT_SKIP = {"target", "logs", "dbt_packages"}

NOTHING_NEW = "nothing new: warehouse and published copy unchanged"


def build_vars(reporting_currency: str, warehouse: Path) -> str:
    """The build's vars as the fingerprint covers them (the dbt step and `bpo run`'s early check)."""
    return f"{reporting_currency}|{Path(warehouse).resolve()}"


def _files_digest(digest, root: Path, files) -> None:
    for p in sorted(files):
        digest.update(p.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(p.read_bytes()).digest())


def _code_digest(digest, build_vars: str) -> None:
    """The dbt project's files, the build's vars and the publishing code."""
    digest.update(b"dbt project\0")
    _files_digest(digest, DBT_PROJECT_DIR, (
        p for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in _PROJECT_SUFFIXES and p.is_file()
        and not any(part in _PROJECT_SKIP or part.startswith(".") for part in p.relative_to(DBT_PROJECT_DIR).parts)))
    digest.update(b"vars\0" + build_vars.encode())
    digest.update(b"publish\0" + hashlib.sha256(_PUBLISH_CODE.read_bytes()).digest())


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
    _code_digest(digest, build_vars)
    return digest.hexdigest()


CODE_PART = "code"


def input_parts(con: duckdb.DuckDBPyConnection, build_vars: str) -> dict[str, str]:
    """One digest per raw table dbt reads (`raw:<table>`) and one of the code (`code`).

    A feed table is digested by the loads it holds: feed rows only arrive with a `loaded` manifest
    row and are never changed or removed, so its loads name its rows (a quarantined file adds none;
    raw.load_manifest itself is read by dbt only to order the versions of a feed's rows, so it is
    covered by the feeds). Every other raw table (the contracts and the dispute register, replaced
    whole from the contracts folder at each run) is digested by its rows, a few thousand at most.
    """
    feed_table = {feed.name: feed.table for feed in FEEDS.values()}
    loads: dict[str, list[str]] = {table: [] for table in feed_table.values()}
    for feed, load_id in con.execute("select feed, load_id from raw.load_manifest where status = 'loaded' "
                                     "order by feed, load_id").fetchall():
        loads.setdefault(feed_table.get(feed, feed), []).append(load_id)
    parts = {f"raw:{table}": hashlib.sha256("\n".join(ids).encode()).hexdigest() for table, ids in loads.items()}
    others = [t for (t,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'raw' "
        "order by table_name").fetchall() if t not in loads and t != "load_manifest"]
    for table in others:
        digest = hashlib.sha256()
        for row in con.execute(f'select * from raw."{table}" order by all').fetchall():
            digest.update(repr(row).encode() + b"\n")
        parts[f"raw:{table}"] = digest.hexdigest()
    digest = hashlib.sha256()
    _code_digest(digest, build_vars)
    parts[CODE_PART] = digest.hexdigest()
    return parts


def changed_raw_tables(con: duckdb.DuckDBPyConnection, parts: dict[str, str]) -> list[str] | None:
    """The raw tables whose rows changed since the last published build, or None when this build
    must build everything: no published build on record (or one recorded before the parts were),
    a build that did not finish since, other code or vars, or another set of raw tables.

    Only after a published build are all the warehouse's models what a full build would write, so
    that the models no changed table reaches can stay as they are.
    """
    row = _record(con)
    if row is None or row[1] != "published" or not row[3]:
        return None
    recorded = json.loads(row[3])
    if recorded.keys() != parts.keys() or recorded[CODE_PART] != parts[CODE_PART]:
        return None
    return sorted(key.removeprefix("raw:") for key in parts if key != CODE_PART and recorded[key] != parts[key])


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists build_state")
    con.execute("create table if not exists build_state.published_inputs ("
                "fingerprint varchar not null, state varchar not null, build_id varchar, "
                "updated_at timestamptz not null)")
    # input_parts (JSON); a record from before it has none, and the next build builds everything
    con.execute("alter table build_state.published_inputs add column if not exists parts varchar")


def _record(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """(fingerprint, state, build_id, parts) of the last build, or None."""
    columns = [c for (c,) in con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'build_state' and table_name = 'published_inputs'").fetchall()]
    if not columns:
        return None
    parts = "parts" if "parts" in columns else "null"
    return con.execute(f"select fingerprint, state, build_id, {parts} from build_state.published_inputs").fetchone()


def build_reason(con: duckdb.DuckDBPyConnection, fingerprint: str, published: Path) -> str | None:
    """Why this run must build and publish, or None when nothing changed since the last publication."""
    row = _record(con)
    if row is None:
        return "no build published yet"
    recorded, state, build_id, _ = row
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


def mark_building(con: duckdb.DuckDBPyConnection, fingerprint: str, parts: dict[str, str] | None = None) -> None:
    """Before dbt starts: until the publication, the recorded inputs say a build is under way."""
    _ensure_table(con)
    con.begin()
    con.execute("delete from build_state.published_inputs")
    con.execute("insert into build_state.published_inputs (fingerprint, state, build_id, updated_at, parts) "
                "values (?, 'building', null, ?, ?)",
                [fingerprint, datetime.now(timezone.utc), json.dumps(parts, sort_keys=True) if parts else None])
    con.commit()


def mark_published(con: duckdb.DuckDBPyConnection, build_id: str) -> None:
    """After the published copy was swapped in: the recorded inputs are now those of the published marts."""
    _ensure_table(con)
    con.execute("update build_state.published_inputs set state = 'published', build_id = ?, updated_at = ? "
                "where state = 'building'", [build_id, datetime.now(timezone.utc)])
