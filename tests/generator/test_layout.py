from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

import yaml

from ._helpers import TIMEZONES, fx_rates, interactions, parse_ts, read_rows

VENDORS = ["acme_mx", "pacific_ph", "iberia_es", "inhouse_us"]
MONTHS = ["2026-01", "2026-02", "2026-03"]
EXT = {"acme_mx": "csv", "pacific_ph": "csv.gz", "iberia_es": "parquet", "inhouse_us": "jsonl"}
INTERACTION_COLS = {
    "interaction_id", "channel", "queue", "language", "arrived_at", "answered_at", "ended_at", "talk_seconds",
    "hold_seconds", "wrap_seconds", "agent_id", "transferred", "resolved", "customer_ref", "customer_phone",
    "customer_email", "customer_name", "complaint", "updated_at",
}


def _mtime(p):
    return datetime.fromtimestamp(os.stat(p).st_mtime, tz=timezone.utc)


def test_file_layout(default_out, truth):
    land = default_out / "landing"
    for v in VENDORS:
        for m in MONTHS:
            assert (land / v / "interactions" / f"interactions_{m}.{EXT[v]}").is_file()
            assert (land / v / "surveys" / f"surveys_{m}.csv").is_file()
            assert (land / v / "agent_surveys" / f"agent_surveys_{m}.csv").is_file()
        invoices = sorted(p.name for p in (land / v / "invoices").glob("*")) if (land / v / "invoices").exists() else []
        if v == "inhouse_us":
            assert invoices == []
        else:
            prefix = {"acme_mx": "ACME", "pacific_ph": "PAC", "iberia_es": "IBC"}[v]
            extra = {  # a pilot month before the contract; a revision
                "acme_mx": ["invoice_ACME-2025-12_r0.csv"],
                "iberia_es": ["invoice_IBC-2025-12_r0.csv"],
                "pacific_ph": ["invoice_PAC-2026-02_r1.csv"],
            }[v]
            supp = [n for n in invoices if "-S_" in n]  # supplementary invoices for a period
            assert len(supp) <= 1 and all(n[:-len("-S_r0.csv")] + "_r0.csv" in invoices for n in supp)
            assert invoices == sorted([f"invoice_{prefix}-{m}_r0.csv" for m in MONTHS] + extra + supp)
    assert sum(1 for v in VENDORS for _ in (land / v / "invoices").glob("*-S_r0.csv")) >= 1
    assert [p.name for p in (land / "_shared" / "fx_rates").iterdir()] == ["fx_rates_2025-12-27_2026-03-31.csv"]
    assert {p.name for p in (default_out / "contracts").iterdir()} == {f"{v}.yaml" for v in VENDORS}
    assert [v["vendor_id"] for v in truth["vendors"]] == VENDORS
    for v in truth["vendors"]:
        for f in v["interaction_files"]:
            assert (default_out / f).is_file()
    assert sum(truth["counts"]["interactions"].values()) == 20000


def test_columns_and_counts(default_out, truth):
    land = default_out / "landing"
    for v in VENDORS:
        n = 0
        for f in sorted((land / v / "interactions").iterdir()):
            rows = read_rows(f)
            n += len(rows)
            cols = set(rows[0])
            assert cols - {"vendor_id"} <= INTERACTION_COLS
            assert {"interaction_id", "channel", "queue", "arrived_at", "answered_at", "ended_at"} <= cols
            if "vendor_id" in cols:
                assert {r["vendor_id"] for r in rows} == {v}
            ids = [r["interaction_id"] for r in rows]
            assert len(set(ids)) == len(ids)
        assert n == truth["counts"]["interactions"][v]
        surveys = [r for f in (land / v / "surveys").iterdir() for r in read_rows(f)]
        assert len(surveys) == truth["counts"]["surveys"][v]
        assert set(surveys[0]) == {"survey_id", "interaction_id", "responded_at", "csat", "nps",
                                   "resolved_self_reported", "comment"}
        esat = [r for f in (land / v / "agent_surveys").iterdir() for r in read_rows(f)]
        assert len(esat) == truth["counts"]["agent_surveys"][v]
        assert set(esat[0]) == {"response_id", "agent_id", "site", "responded_at", "esat", "enps"}
        assert all(1 <= int(r["esat"]) <= 5 for r in esat)
        for m in MONTHS:  # one response per sampled agent per month
            agents = [r["agent_id"] for r in read_rows(land / v / "agent_surveys" / f"agent_surveys_{m}.csv")]
            assert len(agents) == len(set(agents)) > 0


def test_surveys_reference_answered_interactions(default_out):
    land = default_out / "landing"
    for v in VENDORS:
        for m in MONTHS:
            inter = {r["interaction_id"]: r for r in interactions(default_out, v, m)}
            surveys = read_rows(land / v / "surveys" / f"surveys_{m}.csv")
            share = len(surveys) / sum(1 for r in inter.values() if r["answered_at"] is not None)
            assert 0.10 < share < 0.20
            for s in surveys:
                i = inter[s["interaction_id"]]
                assert i["answered_at"] is not None
                assert parse_ts(s["responded_at"], TIMEZONES[v]) > i["ended_at"]
                assert s["csat"] == "" or 1 <= int(s["csat"]) <= 5
                assert s["nps"] == "" or 0 <= int(s["nps"]) <= 10
            assert any(s["csat"] == "" for s in surveys)
            assert any(s["comment"] for s in surveys)


def test_arrival_order_mtimes(default_out):
    land = default_out / "landing"
    for v in VENDORS:
        for m in MONTHS:
            y, mo = map(int, m.split("-"))
            month_end = (date(y + mo // 12, mo % 12 + 1, 1) - timedelta(days=1))
            inter = _mtime(next((land / v / "interactions").glob(f"*{m}*")))
            surv = _mtime(land / v / "surveys" / f"surveys_{m}.csv")
            assert inter.date() == month_end + timedelta(days=1)
            assert surv.date() == month_end + timedelta(days=1)
            if v == "pacific_ph":  # this vendor's surveys land before their interactions
                assert surv < inter
            else:
                assert surv > inter
            if v != "inhouse_us":
                inv = _mtime(next((land / v / "invoices").glob(f"*{m}_r0.csv")))
                assert inv.date() == month_end + timedelta(days=5)
                for f in (land / v / "invoices").glob(f"*{m}*.csv"):  # supplementary, revision: later
                    assert _mtime(f) >= inv
                    assert _mtime(f) > max(_mtime(p) for p in (land / v / "surveys").glob(f"*{m}*"))
    pac = land / "pacific_ph" / "invoices"
    assert _mtime(pac / "invoice_PAC-2026-02_r1.csv") > _mtime(pac / "invoice_PAC-2026-02_r0.csv")
    assert _mtime(pac / "invoice_PAC-2026-02_r1.csv") < _mtime(pac / "invoice_PAC-2026-03_r0.csv")


def test_fx_rates(default_out):
    rates = fx_rates(default_out)
    days = sorted({d for d, _ in rates})
    assert days[0] == date(2025, 12, 27) and days[-1] == date(2026, 3, 31)
    assert len(days) == (days[-1] - days[0]).days + 1
    for d in days:
        assert rates[(d, "USD")] == 1
        for cur in ("MXN", "PHP", "EUR"):
            r = rates[(d, cur)]
            assert r > 0 and -r.as_tuple().exponent <= 8
    assert len({rates[(d, "EUR")] for d in days}) > 30  # it moves


def test_contract_yaml_shape(default_out):
    for v in VENDORS:
        c = yaml.safe_load((default_out / "contracts" / f"{v}.yaml").read_text())
        assert c["vendor_id"] == v
        assert set(c) == {"vendor_id", "name", "kind", "timezone", "currency", "versions"}
        ver = c["versions"][0]
        assert ver["effective_from"] == date(2026, 1, 1)
        if v == "pacific_ph":  # renegotiated from the third month
            v1, v2 = c["versions"]
            assert v1["effective_to"] == date(2026, 2, 28) and v2["effective_from"] == date(2026, 3, 1)
            assert v2["effective_to"] is None
        else:
            assert len(c["versions"]) == 1 and ver["effective_to"] is None
        assert ver["tolerance"] == {"quantity_pct": 0.02, "amount_abs": 1.0}
        sl = {s["channel"]: s for s in ver["sla"] if s["metric"] == "service_level"}
        assert set(sl) == {"voice", "chat"}
        if v == "inhouse_us":
            assert c["kind"] == "in_house" and c["currency"] == "USD"
            assert "pricing" not in ver and ver["monthly_cost_base"] > 0
        else:
            assert c["kind"] == "outsourcer"
            assert ver["service_credit_cap_pct"] == (0.05 if v == "iberia_es" else 0.10)
            cats = [p["category"] for p in ver["pricing"]]
            assert cats[:4] == ["handled_contacts", "handled_contacts", "handle_minutes", "training_hours"]
            travel = next(p for p in ver["pricing"] if p["category"] == "travel")
            assert travel["passthrough"] and travel["requires_approval"] and travel["monthly_cap"] > 0
    treatments = {v: yaml.safe_load((default_out / "contracts" / f"{v}.yaml").read_text())["versions"][0]["sla"][0]["abandons"]
                  for v in VENDORS}
    assert treatments == {"acme_mx": "exclude_short", "pacific_ph": "count_against",
                          "iberia_es": "count_for_within", "inhouse_us": "exclude_all"}
    iberia = yaml.safe_load((default_out / "contracts" / "iberia_es.yaml").read_text())
    assert all(t["basis"] == "whole" for t in iberia["versions"][0]["pricing"][0]["tiers"])
