"""Exactly once per file: checksum identity, arrival order, re-delivery, replay and `bpo status`."""

from __future__ import annotations

import json
import os
import time

import duckdb
import pytest
from typer.testing import CliRunner

from ingestion.batch import file_statuses, ingest, landed_file, pending_files
from orchestration.cli import app
from tests.conftest import land, write_contract
from tests.robustness.corpus import interactions


def manifest(settings, sql="select file_name, status from raw.load_manifest order by processed_at"):
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def set_mtime(path, seconds_ago: float) -> None:
    t = time.time() - seconds_ago
    os.utime(path, (t, t))


def test_files_are_processed_in_arrival_order_not_name_order(settings, validate):
    # c arrived first, then a, then b (per vendor and feed); the same interaction id in each file:
    # the file that arrived last wins, whatever its name
    for name, ago, queue in (("c.csv", 30, "first"), ("a.csv", 20, "second"), ("b.csv", 10, "third")):
        path = land(settings, "acme_mx", "interactions", name, interactions(1, start=1).replace(b"billing", queue.encode()))
        set_mtime(path, ago)
    other = land(settings, "iberia_es", "interactions", "0.csv", interactions(1, start=5))
    set_mtime(other, 25)
    results = ingest(settings, validate)
    assert [os.path.basename(r.file) for r in results] == ["c.csv", "0.csv", "a.csv", "b.csv"]
    assert [r[0] for r in manifest(settings)] == ["c.csv", "0.csv", "a.csv", "b.csv"]
    assert [f.path.name for f in pending_files(settings)] == []


def test_redelivery_under_another_name_or_folder_loads_nothing(settings, validate):
    original = interactions(3)
    land(settings, "acme_mx", "interactions", "day1.csv", original)
    (first,) = ingest(settings, validate)
    assert first.status == "loaded"
    land(settings, "acme_mx", "interactions", "day1_RESENT.csv", original)
    land(settings, "acme_mx", "surveys", "misfiled.csv", original)  # same bytes in another feed folder
    results = ingest(settings, validate)  # every landed file is looked at again: all known by checksum
    assert [r.status for r in results] == ["duplicate"] * 3
    assert all("already loaded" in r.reason and "/day1.csv" in r.reason for r in results)
    assert manifest(settings) == [("day1.csv", "loaded")]
    assert manifest(settings, "select count(*) from raw.interactions") == [(3,)]
    # two copies landing in the same batch: one loads, the other is a duplicate
    twin = interactions(2)
    land(settings, "acme_mx", "interactions", "twin_1.csv", twin)
    land(settings, "acme_mx", "interactions", "twin_2.csv", twin)
    statuses = sorted(r.status for r in ingest(settings, validate))
    assert statuses == ["duplicate"] * 4 + ["loaded"]
    assert manifest(settings, "select count(*) from raw.interactions") == [(5,)]


def test_a_quarantined_file_redelivered_under_another_name_stays_quarantined(settings, validate):
    bad = interactions(2, channel="fax")
    land(settings, "acme_mx", "interactions", "bad.csv", bad)
    land(settings, "acme_mx", "interactions", "bad_again.csv", bad)
    results = {os.path.basename(r.file): r for r in ingest(settings, validate)}
    assert {n: r.status for n, r in results.items()} == {"bad.csv": "quarantined", "bad_again.csv": "duplicate"}
    assert "already quarantined" in results["bad_again.csv"].reason
    assert manifest(settings, "select count(*) from raw.interactions") == [(0,)]


def test_replay_processes_a_quarantined_file_again_after_its_contract_is_added(settings, validate):
    path = land(settings, "newco_ph", "interactions", "first.csv", interactions(4))
    (result,) = ingest(settings, validate)
    assert result.status == "quarantined" and "no contract for vendor 'newco_ph'" in result.reason
    assert f"bpo replay {path}" in (settings.quarantine_dir / "newco_ph" / "interactions" /
                                   "first.csv.reason.txt").read_text()
    write_contract(settings.contracts, "newco_ph", timezone="Asia/Manila", currency="PHP")
    (again,) = ingest(settings, validate)  # a normal run does not retry what was quarantined
    assert again.status == "duplicate"
    # replaying the quarantined copy stands for the landed file
    copy = settings.quarantine_dir / "newco_ph" / "interactions" / "first.csv"
    assert landed_file(settings, copy).path == path
    (replayed,) = ingest(settings, validate, [copy], replay=True)
    assert replayed.status == "loaded" and replayed.rows == 4
    (once_more,) = ingest(settings, validate, [path], replay=True)  # loaded files are never loaded twice
    assert once_more.status == "duplicate"
    assert manifest(settings, "select count(*) from raw.interactions") == [(4,)]
    (entry,) = file_statuses(settings.warehouse)
    assert entry["status"] == "loaded" and entry["reason"].startswith("replayed; quarantined before: no contract")


def test_replay_refuses_paths_outside_the_landing_zone(settings, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(interactions(1))
    sneaky = settings.landing / "acme_mx" / "interactions" / ".." / ".." / ".." / "elsewhere.csv"
    result = CliRunner().invoke(app, ["replay", str(sneaky), "--landing", str(settings.landing), "--contracts",
                                      str(settings.contracts), "--warehouse", str(settings.warehouse)])
    assert result.exit_code == 2
    assert "not inside the landing zone" in result.output


def test_status_lists_loaded_quarantined_duplicate_and_pending_files_with_reasons(settings, validate):
    land(settings, "acme_mx", "interactions", "good.csv", interactions(3))
    land(settings, "acme_mx", "interactions", "drift.csv",
         interactions(2).replace(b"complaint\n", b"complaint,mood\n").replace(b",0\n", b",0,happy\n"))
    land(settings, "acme_mx", "interactions", "bad.csv", interactions(2, talk=-1))
    ingest(settings, validate)
    land(settings, "acme_mx", "interactions", "good_copy.csv", (settings.landing / "acme_mx" / "interactions" /
                                                                "good.csv").read_bytes())
    land(settings, "acme_mx", "interactions", "new.csv", interactions(2))
    land(settings, "acme_mx", "calls", "misplaced.csv", interactions(2))

    result = CliRunner().invoke(app, ["status", "--warehouse", str(settings.warehouse), "--landing",
                                      str(settings.landing), "--json"])
    assert result.exit_code == 0, result.output
    entries = {e["name"]: e for e in map(json.loads, result.output.splitlines())}
    assert {n: e["status"] for n, e in entries.items()} == {
        "good.csv": "loaded", "drift.csv": "loaded", "bad.csv": "quarantined", "good_copy.csv": "duplicate",
        "new.csv": "pending", "misplaced.csv": "pending"}
    assert entries["good.csv"]["rows"] == 3
    assert "schema drift" in entries["drift.csv"]["reason"]
    assert "talk_seconds is below 0" in entries["bad.csv"]["reason"]
    assert "same bytes as" in entries["good_copy.csv"]["reason"] and "good.csv" in entries["good_copy.csv"]["reason"]
    assert "next run" in entries["new.csv"]["reason"]
    assert entries["misplaced.csv"]["reason"].startswith("will be quarantined: unknown feed folder 'calls'")

    table = CliRunner().invoke(app, ["status", "--warehouse", str(settings.warehouse), "--landing",
                                     str(settings.landing)], env={"COLUMNS": "250"})
    assert table.exit_code == 0
    assert "2 loaded, 1 quarantined, 1 duplicate, 2 pending" in table.output


def test_status_before_the_first_run_lists_everything_as_pending(settings):
    land(settings, "acme_mx", "interactions", "a.csv", interactions(1))
    (entry,) = file_statuses(settings.warehouse, settings.landing)
    assert entry["status"] == "pending"
    assert not settings.warehouse.exists()


@pytest.mark.slow
def test_bpo_replay_loads_a_corrected_file_and_rebuilds_the_marts(settings, validate, tmp_path, monkeypatch):
    """The command end to end: quarantined for want of a contract, contract added, `bpo replay`.

    The replay run loads one interactions file only, and must still rebuild and publish the marts
    (a Dagster run that loads some feeds only - one file per sensor run - used to skip dbt)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    path = land(settings, "newco_ph", "interactions", "first.csv", interactions(4))
    (result,) = ingest(settings, validate)
    assert result.status == "quarantined"
    write_contract(settings.contracts, "newco_ph", timezone="Asia/Manila", currency="PHP")
    quarantined_copy = settings.quarantine_dir / "newco_ph" / "interactions" / "first.csv"
    replay = CliRunner().invoke(app, ["replay", str(quarantined_copy), "--landing", str(settings.landing),
                                      "--contracts", str(settings.contracts), "--warehouse", str(settings.warehouse)],
                                env={"COLUMNS": "250"})
    assert replay.exit_code == 0, replay.output
    assert "loaded" in replay.output, replay.output
    # the quarantined copy and its reason describe nothing any more: cleared
    assert not quarantined_copy.exists() and not quarantined_copy.with_name("first.csv.reason.txt").exists()
    assert manifest(settings, "select count(*) from raw.interactions where vendor_id = 'newco_ph'") == [(4,)]
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        assert con.execute("select sum(offered) from marts.sla_interval where vendor_id = 'newco_ph'"
                           ).fetchone() == (4,)
    finally:
        con.close()
    assert path.exists()


def test_the_sensor_requests_files_in_arrival_order_and_survives_a_dangling_link(settings, tmp_path):
    import dagster as dg

    from orchestration.definitions import build_definitions

    later = land(settings, "acme_mx", "interactions", "a_later.csv", interactions(1))
    earlier = land(settings, "acme_mx", "interactions", "z_earlier.csv", interactions(1))
    set_mtime(later, 10)
    set_mtime(earlier, 20)
    link = settings.landing / "acme_mx" / "interactions" / "gone.csv"
    os.symlink(tmp_path / "does_not_exist.csv", link)
    defs = build_definitions(settings)
    # the sensor asks the instance whether a run is in flight before it reads the manifest
    with dg.DagsterInstance.ephemeral() as instance, \
            dg.build_sensor_context(resources=defs.resources, instance=instance) as context:
        requests = defs.resolve_sensor_def("landing_zone_sensor")(context)
    paths = [r.run_config["ops"]["landed_files"]["config"]["paths"][0] for r in requests]
    assert paths[:2] == [str(earlier), str(later)]
    assert str(link) in paths  # to be quarantined with its reason, unread


def test_a_run_requested_for_a_link_out_of_the_landing_zone_quarantines_it_unread(settings, validate, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_bytes(interactions(2))
    link = settings.landing / "acme_mx" / "interactions" / "innocent.csv"
    link.parent.mkdir(parents=True)
    os.symlink(secret, link)
    (result,) = ingest(settings, validate, [link])  # what a sensor run does
    assert result.status == "quarantined" and "outside the landing zone" in result.reason
    assert not (settings.quarantine_dir / "acme_mx" / "interactions" / "innocent.csv").exists()
    assert manifest(settings, "select count(*) from raw.interactions") == [(0,)]
