"""The semantic layer (dbt_project/models/marts/semantic/, MetricFlow) against the marts it reads.

A small generated data set (three outsourcers and the in-house team, January to March 2026, with the
worked-time, self-service and QA feeds) goes through `bpo run`: the session's shared evidence warehouse
(tests/conftest.py `evidence_warehouse`), which these tests only read. Every metric grouped by vendor ×
month must equal the marts' own figure (money exactly, ratios within 1e-9), and a quarter's ratio
must be the quarter's summed numerator over its summed denominator, worked out here from the mart
rows: not the mean of the monthly ratios (the test checks the two differ, so it can tell them apart).
`bpo metrics` is run as a user runs it, on the published copy.
"""

from __future__ import annotations

import datetime
import subprocess
from decimal import Decimal

import duckdb
import pytest

from serving.metrics import MetricsError, MetricStore
from tests.warehouses import BPO

RATIO_TOLERANCE = 1e-9

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(evidence_warehouse):
    """The session's shared evidence warehouse (tests/conftest.py), read only."""
    return {"warehouse": evidence_warehouse.warehouse, "published": evidence_warehouse.published}


@pytest.fixture(scope="module")
def store(built):
    with MetricStore.for_warehouse(built["warehouse"], built["published"]) as s:
        yield s


@pytest.fixture(scope="module")
def marts(built):
    con = duckdb.connect(str(built["published"]), read_only=True)
    yield con
    con.close()


def _month(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def by_vendor_month(store: MetricStore, metric: str, *extra: str) -> dict[tuple, object]:
    """{(vendor, month[, extra group-bys]): value} of one metric, null values left out."""
    result = store.query([metric], ["vendor", "metric_time__month", *extra])
    rows = result.as_dicts()
    return {(r["vendor"], _month(r["metric_time__month"]), *(r[e] for e in extra)): r[metric]
            for r in rows if r[metric] is not None}


def mart(con, sql: str) -> dict[tuple, object]:
    """{(key columns...): value} from a query whose last column is the value; null values left out."""
    return {tuple(_month(v) for v in row[:-1]): row[-1] for row in con.execute(sql).fetchall()
            if row[-1] is not None}


def assert_same(metric: dict, expected: dict, *, exact: bool = False, tolerance: float = RATIO_TOLERANCE,
                at_least: int = 3) -> None:
    assert len(expected) >= at_least, f"too few mart rows to compare: {expected}"
    assert set(metric) == set(expected)
    for key, value in expected.items():
        if exact:
            assert isinstance(metric[key], Decimal) and metric[key] == value, (key, metric[key], value)
        else:
            assert abs(float(metric[key]) - float(value)) <= tolerance * max(1.0, abs(float(value))), \
                (key, metric[key], value)


# ---- each metric by vendor x month equals the marts -----------------------------------------------

def test_contact_metrics_equal_the_sla_lines_of_each_channel(store, marts):
    # sla_compliance's own actual, per vendor x channel x month, for the lines of one whole channel
    for metric in ("service_level", "asa_seconds", "aht_seconds", "abandon_rate"):
        expected = mart(marts, f"""
            select vendor_id, period_month, channel, actual from marts.sla_compliance
            where metric = '{metric}' and channel is not null and queue is null""")
        got = by_vendor_month(store, metric, "contacts__channel")
        assert_same({k: v for k, v in got.items() if k in expected}, expected, at_least=2)


def test_contact_metrics_by_vendor_month_equal_the_interval_mart(store, marts):
    sums = {
        "service_level": ("case when abandons = 'count_for_within' then answered_within_threshold "
                          "+ abandoned_within_threshold else answered_within_threshold end",
                          "service_level_sample_size"),
        "asa_seconds": ("asa_seconds * answered", "answered"),
        "aht_seconds": ("aht_seconds * answered", "answered"),
        "abandon_rate": ("abandoned - short_abandoned", "offered - short_abandoned"),
    }
    for metric, (numerator, denominator) in sums.items():
        expected = mart(marts, f"""
            select vendor_id, period_month, sum({numerator}) / nullif(sum({denominator}), 0)
            from marts.sla_interval group by all""")
        assert_same(by_vendor_month(store, metric), expected)
    offered = mart(marts, "select vendor_id, period_month, sum(offered)::bigint from marts.sla_interval group by all")
    assert_same(by_vendor_month(store, "offered_contacts"), offered, tolerance=0)


def test_cost_metrics_equal_the_scorecard_and_cost_to_serve(store, marts):
    scorecard_cost = mart(marts, "select vendor_id, period_month, cost_per_contact from marts.vendor_scorecard")
    got = by_vendor_month(store, "cost_per_contact")
    # the scorecard rounds half-even to 4 places; the metric is the unrounded quotient of the same sums
    assert_same(got, scorecard_cost, tolerance=0.00005)
    exact = mart(marts, """select vendor_id, period_month, sum(net_cost_reporting) / nullif(sum(handled_contacts), 0)
                           from marts.cost_to_serve group by all""")
    assert_same(got, exact)
    resolved = mart(marts, """select vendor_id, period_month,
                                  sum(net_cost_reporting) / nullif(sum(resolved_contacts), 0)
                              from marts.cost_to_serve group by all""")
    assert_same(by_vendor_month(store, "cost_per_resolved_contact"), resolved)
    per_channel = mart(marts, """select vendor_id, period_month, channel, cost_per_resolved_contact
                                 from marts.cost_to_serve""")
    got_channel = by_vendor_month(store, "cost_per_resolved_contact", "cost__channel")
    assert_same(got_channel, per_channel, tolerance=0.00005)
    handled = mart(marts, """select vendor_id, period_month, sum(handled_contacts) from marts.cost_to_serve
                             group by all having sum(handled_contacts) > 0""")
    assert_same({k: v for k, v in by_vendor_month(store, "handled_contacts").items() if v}, handled, tolerance=0)
    net = mart(marts, "select vendor_id, period_month, sum(net_cost_reporting) from marts.cost_to_serve group by all")
    assert_same(by_vendor_month(store, "net_cost"), net, exact=True)


def test_money_at_risk_and_credits_are_exact(store, marts):
    at_risk = mart(marts, """select vendor_id, period_month, amount_at_risk from marts.vendor_scorecard
                             where amount_at_risk <> 0""")
    assert_same(by_vendor_month(store, "amount_at_risk"), at_risk, exact=True)
    credits = mart(marts, """select vendor_id, period_month, sum(credit_due_amount) from marts.sla_compliance
                             group by all having sum(credit_due_amount) is not null""")
    got = by_vendor_month(store, "credits_due")
    assert_same(got, credits, exact=True)
    assert any(v > 0 for v in credits.values())  # some SLA was missed and credited: not a sum of zeros


def test_satisfaction_and_fcr_equal_the_marts(store, marts):
    for metric, column in (("csat_top2box", "csat_top2box"), ("nps", "nps"), ("esat_top2box", "esat_top2box")):
        expected = mart(marts, f"select vendor_id, period_month, {column} from marts.esat_csat where grain = 'vendor'")
        assert_same(by_vendor_month(store, metric), expected)
    fcr = mart(marts, "select vendor_id, period_month, fcr_rate from marts.vendor_scorecard")
    assert_same(by_vendor_month(store, "fcr_rate"), fcr)
    met_share = mart(marts, """select vendor_id, period_month, sla_met_share from marts.vendor_scorecard
                               where sla_total > 0""")
    assert_same(by_vendor_month(store, "sla_met_share"), met_share, tolerance=0.0000005)


def test_workforce_self_service_and_quality_equal_the_marts(store, marts):
    workforce = {
        "delivered_fte": "sum(delivered_fte)",
        "shrinkage": "sum(paid_seconds - productive_seconds) / nullif(sum(paid_seconds), 0)",
        "occupancy": "sum(handle_seconds) / nullif(sum(productive_seconds), 0)",
    }
    for metric, expression in workforce.items():
        expected = mart(marts, f"select vendor_id, period_month, {expression} from marts.workforce group by all")
        assert_same(by_vendor_month(store, metric), expected)
        # one site per vendor-month: the mart's own column (exact decimals, 10 places)
        column = mart(marts, f"""select vendor_id, period_month, any_value({metric}) from marts.workforce
                                 group by all having count(*) = 1""")
        got = by_vendor_month(store, metric)
        assert_same({k: got[k] for k in column}, column, tolerance=1e-9, at_least=1)
    containment = mart(marts, "select vendor_id, period_month, containment_rate from marts.vendor_scorecard")
    assert_same(by_vendor_month(store, "containment_rate"), containment)
    for metric, column in (("qa_score", "qa_score"), ("qa_auto_fail_rate", "auto_fail_rate"),
                           ("complaints_per_1000", "complaint_rate"), ("qa_calibration_gap", "calibration_gap")):
        expected = mart(marts, f"select vendor_id, period_month, {column} from marts.quality where grain = 'vendor'")
        assert_same(by_vendor_month(store, metric), expected)


# ---- a quarter is its summed numerator over its summed denominator --------------------------------

def test_quarter_ratios_are_not_means_of_months(store, marts):
    q1 = datetime.date(2026, 1, 1)
    result = store.query(["service_level", "cost_per_contact"], ["vendor", "metric_time__quarter"])
    quarter = {r["vendor"]: r for r in result.as_dicts() if _month(r["metric_time__quarter"]) == q1}
    vendor = "acme_mx"
    months = marts.execute("""
        select period_month, sum(answered_within_threshold), sum(service_level_sample_size)
        from marts.sla_interval
        where vendor_id = ? and period_month between date '2026-01-01' and date '2026-03-01'
        group by all order by 1""", [vendor]).fetchall()
    assert len(months) == 3
    # acme_mx's contract counts short abandons out (exclude_short): met = answered within the threshold
    assert marts.execute("select distinct abandons from marts.sla_interval where vendor_id = ? "
                         "and service_level_sample_size is not null", [vendor]).fetchall() == [("exclude_short",)]
    within = sum(m[1] for m in months)
    sample = sum(m[2] for m in months)
    by_hand = within / sample
    mean_of_months = sum(m[1] / m[2] for m in months) / 3
    assert abs(by_hand - mean_of_months) > 1e-6  # the data tells the two apart
    assert quarter[vendor]["service_level"] == pytest.approx(by_hand, rel=1e-12)

    net, handled = marts.execute("""
        select sum(net_cost_reporting), sum(handled_contacts) from marts.cost_to_serve
        where vendor_id = ? and period_month between date '2026-01-01' and date '2026-03-01'""",
                                 [vendor]).fetchone()
    monthly = marts.execute("""select cost_per_contact from marts.vendor_scorecard where vendor_id = ?
        and period_month between date '2026-01-01' and date '2026-03-01'""", [vendor]).fetchall()
    assert len(monthly) == 3
    assert abs(float(net / handled) - float(sum(m[0] for m in monthly) / 3)) > 1e-4
    assert quarter[vendor]["cost_per_contact"] == pytest.approx(float(net) / handled, rel=1e-12)


# ---- dimensions, errors, the command line ---------------------------------------------------------

def test_vendor_kind_groups_every_family(store):
    result = store.query(["service_level", "cost_per_contact", "qa_score", "amount_at_risk"],
                         ["vendor__kind", "metric_time__quarter"])
    kinds = {r["vendor__kind"] for r in result.as_dicts()}
    assert kinds == {"outsourcer", "in_house"}


def test_unknown_metric_and_impossible_grouping_are_one_line(store):
    with pytest.raises(MetricsError, match="unknown metric no_such_metric"):
        store.query(["no_such_metric"])
    with pytest.raises(MetricsError) as caught:
        store.query(["service_level"], ["cost__channel"])
    assert "\n" not in str(caught.value) and "contacts__channel" in str(caught.value)
    with pytest.raises(MetricsError) as caught:
        store.query(["service_level"], ["vendor"], where=["{{ Dimension('vendor__nope') }} = 'x'"])
    assert "\n" not in str(caught.value) and "vendor__nope" in str(caught.value) and "vendor__kind" in str(caught.value)


def test_bpo_metrics_prints_a_result(built):
    shown = subprocess.run([BPO, "metrics", "query", "--metrics", "cost_per_contact,service_level",
                            "--group-by", "vendor,metric_time__quarter", "--warehouse", str(built["warehouse"])],
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "acme_mx" in shown.stdout and "2026-01-01" in shown.stdout and "cost_per_contact" in shown.stdout
    listed = subprocess.run([BPO, "metrics", "list", "--warehouse", str(built["warehouse"])],
                            capture_output=True, text=True)
    assert listed.returncode == 0 and "cost_per_resolved_contact" in listed.stdout


def test_bpo_metrics_without_a_published_copy_says_run_first(tmp_path):
    missing = subprocess.run([BPO, "metrics", "list", "--warehouse", str(tmp_path / "warehouse.duckdb")],
                             capture_output=True, text=True)
    assert missing.returncode == 1
    lines = [line for line in missing.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "bpo run" in lines[0] and "Traceback" not in missing.stderr
