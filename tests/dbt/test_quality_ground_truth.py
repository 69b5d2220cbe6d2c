"""End to end: marts.quality and the QA lines of marts.sla_compliance equal the generator's ground truth.

The generator (evidence=True) computes its `quality` rows (vendor, site and agent grain per month) and
its QA `sla` rows on its own, with Fractions (generator/evidence_truth.py), from the same
process that wrote the files; the warehouse reads the files back through ingestion (every vendor's own
format and timestamp style) and dbt. Every count must be equal and every ratio equal to 1e-9.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from tests.dbt.harness import query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(evidence_warehouse):
    """The session's shared evidence warehouse (tests/conftest.py EVIDENCE_DATA_SET), read only: every landed
    file loaded, and the `bpo run` that built it succeeded (tests/warehouses.py), the quality models included."""
    con = duckdb.connect(str(evidence_warehouse.warehouse), read_only=True)
    statuses = dict(con.execute("select status, count(*) from raw.load_manifest group by all").fetchall())
    landed = sum(1 for _ in evidence_warehouse.landing.rglob("*.*"))
    assert statuses == {"loaded": landed}
    yield evidence_warehouse.truth, con
    con.close()


def _close(got, want: str | None) -> bool:
    return (got is None) if want is None else (got is not None and abs(got - float(Decimal(want))) < 1e-9)


def test_quality_mart_equals_the_ground_truth(loaded):
    truth, con = loaded
    mart = {(r["vendor_id"], r["period_month"].strftime("%Y-%m"), r["grain"], r["site"], r["agent_id"]): r
            for r in query(con, "select * from marts.quality")}
    want = {(g["vendor_id"], g["period_month"][:7], g["grain"], g["site"], g["agent_id"]): g
            for g in truth["quality"]}
    assert set(mart) == set(want)
    wrong = []
    for key, g in want.items():
        m = mart[key]
        if any(m[c] != g[c] for c in ("evaluations", "calibration_pairs", "complaints", "handled_contacts")) or \
                not all(_close(m[c], g[c]) for c in ("qa_score", "auto_fail_rate", "calibration_gap",
                                                     "complaint_rate")):
            wrong.append((key, m, g))
    assert wrong == []
    grains = {g["grain"] for g in truth["quality"]}
    assert grains == {"vendor", "site", "agent"}
    assert sum(g["calibration_pairs"] for g in truth["quality"] if g["grain"] == "vendor") > 0
    assert sum(g["evaluations"] for g in truth["quality"] if g["grain"] == "vendor") > 100


def test_qa_sla_lines_equal_the_ground_truth(loaded):
    truth, con = loaded
    rows = {(r["vendor_id"], r["period_month"].strftime("%Y-%m"), r["metric"]): r for r in query(
        con, "select * from marts.sla_compliance where metric like 'qa_%'")}
    want = {(s["vendor_id"], s["period_month"][:7], s["metric"]): s for s in truth["sla"]
            if s["metric"].startswith("qa_")}
    assert want and set(rows) == set(want)
    for key, s in want.items():
        r = rows[key]
        assert (r["sample_size"], r["met"], r["evaluator_side"]) == (
            s["sample_size"], s["met"], s.get("evaluator_side")), key
        assert _close(r["actual"], s["actual_exact"]), key
