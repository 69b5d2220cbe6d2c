"""marts.sla_compliance on a hand-written raw layer (docs/domain.md § KPIs).

One dbt build (module fixture) holds every scenario, one vendor each:
- ab_es   (in-house, Europe/Madrid): the four `abandons` treatments on the same
           contacts, short abandons, ASA/AHT/abandon/transfer/complaint rates,
           CSAT/NPS from surveys loaded before their interactions, ESAT, and
           empty chat lines (sample 0, met null); no invoices, so no credits.
- cap_mx  (America/Mexico_City): service credits, the monthly cap with
           pro-rata scaling, and half-even rounding of a credit.
- edge_us (America/Chicago): month attribution in the vendor timezone and a
           contract version change between months; a month without a version.
- fcr_br  (America/Sao_Paulo): FCR with repeat contacts across a month end,
           other queues, the exact window edge, and the disposition fallback.
- ver_pe  (America/Lima): two contract versions with different SLA targets
           and months on both sides of the change; SLA lines scoped by queue.
Every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.dbt.harness import create_raw, dbt_build, query

import duckdb

UTC = timezone.utc
SELECT = "+sla_compliance +sla_interval +esat_csat"


def local(ts: str, tz: str) -> datetime:
    """A vendor wall-clock time as a UTC instant."""
    return datetime.fromisoformat(ts).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def contact(vendor, iid, arrived, wait, *, answered=True, channel="voice", queue="q1",
            talk=100, hold=0, wrap=0, **extra):
    row = dict(vendor_id=vendor, interaction_id=iid, channel=channel, queue=queue, arrived_at=arrived)
    if answered:
        row.update(answered_at=arrived + timedelta(seconds=wait),
                   ended_at=arrived + timedelta(seconds=wait + talk + hold + wrap),
                   talk_seconds=talk, hold_seconds=hold, wrap_seconds=wrap, agent_id="ag1")
    else:
        row.update(answered_at=None, ended_at=arrived + timedelta(seconds=wait))
    row.update(extra)
    return row


def sla(vendor, version, line, metric, target, credit_pct=0, **kw):
    return dict(vendor_id=vendor, version_id=version, sla_line=line, metric=metric, target=target,
                credit_pct=credit_pct, **kw)


def version(vendor, start, end=None, cap=None):
    return dict(vendor_id=vendor, version_id=f"{vendor}@{start}", effective_from=date.fromisoformat(start),
                effective_to=date.fromisoformat(end) if end else None, service_credit_cap_pct=cap,
                tolerance_quantity_pct=0.02, tolerance_amount_abs=1)


MAD, MEX, CHI, SAO, LIM = "Europe/Madrid", "America/Mexico_City", "America/Chicago", "America/Sao_Paulo", "America/Lima"
VER1, VER2 = "ver_pe@2026-01-01", "ver_pe@2026-04-01"
AB, CAP, FCR = "ab_es@2026-01-01", "cap_mx@2026-01-01", "fcr_br@2026-01-01"


def raw_tables() -> dict[str, list[dict]]:
    late_load = datetime(2026, 5, 1, tzinfo=UTC)
    early_load = datetime(2026, 3, 1, tzinfo=UTC)

    # ---- ab_es: 7 voice contacts on 2026-03-10 (threshold 20 s, short abandon < 5 s)
    t0 = local("2026-03-10 10:00", MAD)
    ab = [
        contact("ab_es", "a1", t0, 10, talk=100, wrap=20),                  # answered within
        contact("ab_es", "a2", t0, 15, talk=200, transferred=True),         # answered within
        contact("ab_es", "a3", t0, 30, talk=300, complaint=True),           # answered late
        contact("ab_es", "a4", t0, 50, talk=350, hold=50),                  # answered late
        contact("ab_es", "b1", t0, 3, answered=False),                      # short abandon (3 < 5), within
        contact("ab_es", "b2", t0, 12, answered=False),                     # abandoned within (12 <= 20)
        contact("ab_es", "b3", t0, 40, answered=False),                     # abandoned late
    ]
    for r in ab:
        r["_loaded_at"] = late_load   # the interactions file loaded after the surveys file

    # ---- edge_us: month boundary in America/Chicago and a version change on 2026-04-01
    edge = [
        # 2026-03-31 23:50 CDT = 2026-04-01 04:50 UTC: March, version v1 (threshold 20): 30 s is late
        contact("edge_us", "e1", local("2026-03-31 23:50", CHI), 30),
        # 2026-04-01 00:10 CDT: April, version v2 (threshold 60): 30 s is within
        contact("edge_us", "e2", local("2026-04-01 00:10", CHI), 30),
        # February: no contract version covers 2026-02-01 -> not evaluated
        contact("edge_us", "e0", local("2026-02-10 12:00", CHI), 5),
    ]

    # ---- cap_mx: March two contacts answered late (SL 0 %, ASA 35 s), April one late contact
    cap = [
        contact("cap_mx", "c1", local("2026-03-05 09:00", MEX), 30),
        contact("cap_mx", "c2", local("2026-03-05 09:10", MEX), 40),
        contact("cap_mx", "c3", local("2026-04-05 09:00", MEX), 30),
    ]

    # ---- fcr_br: America/Sao_Paulo (UTC-3 all year), window 7 days, queue q1 unless said
    fcr = [
        # f1 answered 28 Mar; the same customer comes back 2 Apr (5 days, abandoned, next month) -> not FCR
        contact("fcr_br", "f1", local("2026-03-28 10:00", SAO), 5, customer_ref_hash="c1", resolved=True),
        contact("fcr_br", "f2", local("2026-04-02 10:00", SAO), 50, answered=False, customer_ref_hash="c1"),
        # f3 and its repeat f4 10 days later (> 7): both FCR
        contact("fcr_br", "f3", local("2026-03-10 10:00", SAO), 5, customer_ref_hash="c2"),
        contact("fcr_br", "f4", local("2026-03-20 10:00", SAO), 5, customer_ref_hash="c2"),
        # f5 in q1, next day the customer calls q2 (f6): other queue, both FCR
        contact("fcr_br", "f5", local("2026-03-12 10:00", SAO), 5, customer_ref_hash="c3"),
        contact("fcr_br", "f6", local("2026-03-13 10:00", SAO), 5, queue="q2", customer_ref_hash="c3"),
        # no customer_ref: disposition decides (f7 not resolved, f8 resolved)
        contact("fcr_br", "f7", local("2026-03-14 10:00", SAO), 5, resolved=False),
        contact("fcr_br", "f8", local("2026-03-14 11:00", SAO), 5, resolved=True),
        # f9 and f10 exactly 7 days apart: within the window (<=) -> f9 not FCR despite resolved=true
        contact("fcr_br", "f9", local("2026-03-15 10:00", SAO), 5, customer_ref_hash="c4", resolved=True),
        contact("fcr_br", "f10", local("2026-03-22 10:00", SAO), 5, customer_ref_hash="c4"),
        # April: f11 answered, no customer_ref, resolved -> 1/1 on the disposition basis
        contact("fcr_br", "f11", local("2026-04-05 10:00", SAO), 5, resolved=True),
    ]

    # ---- ver_pe: America/Lima (UTC-5 all year); version 1 to 31 March, version 2 from 1 April.
    # The same four contacts each month: q1 answered in 10 s and in 30 s, vip answered in 10 s,
    # vip abandoned after 8 s (threshold 20 s everywhere)
    ver = [
        contact("ver_pe", "p1", local("2026-03-10 10:00", LIM), 10),
        contact("ver_pe", "p2", local("2026-03-10 11:00", LIM), 30),
        contact("ver_pe", "p3", local("2026-03-10 12:00", LIM), 10, queue="vip"),
        # 23:59 on 31 March in Lima = 04:59 UTC on 1 April: March, version 1
        contact("ver_pe", "p4", local("2026-03-31 23:59", LIM), 8, answered=False, queue="vip"),
        contact("ver_pe", "p5", local("2026-04-10 10:00", LIM), 10),
        contact("ver_pe", "p6", local("2026-04-10 11:00", LIM), 30),
        contact("ver_pe", "p7", local("2026-04-10 12:00", LIM), 10, queue="vip"),
        contact("ver_pe", "p8", local("2026-04-10 13:00", LIM), 8, answered=False, queue="vip"),
    ]

    surveys = [
        # responded in April, the interaction is in March -> counts in March
        dict(vendor_id="ab_es", survey_id="s1", interaction_id="a1", responded_at=local("2026-04-02 09:00", MAD),
             csat=5, nps=10),
        dict(vendor_id="ab_es", survey_id="s2", interaction_id="a2", responded_at=t0, csat=4, nps=8),
        dict(vendor_id="ab_es", survey_id="s3", interaction_id="a3", responded_at=t0, csat=3, nps=6),
        dict(vendor_id="ab_es", survey_id="s4", interaction_id="a4", responded_at=t0, csat=None, nps=9),
        # its interaction never arrived: cannot be attributed, left out
        dict(vendor_id="ab_es", survey_id="s5", interaction_id="ghost", responded_at=t0, csat=1, nps=0),
    ]
    for s in surveys:
        s["_loaded_at"] = early_load

    agent_surveys = [
        dict(vendor_id="ab_es", response_id=f"r{n}", agent_id=f"ag{n}", site="MAD",
             responded_at=local("2026-03-20 12:00", MAD), esat=e, enps=p)
        for n, (e, p) in enumerate([(5, 10), (4, 7), (2, 3)], start=1)
    ]

    return {
        "contracts": [
            dict(vendor_id="ab_es", name="AB", kind="in_house", timezone=MAD, currency="EUR"),
            dict(vendor_id="cap_mx", name="CAP", kind="outsourcer", timezone=MEX, currency="MXN"),
            dict(vendor_id="edge_us", name="EDGE", kind="outsourcer", timezone=CHI, currency="USD"),
            dict(vendor_id="fcr_br", name="FCR", kind="outsourcer", timezone=SAO, currency="BRL"),
            dict(vendor_id="ver_pe", name="VER", kind="outsourcer", timezone=LIM, currency="PEN"),
        ],
        "contract_versions": [
            version("ab_es", "2026-01-01"),
            version("cap_mx", "2026-01-01", cap=0.06),
            version("edge_us", "2026-03-01", "2026-03-31"),
            version("edge_us", "2026-04-01"),
            version("fcr_br", "2026-01-01"),
            version("ver_pe", "2026-01-01", "2026-03-31"),
            version("ver_pe", "2026-04-01"),
        ],
        "contract_pricing": [
            dict(vendor_id="cap_mx", version_id=CAP, pricing_line=1, category="handled_contacts", channel="voice",
                 unit="contact", rate=100, is_tiered=False, passthrough=False, requires_approval=False),
        ],
        "contract_sla": [
            # same threshold and short-abandon limit, four abandon treatments
            sla("ab_es", AB, 1, "service_level", 0.5, 0.03, channel="voice", threshold_seconds=20,
                short_abandon_seconds=5, abandons="exclude_short"),
            sla("ab_es", AB, 2, "service_level", 0.5, 0.03, channel="voice", threshold_seconds=20,
                short_abandon_seconds=5, abandons="exclude_all"),
            sla("ab_es", AB, 3, "service_level", 0.5, 0.03, channel="voice", threshold_seconds=20,
                short_abandon_seconds=5, abandons="count_against"),
            sla("ab_es", AB, 4, "service_level", 0.5, 0.03, channel="voice", threshold_seconds=20,
                short_abandon_seconds=5, abandons="count_for_within"),
            # short_abandon_seconds not given: taken from the voice service_level line (5)
            sla("ab_es", AB, 5, "abandon_rate", 0.3, 0.02, channel="voice"),
            sla("ab_es", AB, 6, "asa_seconds", 30, 0.01, channel="voice"),
            sla("ab_es", AB, 7, "aht_seconds", 250, 0.01, channel="voice"),
            sla("ab_es", AB, 8, "transfer_rate", 0.2, 0.01, channel="voice"),
            sla("ab_es", AB, 9, "complaint_rate", 300, 0.01),
            sla("ab_es", AB, 10, "csat_top2box", 0.7, 0.02),
            sla("ab_es", AB, 11, "nps", 20, 0.02),
            sla("ab_es", AB, 12, "esat_top2box", 0.6, 0),
            sla("ab_es", AB, 13, "service_level", 0.8, 0.03, channel="chat", threshold_seconds=60),
            sla("ab_es", AB, 14, "csat_top2box", 0.8, 0.02, channel="chat"),
            sla("cap_mx", CAP, 1, "service_level", 0.9, 0.05, channel="voice", threshold_seconds=20),
            sla("cap_mx", CAP, 2, "asa_seconds", 10, 0.04, channel="voice"),
            sla("cap_mx", CAP, 3, "aht_seconds", 600, 0.03, channel="voice"),
            sla("cap_mx", CAP, 4, "csat_top2box", 0.9, 0.02),
            sla("edge_us", "edge_us@2026-03-01", 1, "service_level", 0.8, 0, channel="voice", threshold_seconds=20),
            sla("edge_us", "edge_us@2026-04-01", 1, "service_level", 0.8, 0, channel="voice", threshold_seconds=60),
            sla("fcr_br", FCR, 1, "fcr_rate", 0.5, 0.01, repeat_window_days=7),
            sla("fcr_br", FCR, 2, "fcr_rate", 0.5, 0.01, queue="q2"),
            # version 1: all-queues voice SL target 0.5; vip-only voice SL (count_against) target 0.9
            sla("ver_pe", VER1, 1, "service_level", 0.5, 0, channel="voice", threshold_seconds=20),
            sla("ver_pe", VER1, 2, "service_level", 0.9, 0, channel="voice", queue="vip", threshold_seconds=20,
                abandons="count_against"),
            # version 2: the all-queues SL target rises to 0.9; the vip line is now an ASA line
            sla("ver_pe", VER2, 1, "service_level", 0.9, 0, channel="voice", threshold_seconds=20),
            sla("ver_pe", VER2, 2, "asa_seconds", 15, 0, channel="voice", queue="vip"),
        ],
        "interactions": ab + edge + cap + fcr + ver,
        "surveys": surveys,
        "agent_surveys": agent_surveys,
        "invoice_lines": [
            # March fees 100,000.0000 MXN; April fees 1,234.5650 MXN
            dict(vendor_id="cap_mx", invoice_id="INV-03", invoice_date=date(2026, 4, 2), period_start=date(2026, 3, 1),
                 period_end=date(2026, 3, 31), currency="MXN", line_id="L001", category="handled_contacts",
                 channel="voice", quantity=1000, unit="contact", unit_price=100, amount=Decimal("100000.0000")),
            dict(vendor_id="cap_mx", invoice_id="INV-04", invoice_date=date(2026, 5, 2), period_start=date(2026, 4, 1),
                 period_end=date(2026, 4, 30), currency="MXN", line_id="L001", category="handled_contacts",
                 channel="voice", quantity=10, unit="contact", unit_price=Decimal("123.4565"),
                 amount=Decimal("1234.5650")),
        ],
        "fx_rates": [
            dict(rate_date=date(2026, 3, 31), currency="MXN", rate_to_reporting=Decimal("0.05")),
            dict(rate_date=date(2026, 4, 30), currency="MXN", rate_to_reporting=Decimal("0.05")),
        ],
    }


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("sla_compliance") / "warehouse.duckdb"
    create_raw(warehouse, raw_tables())
    dbt_build(warehouse, "--select", SELECT)
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def rows(con, vendor, month=None):
    sql = "select * from marts.sla_compliance where vendor_id = ?"
    params = [vendor]
    if month:
        sql += " and period_month = ?"
        params.append(date.fromisoformat(month))
    return {r["sla_line"]: r for r in query(con, sql + " order by sla_line", params)}


def test_four_abandon_treatments_give_different_service_levels(con):
    r = rows(con, "ab_es", "2026-03-01")
    # offered 7, answered 4, abandoned 3, short (wait < 5) 1 = b1,
    # answered within (wait <= 20) 2 = a1, a2; abandoned within 2 = b1, b2
    for line in (1, 2, 3, 4):
        assert (r[line]["offered"], r[line]["answered"], r[line]["abandoned"]) == (7, 4, 3)
        assert (r[line]["short_abandoned"], r[line]["answered_within_threshold"],
                r[line]["abandoned_within_threshold"]) == (1, 2, 2)
    # exclude_short: 2 / (7 - 1) = 1/3, sample 6 -> below 0.5, missed
    assert r[1]["actual"] == pytest.approx(1 / 3) and r[1]["sample_size"] == 6 and r[1]["met"] is False
    # exclude_all: 2 / 4 = 0.5, sample 4 -> exactly the target, met
    assert r[2]["actual"] == pytest.approx(0.5) and r[2]["sample_size"] == 4 and r[2]["met"] is True
    # count_against: 2 / 7, sample 7 -> missed
    assert r[3]["actual"] == pytest.approx(2 / 7) and r[3]["sample_size"] == 7 and r[3]["met"] is False
    # count_for_within: (2 + 2) / 7 = 4/7, sample 7 -> met
    assert r[4]["actual"] == pytest.approx(4 / 7) and r[4]["sample_size"] == 7 and r[4]["met"] is True
    assert [r[n]["abandons"] for n in (1, 2, 3, 4)] == ["exclude_short", "exclude_all", "count_against",
                                                        "count_for_within"]
    assert all(r[n]["threshold_seconds"] == 20 and r[n]["short_abandon_seconds"] == 5 for n in (1, 2, 3, 4))


def test_contact_rates(con):
    r = rows(con, "ab_es", "2026-03-01")
    # abandon rate: (3 abandoned - 1 short) / (7 - 1) = 2/6; short limit 5 s inherited from the SL line
    assert r[5]["short_abandon_seconds"] == 5
    assert r[5]["actual"] == pytest.approx(1 / 3) and r[5]["sample_size"] == 6 and r[5]["met"] is False
    # ASA: (10 + 15 + 30 + 50) / 4 = 26.25 <= 30 -> met
    assert r[6]["actual"] == pytest.approx(26.25) and r[6]["sample_size"] == 4 and r[6]["met"] is True
    # AHT: (120 + 200 + 300 + 400) / 4 = 255 > 250 -> missed
    assert r[7]["actual"] == pytest.approx(255) and r[7]["met"] is False
    # transfer rate: 1 (a2) / 4 answered = 0.25 > 0.2 -> missed
    assert r[8]["actual"] == pytest.approx(0.25) and r[8]["met"] is False
    # complaints per 1,000 handled: 1000 * 1 / 4 = 250 <= 300 -> met (all-channel line)
    assert r[9]["channel"] is None
    assert r[9]["actual"] == pytest.approx(250) and r[9]["sample_size"] == 4 and r[9]["met"] is True
    # parameters a metric does not use are not reported
    assert r[6]["threshold_seconds"] is None and r[6]["abandons"] is None


def test_surveys_take_the_interactions_month_even_when_loaded_first(con):
    r = rows(con, "ab_es", "2026-03-01")
    # surveys loaded 2026-03-01, interactions 2026-05-01; s1 responded in April on a March contact;
    # s5's interaction never arrived (left out). csat responses: s1 5, s2 4, s3 3 (s4 has none)
    # top-2-box = 2/3 (the mean would be 4.0) < 0.7 -> missed
    assert r[10]["actual"] == pytest.approx(2 / 3) and r[10]["sample_size"] == 3 and r[10]["met"] is False
    # NPS: s1 10, s2 8, s3 6, s4 9 -> promoters 2, detractors 1: 100 * (2 - 1) / 4 = 25 >= 20 -> met
    assert r[11]["actual"] == pytest.approx(25) and r[11]["sample_size"] == 4 and r[11]["met"] is True
    # ESAT: 5, 4, 2 -> 2/3 >= 0.6 -> met
    assert r[12]["actual"] == pytest.approx(2 / 3) and r[12]["sample_size"] == 3 and r[12]["met"] is True
    # nothing in April for ab_es: the April survey response did not create an April month
    assert rows(con, "ab_es", "2026-04-01") == {}


def test_empty_channel_has_no_sample_and_no_verdict(con):
    r = rows(con, "ab_es", "2026-03-01")
    for line in (13, 14):  # chat service level, chat CSAT: no chat contacts
        assert r[line]["channel"] == "chat"
        assert r[line]["sample_size"] == 0
        assert r[line]["actual"] is None and r[line]["met"] is None
        assert r[line]["credit_due_amount"] == Decimal("0")


def test_in_house_vendor_without_fees_owes_no_credit(con):
    r = rows(con, "ab_es", "2026-03-01")
    assert {x["kind"] for x in r.values()} == {"in_house"}
    assert r[1]["met"] is False and r[1]["fees_amount"] is None
    assert all(x["credit_due_amount"] == Decimal("0") and x["credit_cap_applied"] is False for x in r.values())
    assert {x["currency"] for x in r.values()} == {"EUR"}


def test_credit_cap_scales_missed_lines_pro_rata(con):
    r = rows(con, "cap_mx", "2026-03-01")
    # fees 100,000.0000; SL 0/2 = 0 < 0.9 missed (5 %); ASA (30 + 40) / 2 = 35 > 10 missed (4 %);
    # AHT 100 <= 600 met; CSAT no responses -> null
    assert (r[1]["met"], r[2]["met"], r[3]["met"], r[4]["met"]) == (False, False, True, None)
    assert r[1]["fees_amount"] == Decimal("100000.0000")
    # before the cap: 5,000.0000 + 4,000.0000 = 9,000.0000 > cap 6 % = 6,000.0000
    assert r[1]["credit_before_cap_amount"] == Decimal("5000.0000")
    assert r[2]["credit_before_cap_amount"] == Decimal("4000.0000")
    # pro rata: 5,000 * 6,000 / 9,000 = 3,333.33333.. and 4,000 * 6,000 / 9,000 = 2,666.66666..
    # floors 3,333.3333 + 2,666.6666 = 5,999.9999; the missing 0.0001 goes to the larger remainder (line 2)
    assert r[1]["credit_due_amount"] == Decimal("3333.3333")
    assert r[2]["credit_due_amount"] == Decimal("2666.6667")
    assert sum(x["credit_due_amount"] for x in r.values()) == Decimal("6000.0000")
    assert (r[1]["credit_cap_applied"], r[2]["credit_cap_applied"], r[3]["credit_cap_applied"]) == (True, True, False)
    assert r[3]["credit_due_amount"] == Decimal("0") and r[4]["credit_due_amount"] == Decimal("0")
    assert r[1]["currency"] == "MXN"


def test_credit_rounds_half_even_then_caps(con):
    r = rows(con, "cap_mx", "2026-04-01")
    # April: SL 0/1 missed, ASA 30 > 10 missed; fees 1,234.5650
    # SL: 0.05 * 1,234.5650 = 61.72825 -> half-even 61.7282; ASA: 0.04 * 1,234.5650 = 49.3826
    # total 111.1108 > cap 0.06 * 1,234.5650 = 74.0739 -> the cap bites again:
    # units (0.0001): 617282 * 740739 / 1111108 = 411,521.5185..; 493826 * 740739 / 1111108 = 329,217.4814..
    # floors 411,521 + 329,217 = 740,738, one unit short -> to the larger remainder (line 1, .5185)
    assert r[1]["credit_before_cap_amount"] == Decimal("61.7282")
    assert r[2]["credit_before_cap_amount"] == Decimal("49.3826")
    assert r[1]["credit_due_amount"] == Decimal("41.1522")
    assert r[2]["credit_due_amount"] == Decimal("32.9217")
    assert r[1]["credit_due_amount"] + r[2]["credit_due_amount"] == Decimal("74.0739")


def test_month_in_vendor_timezone_and_version_in_force(con):
    march = rows(con, "edge_us", "2026-03-01")
    april = rows(con, "edge_us", "2026-04-01")
    # 23:50 CDT on 31 March is 04:50 UTC on 1 April: still March, judged with March's version (20 s)
    assert march[1]["version_id"] == "edge_us@2026-03-01" and march[1]["threshold_seconds"] == 20
    assert march[1]["offered"] == 1 and march[1]["actual"] == pytest.approx(0.0)
    # April's contact with the April version (60 s): 30 s is within -> 1/1
    assert april[1]["version_id"] == "edge_us@2026-04-01" and april[1]["threshold_seconds"] == 60
    assert april[1]["offered"] == 1 and april[1]["actual"] == pytest.approx(1.0)
    # February has data but no version in force: not evaluated
    assert rows(con, "edge_us", "2026-02-01") == {}


def test_fcr_repeat_contacts_across_month_end(con):
    march = rows(con, "fcr_br", "2026-03-01")
    # answered in March (all queues): f1 f3 f4 f5 f6 f7 f8 f9 f10 = 9
    # FCR: f3 (repeat after 10 d > 7), f4, f5 (repeat in another queue), f6, f8 (resolved, no ref), f10 = 6
    # not FCR: f1 (repeat 2 Apr, next month, abandoned), f7 (no ref, not resolved), f9 (repeat at exactly 7 d)
    r = march[1]
    assert r["actual"] == pytest.approx(6 / 9) and r["sample_size"] == 9 and r["met"] is True
    assert (r["fcr_repeat_basis_contacts"], r["fcr_disposition_basis_contacts"], r["fcr_basis"]) == (7, 2, "mixed")
    assert r["repeat_window_days"] == 7
    # queue q2 line (window defaults to 7): only f6, no repeat -> 1/1
    assert march[2]["queue"] == "q2" and march[2]["repeat_window_days"] == 7
    assert march[2]["actual"] == pytest.approx(1.0) and march[2]["sample_size"] == 1
    assert march[2]["fcr_basis"] == "repeat_contact"
    # April: f2 abandoned (not a sample); f11 answered, no ref, resolved -> 1/1 on the disposition basis
    april = rows(con, "fcr_br", "2026-04-01")[1]
    assert april["actual"] == pytest.approx(1.0) and april["sample_size"] == 1
    assert (april["fcr_repeat_basis_contacts"], april["fcr_disposition_basis_contacts"]) == (0, 1)
    assert april["fcr_basis"] == "disposition"


def test_contract_months_spine(con):
    got = query(con, "select vendor_id, period_month, version_id, has_kpi_data, invoice_line_count"
                     " from intermediate.int_contract_months where vendor_id in ('edge_us', 'cap_mx')"
                     " order by vendor_id, period_month")
    assert [(g["vendor_id"], str(g["period_month"]), g["version_id"]) for g in got] == [
        ("cap_mx", "2026-03-01", CAP), ("cap_mx", "2026-04-01", CAP),
        ("edge_us", "2026-02-01", None), ("edge_us", "2026-03-01", "edge_us@2026-03-01"),
        ("edge_us", "2026-04-01", "edge_us@2026-04-01"),
    ]
    assert [g["invoice_line_count"] for g in got[:2]] == [1, 1]


def test_contract_version_in_force_sets_targets_and_queue_scoped_lines(con):
    march, april = rows(con, "ver_pe", "2026-03-01"), rows(con, "ver_pe", "2026-04-01")
    assert {r["version_id"] for r in march.values()} == {VER1}
    assert {r["version_id"] for r in april.values()} == {VER2}
    # line 1, all queues, exclude_short (no short limit -> 0): within 20 s are the two 10 s answers,
    # 2 / 4 offered = 0.5 in both months (p4 at 23:59 on 31 March Lima time is a March contact)
    for r in (march[1], april[1]):
        assert r["queue"] is None and (r["offered"], r["answered_within_threshold"], r["sample_size"]) == (4, 2, 4)
        assert r["actual"] == pytest.approx(0.5)
    # same actual, different verdict: March target 0.5 (met), April target 0.9 (missed)
    assert (march[1]["target"], march[1]["met"]) == (Decimal("0.5"), True)
    assert (april[1]["target"], april[1]["met"]) == (Decimal("0.9"), False)
    # March line 2, vip only, count_against: p3 within, p4 abandoned -> 1 / 2 = 0.5 < 0.9 missed
    assert (march[2]["queue"], march[2]["metric"], march[2]["abandons"]) == ("vip", "service_level", "count_against")
    assert (march[2]["offered"], march[2]["answered"], march[2]["sample_size"]) == (2, 1, 2)
    assert march[2]["actual"] == pytest.approx(0.5) and march[2]["met"] is False
    # April line 2, vip-only ASA: only p7 answered, 10 s <= 15 -> met
    assert (april[2]["queue"], april[2]["metric"], april[2]["sample_size"]) == ("vip", "asa_seconds", 1)
    assert april[2]["actual"] == pytest.approx(10) and april[2]["met"] is True


def test_interval_parameters_follow_the_queue_line_of_the_version_in_force(con):
    got = query(con, "select queue, period_month, abandons, sla_line, offered, service_level"
                     " from marts.sla_interval where vendor_id = 'ver_pe' and queue = 'vip'"
                     " order by interval_start")
    # March: vip has its own service_level line (line 2, count_against): p3 alone 1/1, p4 alone 0/1
    # April: version 2 has no vip service_level line -> the all-queues line 1 (exclude_short)
    assert [(str(g["period_month"]), g["sla_line"], g["abandons"], g["offered"], g["service_level"]) for g in got] == [
        ("2026-03-01", 2, "count_against", 1, 1.0), ("2026-03-01", 2, "count_against", 1, 0.0),
        ("2026-04-01", 1, "exclude_short", 1, 1.0), ("2026-04-01", 1, "exclude_short", 1, 0.0),
    ]
