"""marts.sla_interval and marts.esat_csat on a hand-written raw layer.

One dbt build (module fixture), one vendor per scenario:
- dst_es (Europe/Madrid): spring-forward day 2026-03-29 (02:00 CET -> 03:00 CEST),
          parameters from the voice service_level line (count_against, 20 s, short < 5 s).
- dst_us (America/Chicago): fall-back night 2026-11-01 (01:00-01:59 twice) and a
          contact at 23:50 local on 31 March (April in UTC); no SLA line -> defaults.
- ktm_np (Asia/Kathmandu, UTC+05:45): local half hours are not UTC half hours.
- sat_co (America/Bogota): ESAT / CSAT over three months, by vendor, site and queue,
          and their correlation.
Every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build, query

UTC = timezone.utc
SELECT = "+sla_compliance +sla_interval +esat_csat"
MAD, CHI, KTM, BOG = "Europe/Madrid", "America/Chicago", "Asia/Kathmandu", "America/Bogota"


def utc(ts: str) -> datetime:
    return datetime.fromisoformat(ts).replace(tzinfo=UTC)


def local(ts: str, tz: str) -> datetime:
    return datetime.fromisoformat(ts).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def contact(vendor, iid, arrived, wait, *, answered=True, channel="voice", queue="q1", talk=100, **extra):
    row = dict(vendor_id=vendor, interaction_id=iid, channel=channel, queue=queue, arrived_at=arrived)
    if answered:
        row.update(answered_at=arrived + timedelta(seconds=wait),
                   ended_at=arrived + timedelta(seconds=wait + talk), talk_seconds=talk, hold_seconds=0,
                   wrap_seconds=0)
    else:
        row.update(answered_at=None, ended_at=arrived + timedelta(seconds=wait))
    row.update(extra)
    return row


def version(vendor):
    return dict(vendor_id=vendor, version_id=f"{vendor}@2026-01-01", effective_from=date(2026, 1, 1),
                tolerance_quantity_pct=0.02, tolerance_amount_abs=1)


def raw_tables() -> dict[str, list[dict]]:
    interactions = [
        # dst_es, 2026-03-29: CET (UTC+1) until 02:00 local, then CEST (UTC+2)
        contact("dst_es", "d1", utc("2026-03-29 00:50:00"), 10, talk=100),            # 01:50 CET
        contact("dst_es", "d2", utc("2026-03-29 00:59:59"), 3, answered=False),       # 01:59:59 CET, short
        contact("dst_es", "d3", utc("2026-03-29 01:00:00"), 25, talk=300),            # 03:00 CEST
        contact("dst_es", "d4", utc("2026-03-29 01:29:00"), 15, answered=False),      # 03:29 CEST
        # dst_us, 2026-11-01: 06:10 UTC = 01:10 CDT, 07:10 UTC = 01:10 CST (same wall clock)
        contact("dst_us", "u1", utc("2026-11-01 06:10:00"), 15),
        contact("dst_us", "u2", utc("2026-11-01 07:10:00"), 25),
        # 23:50 CDT on 31 March = 04:50 UTC on 1 April
        contact("dst_us", "u3", local("2026-03-31 23:50", CHI), 5),
        # ktm_np: 04:20 UTC = 10:05 NPT (+05:45)
        contact("ktm_np", "k1", utc("2026-03-10 04:20:00"), 8),
        # email: no service_level line covers it at em_no (no threshold applies); em_sl states one
        contact("em_no", "e1", utc("2026-03-10 09:00:00"), 1800, channel="email", talk=60),
        contact("em_no", "e2", utc("2026-03-10 09:10:00"), 5, channel="email", talk=60),
        contact("em_sl", "e3", utc("2026-03-10 09:00:00"), 1800, channel="email", talk=60),
        contact("em_sl", "e4", utc("2026-03-10 09:10:00"), 7200, channel="email", talk=60),
    ]

    # sat_co: surveyed interactions handled by a1 (site BOG), a2 (site MED), a9 (no agent survey)
    sat_contacts = [
        ("j1", "2026-01-15 10:00", "a1", "billing"), ("j2", "2026-01-15 11:00", "a2", "support"),
        ("f1", "2026-02-15 10:00", "a1", "billing"), ("f2", "2026-02-15 11:00", "a2", "support"),
        ("m1", "2026-03-15 10:00", "a1", "billing"), ("m2", "2026-03-15 11:00", "a2", "support"),
        ("m3", "2026-03-15 12:00", "a9", "billing"),
    ]
    interactions += [contact("sat_co", iid, local(ts, BOG), 5, queue=q, agent_id=agent)
                     for iid, ts, agent, q in sat_contacts]
    csat = {"j1": (5, 10), "j2": (2, 3), "f1": (4, 7), "f2": (3, 9), "m1": (5, 9), "m2": (4, 8), "m3": (5, 0)}
    surveys = [dict(vendor_id="sat_co", survey_id=f"s_{iid}", interaction_id=iid, responded_at=utc("2026-04-01 00:00"),
                    csat=c, nps=n) for iid, (c, n) in csat.items()]

    # agent surveys: (agent, site, local responded_at, esat, enps)
    pulses = [
        ("a1", "BOG", "2026-01-10 09:00", 5, 10), ("a1", "BOG", "2026-01-31 22:00", 2, 9),  # 31 Jan 22:00 = 1 Feb UTC
        ("a2", "MED", "2026-01-10 09:00", 1, 5), ("a2", "MED", "2026-01-10 10:00", 2, 7),
        ("a1", "BOG", "2026-02-10 09:00", 5, 8), ("a1", "BOG", "2026-02-10 10:00", 4, 8),
        ("a2", "MED", "2026-02-10 09:00", 2, 8), ("a2", "MED", "2026-02-10 10:00", 1, 8),
        ("a1", "BOG", "2026-03-10 09:00", 5, 8), ("a1", "BOG", "2026-03-10 10:00", 4, 8),
        ("a2", "MED", "2026-03-10 09:00", 4, 8), ("a2", "MED", "2026-03-10 10:00", 1, 8),
    ]
    agent_surveys = [dict(vendor_id="sat_co", response_id=f"p{n}", agent_id=a, site=s, responded_at=local(ts, BOG),
                          esat=e, enps=p) for n, (a, s, ts, e, p) in enumerate(pulses)]

    return {
        "contracts": [
            dict(vendor_id="dst_es", name="DST ES", kind="outsourcer", timezone=MAD, currency="EUR"),
            dict(vendor_id="dst_us", name="DST US", kind="outsourcer", timezone=CHI, currency="USD"),
            dict(vendor_id="ktm_np", name="KTM", kind="outsourcer", timezone=KTM, currency="NPR"),
            dict(vendor_id="sat_co", name="SAT", kind="in_house", timezone=BOG, currency="COP"),
            dict(vendor_id="em_no", name="EM NO", kind="outsourcer", timezone="UTC", currency="USD"),
            dict(vendor_id="em_sl", name="EM SL", kind="outsourcer", timezone="UTC", currency="USD"),
        ],
        "contract_versions": [version(v) for v in ("dst_es", "dst_us", "ktm_np", "sat_co", "em_no", "em_sl")],
        "contract_sla": [
            dict(vendor_id="dst_es", version_id="dst_es@2026-01-01", sla_line=1, metric="asa_seconds", target=30,
                 channel="voice", credit_pct=0),
            dict(vendor_id="dst_es", version_id="dst_es@2026-01-01", sla_line=2, metric="service_level", target=0.8,
                 channel="voice", threshold_seconds=20, short_abandon_seconds=5, abandons="count_against",
                 credit_pct=0),
            dict(vendor_id="dst_es", version_id="dst_es@2026-01-01", sla_line=3, metric="service_level", target=0.8,
                 channel="chat", threshold_seconds=60, credit_pct=0),
            dict(vendor_id="em_sl", version_id="em_sl@2026-01-01", sla_line=1, metric="service_level", target=0.8,
                 channel="email", threshold_seconds=3600, credit_pct=0),
        ],
        "interactions": interactions,
        "surveys": surveys,
        "agent_surveys": agent_surveys,
    }


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("sla_interval") / "warehouse.duckdb"
    create_raw(warehouse, raw_tables())
    dbt_build(warehouse, "--select", SELECT)
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def intervals(con, vendor):
    return query(con, "select * from marts.sla_interval where vendor_id = ? order by interval_start", [vendor])


def test_spring_forward_day_madrid(con):
    got = intervals(con, "dst_es")
    assert [(g["interval_start"].astimezone(UTC).replace(tzinfo=None), g["interval_start_local"]) for g in got] == [
        # 01:50 / 01:59:59 CET -> local 01:30 = 00:30 UTC
        (datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 1, 30)),
        # 03:00 / 03:29 CEST -> local 03:00 = 01:00 UTC (02:00-02:59 does not exist that day)
        (datetime(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 3, 0)),
    ]
    first, second = got
    # parameters from the voice service_level line (line 2), not the chat one
    assert (first["sla_line"], first["threshold_seconds"], first["short_abandon_seconds"], first["abandons"]) == (
        2, 20, 5, "count_against")
    # 01:30: d1 answered in 10 s, d2 abandoned after 3 s (short, < 5)
    # count_against: 1 within / 2 offered = 0.5; ASA 10; AHT 100
    assert (first["offered"], first["answered"], first["abandoned"], first["short_abandoned"],
            first["answered_within_threshold"]) == (2, 1, 1, 1, 1)
    assert first["service_level"] == pytest.approx(0.5)
    assert first["asa_seconds"] == pytest.approx(10) and first["aht_seconds"] == pytest.approx(100)
    # 03:00: d3 answered in 25 s (> 20), d4 abandoned after 15 s (not short): 0 / 2 = 0; ASA 25; AHT 300
    assert (second["offered"], second["answered"], second["abandoned"], second["short_abandoned"],
            second["answered_within_threshold"]) == (2, 1, 1, 0, 0)
    assert second["service_level"] == pytest.approx(0.0)
    assert second["asa_seconds"] == pytest.approx(25) and second["aht_seconds"] == pytest.approx(300)
    assert {g["period_month"] for g in got} == {date(2026, 3, 1)}


def test_fall_back_night_and_month_boundary_chicago(con):
    got = intervals(con, "dst_us")
    as_utc = [(g["interval_start"].astimezone(UTC).replace(tzinfo=None), g["interval_start_local"],
               g["period_month"]) for g in got]
    assert as_utc == [
        # 23:50 CDT 31 March: local interval 23:30 on the 31st = 04:30 UTC on 1 April; month March
        (datetime(2026, 4, 1, 4, 30), datetime(2026, 3, 31, 23, 30), date(2026, 3, 1)),
        # 01:10 CDT and 01:10 CST: the same local 01:00 interval twice, one hour apart
        (datetime(2026, 11, 1, 6, 0), datetime(2026, 11, 1, 1, 0), date(2026, 11, 1)),
        (datetime(2026, 11, 1, 7, 0), datetime(2026, 11, 1, 1, 0), date(2026, 11, 1)),
    ]
    # no service_level line: defaults 20 s, short 0 s, exclude_short; u1 15 s within, u2 25 s late
    assert all(g["is_default_parameters"] and g["threshold_seconds"] == 20 and g["abandons"] == "exclude_short"
               for g in got)
    assert [g["service_level"] for g in got] == [1.0, 1.0, 0.0]


def test_half_hour_offset_zone(con):
    (k,) = intervals(con, "ktm_np")
    # 04:20 UTC = 10:05 NPT -> local 10:00 interval, which starts at 04:15 UTC
    assert k["interval_start_local"] == datetime(2026, 3, 10, 10, 0)
    assert k["interval_start"].astimezone(UTC).replace(tzinfo=None) == datetime(2026, 3, 10, 4, 15)


def test_esat_csat_by_vendor_site_queue(con):
    got = query(con, "select * from marts.esat_csat where vendor_id = 'sat_co'"
                     " order by grain, site, queue, period_month")
    by = {(g["grain"], g["site"], g["queue"], str(g["period_month"])): g for g in got}
    v = {m: by[("vendor", None, None, f"2026-{m}-01")] for m in ("01", "02", "03")}
    # Jan ESAT: 5, 2 (31 Jan 22:00 Bogota, 1 Feb in UTC), 1, 2 -> 1/4; eNPS 10, 9, 5, 7 -> (2 - 1) / 4 = 25
    assert (v["01"]["esat_responses"], v["01"]["esat_top2box"], v["01"]["enps"]) == (4, 0.25, 25.0)
    # Feb ESAT 5, 4, 2, 1 -> 0.5; Mar 5, 4, 4, 1 -> 0.75
    assert (v["02"]["esat_top2box"], v["03"]["esat_top2box"]) == (0.5, 0.75)
    # CSAT: Jan 5, 2 -> 0.5; Feb 4, 3 -> 0.5; Mar 5, 4, 5 -> 1.0 (responses all dated April: month of the contact)
    assert [(v[m]["csat_responses"], v[m]["csat_top2box"]) for m in ("01", "02", "03")] == [
        (2, 0.5), (2, 0.5), (3, 1.0)]
    # NPS Jan: 10, 3 -> (1 - 1) / 2 = 0; Mar: 9, 8, 0 -> (1 - 1) / 3 = 0; Feb: 7, 9 -> (1 - 0) / 2 = 50
    assert [v[m]["nps"] for m in ("01", "02", "03")] == [0.0, 50.0, 0.0]
    # site grain: ESAT of the site's agents, CSAT of contacts their agents handled
    bog, med = by[("site", "BOG", None, "2026-01-01")], by[("site", "MED", None, "2026-01-01")]
    assert (bog["esat_top2box"], bog["csat_top2box"], bog["csat_responses"]) == (0.5, 1.0, 1)   # esat 5, 2; csat 5
    assert (med["esat_top2box"], med["csat_top2box"], med["csat_responses"]) == (0.0, 0.0, 1)   # esat 1, 2; csat 2
    # m3's agent a9 has no site: counted at the vendor and queue grains only
    assert by[("site", "BOG", None, "2026-03-01")]["csat_responses"] == 1
    billing = by[("queue", None, "billing", "2026-03-01")]
    assert (billing["csat_responses"], billing["csat_top2box"], billing["esat_responses"]) == (2, 1.0, 0)
    assert billing["esat_top2box"] is None


def test_esat_csat_correlation(con):
    got = query(con, "select distinct vendor_esat_csat_correlation as r, correlation_months as n"
                     " from marts.esat_csat where vendor_id = 'sat_co'")
    # x = ESAT (0.25, 0.5, 0.75), mean 0.5, dx = (-0.25, 0, 0.25), sum dx^2 = 0.125
    # y = CSAT (0.5, 0.5, 1.0), mean 2/3, dy = (-1/6, -1/6, 1/3), sum dy^2 = 1/6
    # sum dx dy = 0.25/6 + 0.25/3 = 0.125 -> r = 0.125 / sqrt(0.125 * 1/6) = sqrt(3)/2
    assert got == [{"r": pytest.approx(3 ** 0.5 / 2), "n": 3}]


def test_email_service_level_is_null_where_no_threshold_applies(con):
    # em_no: no service_level line for email -> no threshold, so no service level (not a 0 % or a
    # 50 % from the 20 s voice default); the counts and waits are still reported
    (e,) = intervals(con, "em_no")
    assert (e["offered"], e["answered"], e["service_level"], e["service_level_sample_size"]) == (2, 2, None, None)
    assert (e["threshold_seconds"], e["answered_within_threshold"], e["abandoned_within_threshold"]) == (
        None, None, None)
    assert e["asa_seconds"] == pytest.approx((1800 + 5) / 2)
    # em_sl: its contract states a 3600 s threshold for email: 1800 s within, 7200 s not -> 1/2
    (s,) = intervals(con, "em_sl")
    assert (s["service_level_sample_size"], s["answered_within_threshold"]) == (2, 1)
    assert s["service_level"] == pytest.approx(0.5) and s["threshold_seconds"] == 3600
