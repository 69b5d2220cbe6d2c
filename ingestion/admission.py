"""What a read file must pass before anything of it is recorded (loaded or quarantined)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from ingestion.landing import LandedFile
from ingestion.revisions import check_revision_not_loaded

if TYPE_CHECKING:
    from ingestion.loader import IngestResult, PreparedFile


def ready_to_load(con: duckdb.DuckDBPyConnection, landed: LandedFile, prepared: PreparedFile,
                  result: IngestResult) -> bool:
    """False, with `result` marked pending, when the file changed after its checksum was taken:
    what was read may be a mix of two states, so nothing of it is recorded and a later run takes
    the file once it is complete. Raises FileRejected when the file carries an invoice revision
    that is already loaded (ingestion.revisions).
    """
    changed = landed.changed_since_hashed()
    if changed is not None:
        result.status = "pending"
        result.reason = f"left pending: {changed}; a later run takes it once it is complete"
        return False
    if prepared.rejected is None and prepared.feed is not None and prepared.feed.name == "invoices":
        check_revision_not_loaded(con, prepared.rows)
    return True
