"""Assets: contracts → landed files into raw.* → dbt models → published copy.

Importing this module does nothing but define: the dbt assets need the project's manifest
(`dbt parse` when it is stale), so they are built by `build_dbt_assets()`, which
`orchestration.definitions.build_definitions` calls (`dbt_models` / `published_marts` as
module attributes build them on first use too).
"""

import functools
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingestion.batch import ingest
from ingestion.feeds import FEEDS
from ingestion.loader import sync_contracts
from ingestion.warehouse import connect, wait_for_lock
from compat.dagster_dbt_inprocess import WarehouseDbtResource
from serving.publish import generate_docs, publish_marts
from transform.dbt_build import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_build_args, dbt_target_path, raise_if_locked
from transform.dbt_selection import PUBLISH_GATE, selection_for
from transform.run_inputs import (NOTHING_NEW, build_reason, build_vars, changed_raw_tables, input_parts,
                                  inputs_fingerprint, mark_building, mark_published)
from orchestration import progress
from orchestration.resources import GreatExpectationsResource, WarehouseResource
from serving.alerts import ALERT_STATUSES, GX_CHECK

CONTRACT_TABLES = ("contracts", "contract_versions", "contract_pricing", "contract_pricing_tiers", "contract_sla",
                   "contract_worked_time_states", "disputes")  # disputes: the register beside the contracts
RAW_FEED_TABLES = {feed.table: feed.name for feed in FEEDS.values()}
WAREHOUSE_POOL = "duckdb_warehouse"  # one writer at a time (DuckDB's file lock)


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


@dg.multi_asset(
    specs=[dg.AssetSpec(raw_key(t), group_name="raw", description=f"raw.{t}, from the contracts folder")
           for t in CONTRACT_TABLES],
    pool=WAREHOUSE_POOL,
)
def contracts(warehouse: WarehouseResource):
    """Validate every contract YAML and replace raw.contract* with it (one transaction)."""
    s = warehouse.settings
    with connect(s.warehouse) as con:
        loaded = sync_contracts(con, s.contracts)
    for table in CONTRACT_TABLES:
        yield dg.MaterializeResult(asset_key=raw_key(table), metadata={"vendors": len(loaded)})


class IngestConfig(dg.Config):
    paths: list[str] = []  # files to process; empty = every pending file in the landing zone
    replay: bool = False  # process a previously quarantined file again


@dg.multi_asset(
    specs=[
        *[dg.AssetSpec(raw_key(t), group_name="raw", skippable=True, deps=[raw_key("contracts")],
                       description=f"raw.{t}: {n} feed rows, one transaction per landed file")
          for t, n in RAW_FEED_TABLES.items()],
        dg.AssetSpec(raw_key("load_manifest"), group_name="raw", skippable=True,
                     description="One row per landed file: loaded or quarantined, with the reason"),
    ],
    # Great Expectations on each raw feed: a quarantined file fails its feed's check with a warning,
    # never blocking the rest of the run (the other files, dbt and the publication go on)
    check_specs=[dg.AssetCheckSpec(GX_CHECK, asset=raw_key(t), blocking=False,
                                   description=f"Every {n} file of the run passed its Great Expectations suite "
                                               "(a quarantined file fails the check with its reason)")
                 for t, n in RAW_FEED_TABLES.items()],
    pool=WAREHOUSE_POOL,
)
def landed_files(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource,
                 great_expectations: GreatExpectationsResource):
    """Read, normalise, validate (GX) and load landed files, or quarantine them with a reason."""
    results = ingest(warehouse.settings, great_expectations.validate, config.paths or None, replay=config.replay,
                     progress=_file_progress())
    if any(r.status != "pending" for r in results):
        progress.current().finish("files", _files_summary(results))
    for r in results:
        if r.status == "quarantined":
            context.log.warning(f"quarantined {r.file}: {r.reason}")
        elif r.status == "duplicate":
            context.log.info(f"skipped {r.file}: {r.reason}")
        for w in r.warnings:
            context.log.warning(f"{r.file}: {w}")
    # Every raw table is reported, with 0 files when nothing new landed for it: a skipped output
    # would make Dagster skip the dbt build and the publication, so a run that loads only some
    # feeds (one file per sensor run, a replay, late data) would never restate the marts.
    for table, feed in RAW_FEED_TABLES.items():
        files = [r for r in results if r.feed == feed and r.status == "loaded"]
        yield dg.MaterializeResult(
            asset_key=raw_key(table),
            metadata={
                "files": len(files),
                "rows": sum(r.rows for r in files),
                "validation": dg.MetadataValue.json([r.validation for r in files if r.validation]),
            },
        )
        yield gx_check_result(table, [r for r in results if r.feed == feed and r.status != "duplicate"])
    yield dg.MaterializeResult(
        asset_key=raw_key("load_manifest"),
        metadata={
            "loaded": sum(r.status == "loaded" for r in results),
            "quarantined": sum(r.status == "quarantined" for r in results),
            "duplicates": sum(r.status == "duplicate" for r in results),
            "results": dg.MetadataValue.json([r.__dict__ for r in results]),
        },
    )


def _file_progress():
    """Report each landed file of the batch to the command's progress display (orchestration.progress)."""
    reporter = progress.current()
    state = {"total": None}

    def on_file(index: int, total: int, landed) -> None:
        if state["total"] is None:
            state["total"] = total
            reporter.step("files", f"landed files: {total} to check (already processed ones are skipped)", total)
        if landed is not None:
            reporter.advance("files", index, f"validating and loading file {index + 1} of {total}: "
                                             f"{landed.vendor_id}/{landed.feed}/{_file_name(landed)}")

    return on_file


def _file_name(landed) -> str:
    return getattr(landed, "name", None) or Path(landed.path).name


def _files_summary(results: list) -> str:
    count = {s: sum(r.status == s for r in results) for s in ("loaded", "quarantined", "failed", "duplicate")}
    return (f"landed files: {count['loaded']} loaded, {count['quarantined']} quarantined, {count['failed']} failed, "
            f"{count['duplicate']} already processed")


def gx_check_result(table: str, files: list) -> dg.AssetCheckResult:
    """The `great_expectations` check of one raw feed for the files of this run (none: passed, 0 files).

    Failed (severity WARN) when a file was quarantined or failed, with every reason in the metadata;
    passed otherwise, with the validation statistics of the files loaded.
    """
    bad = [r for r in files if r.status in ALERT_STATUSES]
    loaded = [r for r in files if r.status == "loaded"]
    stats = [r.validation for r in files if r.validation]
    metadata = {
        "files": len(files),
        "loaded": len(loaded),
        "rows": sum(r.rows for r in loaded),
        "expectations_evaluated": sum(v.get("evaluated", 0) for v in stats),
        "expectations_successful": sum(v.get("successful", 0) for v in stats),
        "validation": dg.MetadataValue.json(stats),
    }
    if not bad:
        return dg.AssetCheckResult(asset_key=raw_key(table), check_name=GX_CHECK, passed=True, metadata=metadata)
    reasons = [f"{Path(r.file).name}: {r.reason}" for r in bad]
    metadata["quarantined"] = dg.MetadataValue.json(
        [{"file": r.file, "vendor_id": r.vendor_id, "status": r.status, "reason": r.reason,
          "quarantine_path": r.quarantine_path} for r in bad])
    metadata["reason"] = dg.MetadataValue.text("\n".join(reasons))
    return dg.AssetCheckResult(
        asset_key=raw_key(table), check_name=GX_CHECK, passed=False, severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata, description=f"{len(bad)} file(s) quarantined: {reasons[0]}"[:1000])


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)


def ensure_dbt_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or stale.

    Stale = the set of project files, their sizes or mtimes changed since the manifest was written (a deleted
    or renamed model counts, which an mtime comparison misses). Parsed into a private folder and moved into
    place, so concurrent processes (pytest -n 2, `dg dev` beside `bpo run`) never read a half-written manifest.
    """
    manifest = project.manifest_path
    stamp = manifest.with_name("manifest.fingerprint")
    fingerprint = project_fingerprint(project.project_dir)
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=manifest.parent, prefix=".parse-") as work:
        WarehouseDbtResource(project_dir=project, dbt_executable=DBT_EXECUTABLE).cli(
            ["parse", "--quiet"], target_path=Path(work)).wait()
        for name in ("semantic_manifest.json", "manifest.json"):  # the manifest last: it is what readers wait for
            if (Path(work) / name).exists():
                os.replace(Path(work) / name, manifest.parent / name)
        (Path(work) / "fingerprint").write_text(fingerprint)
        os.replace(Path(work) / "fingerprint", stamp)
    return manifest


def project_fingerprint(project_dir: Path) -> str:
    files = sorted(p for p in project_dir.rglob("*")
                   if p.suffix in (".sql", ".yml", ".yaml", ".csv") and p.is_file()
                   and not {"target", "logs", "dbt_packages"} & set(p.relative_to(project_dir).parts))
    digest = hashlib.sha256()
    for p in files:
        st = p.stat()
        digest.update(f"{p.relative_to(project_dir).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _dbt_manifest() -> dict:
    return json.loads(ensure_dbt_manifest().read_text())


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Models are keyed <schema>/<name> (staging/stg_interactions, marts/sla_compliance);
    sources keep dbt's default raw/<table>, which are the keys of the ingestion assets."""

    def get_asset_key(self, dbt_resource_props) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get("schema")
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props) -> str | None:
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"


# staging/stg_load_manifest: the model every build materializes (transform/dbt_selection.py PUBLISH_GATE)
PUBLISH_AFTER = dg.AssetKey(["staging", PUBLISH_GATE])


@functools.cache
def build_dbt_assets() -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """(dbt_models, published_marts), parsing the dbt project first when its manifest is stale."""

    @dbt_assets(manifest=ensure_dbt_manifest(), project=dbt_project, dagster_dbt_translator=WarehouseDbtTranslator(),
                pool=WAREHOUSE_POOL)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        """dbt build: staging views, intermediate models and marts, with dbt tests as asset checks."""
        path = Path(warehouse.warehouse)
        reporter = progress.current()
        # dbt fails at once on a held lock: wait for it here (BPO_LOCK_WAIT_SECONDS), then fail clearly
        wait_for_lock(path)
        settings = warehouse.settings
        # nothing new since the last publication (transform/run_inputs.py): no build, and no outputs, so the
        # publication (and whatever follows it) is skipped too
        this_build = build_vars(warehouse.reporting_currency, path)
        with connect(path) as con:
            fingerprint = inputs_fingerprint(con, settings.contracts, this_build)
            reason = build_reason(con, fingerprint, Path(warehouse.published))
            if reason is None:
                context.log.info(NOTHING_NEW)
                return
            parts = input_parts(con, this_build)
            changed = changed_raw_tables(con, parts)
            mark_building(con, fingerprint, parts)  # a build that fails or is killed from here on is redone next run
        # after a published build, only what the changed raw tables reach (transform/dbt_selection.py); a step
        # that runs some of the dbt assets only (picked in the UI) keeps dagster-dbt's selection
        whole_step = (context.selected_asset_keys == context.assets_def.keys
                      and context.selected_asset_check_keys == context.assets_def.check_keys)
        selection = selection_for(_dbt_manifest(), changed) if changed is not None and whole_step else None
        if selection is None:
            context.log.info(f"building: {reason}")
            models, tests = len(context.selected_asset_keys), len(context.selected_asset_check_keys)
        else:
            context.log.info(f"building: {reason}; raw tables changed: {', '.join(changed) or 'none'}; "
                             f"dbt selection: {' '.join(selection.select)}")
            models, tests = len(selection.models), len(selection.tests)
        reporter.step("dbt", f"dbt build: {models} models, {tests} tests", models + tests)
        # the warehouse reaches dbt_project/profiles.yml as a --var of this invocation; one target folder per
        # warehouse, kept between runs: dbt's partial_parse.msgpack there matches this warehouse's vars, so a
        # run re-parses only the dbt files that changed
        invocation = dbt.cli(dbt_build_args(path, warehouse.reporting_currency, memory_limit=settings.duckdb_memory_limit,
                                            select=selection.select if selection else None),
                             context=context, raise_on_error=False, target_path=dbt_target_path(path))
        built = checked = 0
        for event in invocation.stream():
            if isinstance(event, (dg.AssetCheckResult, dg.AssetCheckEvaluation)):
                checked += 1
            elif isinstance(event, (dg.Output, dg.AssetMaterialization, dg.MaterializeResult)):
                built += 1  # not observations: dagster-dbt's stand-in for tests it cannot map to a check
            reporter.advance("dbt", built + checked, f"dbt build: models {built} of {models}, tests {checked} of {tests}")
            yield event
        error = invocation.get_error()
        reporter.finish("dbt", f"dbt build: {built} models, {checked} tests" + (" (failed)" if error else ""))
        if error is not None:
            raise_if_locked(path, str(error))
            raise error

    # after the dbt step, gated on the one model every build materializes: Dagster skips a step when any output
    # it depends on was not produced (dagster-io/dagster#22242), and a build selects only what changed
    @dg.asset(deps=[PUBLISH_AFTER], group_name="serving", pool=WAREHOUSE_POOL)
    def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """The marts, copied to a read-only DuckDB file for BI and swapped in atomically; dbt docs beside it."""
        reporter = progress.current()
        reporter.step("publish", "publishing the marts (read-only copy for BI)")
        info = publish_marts(Path(warehouse.warehouse), Path(warehouse.published))
        with connect(Path(warehouse.warehouse)) as con:
            mark_published(con, info["build_id"])  # the next run with the same inputs builds nothing
        reporter.finish("publish", f"published {len(info['tables'])} marts")
        docs = {}
        reporter.step("docs", "writing the dbt docs page")
        try:  # the docs describe the marts; a failure to write them never holds back the marts themselves
            started = time.monotonic()
            docs = {"docs": str(generate_docs(Path(warehouse.published))),
                    "docs_seconds": round(time.monotonic() - started, 1)}
            reporter.finish("docs", "wrote the dbt docs page")
        except Exception as exc:  # noqa: BLE001
            context.log.warning(f"dbt docs not written: {exc}")
            reporter.finish("docs", "dbt docs not written (see the log)")
        return dg.MaterializeResult(metadata={"build_id": info["build_id"], "path": info["path"],
                                              "tables": len(info["tables"]), **docs})

    return dbt_models, published_marts


def __getattr__(name: str):
    """`from orchestration.assets import dbt_models` keeps working, building the dbt assets on first use."""
    if name in ("dbt_models", "published_marts"):
        return dict(zip(("dbt_models", "published_marts"), build_dbt_assets()))[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# in the warehouse pool like every step: two runs never write the page at once, each after its own publish
@dg.asset(deps=[dg.AssetKey("published_marts")], group_name="serving", pool=WAREHOUSE_POOL)
def report_card(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The report card of the marts just published (one offline HTML page): <published folder>/report/index.html."""
    from serving.report_card import ReportError, write_report

    try:
        path = write_report(Path(warehouse.published))
    except ReportError as exc:  # no scorecard row yet (nothing landed): the marts are published, the page waits
        context.log.warning(f"report card not written: {exc}")
        return dg.MaterializeResult(metadata={"written": False, "reason": str(exc)})
    return dg.MaterializeResult(metadata={"written": True, "path": dg.MetadataValue.path(str(path)),
                                          "bytes": path.stat().st_size})
