"""marts.esat_csat at the site grain: the ESAT of a site's agents against the CSAT of the contacts they
answered, month by month, and their correlation across the site's months with its sample size.

One vendor in UTC, January to March 2026:
  a1 (agent surveys name site x): ESAT 5 | 5, 2 | 2  -> x ESAT 1, 0.5, 0
       answers contacts surveyed CSAT 5 | 5, 1 | 1
  a2 (site y): ESAT 5 every month -> y ESAT constant 1 (correlation undefined: null)
       answers contacts surveyed CSAT 5 | 1 | 4
  a3: its only agent survey (January) names y, but in February its agent time is at site x, so its
       February contact (CSAT 5) counts for x: x CSAT 1 | 2/3 | 0 (February 3 responses).
Site x correlation = Pearson((1, 0.5, 0), (1, 2/3, 0)) over 3 months (statistics.correlation).
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, query
from tests.dbt.money_fixtures import contract, new_tables

UTC = timezone.utc
V = "e_s"
MONTHS = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))


def _raw():
    t = new_tables()
    contract(t, V)
    t["contract_worked_time_states"].append(dict(vendor_id=V, version_id=f"{V}@2026-01-01", state="available",
                                                 work_class="productive"))
    n = 0

    def contact(agent, month, csat):
        nonlocal n
        n += 1
        arrived = datetime(2026, month, 10, 9, n, tzinfo=UTC)
        t["interactions"].append(dict(
            vendor_id=V, interaction_id=f"i{n}", channel="voice", queue="q1", arrived_at=arrived,
            answered_at=arrived + timedelta(seconds=5), ended_at=arrived + timedelta(seconds=65), talk_seconds=60,
            hold_seconds=0, wrap_seconds=0, agent_id=agent, transferred=False, resolved=True))
        t["surveys"].append(dict(vendor_id=V, survey_id=f"s{n}", interaction_id=f"i{n}",
                                 responded_at=arrived + timedelta(hours=1), csat=csat))

    def esat(agent, site, month, score):
        nonlocal n
        n += 1
        t["agent_surveys"].append(dict(vendor_id=V, response_id=f"r{n}", agent_id=agent, site=site,
                                       responded_at=datetime(2026, month, 25, 12, n, tzinfo=UTC), esat=score))

    for month, scores in ((1, (5,)), (2, (5, 2)), (3, (2,))):
        for s in scores:
            esat("a1", "x", month, s)
    for month, scores in ((1, (5,)), (2, (5, 1)), (3, (1,))):
        for s in scores:
            contact("a1", month, s)
    for month, csat in ((1, 5), (2, 1), (3, 4)):
        esat("a2", "y", month, 5)
        contact("a2", month, csat)
    esat("a3", "y", 1, 5)
    contact("a3", 2, 5)
    t["agent_time"].append(dict(vendor_id=V, record_id="T1", agent_id="a3", site="x", state="available",
                                started_at=datetime(2026, 2, 10, 8, tzinfo=UTC),
                                ended_at=datetime(2026, 2, 10, 16, tzinfo=UTC)))
    return t


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("esat_sites") / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    dbt_build(warehouse, "--select", "+esat_csat")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {(r["site"], r["period_month"]): r for r in query(
            con, "select * from marts.esat_csat where grain = 'site'")}
    finally:
        con.close()


def test_site_rows_pair_the_sites_esat_with_the_csat_of_its_agents_contacts(sites):
    x = [sites[("x", m)] for m in MONTHS]
    assert [r["esat_top2box"] for r in x] == [pytest.approx(1), pytest.approx(0.5), pytest.approx(0)]
    assert [r["esat_responses"] for r in x] == [1, 2, 1]
    # February: a1's two contacts and a3's, who worked at x that month
    assert [r["csat_top2box"] for r in x] == [pytest.approx(1), pytest.approx(2 / 3), pytest.approx(0)]
    assert [r["csat_responses"] for r in x] == [1, 3, 1]
    assert sites[("y", MONTHS[1])]["csat_responses"] == 1


def test_site_correlation_and_its_sample(sites):
    want = statistics.correlation([1, 0.5, 0], [1, 2 / 3, 0])
    for m in MONTHS:
        assert sites[("x", m)]["site_esat_csat_correlation"] == pytest.approx(want)
        assert sites[("x", m)]["site_correlation_months"] == 3
        # y's ESAT is constant: no correlation, but the sample is still reported
        assert sites[("y", m)]["site_esat_csat_correlation"] is None
        assert sites[("y", m)]["site_correlation_months"] == 3
