"""Preparing the next file in the background changes nothing: order, transactions, quarantine, duplicates."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest

from ingestion import batch, loader
from ingestion.batch import ingest
from ingestion.warehouse import connect
from tests.conftest import land

from .test_loader import INTERACTIONS, INVOICE

BAD = """
    interaction_id,channel,queue,arrived_at,answered_at,ended_at
    b1,fax,billing,2026-01-05 09:14:03,,2026-01-05 09:20:00
    """


def _land_in_order(settings, files):
    """Land files with increasing mtimes (arrival order = list order)."""
    paths = []
    for i, (vendor, feed, name, content) in enumerate(files):
        path = land(settings, vendor, feed, name, content)
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
        paths.append(path)
    return paths


def _manifest(settings):
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute("select file_name, status, rows from raw.load_manifest order by processed_at").fetchall()
    finally:
        con.close()


def test_files_are_loaded_one_transaction_each_in_arrival_order(settings, validate, monkeypatch):
    paths = _land_in_order(settings, [
        ("acme_mx", "interactions", "3.csv", INTERACTIONS.replace("a1,", "c1,").replace("a2,", "c2,").replace("a3,", "c3,")),
        ("acme_mx", "interactions", "bad.csv", BAD),
        ("acme_mx", "invoices", "inv.csv", INVOICE),
        ("acme_mx", "interactions", "again.csv", INTERACTIONS.replace("a1,", "c1,").replace("a2,", "c2,").replace("a3,", "c3,")),
        ("acme_mx", "interactions", "1.csv", INTERACTIONS),
    ])
    prepared_in: list[str] = []
    real_prepare = loader.prepare_file

    def recording_prepare(landed, *args, **kwargs):
        prepared_in.append(threading.current_thread().name)
        return real_prepare(landed, *args, **kwargs)

    monkeypatch.setattr(batch, "prepare_file", recording_prepare)
    results = ingest(settings, validate)
    assert [r.file for r in results] == [str(p) for p in paths]
    assert [r.status for r in results] == ["loaded", "quarantined", "loaded", "duplicate", "loaded"]
    assert "fax" in results[1].reason
    assert _manifest(settings) == [("3.csv", "loaded", 3), ("bad.csv", "quarantined", 0),
                                   ("inv.csv", "loaded", 2), ("1.csv", "loaded", 3)]
    # the repeated bytes (again.csv) were not prepared at all; the others in the background thread
    assert len(prepared_in) == 4 and all(name.startswith("bpo-prepare") for name in prepared_in)


def test_known_files_are_not_read_again(settings, validate, monkeypatch):
    land(settings, "acme_mx", "interactions", "day1.csv", INTERACTIONS)
    ingest(settings, validate)
    land(settings, "acme_mx", "interactions", "day1_resent.csv", INTERACTIONS)

    def fail(*args, **kwargs):
        raise AssertionError("a known file was prepared")

    monkeypatch.setattr(batch, "prepare_file", fail)
    monkeypatch.setattr(loader, "prepare_file", fail)
    assert [r.status for r in ingest(settings, validate)] == ["duplicate", "duplicate"]


def test_a_replay_prepares_the_quarantined_file(settings, validate):
    path = land(settings, "acme_mx", "interactions", "bad.csv", BAD)
    (first,) = ingest(settings, validate)
    assert first.status == "quarantined"
    (again,) = ingest(settings, validate, [path], replay=True)
    assert again.status == "quarantined" and "fax" in again.reason
    assert [s for _, s, _ in _manifest(settings)] == ["quarantined", "quarantined"]


def test_an_error_while_preparing_fails_that_file_only(settings, validate, monkeypatch):
    _land_in_order(settings, [
        ("acme_mx", "interactions", "1.csv", INTERACTIONS),
        ("acme_mx", "invoices", "inv.csv", INVOICE),
        ("acme_mx", "interactions", "2.csv", INTERACTIONS.replace("a1,", "z1,")),
    ])
    real_prepare = loader.prepare_file

    def broken_for_invoices(landed, *args, **kwargs):
        if landed.feed == "invoices":
            raise MemoryError("out of memory")
        return real_prepare(landed, *args, **kwargs)

    monkeypatch.setattr(batch, "prepare_file", broken_for_invoices)
    results = ingest(settings, validate)
    assert [(Path(r.file).name, r.status) for r in results] == [("1.csv", "loaded"), ("inv.csv", "failed"),
                                                                ("2.csv", "loaded")]
    assert "MemoryError: out of memory" in results[1].reason
    # the failed file is not recorded: the next run takes it again
    assert _manifest(settings) == [("1.csv", "loaded", 3), ("2.csv", "loaded", 3)]


def test_what_is_validated_is_what_is_loaded_and_its_connection_goes_with_the_file(settings, validate):
    from ingestion.contracts import load_contract
    from ingestion.landing import scan

    land(settings, "acme_mx", "invoices", "inv.csv", INVOICE)
    (landed,) = scan(settings.landing, 0).complete
    contracts = {"acme_mx": load_contract(settings.contracts / "acme_mx.yaml")}
    prepared = loader.prepare_file(landed, contracts, salt="s")
    staged = prepared.staged
    validated = staged.con.execute(f"select * from {staged.name} order by _row_number").to_arrow_table()
    assert validated.schema == prepared.rows.schema and validated.equals(prepared.rows)  # same types, same rows
    assert validated.num_rows == 2
    with connect(settings.warehouse) as con:
        result = loader.ingest_file(con, landed, contracts, settings.quarantine_dir, validate, prepared=prepared)
    assert result.status == "loaded" and result.rows == 2
    assert prepared.staged is None  # closed by ingest_file: the staged rows are gone
    with pytest.raises(duckdb.ConnectionException):
        staged.con.execute("select 1")
