"""Dagster definitions: `dg dev` (or `dagster dev`) from the project root loads `defs`.

Paths come from BPO_* environment variables (see ingestion/settings.py);
`bpo run` builds the same definitions with paths from its options. The
instance (runs, sensor cursors) lives in the warehouse's Dagster home,
<warehouse folder>/.dagster (orchestration/instance.py; `make dagster`).
"""

from __future__ import annotations

import dagster as dg
from ingestion.settings import Settings
from orchestration.assets import DBT_EXECUTABLE, contracts, dbt_models, dbt_project, landed_files, published_marts
from compat.dagster_dbt_inprocess import WarehouseDbtResource
from orchestration.resources import GreatExpectationsResource, WarehouseResource
from orchestration.sensors import build_alert_sensors, build_landing_sensor

PIPELINE_JOB = "process_landing_zone"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all(),
    description="Sync contracts, load or quarantine landed files, dbt build, publish the marts.",
    # One writer: DuckDB allows a single writing process, so runs go one at a time.
    executor_def=dg.in_process_executor,
)


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[contracts, landed_files, dbt_models, published_marts],
        jobs=[pipeline_job],
        sensors=[build_landing_sensor(pipeline_job), *build_alert_sensors(pipeline_job)],
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "great_expectations": GreatExpectationsResource(),
            # dbt build in the step's process (dagster-dbt's events, without its subprocesses)
            "dbt": WarehouseDbtResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
        },
    )


defs = build_definitions(Settings())
