"""The Dagster definitions load, and the sensor asks for one run per new file, once."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from ingestion.batch import ingest
from ingestion.warehouse import connect
from orchestration.assets import RAW_FEED_TABLES, landed_files, raw_key
from orchestration.definitions import PIPELINE_JOB, build_definitions
from tests.conftest import land
from tests.robustness.corpus import SURVEYS, interactions


def test_definitions_load_with_ingestion_dbt_and_publish_assets(settings):
    defs = build_definitions(settings)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/interactions", "raw/invoice_lines", "raw/load_manifest", "raw/contracts"} <= keys
    assert {"marts/sla_compliance", "marts/unforeseen_costs", "marts/cost_to_serve",
            "marts/sla_interval", "marts/vendor_scorecard", "published_marts"} <= keys
    # dbt tests are asset checks
    assert any(k.asset_key.path[0] == "marts" for k in defs.resolve_asset_graph().asset_check_keys)
    assert defs.resolve_job_def(PIPELINE_JOB) is not None
    assert {s.name for s in defs.sensors} == {"landing_zone_sensor", "alert_after_success", "alert_after_failure"}


def test_every_raw_feed_has_a_non_blocking_great_expectations_check(settings):
    defs = build_definitions(settings)
    raw_checks = {k for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key.path[0] == "raw"}
    assert raw_checks == {dg.AssetCheckKey(raw_key(t), "great_expectations") for t in RAW_FEED_TABLES}
    assert "interactions" in RAW_FEED_TABLES and "invoice_lines" in RAW_FEED_TABLES
    # a quarantined file must not stop dbt and the publication of the other files
    assert not any(spec.blocking for spec in landed_files.check_specs)


def test_sensor_requests_one_run_per_new_file_and_none_for_seen_bytes(settings):
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    a = land(settings, "acme_mx", "interactions", "a.csv", "interaction_id\nx1\n")
    land(settings, "acme_mx", "surveys", "b.csv", "survey_id\ns1\n")
    with dg.build_sensor_context(resources=defs.resources) as context:
        first = sensor(context)
        assert len(first) == 2
        assert {r.run_config["ops"]["landed_files"]["config"]["paths"][0] for r in first} >= {str(a)}
        assert len({r.run_key for r in first}) == 2
        cursor = context.cursor
    with dg.build_sensor_context(resources=defs.resources, cursor=cursor) as context:
        assert isinstance(sensor(context), dg.SkipReason)  # nothing new
        cursor = context.cursor
    land(settings, "acme_mx", "interactions", "a_again.csv", "interaction_id\nx1\n")  # same bytes, new name
    c = land(settings, "acme_mx", "interactions", "c.csv", "interaction_id\nx2\n")
    with dg.build_sensor_context(resources=defs.resources, cursor=cursor) as context:
        third = sensor(context)
    assert [r.run_config["ops"]["landed_files"]["config"]["paths"] for r in third] == [[str(c)]]



def test_dagster_loads_the_code_location_from_the_project_root():
    """What `dagster dev` does first: load pyproject's code location (and dagster.yaml)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate"], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "All code locations passed validation" in proc.stdout + proc.stderr


def _requested_paths(result) -> list[list[str]]:
    assert not isinstance(result, dg.SkipReason), result.skip_message
    return [r.run_config["ops"]["landed_files"]["config"]["paths"] for r in result]


def test_a_restarted_sensor_requests_nothing_for_files_already_processed(settings, validate):
    """After a restart with no cursor (a new Dagster home, or a bare `dg dev`), the load manifest
    still says which files were loaded or quarantined: only the file landed since is requested."""
    land(settings, "acme_mx", "interactions", "good.csv", interactions(3))
    land(settings, "acme_mx", "surveys", "bad.csv", "survey_id\ns1\n")
    assert sorted(r.status for r in ingest(settings, validate)) == ["loaded", "quarantined"]  # the earlier run
    land(settings, "acme_mx", "interactions", "good_again.csv", (settings.landing / "acme_mx/interactions/good.csv")
         .read_bytes())  # the same bytes, re-sent under another name: nothing to load
    new = land(settings, "acme_mx", "surveys", "new.csv", SURVEYS)
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    with dg.build_sensor_context(resources=defs.resources) as context:  # no cursor: as after a restart
        assert _requested_paths(sensor(context)) == [[str(new)]]
        cursor = context.cursor
    with dg.build_sensor_context(resources=defs.resources, cursor=cursor) as context:
        assert isinstance(sensor(context), dg.SkipReason)


def test_the_sensor_never_waits_for_a_warehouse_being_written(settings, monkeypatch):
    """While another process writes the warehouse, the sensor skips the tick at once (keeping its
    cursor, so the file is requested at a later tick) instead of waiting for the lock or holding it."""
    path = land(settings, "acme_mx", "interactions", "a.csv", interactions(2))
    with connect(settings.warehouse):  # the warehouse and its manifest exist
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
                               " sys.stdin.read()", str(settings.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    try:
        assert holder.stdout.readline().strip() == "locked"

        def waited(seconds):
            raise AssertionError(f"the sensor waited {seconds} s for the warehouse lock")

        with monkeypatch.context() as patch:
            patch.setattr("ingestion.warehouse.time.sleep", waited)
            with dg.build_sensor_context(resources=defs.resources) as context:
                result = sensor(context)
                assert context.cursor is None
        assert isinstance(result, dg.SkipReason)
        assert "being written" in result.skip_message
    finally:
        holder.stdin.close()
        holder.wait()
    with dg.build_sensor_context(resources=defs.resources) as context:
        assert _requested_paths(sensor(context)) == [[str(path)]]
