"""The dbt step runs dbt in-process (compat.dagster_dbt_inprocess) and still gives Dagster what
dagster-dbt gives: a materialization per model, an asset check result per test, a failed step
for a failed model or test, WarehouseLocked for a held lock; and dbt's partial parsing is reused."""


import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.warehouse import WarehouseLocked
from transform.dbt_build import dbt_target_path
from compat.dagster_dbt_inprocess import WarehouseDbtResource
from tests.conftest import land
from tests.robustness.corpus import interactions


@pytest.fixture
def no_dbt_subprocess(monkeypatch):
    """dbt must not be started as a program (neither `dbt build` nor `dbt --version`)."""
    import dagster_dbt.core.resource as resource_module

    popen = subprocess.Popen

    def refuse_dbt(cmd, *args, **kwargs):
        program = Path(str(cmd[0] if isinstance(cmd, (list, tuple)) else cmd).split()[0]).name
        if program in ("dbt", "dbtf"):
            raise AssertionError(f"dbt subprocess started: {cmd}")
        return popen(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", refuse_dbt)
    monkeypatch.setattr(resource_module, "check_output", refuse_dbt)


def _last_invocation_log(target: Path) -> str:
    return (target / "dbt.log").read_text().split("Running with dbt=")[-1]


@pytest.mark.slow
def test_pipeline_reports_every_model_and_test_and_reuses_partial_parsing(settings, no_dbt_subprocess):
    from orchestration.definitions import PIPELINE_JOB, build_definitions

    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    dbt_keys = {k for k in graph.get_all_asset_keys() if k.path[0] in ("staging", "intermediate", "marts")}
    check_keys = set(graph.asset_check_keys)
    job = defs.resolve_job_def(PIPELINE_JOB)
    target = dbt_target_path(settings.warehouse)
    for attempt in (1, 2):
        if attempt == 2:  # something new, or the run would build nothing (transform/run_inputs.py)
            land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success
        materialized = {m.asset_key for m in result.asset_materializations_for_node("dbt_models")}
        evaluations = result.get_asset_check_evaluations()
        if attempt == 1:
            assert dbt_keys and dbt_keys <= materialized
            assert check_keys and {e.asset_check_key for e in evaluations} == check_keys
        else:  # one interactions file: only what raw.interactions reaches (transform/dbt_selection.py)
            assert dg.AssetKey(["intermediate", "int_interaction_facts"]) in materialized
            assert dg.AssetKey(["staging", "stg_fx_rates"]) not in materialized and materialized < dbt_keys
            assert evaluations and {e.asset_check_key for e in evaluations} < check_keys
        assert all(e.passed for e in evaluations)
        assert result.asset_materializations_for_node("published_marts")  # dbt let go of the warehouse
        log = _last_invocation_log(target)
        if attempt == 2:  # same warehouse, vars and files: nothing re-parsed
            assert "Unable to do partial parsing" not in log
            assert "Partial parsing enabled, no changes found, skipping parsing" in log


def test_dbt_hitting_the_lock_fails_the_step_with_warehouse_locked(settings, monkeypatch):
    """The lock was free when the step checked, but taken before dbt opened the file."""
    import orchestration.assets as assets
    from orchestration.definitions import build_definitions

    monkeypatch.setattr(assets, "wait_for_lock", lambda path, *a, **k: None)
    # the inputs check (transform/run_inputs.py) says "build" without opening the warehouse
    monkeypatch.setattr(assets, "connect", lambda path, *a, **k: contextlib.closing(duckdb.connect()))
    monkeypatch.setattr(assets, "inputs_fingerprint", lambda *a, **k: "fingerprint")
    monkeypatch.setattr(assets, "build_reason", lambda *a, **k: "a test")
    monkeypatch.setattr(assets, "input_parts", lambda *a, **k: {})  # no raw tables: builds everything
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(900)", str(settings.warehouse)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        defs = build_definitions(settings)
        result = dg.materialize([assets.dbt_models], resources=defs.resources, raise_on_error=False)
    finally:
        holder.kill()
        holder.wait()
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    while error.cls_name != WarehouseLocked.__name__ and error.cause is not None:  # dagster wraps user errors
        error = error.cause
    assert error.cls_name == WarehouseLocked.__name__, failure.step_failure_data.error.to_string()
    assert f"locked by process {holder.pid}" in error.message


MINI_PROFILE = """\
mini:
  target: default
  outputs:
    default:
      type: duckdb
      path: "{{ env_var('MINI_WAREHOUSE') }}"
      threads: 2
"""


@pytest.fixture
def mini_project(tmp_path, monkeypatch) -> Path:
    """A two-node dbt project: a model whose ids repeat when var `repeat` is true, and two tests."""
    root = tmp_path / "mini"
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: mini\nversion: '1.0'\nconfig-version: 2\nprofile: mini\n"
                                          "vars:\n  repeat: false\n")
    (root / "profiles.yml").write_text(MINI_PROFILE)
    (root / "models" / "m.sql").write_text(
        "select 1 as id union all select {{ 1 if var('repeat') else 2 }} as id\n")
    (root / "models" / "schema.yml").write_text(textwrap.dedent("""\
        version: 2
        models:
          - name: m
            columns:
              - name: id
                data_tests: [unique, not_null]
        """))
    monkeypatch.setenv("MINI_WAREHOUSE", str(tmp_path / "mini.duckdb"))
    return root


def _mini_assets(root: Path, target: Path, build_args: list[str]):
    from dagster_dbt import dbt_assets

    from orchestration.assets import DBT_EXECUTABLE

    resource = WarehouseDbtResource(project_dir=str(root), dbt_executable=DBT_EXECUTABLE)
    resource.cli(["parse", "--quiet"], target_path=target).wait()

    @dbt_assets(manifest=target / "manifest.json")
    def mini(context: dg.AssetExecutionContext, dbt: WarehouseDbtResource):
        yield from dbt.cli(build_args, context=context, target_path=target).stream()

    return mini, resource


def test_in_process_dbt_test_results_are_asset_checks_and_a_failing_test_fails_the_step(
        mini_project, tmp_path, no_dbt_subprocess):
    target = tmp_path / "target"
    mini, resource = _mini_assets(mini_project, target, ["build"])
    ok = dg.materialize([mini], resources={"dbt": resource}, raise_on_error=False)
    assert ok.success
    assert {m.asset_key for m in ok.asset_materializations_for_node("mini")} \
        == {dg.AssetKey("m")}
    assert {e.asset_check_key.name: e.passed for e in ok.get_asset_check_evaluations()} == {
        "unique_m_id": True, "not_null_m_id": True}

    failing, resource = _mini_assets(mini_project, target, ["build", "--vars", "{repeat: true}"])
    failed = dg.materialize([failing], resources={"dbt": resource}, raise_on_error=False)
    assert not failed.success
    assert {e.asset_check_key.name: e.passed for e in failed.get_asset_check_evaluations()} == {
        "unique_m_id": False, "not_null_m_id": True}
    (failure,) = [e for e in failed.all_events if e.is_step_failure]
    assert "dbt" in failure.step_failure_data.error.message


def test_a_failing_model_fails_the_step_and_releases_the_warehouse(mini_project, tmp_path, no_dbt_subprocess):
    import duckdb

    (mini_project / "models" / "m.sql").write_text("select * from no_such_table\n")
    target = tmp_path / "target"
    mini, resource = _mini_assets(mini_project, target, ["build"])
    result = dg.materialize([mini], resources={"dbt": resource}, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "no_such_table" in failure.step_failure_data.error.message
    duckdb.connect(str(tmp_path / "mini.duckdb")).close()  # dbt-duckdb's connection was closed
