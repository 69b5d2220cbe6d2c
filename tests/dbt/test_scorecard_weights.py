"""marts.vendor_scorecard: the rank follows the configured weights (var `scorecard`, dbt_project.yml).

January, three vendors in UTC, each with one voice service_level SLA line (every contact waits 10 s:
met, 1/1) and 2 answered contacts without complaint:
  w_a outsourcer: QA 50/100 and 50/100 -> 0.5; invoice 2 x 50  -> cost 50 per contact
  w_b outsourcer: QA 90/100 and 90/100 -> 0.9; invoice 2 x 100 -> cost 100 per contact
  w_h in-house:   no QA;                     cost base 300 / 2 -> cost 150 per contact
Component scores: sla 1 for all; qa 0.5 / 0.9 / none; auto-fail 1 - 0 = 1 / 1 / none; complaints
1 - 0 / 50 = 1 for all; cost = cheapest (50) / own -> 1 / 0.5 / 1/3. No CSAT, ESAT, FCR, containment.

Default weights (sla 3, qa 2, auto-fail 1, complaints 1, cost 2; the absent components drop out):
  w_a (3 + 1 + 1 + 1 + 2) / 9 = 8/9;  w_b (3 + 1.8 + 1 + 1 + 1) / 9 = 7.8/9;  w_h (3 + 1 + 2/3) / 6 = 7/9
  -> w_a 1, w_b 2, w_h 3.
Weights {sla_met_share: 3, qa_score: 5, cost_per_contact: 1} (the others 0):
  w_a (3 + 2.5 + 1) / 9 = 6.5/9;  w_b (3 + 4.5 + 0.5) / 9 = 8/9;  w_h (3 + 1/3) / 4 = 5/6
  -> w_b 1, w_h 2, w_a 3.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, dbt_command, query
from tests.dbt.money_fixtures import contract, interaction, line, new_tables

JAN = date(2026, 1, 1)
WEIGHTS = "{scorecard: {weights: {sla_met_share: 3, qa_score: 5, cost_per_contact: 1}}}"


def _raw():
    t = new_tables()
    for vid, kind, rate, scores in (("w_a", "outsourcer", "50", (50, 50)), ("w_b", "outsourcer", "100", (90, 90)),
                                    ("w_h", "in_house", None, ())):
        if kind == "in_house":
            contract(t, vid, kind=kind, versions=[{"monthly_cost_base": D("300")}])
        else:
            contract(t, vid, versions=[{"pricing": [{"category": "handled_contacts", "channel": "voice",
                                                     "rate": D(rate)}]}])
            t["invoice_lines"].append(line(vid, f"{vid}-1", "L001", "handled_contacts", 2, rate,
                                           str(2 * int(rate)), channel="voice"))
        t["contract_sla"].append(dict(vendor_id=vid, version_id=f"{vid}@2026-01-01", sla_line=1,
                                      metric="service_level", channel="voice", target=D("0.8"),
                                      threshold_seconds=20, abandons="exclude_short", credit_pct=D("0")))
        t["interactions"] += [interaction(vid, "voice", datetime(2026, 1, 5 + n, 9), handle_seconds=300)
                              for n in range(2)]
        t["qa_evaluations"] += [
            dict(vendor_id=vid, evaluation_id=f"{vid}-E{n}", interaction_id=f"{vid}-{n + 1}", agent_id="a1",
                 evaluated_at=datetime(2026, 1, 10, tzinfo=timezone.utc), evaluator_side="vendor",
                 score=D(s), max_score=D(100), auto_fail=False, calibration=False)
            for n, s in enumerate(scores)]
    return t


def _build(tmp_path_factory, *args):
    warehouse = tmp_path_factory.mktemp("scorecard_weights") / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    dbt_build(warehouse, "--select", "+vendor_scorecard", *args)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r["vendor_id"]: r for r in query(con, "select * from marts.vendor_scorecard where period_month = ?",
                                                 [JAN])}
    finally:
        con.close()


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return _build(tmp_path_factory)


@pytest.fixture(scope="module")
def reweighted(tmp_path_factory):
    return _build(tmp_path_factory, "--vars", WEIGHTS)


def test_components_say_why(default):
    a, b, h = default["w_a"], default["w_b"], default["w_h"]
    assert (a["score_qa_score"], b["score_qa_score"], h["score_qa_score"]) == (
        pytest.approx(0.5), pytest.approx(0.9), None)
    assert (a["score_cost_per_contact"], b["score_cost_per_contact"], h["score_cost_per_contact"]) == (
        pytest.approx(1), pytest.approx(0.5), pytest.approx(1 / 3))
    assert [r["score_complaint_rate"] for r in (a, b, h)] == [pytest.approx(1)] * 3
    assert [r["score_csat_top2box"] for r in (a, b, h)] == [None] * 3
    assert (a["score_weight"], b["score_weight"], h["score_weight"]) == (9, 9, 6)
    assert h["kind"] == "in_house" and h["cost_per_contact"] == D("150")


def test_default_weights_rank(default):
    assert {v: (pytest.approx(r["score"]), r["rank"]) for v, r in default.items()} == {
        "w_a": (pytest.approx(8 / 9), 1), "w_b": (pytest.approx(7.8 / 9), 2), "w_h": (pytest.approx(7 / 9), 3)}


def test_changing_the_weights_changes_the_rank(reweighted):
    assert {v: (pytest.approx(r["score"]), r["rank"], r["score_weight"]) for v, r in reweighted.items()} == {
        "w_a": (pytest.approx(6.5 / 9), 3, 9), "w_b": (pytest.approx(8 / 9), 1, 9),
        "w_h": (pytest.approx(5 / 6), 2, 4)}


def test_an_unknown_component_stops_the_build_with_one_line(tmp_path):
    create_raw(tmp_path / "warehouse.duckdb", {})
    proc = dbt_command(tmp_path, "compile", "--select", "vendor_scorecard", "--vars",
                       "{scorecard: {weights: {speed: 1}}}")
    assert proc.returncode != 0
    assert "scorecard.weights: unknown component 'speed'" in proc.stdout
