"""The Dagster definitions load, and the sensor asks for one run per new file, once."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from types import SimpleNamespace

import dagster as dg

import ingestion.landing as landing
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


class SensorTicks:
    """The landing sensor evaluated tick after tick on one instance, as the daemon does: its
    cursor is kept, and each run it requests is added to the instance, waiting to start."""

    def __init__(self, settings):
        self.defs = build_definitions(settings)
        self.sensor = self.defs.resolve_sensor_def("landing_zone_sensor")
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor = None

    def tick(self):
        with dg.build_sensor_context(resources=self.defs.resources, instance=self.instance,
                                     cursor=self.cursor) as context:
            result = self.sensor(context)
            self.cursor = context.cursor
        for request in [] if isinstance(result, dg.SkipReason) else result:
            # NOT_STARTED, as the daemon creates them (QUEUED needs the code location's origin)
            self.instance.add_run(dg.DagsterRun(job_name=PIPELINE_JOB, status=dg.DagsterRunStatus.NOT_STARTED,
                                                tags={**request.tags, "dagster/run_key": request.run_key}))
        return result

    def runs(self, sha: str) -> list[dg.DagsterRun]:
        return self.instance.get_runs(filters=dg.RunsFilter(tags={"bpo/sha256": sha}))

    def end_waiting_runs(self) -> None:
        """Every waiting run ends (failed here; whether its file was recorded is the manifest's say)."""
        for run in self.instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.NOT_STARTED])):
            self.instance.report_run_failed(run)


def _requested_paths(result) -> list[list[str]]:
    assert not isinstance(result, dg.SkipReason), result.skip_message
    return [r.run_config["ops"]["landed_files"]["config"]["paths"] for r in result]


def test_sensor_requests_one_run_per_new_file_and_none_for_seen_bytes(settings):
    ticks = SensorTicks(settings)
    a = land(settings, "acme_mx", "interactions", "a.csv", "interaction_id\nx1\n")
    land(settings, "acme_mx", "surveys", "b.csv", "survey_id\ns1\n")
    first = ticks.tick()
    assert len(first) == 2
    assert {r.run_config["ops"]["landed_files"]["config"]["paths"][0] for r in first} >= {str(a)}
    assert len({r.run_key for r in first}) == 2
    assert isinstance(ticks.tick(), dg.SkipReason)  # nothing new; their runs are waiting
    land(settings, "acme_mx", "interactions", "a_again.csv", "interaction_id\nx1\n")  # same bytes, new name
    c = land(settings, "acme_mx", "interactions", "c.csv", "interaction_id\nx2\n")
    assert _requested_paths(ticks.tick()) == [[str(c)]]


def test_a_file_whose_run_ended_without_recording_it_is_requested_again_up_to_three_runs(settings, validate):
    """A run killed with the UI, cancelled, or failed before the file's transaction leaves the
    file out of the manifest: the sensor asks again (new run key), three runs in all."""
    a = land(settings, "acme_mx", "interactions", "a.csv", interactions(2))
    ticks = SensorTicks(settings)
    (first,) = ticks.tick()
    sha = first.tags["bpo/sha256"]
    assert first.run_key == sha
    ticks.instance.add_run(dg.DagsterRun(job_name=PIPELINE_JOB, status=dg.DagsterRunStatus.STARTED))
    assert "in progress" in ticks.tick().skip_message  # never reads the warehouse during a run
    for run in ticks.instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        ticks.instance.report_run_failed(run)
    ticks.end_waiting_runs()
    (second,) = ticks.tick()
    assert (second.run_key, second.tags["bpo/attempt"]) == (f"{sha}#2", "2")
    assert _requested_paths([second]) == [[str(a)]]
    assert isinstance(ticks.tick(), dg.SkipReason)  # its run is waiting: nothing more
    ticks.end_waiting_runs()
    (third,) = ticks.tick()
    assert third.run_key == f"{sha}#3"
    ticks.end_waiting_runs()
    assert isinstance(ticks.tick(), dg.SkipReason)  # three runs: left pending for `bpo run`
    assert len(ticks.runs(sha)) == 3

    # a file whose run recorded it is never asked for again
    b = land(settings, "acme_mx", "interactions", "b.csv", interactions(2))
    (request,) = ticks.tick()
    assert _requested_paths([request]) == [[str(b)]]
    ingest(settings, validate, [b])  # what its run does
    ticks.end_waiting_runs()
    assert isinstance(ticks.tick(), dg.SkipReason)
    assert isinstance(ticks.tick(), dg.SkipReason)
    assert json.loads(ticks.cursor)["unconfirmed"] == {}


def test_a_bpo_run_killed_mid_run_does_not_hold_the_sensor_for_ever(settings):
    import socket

    from orchestration.instance import BPO_RUN_TAGS

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ticks = SensorTicks(settings)
    killed = ticks.instance.add_run(dg.DagsterRun(
        job_name=PIPELINE_JOB, status=dg.DagsterRunStatus.STARTED,
        tags={**BPO_RUN_TAGS, "bpo/host": socket.gethostname(), "bpo/pid": done.stdout.strip()}))
    path = land(settings, "acme_mx", "interactions", "a.csv", interactions(2))
    assert isinstance(ticks.tick(), dg.SkipReason)
    assert ticks.instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    assert _requested_paths(ticks.tick()) == [[str(path)]]


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


def test_a_restarted_sensor_requests_nothing_for_files_already_processed(settings, validate):
    """After a restart with no cursor (a new Dagster home, or a bare `dg dev`), the load manifest
    still says which files were loaded or quarantined: only the file landed since is requested."""
    land(settings, "acme_mx", "interactions", "good.csv", interactions(3))
    land(settings, "acme_mx", "surveys", "bad.csv", "survey_id\ns1\n")
    assert sorted(r.status for r in ingest(settings, validate)) == ["loaded", "quarantined"]  # the earlier run
    land(settings, "acme_mx", "interactions", "good_again.csv", (settings.landing / "acme_mx/interactions/good.csv")
         .read_bytes())  # the same bytes, re-sent under another name: nothing to load
    new = land(settings, "acme_mx", "surveys", "new.csv", SURVEYS)
    ticks = SensorTicks(settings)  # a new instance, no cursor: as after a restart
    assert _requested_paths(ticks.tick()) == [[str(new)]]
    assert isinstance(ticks.tick(), dg.SkipReason)


def test_the_sensor_takes_checksums_from_the_cache_bpo_run_keeps(settings, validate, monkeypatch):
    """The sensor and the batch share one checksum cache (ingestion/checksum_cache.py): after a restart the
    sensor reads only the file landed since; the run it requests does not read that file to hash it again."""
    monkeypatch.setattr(landing, "RACY_NS", 0)  # written just now, remembered all the same
    land(settings, "acme_mx", "interactions", "good.csv", interactions(3))
    assert [r.status for r in ingest(settings, validate)] == ["loaded"]
    new = land(settings, "acme_mx", "surveys", "new.csv", SURVEYS)
    hashed = []
    monkeypatch.setattr(landing, "hashlib", SimpleNamespace(sha256=lambda: hashed.append(1) or hashlib.sha256()))
    ticks = SensorTicks(settings)  # no cursor: every landed file is new to it
    assert _requested_paths(ticks.tick()) == [[str(new)]]
    assert hashed == [1]  # good.csv's checksum came from the cache
    assert [r.status for r in ingest(settings, validate, [new])] == ["loaded"]
    assert hashed == [1]  # and new.csv's from the sensor's hashing


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
    ticks = SensorTicks(settings)
    try:
        assert holder.stdout.readline().strip() == "locked"

        def waited(seconds):
            raise AssertionError(f"the sensor waited {seconds} s for the warehouse lock")

        with monkeypatch.context() as patch:
            patch.setattr("ingestion.warehouse.time.sleep", waited)
            result = ticks.tick()
        assert ticks.cursor is None
        assert isinstance(result, dg.SkipReason)
        assert "being written" in result.skip_message
    finally:
        holder.stdin.close()
        holder.wait()
    assert _requested_paths(ticks.tick()) == [[str(path)]]
