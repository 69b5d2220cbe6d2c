"""The warehouse's persistent Dagster home: `bpo run` runs are in its history, abandoned runs are failed."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import pytest

from orchestration.definitions import PIPELINE_JOB
from orchestration.instance import BPO_RUN_TAGS, dagster_home, fail_abandoned_runs, open_instance
from tests.conftest import land
from tests.robustness.corpus import interactions


@pytest.mark.slow
def test_bpo_run_runs_are_in_the_history_of_the_warehouse_dagster_home(settings):
    from orchestration.cli import _execute

    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    ok, results, _ = _execute(settings)
    assert ok and [r["status"] for r in results] == ["loaded"]
    home = settings.warehouse.parent / ".dagster"
    assert dagster_home(settings.warehouse) == home
    assert "max_concurrent_runs: 1" in (home / "dagster.yaml").read_text()
    # what `dg dev` opens for this warehouse (DAGSTER_HOME=<warehouse folder>/.dagster): a new instance
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.job_name == PIPELINE_JOB and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["bpo/source"] == "bpo run"
        # the run's events are there too: the load, the checks, the publication
        checks = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        assert any(e.dagster_event.asset_check_evaluation_data.check_name == "great_expectations" for e in checks)
    land(settings, "acme_mx", "interactions", "b.csv", interactions(2))
    assert _execute(settings)[0]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.get_runs()) == 2


def _started_run(instance, tags: dict[str, str]) -> dg.DagsterRun:
    run = instance.add_run(dg.DagsterRun(job_name=PIPELINE_JOB, status=dg.DagsterRunStatus.STARTED, tags=tags))
    return instance.get_run_by_id(run.run_id)


def test_runs_left_started_by_a_dead_process_are_failed_and_live_ones_kept(settings):
    import socket

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead_pid = finished.stdout.strip()  # that process has exited
    host = socket.gethostname()
    with open_instance(settings.warehouse) as instance:
        dead = _started_run(instance, {**BPO_RUN_TAGS, "bpo/host": host, "bpo/pid": dead_pid})
        alive = _started_run(instance, {**BPO_RUN_TAGS, "bpo/host": host, "bpo/pid": str(subprocess.os.getpid())})
        ui_run = _started_run(instance, {"dagster/sensor_name": "landing_zone_sensor"})

        assert fail_abandoned_runs(instance) == [dead.run_id]  # a `bpo run` starting: the UI may be running
        assert fail_abandoned_runs(instance, ui_stopped=True) == [ui_run.run_id]  # `dg dev` starting
        status = {r.run_id: r.status for r in instance.get_runs()}
    assert status[dead.run_id] == dg.DagsterRunStatus.FAILURE
    assert status[ui_run.run_id] == dg.DagsterRunStatus.FAILURE
    assert status[alive.run_id] == dg.DagsterRunStatus.STARTED


_WRITER = """
import sys
import dagster as dg
from orchestration.instance import open_instance

@dg.asset
def tick():
    return 1

job = dg.define_asset_job("tick_job", [tick]).resolve(asset_graph=dg.Definitions(assets=[tick]).resolve_asset_graph())
with open_instance(sys.argv[1]) as instance:
    for _ in range(int(sys.argv[2])):
        assert job.execute_in_process(instance=instance).success
"""


def test_two_processes_record_runs_in_one_home_at_the_same_time(settings):
    """The daemon, the webserver and a `bpo run` write the home's SQLite storage at once: here two
    processes run jobs on it concurrently; every run of both is recorded, none is lost or failed."""
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(settings.warehouse), "8"],
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [w.communicate()[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], "\n".join(line for e in errors for line in e.splitlines()
                                                                if " - tick_job - " not in line)[-4000:]
    with open_instance(settings.warehouse) as instance:
        runs = instance.get_runs()
    assert len(runs) == 16 and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}


def test_the_event_log_of_a_run_keeps_one_open_connection_per_database(settings):
    """compat.dagster_sqlite: each of a run's events used to open (and checkpoint) the SQLite database anew.
    Two runs of a job with two assets and a check store dozens of events through one engine per database
    (the index and each run's own), whose connections skip the fsync per commit; an instance Dagster opens
    itself (as `dg dev` does) reads all of them."""
    from compat.dagster_sqlite import _ENGINES

    @dg.asset
    def first():
        return 1

    @dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="second")])
    def second(first):
        yield dg.Output(first + 1)
        yield dg.AssetCheckResult(passed=True)

    defs = dg.Definitions(assets=[first, second])
    job = dg.define_asset_job("two", [first, second]).resolve(asset_graph=defs.resolve_asset_graph())
    with open_instance(settings.warehouse) as instance:
        runs = [job.execute_in_process(instance=instance).run_id for _ in range(2)]
        storage = instance.event_log_storage
        engines = getattr(storage, _ENGINES)
        assert sorted(engines) == sorted(["index", *runs])
        with engines["index"].connect() as conn:
            assert conn.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL (FULL is 2)
        stored = sum(len(instance.all_logs(run_id)) for run_id in runs)
    assert stored > 30 and not engines  # closed with the instance
    with dg.DagsterInstance.from_config(str(dagster_home(settings.warehouse))) as instance:
        assert {r.run_id: r.status for r in instance.get_runs()} == {r: dg.DagsterRunStatus.SUCCESS for r in runs}
        latest = instance.get_latest_materialization_event(dg.AssetKey("second"))
        assert latest is not None and latest.run_id == runs[-1]
        checks = instance.all_logs(runs[0], of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        assert [e.dagster_event.asset_check_evaluation_data.passed for e in checks] == [True]
