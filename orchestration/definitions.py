"""Dagster definitions: `dg dev` (or `dagster dev`) from the project root loads `defs`.

Paths come from BPO_* environment variables (see ingestion/settings.py), read
when the code location loads (`defs` is a `@dg.definitions` function);
`bpo run` builds the same definitions with paths from its options. The
instance (runs, sensor cursors) lives in the warehouse's Dagster home,
<warehouse folder>/.dagster (orchestration/instance.py; `make dagster`).
"""

from __future__ import annotations

import dagster as dg
from ingestion.settings import Settings
from compat.dagster_dbt_inprocess import WarehouseDbtResource
from orchestration.assets import build_dbt_assets, contracts, dbt_project, landed_files, report_card
from orchestration.resources import GreatExpectationsResource, WarehouseResource
from orchestration.sensors import build_alert_sensors, build_landing_sensor
from transform.dbt_build import DBT_EXECUTABLE

PIPELINE_JOB = "process_landing_zone"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all(),
    description="Sync contracts, load or quarantine landed files, dbt build, publish the marts, refresh the report card.",
    # One writer: DuckDB allows a single writing process, so runs go one at a time.
    executor_def=dg.in_process_executor,
)


def build_definitions(settings: Settings) -> dg.Definitions:
    """The whole code location for these settings (parses the dbt project first when it changed)."""
    dbt_models, published_marts = build_dbt_assets()
    return dg.Definitions(
        assets=[contracts, landed_files, dbt_models, published_marts, report_card],
        jobs=[pipeline_job],
        sensors=[build_landing_sensor(pipeline_job), *build_alert_sensors(pipeline_job)],
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "great_expectations": GreatExpectationsResource(),
            # dbt build in the step's process (dagster-dbt's events, without its subprocesses)
            "dbt": WarehouseDbtResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dg dev` loads, with settings from the environment: built when the code location loads, not on import."""
    return build_definitions(Settings())
