"""Assets: contracts → landed files into raw.* → dbt models → published copy.

Importing this module does nothing but define: the dbt assets need the project's manifest
(`dbt parse` when it is stale), so they are built by `build_dbt_assets()`, which
`orchestration.definitions.build_definitions` calls (`dbt_models` / `published_marts` as
module attributes build them on first use too).
"""

import functools
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
    results = ingest(warehouse.settings, great_expectations.validate, config.paths or None, replay=config.replay)
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
    """Parse the dbt project when its manifest is missing or older than a model file."""
    manifest = project.manifest_path
    sources = [p for p in project.project_dir.rglob("*") if p.suffix in (".sql", ".yml", ".yaml")
               and "target" not in p.relative_to(project.project_dir).parts]
    if not manifest.exists() or any(p.stat().st_mtime > manifest.stat().st_mtime for p in sources):
        WarehouseDbtResource(project_dir=project, dbt_executable=DBT_EXECUTABLE).cli(
            ["parse", "--quiet"], target_path=manifest.parent).wait()
    return manifest


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


@functools.cache
def build_dbt_assets() -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """(dbt_models, published_marts), parsing the dbt project first when its manifest is stale."""

    @dbt_assets(manifest=ensure_dbt_manifest(), project=dbt_project, dagster_dbt_translator=WarehouseDbtTranslator(),
                pool=WAREHOUSE_POOL)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        """dbt build: staging views, intermediate models and marts, with dbt tests as asset checks."""
        path = Path(warehouse.warehouse)
        # dbt fails at once on a held lock: wait for it here (BPO_LOCK_WAIT_SECONDS), then fail clearly
        wait_for_lock(path)
        # the warehouse reaches dbt_project/profiles.yml as a --var of this invocation; one target folder per
        # warehouse, kept between runs: dbt's partial_parse.msgpack there matches this warehouse's vars, so a
        # run re-parses only the dbt files that changed
        settings = warehouse.settings
        invocation = dbt.cli(dbt_build_args(path, warehouse.reporting_currency, memory_limit=settings.duckdb_memory_limit),
                             context=context, raise_on_error=False, target_path=dbt_target_path(path))
        yield from invocation.stream()
        error = invocation.get_error()
        if error is not None:
            raise_if_locked(path, str(error))
            raise error

    @dg.asset(deps=[dbt_models], group_name="serving", pool=WAREHOUSE_POOL)
    def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """The marts, copied to a read-only DuckDB file for BI and swapped in atomically; dbt docs beside it."""
        info = publish_marts(Path(warehouse.warehouse), Path(warehouse.published))
        docs = {}
        try:  # the docs describe the marts; a failure to write them never holds back the marts themselves
            started = time.monotonic()
            docs = {"docs": str(generate_docs(Path(warehouse.published))),
                    "docs_seconds": round(time.monotonic() - started, 1)}
        except Exception as exc:  # noqa: BLE001
            context.log.warning(f"dbt docs not written: {exc}")
        return dg.MaterializeResult(metadata={"build_id": info["build_id"], "path": info["path"],
                                              "tables": len(info["tables"]), **docs})

    return dbt_models, published_marts


def __getattr__(name: str):
    """`from orchestration.assets import dbt_models` keeps working, building the dbt assets on first use."""
    if name in ("dbt_models", "published_marts"):
        return dict(zip(("dbt_models", "published_marts"), build_dbt_assets()))[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dg.asset(deps=[dg.AssetKey("published_marts")], group_name="serving")
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
