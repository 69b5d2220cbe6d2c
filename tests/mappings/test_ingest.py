"""Mapped vendor files go through the same validation, quarantine and load as canonical ones,
with the mapping version in the load manifest."""

from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from ingestion.batch import ingest
from orchestration.cli import app
from tests.conftest import land
from tests.mappings.helpers import SAMPLES, utc, write


def query(settings, sql):
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_mapped_vendor_file_is_validated_loaded_and_its_mapping_recorded(settings, validate):
    assert settings.mappings_dir == settings.contracts.parent / "mappings"
    write(settings.mappings_dir / "acme_mx" / "interactions.yaml", """
        preset: five9_call_log
        timezone: America/New_York
        """)
    land(settings, "acme_mx", "interactions", "calls_20260308.csv", (SAMPLES / "five9_call_log.csv").read_bytes())
    # a vendor without a mapping still sends canonical files
    land(settings, "iberia_es", "interactions", "day.csv", """
        interaction_id,channel,queue,arrived_at,answered_at,ended_at
        i1,chat,ventas,2026-03-02 10:00:00,2026-03-02 10:00:30,2026-03-02 10:05:00
        """)
    results = {r.vendor_id: r for r in ingest(settings, validate)}
    assert results["acme_mx"].status == "loaded", results["acme_mx"].reason
    assert results["acme_mx"].rows == 4 and results["iberia_es"].status == "loaded"
    got = dict(query(settings, "select interaction_id, answered_at from raw.interactions where vendor_id = 'acme_mx'"))
    assert got["300000000004"] == utc(2026, 3, 8, 7, 0, 0) and got["300000000002"] is None
    manifest = dict(query(settings, "select vendor_id, mapping_version from raw.load_manifest"))
    assert manifest["iberia_es"] is None
    assert manifest["acme_mx"].startswith("acme_mx/interactions.yaml sha256:")
    assert "; preset five9_call_log sha256:" in manifest["acme_mx"]


def test_a_file_the_mapping_cannot_map_is_quarantined_whole(settings, validate):
    write(settings.mappings_dir / "acme_mx" / "interactions.yaml", """
        preset: five9_call_log
        columns:
          talk_seconds: '"TALK TIME"'     # h:mm:ss text is not a number of seconds
        """)
    land(settings, "acme_mx", "interactions", "calls.csv", (SAMPLES / "five9_call_log.csv").read_bytes())
    write(settings.mappings_dir / "iberia_es" / "interactions.yaml", "preset: five9\n")  # invalid mapping
    land(settings, "iberia_es", "interactions", "calls.csv", "x,y\n1,2\n")
    results = {r.vendor_id: r for r in ingest(settings, validate)}
    acme, iberia = results["acme_mx"], results["iberia_es"]
    assert acme.status == "quarantined" and "column talk_seconds" in acme.reason
    assert "acme_mx/interactions.yaml" in acme.reason and "mapped value '0:06:35'" in acme.reason
    assert iberia.status == "quarantined"
    assert "line 1: preset: unknown preset 'five9'" in iberia.reason
    assert query(settings, "select count(*) from raw.interactions") == [(0,)]
    rows = query(settings, "select vendor_id, status, mapping_version from raw.load_manifest order by vendor_id")
    assert [r[:2] for r in rows] == [("acme_mx", "quarantined"), ("iberia_es", "quarantined")]
    assert rows[0][2].startswith("acme_mx/interactions.yaml sha256:")
    reason_file = settings.quarantine_dir / "acme_mx" / "interactions" / "calls.csv.reason.txt"
    assert "column talk_seconds" in reason_file.read_text()


def test_old_warehouses_gain_the_mapping_version_column(tmp_path):
    from ingestion.warehouse import connect

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create table raw.load_manifest (load_id varchar primary key, "
                "file_path varchar not null, file_name varchar not null, sha256 varchar not null, vendor_id varchar,"
                " feed varchar, rows bigint, status varchar not null, reason varchar, warnings varchar,"
                " file_mtime timestamptz, processed_at timestamptz not null)")
    con.close()
    with connect(path) as con:
        cols = [r[0] for r in con.execute("select column_name from (describe raw.load_manifest)").fetchall()]
    assert cols[-1] == "mapping_version"


def test_bpo_mapping_check_shows_canonical_rows_and_failing_rows(settings, validate):
    write(settings.mappings_dir / "acme_mx" / "interactions.yaml", """
        preset: five9_call_log
        timezone: America/New_York
        """)
    args = ["mapping", "check", "acme_mx", str(SAMPLES / "five9_call_log.csv"),
            "--contracts", str(settings.contracts), "--rows", "2"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "First 2 of 4 rows" in result.output and "source row 1" in result.output
    assert "2026-03-07 14:15:28Z" in result.output and "validation passed" in result.output
    # ended before it arrived: the rows GX would reject are listed
    write(settings.mappings_dir / "acme_mx" / "interactions.yaml", """
        preset: five9_call_log
        columns:
          ended_at: started - INTERVAL 1 MINUTE
        """)
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "validation failed" in result.output and "ended_at" in result.output
    # a mapping error is shown, nothing else
    result = CliRunner().invoke(app, [*args, "--preset", "amazon_connect_ctr"], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "would be quarantined" in result.output
