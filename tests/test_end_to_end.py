"""End to end: generate a data set, `bpo run`, compare the marts with the generator's ground truth.

The generator computes its ground truth independently of the pipeline (it
imports none of its pricing, KPI or finding logic), so agreement here means
the pipeline found exactly the injected defects, to the cent.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.warehouses import generated_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    # the data set without the evidence feeds (test_end_to_end_evidence.py runs them); this module's own
    # warehouse: test_rerun_on_the_same_landing_zone_adds_no_rows runs `bpo run` on it again
    built = generated_warehouse(tmp_path_factory.mktemp("e2e"), outsourcers=3, months=3, seed=7, scale=6000,
                                evidence=False)
    return {"out": built.root, "truth": built.truth, "warehouse": built.warehouse, "args": built.run_args}


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


def test_every_sla_line_matches_ground_truth(demo):
    """Each SLA result the generator states (vendor x month x SLA line: service level, ASA, AHT, abandon
    rate, CSAT, FCR, ...) has its line in marts.sla_compliance with the same actual and the same met.

    The ground truth names no sla_line, so a line is found by vendor, month, metric, channel, queue
    (null unless stated) and target, and the contract version when the ground truth states it;
    exactly one mart row must match. sample_size is not compared: the generator reports offered
    contacts for service level and abandon rate, the mart the metric's denominator.
    """
    marts: dict[tuple, list[dict]] = {}
    cur = duckdb.connect(str(demo["warehouse"]), read_only=True)
    try:
        res = cur.execute("select * from marts.sla_compliance")
        names = [d[0] for d in res.description]
        for values in res.fetchall():
            r = dict(zip(names, values))
            key = (r["vendor_id"], str(r["period_month"])[:7], r["metric"], r["channel"], r["queue"])
            marts.setdefault(key, []).append(r)
    finally:
        cur.close()

    truth = demo["truth"]["sla"]
    problems = []
    for t in truth:
        key = (t["vendor_id"], t["period_month"], t["metric"], t.get("channel"), t.get("queue"))
        candidates = [r for r in marts.get(key, []) if r["target"] == Decimal(str(t["target"]))]
        if t.get("contract_version"):
            candidates = [r for r in candidates if r["version_id"] == f"{t['vendor_id']}@{t['contract_version']}"]
        if len(candidates) != 1:
            problems.append(f"{key} target {t['target']}: {len(candidates)} mart rows")
            continue
        (r,) = candidates
        if t["actual"] is None:
            ok = r["actual"] is None
        else:
            ok = r["actual"] is not None and r["actual"] == pytest.approx(float(t["actual"]), rel=1e-12, abs=1e-12)
        if not ok:
            problems.append(f"{key} actual: mart {r['actual']}, truth {t['actual']}")
        if r["met"] != t["met"]:
            problems.append(f"{key} met: mart {r['met']}, truth {t['met']} (actual {t['actual']}, target {t['target']})")
        for col in ("fcr_repeat_basis_contacts", "fcr_disposition_basis_contacts"):
            if col in t and r[col] != t[col]:
                problems.append(f"{key} {col}: mart {r[col]}, truth {t[col]}")
    assert not problems, f"{len(problems)} of {len(truth)} SLA results differ:\n" + "\n".join(problems[:40])
    assert len(truth) >= 40  # several metrics x 4 vendors x 3 months
    assert {t["metric"] for t in truth} >= {"service_level", "abandon_rate", "asa_seconds"}
    assert {t["met"] for t in truth} >= {True, False}


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
