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
  January interval re-sent with its true end), with acme_mx corrections by id of a survey, a QA
  evaluation (moved to another month) and a self-service session (moved to another month); then the
  third month (its interactions after its surveys); then a contract correction (acme_mx's SLA threshold and FCR
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
                 "intermediate.int_agent_months", "intermediate.int_survey_responses",
                 "intermediate.int_qa_evaluations", "intermediate.int_self_service_months")
# the late interval: pacific_ph's PH-00011 is `ready` from 31 January 23:30 to 1 February 02:30 Manila time (the
# generator's month-end interval, in the January file); this one (`nesting`: training), sent late, overlaps it by 1.5 h
LATE_AGENT_TIME = ("record_id,agent_id,site,state,started_at,ended_at\n"
                   "PH-AT-LATE-0000001,PH-00011,MNL-Ortigas,nesting,2026-02-01T01:00:00+08:00,2026-02-01T03:00:00+08:00\n")


def _updates_file(landing: Path) -> tuple[str, dict[str, str]]:
    """A day of acme_mx corrections to January contacts, as the vendor would send them, and the ids it touches:
    the one moved to February has a survey and a QA evaluation, the requeued one a QA evaluation."""
    rows = pl.read_csv(landing / "acme_mx" / "interactions" / "interactions_2026-01.csv", infer_schema=False)
    surveyed = set(pl.read_csv(landing / "acme_mx" / "surveys" / "surveys_2026-01.csv",
                               infer_schema=False)["interaction_id"])
    evaluated = set(pl.read_csv(landing / "acme_mx" / "qa_evaluations" / "qa_evaluations_2026-01.csv",
                                infer_schema=False)["interaction_id"])
    rows = rows.with_columns(pl.col("interaction_id").is_in(list(surveyed & evaluated)).alias("both"),
                             pl.col("interaction_id").is_in(list(evaluated - surveyed)).alias("qa_only"))
    moved = rows.filter("both").slice(0, 1)
    requeued = rows.filter("qa_only").slice(0, 1)
    assert moved.height == requeued.height == 1
    rows = rows.filter(~pl.col("both") & ~pl.col("qa_only")).drop("both", "qa_only")
    moved, requeued = moved.drop("both", "qa_only"), requeued.drop("both", "qa_only")
    moved = moved.with_columns(  # arrived in January, corrected to a February arrival
        pl.lit("2026-02-03 10:00:00").alias("arrived_at"), pl.lit("2026-02-03 10:00:30").alias("answered_at"),
        pl.lit("2026-02-03 10:12:00").alias("ended_at"))
    requeued = requeued.with_columns(pl.lit("retention").alias("queue"), pl.lit("N").alias("resolved"))
    # the customer of the last January contact again minutes into February: a repeat across the boundary
    last = rows.filter(pl.col("customer_ref").is_not_null()).sort("arrived_at").tail(1)
    repeat = last.with_columns(
        pl.lit("ACUPD0000000001").alias("interaction_id"), pl.lit("2026-02-01 00:05:00").alias("arrived_at"),
        pl.lit("2026-02-01 00:05:10").alias("answered_at"), pl.lit("2026-02-01 00:09:00").alias("ended_at"))
    day = pl.concat([moved, requeued, repeat]).with_columns(pl.lit("2026-03-05 08:00:00").alias("updated_at"))
    ids = {"moved": moved["interaction_id"][0], "requeued": requeued["interaction_id"][0],
           "repeated": last["interaction_id"][0]}
    return day.write_csv(), ids


def _corrections(landing: Path, out: Path) -> dict[str, str]:
    """acme_mx files re-sending by id: a January survey with another CSAT, a January QA evaluation and a
    January self-service session moved to 2 February (the months they leave are known to no staging view)."""
    def first(feed: str, name: str, condition: pl.Expr) -> pl.DataFrame:
        return pl.read_csv(landing / "acme_mx" / feed / name, infer_schema=False).filter(condition).head(1)

    survey = first("surveys", "surveys_2026-01.csv", pl.col("csat") != "1").with_columns(pl.lit("1").alias("csat"))
    evaluation = first("qa_evaluations", "qa_evaluations_2026-01.csv", pl.col("evaluated_at").str.starts_with("2026-01"))
    evaluation = evaluation.with_columns(pl.lit("2026-02-02 09:00:00").alias("evaluated_at"))
    session = first("self_service", "self_service_2026-01.csv", pl.col("started_at").str.starts_with("2026-01"))
    session = session.with_columns(pl.lit("2026-02-02 09:00:00").alias("started_at"),
                                   pl.lit("2026-02-02 09:05:00").alias("ended_at"), pl.lit("abandoned").alias("outcome"))
    for feed, frame in (("surveys", survey), ("qa_evaluations", evaluation), ("self_service", session)):
        assert frame.height == 1
        path = out / "acme_mx" / feed / f"{feed}_2026-03-06_corrections.csv"
        path.parent.mkdir(parents=True)
        frame.write_csv(path)
    return {"survey": survey["survey_id"][0], "evaluation": evaluation["evaluation_id"][0],
            "session": session["session_id"][0]}


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
    day, ids = _updates_file(source)
    extra.write_text(day)
    # the months of acme_mx's evaluations of the contacts the day touches (evaluated_at is local time)
    evaluations = pl.concat([pl.read_csv(f, infer_schema=False)
                             for f in sorted((source / "acme_mx" / "qa_evaluations").glob("*.csv"))])
    touched_qa_months = sorted({("acme_mx", e[:7], False) for e in evaluations.filter(
        pl.col("interaction_id").is_in(list(ids.values())))["evaluated_at"]})
    corrections_root = root / "extra_corrections"
    corrected = _corrections(source, corrections_root)

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
    feed_scopes = {"updates": _feed_scopes(inc.warehouse)}
    worked["updates"] = _read(inc.warehouse, WORKED_SCOPE)
    agent_months["updates"] = _read(inc.warehouse, AGENT_MONTH_SCOPE)
    _load(inc, late_agent_time, source)
    _load(inc, [late], late_root)
    _load(inc, sorted(p for p in corrections_root.rglob("*") if p.is_file()), corrections_root)
    build_marts(inc.warehouse)
    scopes["late_agent_time"] = _read(inc.warehouse, SCOPE)
    worked["late_agent_time"] = _read(inc.warehouse, WORKED_SCOPE)
    feed_scopes["corrections"] = _feed_scopes(inc.warehouse)
    _load(inc, third_surveys, source)
    build_marts(inc.warehouse)
    # the March surveys came before their interactions: none can be attributed yet ...
    march_responses = _read(inc.warehouse, "select count(*) from intermediate.int_survey_responses "
                                           "where period_month = '2026-03-01'")
    _load(inc, third_rest, source)
    build_marts(inc.warehouse)  # ... until the March interactions restate March
    scopes["third_month"] = _read(inc.warehouse, SCOPE)
    feed_scopes["third_month"] = _feed_scopes(inc.warehouse)
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
    _load(full, sorted(p for p in corrections_root.rglob("*") if p.is_file()), corrections_root)
    build_marts(full.warehouse)

    con = duckdb.connect()
    con.execute(f"attach '{inc.warehouse}' as inc (read_only)")
    con.execute(f"attach '{full.warehouse}' as full_build (read_only)")
    yield {"con": con, "ids": ids, "scopes": scopes, "worked": worked, "agent_months": agent_months,
           "feed_scopes": feed_scopes, "touched_qa_months": touched_qa_months, "corrected": corrected,
           "march_responses_before_interactions": march_responses}
    con.close()


SCOPE = ("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor, fcr_lookback "
         "from intermediate.int_build_scope order by all")
WORKED_SCOPE = ("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor "
                "from intermediate.int_build_worked_time_scope order by all")
AGENT_MONTH_SCOPE = ("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor "
                     "from intermediate.int_build_agent_month_scope order by all")


FEED_SCOPES = ("int_build_survey_scope", "int_build_qa_scope", "int_build_self_service_scope")


def _feed_scopes(warehouse: Path) -> dict[str, list[tuple]]:
    """The vendor-months each of FEED_SCOPES held in the last build."""
    return {name: _read(warehouse, f"select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor "
                                   f"from intermediate.{name} order by all") for name in FEED_SCOPES}


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


def test_survey_qa_and_self_service_builds_recomputed_only_what_changed(warehouses):
    scopes = warehouses["feed_scopes"]
    # the day of interaction updates: the surveys of its restated months (January, February; not the FCR
    # look-back December), the QA months of the evaluations of its contacts; no self-service
    assert scopes["updates"]["int_build_survey_scope"] == [("acme_mx", "2026-01", False), ("acme_mx", "2026-02", False)]
    assert warehouses["touched_qa_months"]  # the moved and requeued contacts were evaluated
    assert scopes["updates"]["int_build_qa_scope"] == warehouses["touched_qa_months"]
    assert scopes["updates"]["int_build_self_service_scope"] == []
    # files re-sending a survey, an evaluation and a session by id: every month of that vendor, of no other
    assert all(s == [("acme_mx", None, True)] for s in scopes["corrections"].values()), scopes["corrections"]
    # the third month: its surveys were already in (restated with the vendors' survey files); the
    # interactions restate March for the surveys; its QA and self-service files restate their vendors
    vendors = ["acme_mx", "inhouse_us", "pacific_ph"]
    assert scopes["third_month"]["int_build_survey_scope"] == [(v, "2026-03", False) for v in vendors]
    assert scopes["third_month"]["int_build_self_service_scope"] == [(v, None, True) for v in vendors]


def test_moved_requeued_and_corrected_rows_are_in_surveys_qa_and_self_service(warehouses):
    con, ids, corrected = warehouses["con"], warehouses["ids"], warehouses["corrected"]
    # the survey of the contact moved to February moved with it
    assert con.execute("select distinct strftime(period_month, '%Y-%m') from inc.intermediate.int_survey_responses "
                       "where vendor_id = 'acme_mx' and interaction_id = ?", [ids["moved"]]).fetchall() == [("2026-02",)]
    # the evaluation of the requeued contact has its new queue
    assert con.execute("select distinct queue from inc.intermediate.int_qa_evaluations "
                       "where vendor_id = 'acme_mx' and interaction_id = ?", [ids["requeued"]]).fetchall() == [("retention",)]
    assert con.execute("select csat from inc.intermediate.int_survey_responses where vendor_id = 'acme_mx' "
                       "and survey_id = ?", [corrected["survey"]]).fetchall() == [(1,)]
    assert con.execute("select strftime(period_month, '%Y-%m') from inc.intermediate.int_qa_evaluations "
                       "where vendor_id = 'acme_mx' and evaluation_id = ?", [corrected["evaluation"]]).fetchall() \
        == [("2026-02",)]
    # the March surveys landed before their interactions were attributed once those came
    assert warehouses["march_responses_before_interactions"] == [(0,)]
    assert con.execute("select count(*) from inc.intermediate.int_survey_responses "
                       "where period_month = '2026-03-01'").fetchone()[0] > 0
