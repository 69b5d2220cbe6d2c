"""A one-file replay builds what the file touches (issue 16): only the dbt nodes downstream of the raw
table that received rows (transform/dbt_selection.py), and in the scoped models only its vendor × months
(the build scope), not every vendor-month. Observed in the warehouse: the scope the build used
(int_build_scope), the facts, the nodes dbt ran (run_results.json), and the published marts against a
full rebuild of the same raw layer."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from generator import generate
from orchestration.cli import app
from tests.conftest import land
from tests.dbt.compare_marts import copy_raw
from tests.robustness.corpus import INTERACTION_HEADER, INTERACTION_ROW
from transform.dbt_build import build_marts, dbt_target_path


def _file(prefix: str, days: list[str], talk: int = 300) -> bytes:
    """One contact per day (ids prefix + n), answered after 17 s, ended 6 minutes later."""
    rows = [INTERACTION_ROW.format(id=f"{prefix}{n}", n=n, channel="voice", arrived=f"{day} 10:00:00",
                                   answered=f"{day} 10:00:17", ended=f"{day} 10:06:00", talk=talk)
            for n, day in enumerate(days)]
    return ("\n".join([INTERACTION_HEADER, *rows]) + "\n").encode()


def _run(settings) -> None:
    result = CliRunner().invoke(app, ["run", "--landing", str(settings.landing), "--contracts",
                                      str(settings.contracts), "--warehouse", str(settings.warehouse)])
    assert result.exit_code == 0, result.output


def _months(settings) -> dict:
    """Contacts of int_interaction_facts per (vendor, month)."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute("select vendor_id, strftime(period_month, '%Y-%m'), count(*) "
                           "from intermediate.int_interaction_facts group by all").fetchall()
    return {(v, m): n for v, m, n in rows}


@pytest.mark.slow
def test_a_one_file_replay_recomputes_its_vendor_months_only(settings):
    days = ["2026-01-12", "2026-01-20", "2026-02-10", "2026-02-17", "2026-03-09"]
    land(settings, "acme_mx", "interactions", "acme.csv", _file("A", days))
    land(settings, "iberia_es", "interactions", "iberia.csv", _file("I", days))
    _run(settings)
    before = _months(settings)
    assert before == {(v, m): n for v in ("acme_mx", "iberia_es") for m, n in (("2026-01", 2), ("2026-02", 2),
                                                                                ("2026-03", 1))}

    # one file: a correction of acme_mx's February contacts (same ids, another talk time)
    land(settings, "acme_mx", "interactions", "acme_feb_fix.csv", _file("A", days[:4], talk=240)
         .replace(b"A0,", b"X0,").replace(b"A1,", b"X1,"))  # rows 0-1 are new January contacts
    _run(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        scope = con.execute("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor, fcr_lookback "
                            "from intermediate.int_build_scope order by all").fetchall()
        handle = dict(con.execute("select interaction_id, handle_seconds from intermediate.int_interaction_facts "
                                "where vendor_id = 'acme_mx'").fetchall())
    # the file's contacts: two new ones in January, two corrected in February; nothing of iberia_es
    assert scope == [("acme_mx", "2026-01", False, False), ("acme_mx", "2026-02", False, False)]
    assert _months(settings) == {**before, ("acme_mx", "2026-01"): 4}  # X0, X1 new; A2, A3 updated
    # and the correction is in the facts: handle = talk + hold 10 + wrap 30
    assert handle["A2"] == handle["A3"] == 280 and handle["A4"] == 340
    assert handle["X0"] == handle["X1"] == 280 and handle["A0"] == 340


# ---------------------------------------------------------------- which dbt nodes a run builds

def _manifest(settings) -> dict:
    return json.loads((dbt_target_path(settings.warehouse) / "manifest.json").read_text())


def _ran(settings) -> dict[str, str]:
    """unique_id -> status of every node the last dbt invocation on this warehouse ran (run_results.json)."""
    results = json.loads((dbt_target_path(settings.warehouse) / "run_results.json").read_text())
    return {r["unique_id"]: r["status"] for r in results["results"]}


def _downstream_of_raw(manifest: dict, table: str) -> set[str]:
    """Every node that reads source raw.<table>, directly or not (walked here over `depends_on`, apart
    from the code under test)."""
    (source,) = [uid for uid, s in manifest["sources"].items() if s["source_name"] == "raw" and s["name"] == table]
    found, frontier = set(), {source}
    while frontier:
        frontier = {uid for uid, n in manifest["nodes"].items()
                    if set(n.get("depends_on", {}).get("nodes", [])) & frontier} - found
        found |= frontier
    return found


def _marts(path: Path) -> dict[str, list]:
    """Every mart's rows (doubles rounded: parallel float sums may differ in the last bits), build_id left out."""
    with duckdb.connect(str(path), read_only=True) as con:
        out = {}
        for (table,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts' "
                                    "order by 1").fetchall():
            cols = con.execute("select column_name, data_type from duckdb_columns() where schema_name = 'marts' "
                               "and table_name = ? order by column_index", [table]).fetchall()
            exprs = [f'round("{c}", 9)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in cols if c != "build_id"]
            out[table] = sorted(con.execute(f'select {", ".join(exprs)} from marts."{table}"').fetchall(), key=repr)
        return out


def _full_rebuild(settings, tmp_path: Path) -> Path:
    """The raw layer of the warehouse in a new one, built whole (one plain `dbt build`)."""
    full = tmp_path / "full" / "warehouse.duckdb"
    copy_raw(settings.warehouse, full)
    build_marts(full)
    return full


@pytest.fixture
def generated(settings, tmp_path):
    """A small generated data set (every feed) landed and run once: the first build is a whole one."""
    generate(tmp_path / "data", outsourcers=2, months=2, seed=5, scale=1500, evidence=True)
    shutil.rmtree(settings.contracts)
    shutil.copytree(tmp_path / "data" / "contracts", settings.contracts)
    shutil.copytree(tmp_path / "data" / "landing", settings.landing, dirs_exist_ok=True)
    _run(settings)
    manifest = _manifest(settings)
    models = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    assert models <= set(_ran(settings))  # the first build built every model
    return manifest


@pytest.mark.slow
def test_a_one_file_replay_builds_only_what_raw_interactions_reaches(settings, tmp_path, generated):
    manifest = generated
    nodes = manifest["nodes"]
    # one file: two answered contacts of acme_mx's January corrected (another talk time), as a vendor re-sends them
    with (settings.landing / "acme_mx" / "interactions" / "interactions_2026-01.csv").open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [dict(r, talk_seconds="77") for r in reader if r["answered_at"]][:2]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    land(settings, "acme_mx", "interactions", "correction.csv", out.getvalue().encode())
    _run(settings)

    ran = _ran(settings)
    ran_models = {uid for uid in ran if nodes[uid]["resource_type"] == "model"}
    every_model = {uid for uid, n in nodes.items() if n["resource_type"] == "model"}
    downstream = _downstream_of_raw(manifest, "interactions")
    build_scope = {uid for uid in every_model if "build_scope" in nodes[uid]["tags"]}
    # the clock-reading mart and the view the publication waits for
    always = {"model.bpo_warehouse.dispute_status", "model.bpo_warehouse.stg_load_manifest"}
    assert ran_models == (downstream & every_model) | build_scope | always
    assert {r for r in ran if nodes[r]["resource_type"] == "test"} == {
        uid for uid, n in nodes.items() if n["resource_type"] == "test"
        and set(n["depends_on"]["nodes"]) & (ran_models | {"source.bpo_warehouse.raw.interactions"})}
    assert set(ran.values()) <= {"success", "pass", "warn"}
    # what the file reaches ran; what it does not reach stayed as it was
    for name in ("stg_interactions", "int_interaction_facts", "int_sla_contact_counts", "sla_compliance"):
        assert f"model.bpo_warehouse.{name}" in ran
    for name in ("stg_fx_rates", "stg_invoice_lines", "int_agent_time_intervals", "stg_self_service"):
        assert f"model.bpo_warehouse.{name}" not in ran
    assert len(ran_models) < len(every_model)

    # the correction is published, and the published marts are what a full rebuild gives
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        assert con.execute("select count(*) from marts.sla_compliance").fetchone()[0] > 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        handle = con.execute("select f.handle_seconds = 77 + coalesce(i.hold_seconds, 0) + coalesce(i.wrap_seconds, 0) "
                             "from intermediate.int_interaction_facts as f "
                             "join raw.interactions as i using (vendor_id, interaction_id) "
                             "where i.talk_seconds = 77 and i._load_id = (select load_id from raw.load_manifest "
                             "where file_name = 'correction.csv')").fetchall()
        assert handle == [(True,), (True,)]
    assert _marts(settings.published_path) == _marts(_full_rebuild(settings, tmp_path))


@pytest.mark.slow
def test_a_quarantined_file_alone_builds_no_model_of_the_data_and_still_publishes(settings, tmp_path):
    land(settings, "acme_mx", "interactions", "acme.csv", _file("A", ["2026-01-12", "2026-02-10"]))
    _run(settings)
    nodes = _manifest(settings)["nodes"]
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        before = con.execute("select build_id from main.publication").fetchone()[0]
    land(settings, "acme_mx", "interactions", "broken.csv", "interaction_id\nX1\n")  # quarantined: columns missing
    _run(settings)
    ran = {uid for uid in _ran(settings) if nodes[uid]["resource_type"] == "model"}
    assert ran == {"model.bpo_warehouse.dispute_status", "model.bpo_warehouse.stg_load_manifest"}
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        after = con.execute("select build_id from main.publication").fetchone()[0]
    assert after != before  # published again (its raw export names the quarantined file)
    assert _marts(settings.published_path) == _marts(_full_rebuild(settings, tmp_path))
