"""The landing-zone sensor: one run per newly landed file, keyed by its sha256."""

from __future__ import annotations

import json

import dagster as dg

from ingestion.landing import scan_landing
from orchestration.resources import WarehouseResource

# Files still being copied in change size/mtime between ticks; the cursor only
# remembers files that were requested, so they are picked up once complete.


def build_landing_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(job=job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
    def landing_zone_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        """Request one run per new file in arrival order; a file's bytes are requested once."""
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        seen_shas = set(seen.values())
        requests = []
        for landed in scan_landing(warehouse.settings.landing):
            stat = landed.path.lstat()  # a link out of the landing zone is never followed
            fingerprint_key = f"{landed.relative}|{stat.st_size}|{stat.st_mtime_ns}"
            if fingerprint_key in seen:
                continue
            sha = landed.sha256
            seen[fingerprint_key] = sha
            if sha in seen_shas:
                continue  # the same bytes under another name: nothing to load
            seen_shas.add(sha)
            requests.append(dg.RunRequest(
                run_key=sha,
                run_config={"ops": {"landed_files": {"config": {"paths": [str(landed.path)]}}}},
                tags={"bpo/file": str(landed.relative), "bpo/sha256": sha},
            ))
        context.update_cursor(json.dumps(seen))
        if not requests:
            return dg.SkipReason("no new files in the landing zone")
        return requests

    return landing_zone_sensor
