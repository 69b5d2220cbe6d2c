"""End to end with the evidence feeds (generator option `evidence`): agent_time, self_service, qa_evaluations,
worked_time contracts and hour / FTE / outcome / self-service invoice lines with overbilling injected.

`bpo run` on that data set must find exactly the generator's defects to the cent (the new quantity_variance
findings included), and marts.workforce, marts.self_service and marts.billed_vs_worked must equal the ground
truth's `workforce`, `self_service` and `billed_vs_worked` keys. The generator computes them on its own
(generator/worked.py, evidence_truth.py), importing no pipeline logic. The findings, SLA and reporting-currency
checks of tests/test_end_to_end.py run here too, on this data set (imported below: pytest runs them with
this module's `demo`). The warehouse is the session's shared one (tests/conftest.py `evidence_warehouse`),
which these tests only read.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.test_end_to_end import (  # noqa: F401  (collected here, on the evidence data set)
    query,
    test_every_sla_line_matches_ground_truth,
    test_findings_equal_the_injected_defects_to_the_cent,
    test_findings_in_reporting_currency_match_ground_truth,
)

pytestmark = pytest.mark.slow
# hours, FTE and ratios: the marts keep 10 decimals (half-even), the ground truth 28 significant digits
CLOSE = Decimal("1e-9")


@pytest.fixture(scope="module")
def demo(evidence_warehouse):
    """The session's shared evidence warehouse (tests/conftest.py EVIDENCE_DATA_SET): read only."""
    return {"truth": evidence_warehouse.truth, "warehouse": evidence_warehouse.warehouse}


def mart(demo, name: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(demo["warehouse"]), read_only=True)
    try:
        cur = con.execute(f"select * from marts.{name}")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


def differs(mart_value, truth_value) -> bool:
    if truth_value is None or mart_value is None:
        return truth_value is not None or mart_value is not None
    return abs(Decimal(mart_value) - Decimal(str(truth_value))) > CLOSE


def test_the_evidence_findings_are_among_the_defects(demo):
    """Every evidence category the generator overbills beyond tolerance has its finding (the cent-exact
    comparison of all findings is test_findings_equal_the_injected_defects_to_the_cent)."""
    rows = query(demo["warehouse"], "select category from marts.unforeseen_costs where finding = 'quantity_variance'")
    assert {"productive_hours", "fte_months", "resolved_contacts", "contained_sessions"} <= {r[0] for r in rows}
    assert "training_hours" not in {r[0] for r in rows}  # billed above the evidence but within tolerance


def test_workforce_equals_ground_truth(demo):
    rows = {(r["vendor_id"], r["site"], str(r["period_month"])[:7]): r for r in mart(demo, "workforce")}
    truth = demo["truth"]["workforce"]
    problems = []
    for t in truth:
        key = (t["vendor_id"], t["site"], t["period_month"])
        r = rows.get(key)
        if r is None:
            problems.append(f"{key}: no row")
            continue
        for col in ("agents", "agents_without_contacts", "handle_seconds", "handled_contacts",
                    *(f"{c}_seconds" for c in ("productive", "training", "paid_other", "unpaid", "paid", "overlap"))):
            if r[col] != t[col]:
                problems.append(f"{key} {col}: mart {r[col]}, truth {t[col]}")
        for col in ("paid_hours", "productive_hours", "training_hours", "overlap_hours", "delivered_fte",
                    "shrinkage", "occupancy"):
            if differs(r[col], t[col]):
                problems.append(f"{key} {col}: mart {r[col]}, truth {t[col]}")
    assert not problems, "\n".join(problems[:40])
    assert len(rows) == len(truth) >= 12
    assert sum(t["overlap_seconds"] for t in truth) > 0  # the duplicated interval and the start tie


def test_self_service_equals_ground_truth(demo):
    rows = {(r["vendor_id"], r["channel"], str(r["period_month"])[:7]): r for r in mart(demo, "self_service")}
    truth = demo["truth"]["self_service"]
    problems = []
    for t in truth:
        key = (t["vendor_id"], t["channel"], t["period_month"])
        r = rows.get(key)
        if r is None:
            if t["sessions"]:
                problems.append(f"{key}: no row")
            continue
        for col in ("sessions", "contained", "transferred", "abandoned", "handled_contacts"):
            if r[col] != t[col]:
                problems.append(f"{key} {col}: mart {r[col]}, truth {t[col]}")
        for col in ("containment_rate", "transfer_rate", "self_service_share"):
            if differs(r[col], t[col]):
                problems.append(f"{key} {col}: mart {r[col]}, truth {t[col]}")
    assert not problems, "\n".join(problems[:40])
    assert len(rows) == sum(1 for t in truth if t["sessions"]) >= 30


def test_billed_vs_worked_equals_ground_truth(demo):
    rows = {(r["vendor_id"], str(r["period_month"])[:7], r["category"], r["channel"]): r
            for r in mart(demo, "billed_vs_worked")}
    truth = demo["truth"]["billed_vs_worked"]
    problems = []
    for t in truth:
        key = (t["vendor_id"], t["period_month"], t["category"], t["channel"])
        r = rows.get(key)
        if r is None:
            problems.append(f"{key}: no row")
            continue
        for col in ("evidence", "unit", "finding"):
            if r[col] != t[col]:
                problems.append(f"{key} {col}: mart {r[col]}, truth {t[col]}")
        for col in ("billed_quantity", "evidenced_quantity", "variance_quantity", "variance_pct", "contract_rate",
                    "tolerance_pct"):
            if differs(r[col], t[col]):
                problems.append(f"{key} {col}: mart {r[col]}, truth {t[col]}")
        if r["amount_at_risk"] != Decimal(t["amount_at_risk"]):  # to the cent and beyond: 4 places
            problems.append(f"{key} amount_at_risk: mart {r['amount_at_risk']}, truth {t['amount_at_risk']}")
    assert not problems, "\n".join(problems[:40])
    assert len(rows) == len(truth) >= 15
    # the within-tolerance checks (the injected training hours, 2-decimal rounding) raise no finding
    checks = {(c["vendor_id"], c["period_month"], c["category"], c["channel"]) for c in demo["truth"]["evidence_checks"]}
    assert checks and all(rows[k]["finding"] is False and rows[k]["variance_quantity"] > 0 for k in checks)


def test_scorecard_evidence_columns_equal_ground_truth(demo):
    """marts.vendor_scorecard's delivered vs billed FTE, shrinkage, occupancy and containment equal the
    generator's own figures (generator/evidence_truth.py `scorecard`); null where it has no evidence."""
    rows = {(r["vendor_id"], str(r["period_month"])[:7]): r for r in mart(demo, "vendor_scorecard")}
    truth = demo["truth"]["scorecard"]
    cols = ("delivered_fte", "billed_fte", "shrinkage", "occupancy", "containment_rate")
    problems = []
    for t in truth:
        key = (t["vendor_id"], t["period_month"])
        r = rows.get(key)
        if r is None:
            problems.append(f"{key}: no row")
            continue
        problems += [f"{key} {c}: mart {r[c]}, truth {t[c]}" for c in cols if differs(r[c], t[c])]
    assert not problems, "\n".join(problems[:40])
    assert len(truth) == 12  # 3 outsourcers and the in-house team, 3 months
    # FTE billed only by pacific_ph, and overbilled in one month at least (its fte_months finding)
    billed = [t for t in truth if t["billed_fte"] is not None]
    assert {t["vendor_id"] for t in billed} == {"pacific_ph"} and len(billed) == 3
    assert any(Decimal(t["billed_fte"]) > Decimal(t["delivered_fte"]) * Decimal("1.02") for t in billed)
    # a scorecard month without agent time (the pilot month billed before the contract) has no evidence figures
    others = [r for k, r in rows.items() if k not in {(t["vendor_id"], t["period_month"]) for t in truth}]
    assert all(r[c] is None for r in others for c in ("delivered_fte", "billed_fte", "shrinkage", "occupancy"))
