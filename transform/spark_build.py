"""The marts on Apache Spark (docs/growing.md "A distributed engine (Spark)"): `bpo build --engine spark`.

The same dbt project, target `spark` (dbt_project/profiles.yml: dbt-spark, session method,
a local pyspark session in this process). Its raw sources are the Parquet folders of the raw
layer (serving/export_parquet.py; publish writes them beside the published copy), registered
by on-run-start; the dialect differences are the project's dispatched macros
(macros/cross_db.sql), not a second copy of the models. Every Spark build is a full build
(`--full-refresh`): the incremental ledger is DuckDB's. The marts are then written as Parquet,
one folder per mart, `<out>/<mart>/`, replaced whole.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from serving.export_parquet import export_raw_parquet
from transform.dbt_build import project_args


class SparkBuildFailed(RuntimeError):
    """dbt on Spark failed (a model); nothing was written to the output folder."""


def spark_dbt_args(raw_parquet: Path, work: Path, reporting_currency: str = "USD",
                   command: str = "run") -> list[str]:
    """The dbt invocation on the spark target: every model, full refresh, vars for the profile and the sources."""
    dbt_vars = {"reporting_currency": reporting_currency,
                "bpo_raw_parquet": str(Path(raw_parquet).resolve()),
                "bpo_spark_warehouse": str((work / "spark-warehouse").resolve())}
    return project_args([command, "--target", "spark", "--full-refresh", "--vars", json.dumps(dbt_vars)],
                        work / "dbt_target")


def build_marts_spark(warehouse: Path | None, out: Path, *, raw_parquet: Path | None = None,
                      work: Path | None = None, reporting_currency: str = "USD") -> list[str]:
    """Build every mart on Spark and write each as Parquet to `out/<mart>/`; returns the marts written.

    raw_parquet: an existing raw export (publish's `raw_parquet/`); None = export `warehouse` now.
    work: Spark's scratch (dbt target folder, Spark's table folder); default `out/.spark_work`.
    """
    out = Path(out).resolve()
    work = Path(work or out / ".spark_work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    if raw_parquet is None:
        if warehouse is None:
            raise ValueError("give the warehouse or an exported raw Parquet folder")
        raw_parquet = work / "raw_parquet"
        export_raw_parquet(Path(warehouse), raw_parquet)
    failed = run_spark_dbt(raw_parquet, work, reporting_currency)
    if failed:
        raise SparkBuildFailed(f"dbt on Spark failed (models failed: {', '.join(failed)}; "
                               f"log: {work / 'dbt_target' / 'dbt.log'})")
    return write_marts(out)


def run_spark_dbt(raw_parquet: Path, work: Path, reporting_currency: str = "USD") -> list[str]:
    """dbt on the spark target in this process, from a fresh table folder; the models that failed (none: [])."""
    from dbt.cli.main import dbtRunner

    # the catalog lives in the Spark session: tables a previous process left in its folder would
    # block the new ones of the same name (LOCATION_ALREADY_EXISTS)
    shutil.rmtree(work / "spark-warehouse", ignore_errors=True)
    result = dbtRunner().invoke(spark_dbt_args(raw_parquet, work, reporting_currency))
    failed = [r.node.name for r in (result.result or []) if str(r.status) in ("error", "fail")]
    if not result.success and not failed:
        raise SparkBuildFailed(f"dbt on Spark failed: {result.exception or 'see ' + str(work / 'dbt_target' / 'dbt.log')}")
    return failed


def write_marts(out: Path, schema: str = "marts") -> list[str]:
    """Each table of `schema` in this process's Spark session as `out/<table>/` (Parquet, replaced whole)."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    names = sorted(t.name for t in spark.catalog.listTables(schema) if not t.isTemporary)
    for name in names:
        target = out / name
        tmp = out / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        spark.table(f"{schema}.{name}").coalesce(1).write.parquet(str(tmp))
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return names
