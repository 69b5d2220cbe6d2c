"""Property test: marts.sla_compliance and marts.sla_interval recomputed from raw rows.

Hypothesis draws many vendors per example (a dbt build costs seconds, so one
example = one build = many independent random interaction sets). Each vendor
gets a random timezone, a 7-day window around a month end and/or a DST
change (contacts cluster at the pivot instant), random contacts (channel, queue, answered or abandoned, wait,
talk/hold/wrap, transfer, complaint, customer, disposition) and one contract
version with the same ten SLA lines: four voice service_level lines (one per
`abandons` treatment, in random order), voice abandon_rate, ASA, AHT and
transfer rate, and all-channel FCR and complaint rate.

`reference()` below recomputes every figure from the drawn rows in plain
Python, straight from docs/domain.md § KPIs (contract month and half-hour
interval from zoneinfo, the counts, the four denominators, the means, the
repeat-contact rule); the test checks that the marts equal it and that
service level under count_against ≤ exclude_short ≤ exclude_all.

CI stability: derandomize=True (the same examples on every run), no example
database, no shrinking (each shrink step would be a dbt build; the failure
message names the vendor and prints its rows instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.dbt.harness import create_raw, dbt_build, query

UTC = timezone.utc
SELECT = "+sla_compliance +sla_interval"
TREATMENTS = ("exclude_short", "exclude_all", "count_against", "count_for_within")
TIMEZONES = ("Europe/Madrid", "America/Chicago", "Asia/Kathmandu", "America/Sao_Paulo", "UTC")
# Contacts arrive within ±3.5 days of a pivot instant (UTC). Hypothesis favours small offsets, so
# contacts cluster at the pivots: UTC midnight at a month end (local month ≠ UTC month for a few
# hours in every zone but UTC) and the Chicago DST changes.
PIVOTS = (
    datetime(2026, 3, 8, 8, tzinfo=UTC),     # Chicago spring-forward (02:00 CST -> 03:00 CDT)
    datetime(2026, 4, 1, tzinfo=UTC),        # March end; Madrid spring-forward 29 Mar 01:00 UTC is 3 days before
    datetime(2026, 5, 1, tzinfo=UTC),        # April end
    # October end (Madrid 31 Oct 23:00 UTC, Chicago 1 Nov 05:00 UTC); Chicago's repeated hour 01:00-01:59
    # is 06:00-07:59 UTC
    datetime(2026, 11, 1, 4, tzinfo=UTC),
)
HALF_WINDOW = 302400                         # 3.5 days in seconds
REPEAT_WINDOW_DAYS = 7
# metric -> (target, higher is better)
TARGETS = {"service_level": (0.8, True), "abandon_rate": (0.05, False), "asa_seconds": (30, False),
           "aht_seconds": (300, False), "transfer_rate": (0.1, False), "fcr_rate": (0.7, True),
           "complaint_rate": (50, False)}


@dataclass
class Contact:
    offset: int            # seconds after (or before) the vendor's pivot
    channel: str
    queue: str
    answered: bool
    wait: int              # seconds to answer, or to abandon
    talk: int
    hold: int
    wrap: int
    transferred: bool
    complaint: bool
    customer: str | None
    resolved: bool | None


@dataclass
class Vendor:
    vendor_id: str
    tz: str
    pivot: datetime
    threshold: int
    short: int
    treatments: tuple[str, ...]    # abandons of SLA lines 1..4
    contacts: list[Contact] = field(default_factory=list)

    def arrived(self, c: Contact) -> datetime:
        return self.pivot + timedelta(seconds=c.offset)


contacts_st = st.builds(
    Contact,
    # the whole window, the hours around the pivot, and a few seconds (equal arrival times: FCR peers)
    offset=st.one_of(st.integers(-HALF_WINDOW, HALF_WINDOW - 1), st.integers(-6 * 3600, 6 * 3600),
                     st.integers(0, 3)),
    channel=st.sampled_from(("voice", "voice", "voice", "chat", "email")),
    queue=st.sampled_from(("q1", "q2")),
    answered=st.booleans(),
    wait=st.integers(0, 90),
    talk=st.integers(0, 900),
    hold=st.integers(0, 120),
    wrap=st.integers(0, 120),
    transferred=st.booleans(),
    complaint=st.booleans(),
    customer=st.sampled_from((None, "c1", "c2", "c3")),
    resolved=st.sampled_from((None, True, False)),
)


@st.composite
def vendors_st(draw) -> list[Vendor]:
    n = draw(st.integers(10, 20))
    out = []
    for i in range(n):
        out.append(Vendor(
            vendor_id=f"p{i:02d}",
            tz=draw(st.sampled_from(TIMEZONES)),
            pivot=draw(st.sampled_from(PIVOTS)),
            threshold=draw(st.integers(0, 60)),
            short=draw(st.integers(0, 10)),
            treatments=tuple(draw(st.permutations(TREATMENTS))),
            contacts=draw(st.lists(contacts_st, min_size=0, max_size=50)),
        ))
    return out


# ---------------------------------------------------------------- raw rows

def raw_tables(vendors: list[Vendor]) -> dict[str, list[dict]]:
    t: dict[str, list[dict]] = {"contracts": [], "contract_versions": [], "contract_sla": [], "interactions": []}
    for v in vendors:
        vid, ver = v.vendor_id, f"{v.vendor_id}@2026-01-01"
        t["contracts"].append(dict(vendor_id=vid, name=vid, kind="outsourcer", timezone=v.tz, currency="EUR"))
        t["contract_versions"].append(dict(vendor_id=vid, version_id=ver, effective_from=date(2026, 1, 1),
                                           tolerance_quantity_pct=0.02, tolerance_amount_abs=1))
        lines = [dict(metric="service_level", channel="voice", threshold_seconds=v.threshold,
                      short_abandon_seconds=v.short, abandons=a) for a in v.treatments]
        lines += [dict(metric="abandon_rate", channel="voice"),     # short limit inherited from the SL lines
                  dict(metric="asa_seconds", channel="voice"),
                  dict(metric="aht_seconds", channel="voice"),
                  dict(metric="transfer_rate", channel="voice"),
                  dict(metric="fcr_rate", repeat_window_days=REPEAT_WINDOW_DAYS),
                  dict(metric="complaint_rate")]
        for n, line in enumerate(lines, start=1):
            t["contract_sla"].append(dict(vendor_id=vid, version_id=ver, sla_line=n, target=TARGETS[line["metric"]][0],
                                          credit_pct=0, **line))
        for k, c in enumerate(v.contacts):
            arrived = v.arrived(c)
            row = dict(vendor_id=vid, interaction_id=f"{vid}-{k}", channel=c.channel, queue=c.queue,
                       arrived_at=arrived, transferred=c.transferred, complaint=c.complaint,
                       customer_ref_hash=c.customer, resolved=c.resolved)
            if c.answered:
                row.update(answered_at=arrived + timedelta(seconds=c.wait),
                           ended_at=arrived + timedelta(seconds=c.wait + c.talk + c.hold + c.wrap),
                           talk_seconds=c.talk, hold_seconds=c.hold, wrap_seconds=c.wrap, agent_id="a1")
            else:
                row.update(answered_at=None, ended_at=arrived + timedelta(seconds=c.wait))
            t["interactions"].append(row)
    return t


# ---------------------------------------------------------------- the reference computation

def month_of(v: Vendor, c: Contact) -> date:
    return v.arrived(c).astimezone(ZoneInfo(v.tz)).date().replace(day=1)


def interval_of(v: Vendor, c: Contact) -> datetime:
    """UTC start of the local (vendor wall clock) half hour the contact arrived in."""
    arrived = v.arrived(c)
    local = arrived.astimezone(ZoneInfo(v.tz))
    into = timedelta(minutes=local.minute % 30, seconds=local.second)
    return arrived - into


def ratio(num, den):
    return None if den == 0 else num / den


def is_fcr(v: Vendor, c: Contact) -> bool:
    """Answered contact c: no later contact (any channel, answered or not, any month) of the same
    customer in the same queue within the repeat window; no customer key -> the disposition."""
    if c.customer is None:
        return bool(c.resolved)
    window = timedelta(days=REPEAT_WINDOW_DAYS)
    return not any(d.customer == c.customer and d.queue == c.queue
                   and timedelta(0) < v.arrived(d) - v.arrived(c) <= window for d in v.contacts)


def counts(cs: list[Contact], threshold: int, short: int) -> dict:
    ans = [c for c in cs if c.answered]
    abd = [c for c in cs if not c.answered]
    return dict(
        offered=len(cs), answered=len(ans), abandoned=len(abd),
        short_abandoned=sum(c.wait < short for c in abd),
        answered_within_threshold=sum(c.wait <= threshold for c in ans),
        abandoned_within_threshold=sum(c.wait <= threshold for c in abd),
    )


def service_level(k: dict, treatment: str) -> tuple[float | None, int]:
    if treatment == "exclude_short":
        den = k["offered"] - k["short_abandoned"]
    elif treatment == "exclude_all":
        den = k["answered"]
    else:
        den = k["offered"]
    num = k["answered_within_threshold"] + (k["abandoned_within_threshold"] if treatment == "count_for_within" else 0)
    return ratio(num, den), den


def reference(v: Vendor) -> dict[tuple[date, int], dict]:
    """Expected sla_compliance rows of one vendor: (month, sla_line) -> metric, actual, sample_size, met, counts."""
    out = {}
    for month in sorted({month_of(v, c) for c in v.contacts}):
        in_month = [c for c in v.contacts if month_of(v, c) == month]
        voice = [c for c in in_month if c.channel == "voice"]
        voice_ans = [c for c in voice if c.answered]
        all_ans = [c for c in in_month if c.answered]
        k = counts(voice, v.threshold, v.short)
        rows = {}
        for n, treatment in enumerate(v.treatments, start=1):
            actual, size = service_level(k, treatment)
            rows[n] = dict(metric="service_level", actual=actual, sample_size=size, abandons=treatment, **k)
        rows[5] = dict(metric="abandon_rate", sample_size=k["offered"] - k["short_abandoned"],
                       actual=ratio(k["abandoned"] - k["short_abandoned"], k["offered"] - k["short_abandoned"]))
        rows[6] = dict(metric="asa_seconds", sample_size=len(voice_ans),
                       actual=ratio(sum(c.wait for c in voice_ans), len(voice_ans)))
        rows[7] = dict(metric="aht_seconds", sample_size=len(voice_ans),
                       actual=ratio(sum(c.talk + c.hold + c.wrap for c in voice_ans), len(voice_ans)))
        rows[8] = dict(metric="transfer_rate", sample_size=len(voice_ans),
                       actual=ratio(sum(c.transferred for c in voice_ans), len(voice_ans)))
        rows[9] = dict(metric="fcr_rate", sample_size=len(all_ans),
                       actual=ratio(sum(is_fcr(v, c) for c in all_ans), len(all_ans)))
        rows[10] = dict(metric="complaint_rate", sample_size=len(all_ans),
                        actual=None if not all_ans else 1000.0 * sum(c.complaint for c in all_ans) / len(all_ans))
        for n, r in rows.items():
            target, higher = TARGETS[r["metric"]]
            r["met"] = None if r["actual"] is None else (r["actual"] >= target if higher else r["actual"] <= target)
            out[(month, n)] = r
    return out


def reference_intervals(v: Vendor) -> dict[tuple[str, str, datetime], dict]:
    """Expected sla_interval rows: voice takes SLA line 1's parameters, chat the defaults; email has
    no service_level line, so no threshold applies: threshold, counts against it and service level null."""
    groups: dict[tuple[str, str, datetime], list[Contact]] = {}
    for c in v.contacts:
        groups.setdefault((c.channel, c.queue, interval_of(v, c)), []).append(c)
    out = {}
    for key, cs in groups.items():
        if key[0] == "voice":
            threshold, short, treatment = v.threshold, v.short, v.treatments[0]
        else:
            threshold, short, treatment = 20, 0, "exclude_short"
        k = counts(cs, threshold, short)
        ans = [c for c in cs if c.answered]
        k["service_level"] = service_level(k, treatment)[0]
        if key[0] == "email":
            k.update(answered_within_threshold=None, abandoned_within_threshold=None, service_level=None)
        k["asa_seconds"] = ratio(sum(c.wait for c in ans), len(ans))
        k["aht_seconds"] = ratio(sum(c.talk + c.hold + c.wrap for c in ans), len(ans))
        k["abandons"] = treatment
        k["interval_start_local"] = key[2].astimezone(ZoneInfo(v.tz)).replace(tzinfo=None)
        out[key] = k
    return out


# ---------------------------------------------------------------- comparison

def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


def describe(v: Vendor) -> str:
    rows = [f"{v.vendor_id} tz={v.tz} pivot={v.pivot:%Y-%m-%d %H:%M}Z threshold={v.threshold} short={v.short} "
            f"lines 1-4={v.treatments}"]
    rows += [f"  {v.arrived(c):%Y-%m-%d %H:%M:%S}Z {c}" for c in v.contacts]
    return "\n".join(rows)


def check(con: duckdb.DuckDBPyConnection, vendors: list[Vendor]) -> None:
    marts = query(con, "select * from marts.sla_compliance")
    intervals = query(con, "select * from marts.sla_interval")
    for v in vendors:
        got = {(r["period_month"], r["sla_line"]): r for r in marts if r["vendor_id"] == v.vendor_id}
        want = reference(v)
        assert set(got) == set(want), describe(v)
        for key, w in want.items():
            g = got[key]
            for col, value in w.items():
                assert same(g[col], value) if col in ("actual",) else g[col] == value, (
                    f"{v.vendor_id} {key} {col}: mart {g[col]!r}, reference {value!r}\n{describe(v)}")
        # the ordering of the four treatments, on the mart's own numbers
        for month in {m for m, _ in want}:
            sl = {got[(month, n)]["abandons"]: got[(month, n)]["actual"] for n in (1, 2, 3, 4)}
            # (a null, no sample, is not comparable: offered = short abandons, or nothing answered)
            if sl["count_against"] is not None and sl["exclude_short"] is not None:
                assert sl["count_against"] <= sl["exclude_short"], describe(v)
            if sl["exclude_short"] is not None and sl["exclude_all"] is not None:
                assert sl["exclude_short"] <= sl["exclude_all"], describe(v)
            # answered ≤ offered − short abandons, so a sample for exclude_all implies one for exclude_short
            if sl["exclude_all"] is not None:
                assert sl["exclude_short"] is not None, describe(v)

        got_i = {(r["channel"], r["queue"], r["interval_start"].astimezone(UTC)): r
                 for r in intervals if r["vendor_id"] == v.vendor_id}
        want_i = reference_intervals(v)
        assert set(got_i) == set(want_i), describe(v)
        for key, w in want_i.items():
            g = got_i[key]
            for col, value in w.items():
                ok = same(g[col], value) if col in ("service_level", "asa_seconds", "aht_seconds") else g[col] == value
                assert ok, f"{v.vendor_id} interval {key} {col}: mart {g[col]!r}, reference {value!r}\n{describe(v)}"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """One path for every example: the same BPO_WAREHOUSE and target dir let dbt parse partially (~3 s saved)."""
    return tmp_path_factory.mktemp("sla_properties") / "warehouse.duckdb"


@settings(max_examples=5, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(vendors=vendors_st())
def test_marts_equal_a_recomputation_from_raw(warehouse, vendors):
    warehouse.unlink(missing_ok=True)
    create_raw(warehouse, raw_tables(vendors))
    dbt_build(warehouse, "--select", SELECT)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        check(con, vendors)
    finally:
        con.close()
