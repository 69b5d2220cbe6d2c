"""Each invoice revision is loaded once.

A corrected invoice arrives as a new revision (docs/interfaces.md). A file
carrying a (vendor, invoice_id, revision) that is already in `raw.invoice_lines`
would add its lines to the loaded ones (the marts would bill them twice), so it
is refused before the load. Byte-identical re-deliveries never get here: the
manifest knows their sha256 and they are reported as duplicates.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.feeds import FEEDS, stored_columns
from ingestion.readers import FileRejected

# What makes two loaded invoice lines the same line: every stored column (not the load bookkeeping).
_LINE_COLUMNS = stored_columns(FEEDS["invoices"])


def check_revision_not_loaded(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """Raise FileRejected when an invoice revision in `rows` (prepared invoice lines) is already loaded.

    The check reads the warehouse, so within one batch the second of two files with the same
    revision is refused too: the first one is committed before the second is checked.
    """
    con.register("incoming_invoice_lines", rows.select(_LINE_COLUMNS))
    try:
        clash = con.execute("""
            with incoming as (select distinct vendor_id, invoice_id, revision from incoming_invoice_lines),
            loaded as (
                select l.vendor_id, l.invoice_id, l.revision, min(m.file_path) as file_path
                from raw.invoice_lines l
                join incoming i on i.vendor_id = l.vendor_id and i.invoice_id = l.invoice_id
                                and i.revision = l.revision
                join raw.load_manifest m on m.load_id = l._load_id
                group by all
            )
            select vendor_id, invoice_id, revision, file_path,
                   (select max(revision) from raw.invoice_lines r
                     where r.vendor_id = loaded.vendor_id and r.invoice_id = loaded.invoice_id) as highest
            from loaded order by invoice_id, revision limit 1
        """).fetchone()
        if clash is None:
            return
        vendor_id, invoice_id, revision, file_path, highest = clash
        cols = ", ".join(_LINE_COLUMNS)
        key = "vendor_id = ? and invoice_id = ? and revision = ?"
        differing = con.execute(f"""
            select count(*) from (
                (select {cols} from incoming_invoice_lines where {key}
                 except all select {cols} from raw.invoice_lines where {key})
                union all
                (select {cols} from raw.invoice_lines where {key}
                 except all select {cols} from incoming_invoice_lines where {key})
            )""", [vendor_id, invoice_id, revision] * 4).fetchone()[0]
    finally:
        con.unregister("incoming_invoice_lines")
    loaded_from = "/".join(Path(file_path).parts[-3:])  # <vendor>/invoices/<name>, as in the landing zone
    if differing:
        raise FileRejected(f"revision {revision} of {invoice_id} was loaded from {loaded_from} with other content; "
                           f"send the correction as revision {highest + 1}")
    raise FileRejected(f"revision {revision} of {invoice_id} was loaded from {loaded_from} with the same lines "
                       "(this file differs only in its bytes): nothing new to load")
