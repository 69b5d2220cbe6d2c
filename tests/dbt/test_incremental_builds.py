"""Incremental builds restate exactly what a full rebuild would (DEVELOPERS.md "Incremental builds").

One generated data set is loaded into two warehouses:

* incrementally, in batches with a `dbt build` after each: the first two
  months (without pacific_ph's February agent time and acme_mx's agent_time
  corrections file); then a day of updates (an interaction moved to another
  month, another changed queue and disposition, repeat contacts just after a
  month boundary for FCR); then the late agent time: pacific_ph's February
  file with a late interval that overlaps, just after midnight on 1 February,
  an interval that started on 31 January in the January file (the worked-time
  look-back: January is not recomputed), and acme_mx's corrections file (a
  January interval re-sent with its true end); then the third month (its interactions after its
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
from ingestion.loader import gx_validate
from generator import generate
from ingestion.settings import Settings
from transform.dbt_build import build_marts
from tests.dbt.harness import dbt_build

pytestmark = pytest.mark.slow

# when a file was loaded and its random load id (uuid4): not figures, they differ between the two warehouses
NOT_FIGURES = {"loaded_at", "_load_id"}
SCOPED_TABLES = ("intermediate.int_interaction_facts", "intermediate.int_interaction_activity",
                 "intermediate.int_sla_contact_counts", "marts.sla_interval",
                 "intermediate.int_agent_time_intervals", "intermediate.int_agent_time_month_parts",
                 "intermediate.int_agent_months")
# the late interval: pacific_ph's PH-00011 is `ready` from 31 January 23:30 to 1 February 02:30 Manila time (the
# generator's month-end interval, in the January file); this one (`nesting`: training), sent late, overlaps it by 1.5 h
LATE_AGENT_TIME = ("record_id,agent_id,site,state,started_at,ended_at\n"
                   "PH-AT-LATE-0000001,PH-00011,MNL-Ortigas,nesting,2026-02-01T01:00:00+08:00,2026-02-01T03:00:00+08:00\n")


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
    results = ingest(settings, gx_validate)
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
    timestamps and load ids (NOT_FIGURES) left out."""
    schema, name = table.split(".")
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, name]).fetchall()
    exprs = [f"round({c}, 9)" if t in ("DOUBLE", "FLOAT") else c for c, t in cols if c not in NOT_FIGURES]
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

    late_root = root / "extra_agent_time"
    late = late_root / "pacific_ph" / "agent_time" / "agent_time_2026-02-01_late.csv"
    late.parent.mkdir(parents=True)
    late.write_text(LATE_AGENT_TIME)

    every = sorted(p for p in source.rglob("*") if p.is_file())
    third_month = [p for p in every if "2026-03" in p.name]
    third_surveys = [p for p in third_month if p.parent.name == "surveys"]
    third_rest = [p for p in third_month if p not in third_surveys]
    late_agent_time = [source / "pacific_ph" / "agent_time" / "agent_time_2026-02.csv.gz",
                       source / "acme_mx" / "agent_time" / "agent_time_2026-01_corrections.csv"]
    assert all(p in every for p in late_agent_time)
    first_two = [p for p in every if p not in third_month and p not in late_agent_time]

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
    scopes, worked, agent_months = {}, {}, {}
    build_marts(inc.warehouse)  # ... so that this build still restates the day's months
    scopes["updates"] = _read(inc.warehouse, SCOPE)
    worked["updates"] = _read(inc.warehouse, WORKED_SCOPE)
    agent_months["updates"] = _read(inc.warehouse, AGENT_MONTH_SCOPE)
    _load(inc, late_agent_time, source)
    _load(inc, [late], late_root)
    build_marts(inc.warehouse)
    scopes["late_agent_time"] = _read(inc.warehouse, SCOPE)
    worked["late_agent_time"] = _read(inc.warehouse, WORKED_SCOPE)
    _load(inc, third_surveys, source)
    build_marts(inc.warehouse)
    _load(inc, third_rest, source)
    build_marts(inc.warehouse)
    scopes["third_month"] = _read(inc.warehouse, SCOPE)
    worked["third_month"] = _read(inc.warehouse, WORKED_SCOPE)
    _correct_contract(inc.contracts)
    ingest(inc, gx_validate)  # nothing new to load: the contracts are synced
    build_marts(inc.warehouse)
    scopes["contract"] = _read(inc.warehouse, SCOPE)
    worked["contract"] = _read(inc.warehouse, WORKED_SCOPE)

    full = Settings(landing=root / "full" / "landing", contracts=root / "full" / "contracts",
                    warehouse=root / "full" / "wh" / "warehouse.duckdb").resolved()
    shutil.copytree(inc.contracts, full.contracts)
    _load(full, every, source)
    _load(full, [extra], root / "extra")
    _load(full, [late], late_root)
    build_marts(full.warehouse)

    con = duckdb.connect()
    con.execute(f"attach '{inc.warehouse}' as inc (read_only)")
    con.execute(f"attach '{full.warehouse}' as full_build (read_only)")
    yield {"con": con, "ids": ids, "scopes": scopes, "worked": worked, "agent_months": agent_months}
    con.close()


SCOPE = ("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor, fcr_lookback "
         "from intermediate.int_build_scope order by all")
WORKED_SCOPE = ("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor "
                "from intermediate.int_build_worked_time_scope order by all")
AGENT_MONTH_SCOPE = ("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor "
                     "from intermediate.int_build_agent_month_scope order by all")


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


def test_worked_time_builds_recomputed_only_the_touched_vendor_months(warehouses):
    worked, agent_months = warehouses["worked"], warehouses["agent_months"]
    # a day of interaction updates touches no agent time; the agent-months of its restated months are
    # recomputed (their handle time may change), nothing else
    assert worked["updates"] == []
    assert agent_months["updates"] == [("acme_mx", "2026-01", False), ("acme_mx", "2026-02", False)]
    # the late agent time: acme_mx's January (the corrected interval, both versions on 1 January);
    # pacific_ph's February (its late month file and the late overlapping interval), not its January
    assert warehouses["scopes"]["late_agent_time"] == []  # no interaction was loaded
    assert worked["late_agent_time"] == [("acme_mx", "2026-01", False), ("pacific_ph", "2026-02", False)]
    assert worked["third_month"] == [("acme_mx", "2026-03", False), ("inhouse_us", "2026-03", False),
                                     ("pacific_ph", "2026-03", False)]
    assert worked["contract"] == [("acme_mx", None, True)]


UTC = "strftime(timezone('UTC', {}), '%Y-%m-%d %H:%M:%S')"  # UTC wall clock, whatever the session's zone


def test_late_and_corrected_agent_time_are_in_the_worked_time(warehouses):
    con = warehouses["con"]
    # the late interval (1 Feb 01:00-03:00 Manila, UTC+8) starts under PH-00011's January interval, which
    # runs to 02:30 local = 31 Jan 18:30 UTC and was kept from an earlier build (the look-back):
    # 1.5 h overlap, the last 0.5 h counted as training
    late = con.execute(
        f"select {UTC.format('covered_until')}, {UTC.format('counted_from')} "
        "from inc.intermediate.int_agent_time_intervals "
        "where vendor_id = 'pacific_ph' and record_id = 'PH-AT-LATE-0000001'").fetchall()
    assert late == [("2026-01-31 18:30:00", "2026-01-31 18:30:00")]
    parts = con.execute(
        "select part, work_class, strftime(period_month, '%Y-%m'), seconds "
        "from inc.intermediate.int_agent_time_month_parts "
        "where vendor_id = 'pacific_ph' and record_id = 'PH-AT-LATE-0000001' order by part").fetchall()
    assert parts == [("counted", "training", "2026-02", 1800), ("overlap", "training", "2026-02", 5400)]
    # the corrected interval (1 Jan 15:48:57-17:49:51 local in the month file, ended 15:49:51 in the corrections
    # file): one row, the corrected end, 54 s
    corrected = con.execute(
        f"select {UTC.format('ended_at')}, epoch(ended_at - started_at) from inc.intermediate.int_agent_time_intervals "
        "where vendor_id = 'acme_mx' and record_id = 'MTY-AT-202601-0000040'").fetchall()
    assert corrected == [("2026-01-01 21:49:51", 54)]
