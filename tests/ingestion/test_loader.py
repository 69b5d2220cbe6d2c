"""Loading landed files: whole or not at all, once per content, PII never in clear text."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from decimal import Decimal

import duckdb
import pytest

from ingestion import loader
from ingestion.batch import ingest
from ingestion.pii import pii_salt
from tests.conftest import land

INTERACTIONS = """
    interaction_id,channel,queue,arrived_at,answered_at,ended_at,talk_seconds,hold_seconds,wrap_seconds,agent_id,transferred,resolved,customer_ref,customer_phone,customer_email,customer_name,complaint
    a1,voice,billing,2026-01-05 09:14:03,2026-01-05 09:14:20,2026-01-05 09:20:00,300,10,30,ag1,N,Y,CUST-1,+52 81 5555 1234,jane@example.com,Jane Doe,0
    a2,voice,billing,2026-01-31 23:50:00,,2026-01-31 23:50:04,,,,,false,false,CUST-2,,,,1
    a3,chat,sales,2026-01-06T10:00:00Z,2026-01-06T10:00:30Z,2026-01-06T10:10:00Z,500,0,60,ag2,true,true,,,,,
    """

INVOICE = """
    invoice_id,revision,invoice_date,period_start,period_end,currency,line_id,category,channel,description,quantity,unit,unit_price,amount,tax_amount,approval_ref
    INV-1,0,2026-02-05,2026-01-01,2026-01-31,MXN,L001,handled_contacts,voice,Voice contacts,1200,contact,10.00,12000.00,1920.00,
    INV-1,0,2026-02-05,2026-01-01,2026-01-31,MXN,L002,travel,,Site visit,1,each,450.10,450.10,0,APP-7
    """


def rows(settings, sql):
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_good_files_load_with_utc_timestamps_and_a_manifest_row(settings, validate):
    land(settings, "acme_mx", "interactions", "day1.csv", INTERACTIONS)
    land(settings, "acme_mx", "invoices", "inv1.csv", INVOICE)
    results = ingest(settings, validate)
    assert [r.status for r in results] == ["loaded", "loaded"]
    got = dict(rows(settings, "select interaction_id, arrived_at from raw.interactions"))
    # Monterrey has no DST since 2022: UTC-6 all year. a3 carried its own offset (Z).
    assert got["a1"] == datetime(2026, 1, 5, 15, 14, 3, tzinfo=timezone.utc)
    assert got["a2"] == datetime(2026, 2, 1, 5, 50, 0, tzinfo=timezone.utc)
    assert got["a3"] == datetime(2026, 1, 6, 10, 0, 0, tzinfo=timezone.utc)
    amounts = rows(settings, "select line_id, amount, tax_amount from raw.invoice_lines order by line_id")
    assert amounts == [("L001", Decimal("12000.0000"), Decimal("1920.0000")),
                       ("L002", Decimal("450.1000"), Decimal("0.0000"))]
    manifest = rows(settings, "select feed, rows, status from raw.load_manifest order by feed")
    assert manifest == [("interactions", 3, "loaded"), ("invoices", 2, "loaded")]


def test_same_bytes_under_another_name_load_once(settings, validate):
    land(settings, "acme_mx", "interactions", "day1.csv", INTERACTIONS)
    ingest(settings, validate)
    land(settings, "acme_mx", "interactions", "day1_resent.csv", INTERACTIONS)
    results = ingest(settings, validate)
    assert sorted(r.status for r in results) == ["duplicate", "duplicate"]
    assert rows(settings, "select count(*) from raw.interactions") == [(3,)]
    assert rows(settings, "select count(*) from raw.load_manifest") == [(1,)]


def test_pii_never_reaches_the_warehouse_in_clear_text(settings, validate):
    land(settings, "acme_mx", "interactions", "day1.csv", INTERACTIONS)
    land(settings, "acme_mx", "surveys", "s.csv", """
        survey_id,interaction_id,responded_at,csat,nps,comment
        s1,a1,2026-01-05 12:00:00,5,10,Call me on +52 81 5555 1234 - Jane Doe
        """)
    ingest(settings, validate)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    dump = " ".join(
        str(v)
        for (schema, table) in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        for row in con.execute(f'select * from {schema}."{table}"').fetchall() for v in row
    )
    con.close()
    for secret in ("CUST-1", "5555 1234", "jane@example.com", "Jane Doe", "Call me"):
        assert secret not in dump
    keys = rows(settings, "select customer_ref_hash, customer_phone_hash, customer_email_hash from raw.interactions "
                          "where interaction_id = 'a1'")[0]
    # the customer key: the first 16 bytes of sha256(salt, 0x1f, value) (ingestion/pii.py)
    salt = pii_salt(settings).encode() + b"\x1f"
    assert keys == tuple(hashlib.sha256(salt + v.encode()).digest()[:16]
                         for v in ("CUST-1", "+52 81 5555 1234", "jane@example.com"))
    assert rows(settings, "select has_comment from raw.surveys") == [(True,)]


def test_malformed_file_is_quarantined_with_reason_and_good_ones_load(settings, validate):
    land(settings, "acme_mx", "interactions", "good.csv", INTERACTIONS)
    bad = land(settings, "acme_mx", "interactions", "bad.csv", """
        interaction_id,channel,queue,arrived_at,answered_at,ended_at,talk_seconds
        b1,voice,billing,2026-01-05 09:14:03,2026-01-05 09:14:20,2026-01-05 09:20:00,300
        b2,fax,billing,2026-01-05 09:15:00,2026-01-05 09:14:20,2026-01-05 09:20:00,300
        """)
    results = {r.file: r for r in ingest(settings, validate)}
    assert results[str(bad)].status == "quarantined"
    assert "channel" in results[str(bad)].reason
    reason_file = settings.quarantine_dir / "acme_mx" / "interactions" / "bad.csv.reason.txt"
    text = reason_file.read_text()
    assert "'fax'" in text and "answered_at" in text and "row 2" in text
    assert (settings.quarantine_dir / "acme_mx" / "interactions" / "bad.csv").read_bytes() == bad.read_bytes()
    assert rows(settings, "select count(*) from raw.interactions where interaction_id like 'b%'") == [(0,)]
    assert rows(settings, "select count(*) from raw.interactions") == [(3,)]


@pytest.mark.parametrize(
    ("vendor", "feed", "name", "content", "reason"),
    [
        ("acme_mx", "interactions", "empty.csv", "", "the file is empty"),
        ("acme_mx", "interactions", "header.csv", "interaction_id,channel,queue,arrived_at,answered_at,ended_at\n",
         "header but no rows"),
        ("acme_mx", "interactions", "semi.csv", "interaction_id;channel;queue\na;voice;q\n", "delimiter"),
        ("acme_mx", "interactions", "nocol.csv", "interaction_id,channel\na,voice\n", "missing required column"),
        ("acme_mx", "interactions", "latin1.csv", "interaction_id,channel,queue,arrived_at,answered_at,ended_at\n"
         "a,voice,caf\xe9,2026-01-01 10:00:00,,2026-01-01 10:01:00\n".encode("latin-1"), "not UTF-8"),
        ("acme_mx", "interactions", "types.csv", "interaction_id,channel,queue,arrived_at,answered_at,ended_at,talk_seconds\n"
         "a,voice,q,2026-01-01 10:00:00,,2026-01-01 10:01:00,ten\n", "talk_seconds"),
        ("acme_mx", "interactions", "dst.csv", "interaction_id,channel,queue,arrived_at,answered_at,ended_at\n"
         "a,voice,q,yesterday,,2026-01-01 10:01:00\n", "arrived_at"),
        ("unknown_vendor", "interactions", "x.csv", INTERACTIONS, "no contract for vendor"),
        ("acme_mx", "calls", "x.csv", INTERACTIONS, "unknown feed folder"),
        ("acme_mx", "invoices", "eur.csv", INVOICE.replace("MXN", "EUR"), "differs from the contract currency MXN"),
        ("acme_mx", "interactions", "x.xlsx", b"PK\x03\x04garbage", "unsupported file type"),
        ("acme_mx", "interactions", "x.csv.gz", b"\x1f\x8b\x08\x00truncated", "gzip"),
    ],
)
def test_unusable_files_are_quarantined_with_a_specific_reason(settings, validate, vendor, feed, name, content, reason):
    land(settings, vendor, feed, name, content)
    (result,) = ingest(settings, validate)
    assert result.status == "quarantined"
    assert reason in result.reason
    assert rows(settings, "select count(*) from raw.interactions") == [(0,)]
    assert rows(settings, "select status from raw.load_manifest") == [("quarantined",)]


def test_a_crash_while_writing_leaves_neither_rows_nor_manifest(settings, validate, monkeypatch):
    land(settings, "acme_mx", "interactions", "day1.csv", INTERACTIONS)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_write_manifest", explode)
    (failed,) = ingest(settings, validate)  # the file fails, the batch does not raise
    assert failed.status == "failed" and "RuntimeError: disk full" in failed.reason
    assert "the next run tries it again" in failed.reason and failed.rows == 0 and failed.load_id is None
    assert rows(settings, "select count(*) from raw.interactions") == [(0,)]
    assert rows(settings, "select count(*) from raw.load_manifest") == [(0,)]
    monkeypatch.undo()
    (result,) = ingest(settings, validate)  # picked up again on the next run
    assert result.status == "loaded" and result.rows == 3


def test_extra_columns_load_with_a_schema_drift_warning(settings, validate):
    land(settings, "acme_mx", "interactions", "drift.csv",
         INTERACTIONS.replace("complaint\n", "complaint,sentiment\n").replace(",0\n", ",0,positive\n"))
    (result,) = ingest(settings, validate)
    assert result.status == "loaded"
    assert any("schema drift" in w and "sentiment" in w for w in result.warnings)
    assert rows(settings, "select warnings from raw.load_manifest")[0][0].startswith("schema drift")
