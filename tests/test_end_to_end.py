"""End to end: generate a data set, `bpo run`, compare the marts with the generator's ground truth.

The generator computes its ground truth independently of the pipeline (it
imports none of its pricing, KPI or finding logic), so agreement here means
the pipeline found exactly the injected defects, to the cent.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.generator import generate

pytestmark = pytest.mark.slow
BPO = str(Path(sys.executable).with_name("bpo"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e")
    truth = generate(out / "data", outsourcers=3, months=3, seed=7, scale=6000)
    warehouse = out / "wh" / "warehouse.duckdb"
    args = [BPO, "run", "--landing", str(out / "data" / "landing"), "--contracts", str(out / "data" / "contracts"),
            "--warehouse", str(warehouse)]
    first = subprocess.run(args, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    return {"out": out, "truth": truth, "warehouse": warehouse, "args": args, "first": first}


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_file_loaded_and_none_quarantined(demo):
    statuses = query(demo["warehouse"], "select status, count(*) from raw.load_manifest group by all")
    assert dict(statuses) == {"loaded": sum(1 for _ in (demo["out"] / "data" / "landing").rglob("*.*"))}
    counts = demo["truth"]["counts"]["interactions"]
    loaded = dict(query(demo["warehouse"], "select vendor_id, count(*) from raw.interactions group by all"))
    assert loaded == counts


def test_findings_equal_the_injected_defects_to_the_cent(demo):
    expected = {
        (d["vendor_id"], d["invoice_id"], d["line_id"], d["finding"]): Decimal(d["amount_at_risk"])
        for d in demo["truth"]["defects"]
    }
    found = {
        (v, i, line, f): amount
        for v, i, line, f, amount in query(
            demo["warehouse"],
            "select vendor_id, invoice_id, line_id, finding, amount_at_risk from marts.unforeseen_costs",
        )
    }
    missing = {k: v for k, v in expected.items() if k not in found}
    unexpected = {k: v for k, v in found.items() if k not in expected}
    assert not missing, f"injected defects not found: {missing}"
    assert not unexpected, f"findings the generator did not inject: {unexpected}"
    wrong = {k: (found[k], v) for k, v in expected.items() if found[k] != v}
    assert not wrong, f"(found, expected) amounts differ: {wrong}"
    assert len(expected) >= 15  # every type, several times


def test_findings_in_reporting_currency_match_ground_truth(demo):
    expected = {(d["invoice_id"], d["line_id"], d["finding"]): Decimal(d["amount_at_risk_reporting"])
                for d in demo["truth"]["defects"]}
    for invoice, line, finding, amount in query(
        demo["warehouse"], "select invoice_id, line_id, finding, amount_at_risk_reporting from marts.unforeseen_costs"
    ):
        assert abs(amount - expected[(invoice, line, finding)]) < Decimal("0.005")


def test_service_level_and_abandon_rate_match_ground_truth(demo):
    actuals = {
        (v, c, str(m)[:7], metric): actual
        for v, c, m, metric, actual in query(
            demo["warehouse"],
            "select vendor_id, channel, period_month, metric, actual from marts.sla_compliance "
            "where metric in ('service_level', 'abandon_rate') and queue is null",
        )
    }
    compared = 0
    for k in demo["truth"]["kpis"]:
        for metric in ("service_level", "abandon_rate"):
            key = (k["vendor_id"], k["channel"], k["period_month"], metric)
            if key in actuals:
                compared += 1
                if k[metric] is None:
                    assert actuals[key] is None, key
                else:
                    assert actuals[key] == pytest.approx(float(k[metric]), abs=1e-9), key
    assert compared >= 12


def test_rerun_on_the_same_landing_zone_adds_no_rows(demo):
    tables = ["interactions", "surveys", "agent_surveys", "invoice_lines", "fx_rates", "load_manifest"]
    before = {t: query(demo["warehouse"], f"select count(*) from raw.{t}")[0][0] for t in tables}
    second = subprocess.run(demo["args"], capture_output=True, text=True)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    after = {t: query(demo["warehouse"], f"select count(*) from raw.{t}")[0][0] for t in tables}
    assert after == before
    assert before["interactions"] > 1000


def test_published_copy_holds_the_marts_read_only(demo):
    published = demo["warehouse"].parent / "published.duckdb"
    marts = {r[0] for r in query(published, "select table_name from duckdb_tables() where schema_name = 'marts'")}
    assert {"sla_compliance", "sla_interval", "cost_to_serve", "unforeseen_costs", "vendor_scorecard"} <= marts
    con = duckdb.connect(str(published), read_only=True)
    with pytest.raises(duckdb.Error):
        con.execute("create table marts.x as select 1")
    con.close()
    assert query(published, "select count(*) from marts.unforeseen_costs")[0][0] == len(demo["truth"]["defects"])
