"""Before a `bpo run` starts the pipeline: is there anything to do at all?

A run with no new landed file and the same build inputs as the last publication
(transform/run_inputs.py) loads nothing, builds nothing and publishes nothing.
Finding that out inside the Dagster job costs its start-up and a run record of a
few hundred events; this check answers first, read-only, and the run stops
there (issue 16: a run with nothing new costs the process start-up plus a stat
of each landed file: a file's checksum comes from ingestion/checksum_cache.py
while the file is unchanged, and is computed only for the others). Whenever the
answer is not a clear "nothing", the whole run goes ahead and decides as
before: a file still being written, an unreadable file, a warehouse held by
another writer, an object-store landing zone, a warehouse or published copy
that does not exist yet.
"""

from __future__ import annotations

import os
from collections.abc import Container
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from ingestion.checksum_cache import kept_checksums
from ingestion.landing import Landed, checksum_or_none, scan
from ingestion.manifest import SETTLED
from ingestion.sql_text import sql_literal
from ingestion.storage import is_remote
from transform.run_inputs import build_reason, build_vars, inputs_fingerprint


def nothing_new(settings) -> list[dict] | None:
    """When every complete landed file is already in the manifest, none is still being written, and the last
    published build had the inputs a build would have now: the landed files as the run would report them
    (status `duplicate`, with the manifest's status and path of the same bytes). Else None.
    `settings`: ingestion.settings.Settings."""
    s = settings.resolved()
    if is_remote(s.landing) or not Path(s.warehouse).is_file() or not Path(s.published_path).is_file():
        return None
    landed = scan(s.landing, s.settle_seconds)
    if landed.waiting:
        return None  # the run lists them as pending
    try:
        con = duckdb.connect(str(s.warehouse), read_only=True)
    except duckdb.Error:
        return None  # held by a writer (or not a warehouse): the run waits for it or says why
    try:
        if not _manifest_exists(con):
            return None
        known = {sha: (status, path) for sha, status, path in con.execute(
            # the latest processing of the same bytes, as ingestion.loader.already_processed reports it
            "select sha256, arg_max(status, processed_at), arg_max(file_path, processed_at) "
            # SETTLED as literals: a bound parameter makes DuckDB's Python client import pandas (~0.4 CPU s)
            f"from raw.load_manifest where status in ({', '.join(map(sql_literal, SETTLED))}) group by sha256"
        ).fetchall()}
        with kept_checksums(s.warehouse, landed.complete):  # what is hashed here, the run need not hash again
            shas = _known_checksums(landed.complete, known)
        if shas is None:
            return None
        fingerprint = inputs_fingerprint(con, s.contracts, build_vars(s.reporting_currency, s.warehouse))
        if build_reason(con, fingerprint, Path(s.published_path)) is not None:
            return None
    finally:
        con.close()
    # what ingestion.loader.ingest_file reports for bytes it has processed before
    return [{"file": f.source, "vendor_id": f.vendor_id, "feed": f.feed, "sha256": sha, "status": "duplicate",
             "rows": 0, "reason": f"same bytes already {known[sha][0]} from {known[sha][1]}"}
            for f, sha in zip(landed.complete, shas)]


def _manifest_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' "
                       "and table_name = 'load_manifest'").fetchone()[0] == 1


def _known_checksums(files: list[Landed], known: Container[str]) -> list[str] | None:
    """The files' checksums, in their order, when every one is in `known`, else None. The newest files
    (likeliest new) are hashed first, on every core (hashlib releases the GIL); the first unknown one ends it.
    A file whose checksum was recalled (ChecksumCache) is not read."""
    order = sorted(range(len(files)), key=lambda i: files[i].arrival, reverse=True)
    shas: list[str] = [""] * len(files)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for i, sha in zip(order, pool.map(checksum_or_none, [files[i] for i in order])):
            if sha is None or sha not in known:
                pool.shutdown(wait=False, cancel_futures=True)
                return None
            shas[i] = sha
    return shas
