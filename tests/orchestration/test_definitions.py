"""The Dagster definitions load, and the sensor asks for one run per new file."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import PIPELINE_JOB, build_definitions
from tests.conftest import land


def test_definitions_load_with_ingestion_dbt_and_publish_assets(settings):
    defs = build_definitions(settings)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/interactions", "raw/invoice_lines", "raw/load_manifest", "raw/contracts"} <= keys
    assert {"marts/sla_compliance", "marts/unforeseen_costs", "marts/cost_to_serve",
            "marts/sla_interval", "marts/vendor_scorecard", "published_marts"} <= keys
    # dbt tests are asset checks
    assert any(k.asset_key.path[0] == "marts" for k in defs.resolve_asset_graph().asset_check_keys)
    assert defs.resolve_job_def(PIPELINE_JOB) is not None


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
