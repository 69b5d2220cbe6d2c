"""Incremental builds restate exactly what a full rebuild would (DEVELOPERS.md "Incremental builds").

One generated data set is loaded into two warehouses:

* incrementally, in batches with a `dbt build` after each: the first two
  months; then a day of updates (an interaction moved to another month,
  another changed queue and disposition, repeat contacts just after a month
  boundary for FCR); then the third month (its interactions after its
  surveys); then a contract correction (acme_mx's SLA threshold and FCR
  window); a build that selected only some scoped models sits in between and
  must not advance the ledger;
* all at once, with the final contracts, in one full build.

Every mart and every scoped (incremental) table must then hold the same rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.batch import ingest
from generator import generate
from ingestion.settings import Settings
from transform.dbt_build import build_marts
from tests.dbt.harness import dbt_build

pytestmark = pytest.mark.slow

LOAD_TIMES = {"loaded_at"}
SCOPED_TABLES = ("intermediate.int_interaction_facts", "intermediate.int_interaction_activity",
                 "intermediate.int_sla_contact_counts", "marts.sla_interval")


def _validate(feed, frame, vendor_id):
    from expectations.runner import get_validator

    return get_validator().validate(feed=feed, frame=frame, vendor_id=vendor_id)


def _updates_file(source: Path) -> tuple[str, dict[str, str]]:
    """A day of acme_mx corrections to January contacts, as the vendor would send them, and the ids it touches."""
    rows = pl.read_csv(source, infer_schema=False)
    moved = rows.slice(0, 1).with_columns(  # arrived in January, corrected to a February arrival
        pl.lit("2026-02-03 10:00:00").alias("arrived_at"), pl.lit("2026-02-03 10:00:30").alias("answered_at"),
        pl.lit("2026-02-03 10:12:00").alias("ended_at"))
    requeued = rows.slice(1, 1).with_columns(pl.lit("retention").alias("queue"), pl.lit("N").alias("resolved"))
    # the customer of the last January contact again minutes into February: a repeat across the boundary
    last = rows.filter(pl.col("customer_ref").is_not_null()).sort("arrived_at").tail(1)
    repeat = last.with_columns(
        pl.lit("ACUPD0000000001").alias("interaction_id"), pl.lit("2026-02-01 00:05:00").alias("arrived_at"),
        pl.lit("2026-02-01 00:05:10").alias("answered_at"), pl.lit("2026-02-01 00:09:00").alias("ended_at"))
    day = pl.concat([moved, requeued, repeat]).with_columns(pl.lit("2026-03-05 08:00:00").alias("updated_at"))
    ids = {"moved": moved["interaction_id"][0], "requeued": requeued["interaction_id"][0],
           "repeated": last["interaction_id"][0]}
    return day.write_csv(), ids


def _load(settings: Settings, files: list[Path], landing_source: Path) -> None:
    for f in files:
        target = settings.landing / f.relative_to(landing_source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    results = ingest(settings, _validate)
    assert {r.status for r in results} <= {"loaded", "duplicate"}, [r.reason for r in results]


def _correct_contract(contracts: Path) -> None:
    text = (contracts / "acme_mx.yaml").read_text()
    text = text.replace("{metric: service_level, channel: voice, threshold_seconds: 20,",
                        "{metric: service_level, channel: voice, threshold_seconds: 25,")
    text = text.replace("repeat_window_days: 7,", "repeat_window_days: 10,")
    assert "threshold_seconds: 25" in text and "repeat_window_days: 10" in text
    (contracts / "acme_mx.yaml").write_text(text)


def _rows(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple]:
    """Every row of a table, doubles rounded (parallel float sums may differ in the last bits); load
    timestamps (`loaded_at`: when a file was loaded, not a figure) left out."""
    schema, name = table.split(".")
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, name]).fetchall()
    exprs = [f"round({c}, 9)" if t in ("DOUBLE", "FLOAT") else c for c, t in cols if c not in LOAD_TIMES]
    return sorted(con.execute(f"select {', '.join(exprs)} from {catalog}.{table}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    generate(root / "data", outsourcers=2, months=3, seed=11, scale=4000)
    source = root / "data" / "landing"
    extra = root / "extra" / "acme_mx" / "interactions" / "interactions_2026-03-05_updates.csv"
    extra.parent.mkdir(parents=True)
    day, ids = _updates_file(source / "acme_mx" / "interactions" / "interactions_2026-01.csv")
    extra.write_text(day)

    every = sorted(p for p in source.rglob("*") if p.is_file())
    third_month = [p for p in every if "2026-03" in p.name]
    third_surveys = [p for p in third_month if p.parent.name == "surveys"]
    third_rest = [p for p in third_month if p not in third_surveys]
    first_two = [p for p in every if p not in third_month]

    inc = Settings(landing=root / "inc" / "landing", contracts=root / "inc" / "contracts",
                   warehouse=root / "inc" / "wh" / "warehouse.duckdb").resolved()
    shutil.copytree(root / "data" / "contracts", inc.contracts)
    _load(inc, first_two, source)
    build_marts(inc.warehouse)
    _load(inc, [extra], root / "extra")
    # a build of only some scoped models must leave the ledger where it was ...
    dbt_build(inc.warehouse, "--select", "+int_interaction_facts")
    assert _read(inc.warehouse, "select count(*) from raw.load_manifest where load_id not in "
                                "(select load_id from build_state.built_loads)") == [(1,)]
    scopes = {}
    build_marts(inc.warehouse)  # ... so that this build still restates the day's months
    scopes["updates"] = _read(inc.warehouse, SCOPE)
    _load(inc, third_surveys, source)
    build_marts(inc.warehouse)
    _load(inc, third_rest, source)
    build_marts(inc.warehouse)
    scopes["third_month"] = _read(inc.warehouse, SCOPE)
    _correct_contract(inc.contracts)
    ingest(inc, _validate)  # nothing new to load: the contracts are synced
    build_marts(inc.warehouse)
    scopes["contract"] = _read(inc.warehouse, SCOPE)

    full = Settings(landing=root / "full" / "landing", contracts=root / "full" / "contracts",
                    warehouse=root / "full" / "wh" / "warehouse.duckdb").resolved()
    shutil.copytree(inc.contracts, full.contracts)
    _load(full, every, source)
    _load(full, [extra], root / "extra")
    build_marts(full.warehouse)

    con = duckdb.connect()
    con.execute(f"attach '{inc.warehouse}' as inc (read_only)")
    con.execute(f"attach '{full.warehouse}' as full_build (read_only)")
    yield {"con": con, "ids": ids, "scopes": scopes}
    con.close()


SCOPE = ("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor, fcr_lookback "
         "from intermediate.int_build_scope order by all")


def _read(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [f"marts.{t}" for (t,) in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'full_build' "
        "and table_schema = 'marts' and table_type = 'BASE TABLE' order by 1").fetchall()]


def test_every_mart_and_scoped_table_equals_a_full_rebuild(warehouses):
    con = warehouses["con"]
    tables = _mart_tables(con) + list(SCOPED_TABLES)
    assert len(tables) >= 10
    differing = [t for t in tables if _rows(con, "inc", t) != _rows(con, "full_build", t)]
    assert not differing, f"incremental and full builds differ in {differing}"


def test_builds_recomputed_only_the_touched_vendor_months(warehouses):
    scopes = warehouses["scopes"]
    # the day of updates: acme_mx's February (new arrivals) and January (the versions they replace)
    # restated; December only for the FCR look-back of the January versions; nothing else
    assert scopes["updates"] == [("acme_mx", "2025-12", False, True), ("acme_mx", "2026-01", False, False),
                                 ("acme_mx", "2026-02", False, False)]
    # the third month restated for every vendor, February only as FCR look-back
    assert {(m, lookback) for _, m, _, lookback in scopes["third_month"]} == {("2026-02", True), ("2026-03", False)}
    assert {v for v, *_ in scopes["third_month"]} == {"acme_mx", "pacific_ph", "inhouse_us"}
    assert not any(whole for _, _, whole, _ in scopes["third_month"])
    # a corrected contract restates every month of that vendor and of no other
    assert scopes["contract"] == [("acme_mx", None, True, False)]


def test_updates_and_cross_month_repeats_are_in_the_facts(warehouses):
    con, ids = warehouses["con"], warehouses["ids"]

    def fact(interaction_id):
        return con.execute(
            "select strftime(period_month, '%Y-%m'), queue, resolved, next_contact_arrived_at is not null "
            "from inc.intermediate.int_interaction_facts where vendor_id = 'acme_mx' and interaction_id = ?",
            [interaction_id]).fetchall()

    assert fact(ids["moved"])[0][0] == "2026-02"  # one row, now in February
    assert fact(ids["requeued"])[0][1:3] == ("retention", False)
    assert fact(ids["repeated"]) and fact(ids["repeated"])[0][3]  # its next contact is the February repeat
    # February was only an FCR look-back month when March landed: its contacts repeated in March were
    # recomputed as look-back rows (the full-rebuild comparison checks their values)
    repeated_in_march = con.execute(
        "select count(*) from inc.intermediate.int_interaction_facts "
        "where period_month = '2026-02-01' and next_contact_arrived_at >= '2026-03-01 12:00:00+00'").fetchone()[0]
    assert repeated_in_march >= 1
    threshold = con.execute("select distinct threshold_seconds from inc.marts.sla_interval "
                            "where vendor_id = 'acme_mx' and channel = 'voice'").fetchall()
    assert threshold == [(25,)]  # the corrected contract restated every month
