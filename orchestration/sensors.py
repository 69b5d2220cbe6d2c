"""The landing-zone sensor: one run per newly landed file, keyed by its sha256.

A restart requests nothing already processed, twice over: the cursor lives in
the warehouse's persistent Dagster home (orchestration/instance.py), and a
file whose bytes `raw.load_manifest` already records (loaded or quarantined,
by the sensor's runs or by `bpo run`) is never requested, whatever the cursor.
A requested file stays "unconfirmed" until the manifest records it; when its
run ends without that (killed with the UI, cancelled, failed before the file's
transaction), it is requested again, up to MAX_ATTEMPTS runs in all.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb

from ingestion.checksum_cache import kept_checksums
from ingestion.landing import scan_landing
from ingestion.preflight import ConfigurationError
from ingestion.storage import S3Landing, is_remote
from ingestion.warehouse import WarehouseLocked, connect
from orchestration.instance import fail_abandoned_runs
from orchestration.resources import WarehouseResource
from serving.alerts import COMMAND_ENV, WEBHOOK_ENV, AlertTargets, send_alerts

# scan_landing lists only complete files (a local folder or s3://bucket/prefix); the cursor remembers
# files by their fingerprint (path, size, mtime, ctime, inode; an object's ETag), so a file is looked at
# once, and one changed after it was seen is looked at again. Its checksum comes from the warehouse's
# checksum cache (ingestion/checksum_cache.py, shared with `bpo run`) while the file is unchanged.


def processed_shas(warehouse: Path) -> set[str]:
    """sha256 of every file the load manifest records. Read-only and without waiting: raises
    WarehouseLocked at once while a run writes the warehouse (the sensor tries again next tick)."""
    try:
        with connect(warehouse, read_only=True, wait_seconds=0) as con:
            return {sha for (sha,) in con.execute("select distinct sha256 from raw.load_manifest").fetchall()}
    except FileNotFoundError:  # no warehouse yet: nothing processed
        return set()
    except duckdb.CatalogException:  # a warehouse file without the raw schema yet
        return set()


MAX_ATTEMPTS = 3  # runs requested for one file that end without recording it in the manifest
_WAITING = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED]
_IN_FLIGHT = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _load_cursor(raw: str | None) -> tuple[dict[str, str], dict[str, list], set[str]]:
    """(seen: fingerprint -> sha256 of the files listed at the last tick, unconfirmed: sha256 -> [path,
    attempts], given_up: sha256 the sensor stopped requesting and the manifest does not record yet)."""
    data = json.loads(raw) if raw else {}
    if "seen" not in data:  # a cursor written before unconfirmed requests were tracked
        data = {"seen": data, "unconfirmed": {}}
    seen, unconfirmed = data["seen"], data["unconfirmed"]
    if "given_up" not in data:
        # a cursor written before `seen` was pruned: any of its bytes not in flight may have been given up
        # (what the manifest records is taken out at the next reading of it)
        return seen, unconfirmed, set(seen.values()) - set(unconfirmed)
    return seen, unconfirmed, set(data["given_up"])


def _dump_cursor(seen: dict[str, str], unconfirmed: dict[str, list], given_up: set[str]) -> str:
    return json.dumps({"seen": seen, "unconfirmed": unconfirmed, "given_up": sorted(given_up)})


def build_landing_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(job=job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
    def landing_zone_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        """Request one run per new file in arrival order; a file's bytes are requested once, and
        again (up to MAX_ATTEMPTS runs) only when its run ended without recording it."""
        seen, unconfirmed, given_up = _load_cursor(context.cursor)
        new = []
        try:
            landed_now = scan_landing(warehouse.settings.landing, warehouse.settle_seconds)
        except ConfigurationError as exc:  # e.g. an s3:// landing zone refusing access: nothing is recorded
            return dg.SkipReason(str(exc))
        listed = set()
        for landed in landed_now:
            fingerprint_key = landed.fingerprint  # path, size, mtime, ctime, inode (an object's ETag)
            listed.add(fingerprint_key)
            if fingerprint_key not in seen:
                new.append((fingerprint_key, landed))
        # `seen` spares hashing a listed file again; entries of files no longer listed (removed, rewritten,
        # keys of an older cursor) go, or the cursor would grow for ever. Bytes that come back (the same
        # file, or a copy) are hashed once more and still requested at most once: the manifest (`known`)
        # records what was processed, `unconfirmed` what is in flight, `given_up` the rest.
        gone = seen.keys() - listed
        for fingerprint_key in gone:
            del seen[fingerprint_key]
        if not new and not unconfirmed:
            if gone:
                context.update_cursor(_dump_cursor(seen, unconfirmed, given_up))
            return dg.SkipReason("no new files in the landing zone")
        # The manifest is read only between runs: a reader's lock, even brief, can make a run's
        # dbt step (which cannot wait for the lock) fail. The cursor is unchanged: nothing is lost.
        if context.instance.get_runs(filters=dg.RunsFilter(statuses=_IN_FLIGHT), limit=1):
            # a `bpo run` killed mid-run would otherwise look in progress (and hold the queue) for ever
            if fail_abandoned_runs(context.instance) or context.instance.get_runs(
                    filters=dg.RunsFilter(statuses=_IN_FLIGHT), limit=1):
                return dg.SkipReason("a run is in progress: new files are looked at after it")
        try:
            known = processed_shas(Path(warehouse.warehouse))
        except WarehouseLocked:  # e.g. a `bpo run` started outside Dagster; never wait for it
            return dg.SkipReason("the warehouse is being written: new files are looked at at the next tick")
        given_up -= known  # `bpo run` processed them since
        requests = []
        for sha, (path, attempts) in list(unconfirmed.items()):
            if sha in known:
                del unconfirmed[sha]  # loaded or quarantined: done
            elif context.instance.get_runs(filters=dg.RunsFilter(statuses=_WAITING, tags={"bpo/sha256": sha}),
                                           limit=1):
                continue  # its run is still queued
            elif attempts >= MAX_ATTEMPTS or not _still_landed(warehouse, path):
                del unconfirmed[sha]
                given_up.add(sha)
                context.log.warning(f"{path}: {attempts} run(s) ended without loading or quarantining it; "
                                    "it stays pending for `bpo run` (see `bpo status --landing`)")
            else:  # its run failed or was cancelled before the file was recorded: try again
                unconfirmed[sha] = [path, attempts + 1]
                requests.append(_request(warehouse, path, sha, attempts + 1))
        # bytes requested or looked at already: the same bytes under another name load nothing
        requested = set(seen.values()) | set(unconfirmed) | given_up
        with kept_checksums(warehouse.warehouse, [landed for _, landed in new]):
            for fingerprint_key, landed in new:
                sha = landed.sha256
                landed.release()  # the run reads the file itself (an s3:// object's local copy goes)
                seen[fingerprint_key] = sha
                if sha in known or sha in requested:
                    continue  # already processed, or the same bytes under another name: nothing to load
                requested.add(sha)
                unconfirmed[sha] = [landed.source, 1]
                requests.append(_request(warehouse, landed.source, sha, 1))
        context.update_cursor(_dump_cursor(seen, unconfirmed, given_up))
        if not requests:
            return dg.SkipReason(f"{len(new)} new file(s), all already processed")
        return requests

    return landing_zone_sensor


def _relative(warehouse: WarehouseResource, source: str) -> str:
    """Where a landed file (a path, or an s3:// URL) is inside the landing zone."""
    landing = warehouse.settings.landing
    if is_remote(landing):
        return S3Landing(landing).relative_of(source) or source
    return str(Path(source).relative_to(Path(landing).resolve()))


def _still_landed(warehouse: WarehouseResource, source: str) -> bool:
    landing = warehouse.settings.landing
    if not is_remote(landing):
        return Path(source).exists()
    store = S3Landing(landing)
    try:
        store.stat(store.relative_of(source) or "")
    except FileNotFoundError:
        return False
    except ConfigurationError:
        return True  # cannot tell now: ask again at a later tick
    return True


def _request(warehouse: WarehouseResource, path: str, sha: str, attempt: int) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=sha if attempt == 1 else f"{sha}#{attempt}",  # a run key is used once per sensor
        run_config={"ops": {"landed_files": {"config": {"paths": [path]}}}},
        tags={"bpo/file": _relative(warehouse, path), "bpo/sha256": sha, "bpo/attempt": str(attempt)},
    )


def run_alert_facts(instance: dg.DagsterInstance, run_id: str) -> tuple[list[dict], list[dict]]:
    """(ingest results, failed asset checks) of one run, from its event log."""
    results: list[dict] = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        mat = entry.asset_materialization
        if mat is not None and mat.asset_key == dg.AssetKey(["raw", "load_manifest"]) and "results" in mat.metadata:
            results.extend(mat.metadata["results"].value)
    checks = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.asset_check_evaluation_data
        if not evaluation.passed:
            checks.append({"asset": evaluation.asset_key.to_user_string(), "check": evaluation.check_name,
                           "severity": evaluation.severity.value, "description": evaluation.description})
    return results, checks


def _send_run_alerts(context: dg.RunStatusSensorContext, warehouse: WarehouseResource, *, published: bool,
                     run_error: str | None = None):
    targets = AlertTargets.from_env()
    if not targets.configured:
        return dg.SkipReason(f"no alert target: set {WEBHOOK_ENV} or {COMMAND_ENV}")
    run_id = context.dagster_run.run_id
    results, checks = run_alert_facts(context.instance, run_id)
    s = warehouse.settings
    # AlertDeliveryError fails the tick: the cursor stays on this run and the next tick tries again
    payload = send_alerts(source="dagster", warehouse=s.warehouse, published=s.published_path if published else None,
                          results=results, failed_checks=checks, run_id=run_id, run_error=run_error,
                          targets=targets)
    return dg.SkipReason("nothing to alert") if payload is None else None


def build_alert_sensors(job: dg.UnresolvedAssetJobDefinition) -> list[dg.SensorDefinition]:
    """Alert hooks (serving/alerts.py): failed runs, quarantined files, failed checks and new missed
    SLAs of each finished run of the pipeline started here (a `bpo run` sends its own at its end)."""

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[job],
                          default_status=dg.DefaultSensorStatus.RUNNING)
    def alert_after_success(context: dg.RunStatusSensorContext, warehouse: WarehouseResource):
        """Alert quarantines, failed checks and missed SLAs new in the published copy."""
        return _send_run_alerts(context, warehouse, published=True)

    @dg.run_failure_sensor(monitored_jobs=[job], default_status=dg.DefaultSensorStatus.RUNNING)
    def alert_after_failure(context: dg.RunFailureSensorContext, warehouse: WarehouseResource):
        """Alert the failure, with the quarantines and failed checks of the run (it published nothing)."""
        error = (context.failure_event.message or "the run failed").strip().splitlines()
        return _send_run_alerts(context, warehouse, published=False, run_error=error[0] if error else None)

    return [alert_after_success, alert_after_failure]
