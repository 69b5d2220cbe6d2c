"""Generator option `evidence`: agent_time, self_service and qa_evaluations files, the contracts and invoices that
go with them, and a ground truth that a plain reading of the files reproduces (no generator internals)."""
from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from generator import contracts_for, generate
from generator.worked import worked_seconds_reference

from . import _helpers as h

VENDORS = ("acme_mx", "pacific_ph", "iberia_es", "inhouse_us")
EXT = {"acme_mx": "csv", "pacific_ph": "csv.gz", "iberia_es": "parquet", "inhouse_us": "jsonl"}
MONTHS = ("2026-01", "2026-02", "2026-03")
# sha256 over (relative path, file sha256, mtime) of generate(out, seed=42, scale=2000), taken with the generator
# of commit 73416f0, before the evidence option existed: the output without evidence must stay byte-identical.
# The contracts' first comment line then said "written by ingestion.generator"; the package moved to `generator`,
# so the value is that commit's output with only that comment rewritten (mtimes kept).
# (Should a numpy/polars/pyarrow upgrade change the bytes, recompute the value with that commit's generator in a
# `git worktree` and the new libraries, rather than from the current code.)
DEFAULT_SHA256 = "2f6ded3b094930ba79dfe70913de04c4e5564da1088e1b62ad60b3e2b6fded37"


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            digest.update(p.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(p.read_bytes()).digest())
            digest.update(str(int(p.stat().st_mtime)).encode() + b"\0")
    return digest.hexdigest()


def test_default_output_is_unchanged(tmp_path):
    generate(tmp_path, seed=42, scale=2000, evidence=False)
    assert tree_hash(tmp_path) == DEFAULT_SHA256
    assert not any("worked_time" in text for text in contracts_for(evidence=False).values())


@pytest.fixture(scope="module")
def ev(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen_evidence")
    truth = generate(out, seed=42, scale=20000, evidence=True)
    return out, truth


def test_evidence_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, outsourcers=2, months=2, seed=5, scale=3000, evidence=True)
    generate(b, outsourcers=2, months=2, seed=5, scale=3000, evidence=True)
    assert tree_hash(a) == tree_hash(b)
    assert any((a / "landing/acme_mx/agent_time").iterdir())


def test_file_names_and_formats(ev):
    out, truth = ev
    for v in VENDORS:
        for feed, stem in (("agent_time", "agent_time"), ("self_service", "self_service"),
                           ("qa_evaluations", "qa_evaluations")):
            names = sorted(p.name for p in (out / "landing" / v / feed).iterdir())
            want = [f"{stem}_{m}.{EXT[v]}" for m in MONTHS]
            if feed == "agent_time":
                want.append(f"agent_time_2026-01_corrections.{EXT[v]}")
            assert names == sorted(want), (v, feed)
    cols = set(h.read_rows(out / "landing/acme_mx/agent_time/agent_time_2026-01.csv")[0])
    assert cols == {"record_id", "agent_id", "site", "state", "started_at", "ended_at"}
    row = h.read_rows(out / "landing/inhouse_us/qa_evaluations/qa_evaluations_2026-02.jsonl")[0]
    assert row["vendor_id"] == "inhouse_us" and row["evaluated_at"].endswith("Z")
    # the corrections file lands after the month file
    at = out / "landing/iberia_es/agent_time"
    assert os.stat(at / "agent_time_2026-01_corrections.parquet").st_mtime > os.stat(at / "agent_time_2026-01.parquet").st_mtime


def test_contracts_carry_worked_time_and_the_new_lines(ev):
    out, _ = ev
    c = {v: h.load_contract(out / "contracts" / f"{v}.yaml") for v in VENDORS}
    for v in VENDORS:
        for version in c[v]["versions"]:
            wt = version["worked_time"]
            assert set(wt["states"].values()) == {"productive", "training", "paid_other", "unpaid"}
            assert wt["fte_hours_per_month"] > 0
    cats = {v: {(p["category"], p.get("channel"), p.get("unit")) for p in c[v]["versions"][0].get("pricing", [])}
            for v in VENDORS}
    assert {("productive_hours", None, "hour"), ("training_hours", None, "hour"),
            ("contained_sessions", "ivr", "session")} <= cats["acme_mx"]
    assert ("fte_months", None, "fte_month") in cats["pacific_ph"]
    assert ("resolved_contacts", None, "contact") in cats["iberia_es"]
    metrics = {v: {s["metric"] for s in c[v]["versions"][-1]["sla"]} for v in VENDORS}
    assert "containment_rate" in metrics["acme_mx"]
    assert {"qa_score", "qa_auto_fail_rate", "qa_calibration_gap"} <= metrics["pacific_ph"]
    assert "on_call" in c["acme_mx"]["versions"][0]["worked_time"]["states"]  # vendor-specific state names


# ---------------------------------------------------------------- plain readings of the files

def agent_time_records(out: Path, vendor: str) -> list[dict]:
    """Final records (latest landed file wins per record_id), classified by the contract."""
    tz = h.TIMEZONES[vendor]
    states = h.load_contract(out / "contracts" / f"{vendor}.yaml")["versions"][0]["worked_time"]["states"]
    files = sorted((out / "landing" / vendor / "agent_time").iterdir(), key=lambda p: os.stat(p).st_mtime)
    final = {}
    for f in files:
        for r in h.read_rows(f):
            final[r["record_id"]] = {"record_id": r["record_id"], "agent_id": r["agent_id"], "site": r["site"],
                                     "cls": states[r["state"]],
                                     "start": int(h.parse_ts(r["started_at"], tz).timestamp()),
                                     "end": int(h.parse_ts(r["ended_at"], tz).timestamp())}
    return list(final.values())


def answered_by_agent(out: Path, vendor: str, months=MONTHS) -> dict[str, dict[str, list[int]]]:
    """month -> agent -> handle seconds of each answered contact."""
    res: dict[str, dict[str, list[int]]] = {}
    for m in months:
        res[m] = defaultdict(list)
        for r in h.interactions(out, vendor, m):
            if r["answered_at"] is not None:
                res[m][r["agent_id"]].append(r["talk_seconds"] + r["hold_seconds"] + r["wrap_seconds"])
    return res


@pytest.mark.parametrize("vendor", VENDORS)
def test_worked_time_from_the_files_equals_the_ground_truth(ev, vendor):
    check_worked_time(*ev, vendor, MONTHS)


@pytest.fixture(scope="module")
def autumn(tmp_path_factory):
    """October-November: the European (25 Oct) and American (1 Nov) fall-back nights."""
    out = tmp_path_factory.mktemp("gen_autumn")
    return out, generate(out, outsourcers=3, months=2, seed=13, scale=3000, start="2026-10", evidence=True)


@pytest.mark.parametrize("vendor", ["iberia_es", "inhouse_us"])
def test_worked_time_across_the_autumn_dst_night(autumn, vendor):
    out, truth = autumn
    q = next(q for q in truth["evidence_quirks"] if q["vendor_id"] == vendor and q["kind"] == "dst_night")
    assert (q["elapsed_seconds"], q["wall_clock_seconds"]) == (6 * 3600, 5 * 3600)
    check_worked_time(out, truth, vendor, ("2026-10", "2026-11"))


def check_worked_time(out: Path, truth: dict, vendor: str, months) -> None:
    recs = agent_time_records(out, vendor)
    site = {r["agent_id"]: r["site"] for r in recs}
    cells = worked_seconds_reference(recs, h.TIMEZONES[vendor])
    answered = answered_by_agent(out, vendor, months)
    fte_hours = h.load_contract(out / "contracts" / f"{vendor}.yaml")["versions"][0]["worked_time"]["fte_hours_per_month"]
    rows = [w for w in truth["worked_time"] if w["vendor_id"] == vendor]
    site_rows = {(w["period_month"], w["site"]): w for w in truth["workforce"] if w["vendor_id"] == vendor}
    assert [w["period_month"] for w in rows] == list(months)
    for w in rows:
        m = w["period_month"]
        for scope, want in [(None, w)] + [(s, site_rows[(m, s)]) for s in sorted({*site.values()})]:
            mine = {a: c for (a, mk), c in cells.items() if mk == m and (scope is None or site[a] == scope)}
            tot = {k: sum(c.get(k, 0) for c in mine.values()) for k in ("productive", "training", "paid_other", "unpaid",
                                                                      "overlap")}
            paid = tot["productive"] + tot["training"] + tot["paid_other"]
            for k in ("productive", "training", "paid_other", "unpaid"):
                assert want[f"{k}_seconds"] == tot[k], (m, scope, k)
            assert want["overlap_seconds"] == tot["overlap"]
            assert Decimal(want["paid_hours"]) == Decimal(paid) / 3600
            assert Decimal(want["delivered_fte"]) == Decimal(paid) / Decimal(3600 * fte_hours)
            assert Decimal(want["shrinkage"]) == 1 - Decimal(tot["productive"]) / Decimal(paid)
            paid_agents = {a for a, c in mine.items() if c.get("productive", 0) + c.get("training", 0)
                           + c.get("paid_other", 0) > 0}
            in_scope = {a: v for a, v in answered[m].items() if scope is None or site.get(a) == scope}
            handle = sum(sum(v) for v in in_scope.values())
            assert want["handle_seconds"] == handle
            assert Decimal(want["occupancy"]) == Decimal(handle) / Decimal(tot["productive"])
            assert want["agents"] == len(paid_agents)
            assert want["agents_without_contacts"] == len(paid_agents - set(in_scope))
        assert 0.6 < float(w["occupancy"]) < 0.95  # sensible occupancy
    # every agent who answered a contact has worked time that month; every agent in agent_time answers contacts
    for m in months:
        worked = {a for (a, mk) in cells if mk == m}
        assert set(answered[m]) <= worked
    assert {r["agent_id"] for r in recs} <= {a for m in months for a in answered[m]}
    assert rows[0]["agents_without_contacts"] >= 1  # the new hires, in training in the first month


def test_quirks_are_in_the_files_and_change_the_hours(ev):
    out, truth = ev
    kinds = defaultdict(set)
    for q in truth["evidence_quirks"]:
        kinds[q["vendor_id"]].add(q["kind"])
    common = {"duplicate_overlap", "start_tie", "month_end", "corrected_in_later_file"}
    assert kinds["acme_mx"] == kinds["pacific_ph"] == common  # Monterrey and Manila keep one offset all year
    assert kinds["iberia_es"] == kinds["inhouse_us"] == common | {"dst_night"}
    for q in truth["evidence_quirks"]:
        if q["kind"] == "dst_night":
            assert (q["elapsed_seconds"], q["wall_clock_seconds"]) == (4 * 3600, 5 * 3600)
    # the corrected record: its wrong version (2 h longer) is in the month file, the true one in the later file
    q = next(q for q in truth["evidence_quirks"] if q["vendor_id"] == "acme_mx" and q["kind"] == "corrected_in_later_file")
    tz = h.TIMEZONES["acme_mx"]
    at = out / "landing/acme_mx/agent_time"
    first = [r for r in h.read_rows(at / "agent_time_2026-01.csv") if r["record_id"] == q["record_id"]]
    fix = [r for r in h.read_rows(at / "agent_time_2026-01_corrections.csv") if r["record_id"] == q["record_id"]]
    assert len(first) == len(fix) == 1
    delta = h.parse_ts(first[0]["ended_at"], tz) - h.parse_ts(fix[0]["ended_at"], tz)
    assert delta.total_seconds() == 7200


@pytest.mark.parametrize("vendor", VENDORS)
def test_self_service_from_the_files_equals_the_ground_truth(ev, vendor):
    out, truth = ev
    tz = h.TIMEZONES[vendor]
    ids = {}
    handled = {}
    for m in MONTHS:
        rows = h.interactions(out, vendor, m)
        handled[m] = sum(r["answered_at"] is not None for r in rows)
        ids.update({r["interaction_id"]: r for r in rows})
    counts: dict = defaultdict(lambda: defaultdict(int))
    for f in (out / "landing" / vendor / "self_service").iterdir():
        for r in h.read_rows(f):
            start = h.parse_ts(r["started_at"], tz)
            m = start.astimezone(h.ZoneInfo(tz)).strftime("%Y-%m")
            counts[(m, r["channel"])][r["outcome"]] += 1
            if r["outcome"] == "transferred":
                target = ids[r["interaction_id"]]  # transferred to an interaction that exists
                assert h.parse_ts(r["ended_at"], tz) <= target["arrived_at"]
            else:
                assert not r["interaction_id"]
    for row in (r for r in truth["self_service"] if r["vendor_id"] == vendor):
        c = counts[(row["period_month"], row["channel"])]
        n = sum(c.values())
        assert (row["sessions"], row["contained"], row["transferred"], row["abandoned"]) == (
            n, c["contained"], c["transferred"], c["abandoned"])
        assert Decimal(row["containment_rate"]) == Decimal(c["contained"]) / Decimal(n)
        assert Decimal(row["transfer_rate"]) == Decimal(c["transferred"]) / Decimal(n)
        assert Decimal(row["self_service_share"]) == Decimal(c["contained"]) / Decimal(c["contained"] + handled[row["period_month"]])


@pytest.mark.parametrize("vendor", VENDORS)
def test_quality_from_the_files_equals_the_ground_truth(ev, vendor):
    out, truth = ev
    tz = h.TIMEZONES[vendor]
    evals = []
    for f in (out / "landing" / vendor / "qa_evaluations").iterdir():
        for r in h.read_rows(f):
            t = h.parse_ts(r["evaluated_at"], tz)
            af = h.as_bool(r["auto_fail"])
            value = Fraction(0) if af else Fraction(Decimal(str(r["score"]))) / Fraction(Decimal(str(r["max_score"])))
            evals.append({"month": t.astimezone(h.ZoneInfo(tz)).strftime("%Y-%m"), "t": t, "agent": r["agent_id"],
                          "iid": r["interaction_id"], "side": r["evaluator_side"], "af": af, "v": value,
                          "cal": h.as_bool(r["calibration"])})
    complaints, handled = defaultdict(int), defaultdict(int)
    for m in MONTHS:
        for r in h.interactions(out, vendor, m):
            if r["answered_at"] is not None:
                handled[m] += 1
                complaints[m] += bool(r["complaint"])
    by_int = defaultdict(list)
    for e in evals:
        by_int[e["iid"]].append(e)
    gaps = defaultdict(list)
    for es in by_int.values():
        v = [e["v"] for e in es if e["side"] == "vendor"]
        c = [e for e in es if e["side"] == "client"]
        if v and c:
            month = max(c, key=lambda e: e["t"])["month"]
            gaps[month].append(abs(sum(v) / len(v) - sum(e["v"] for e in c) / len(c)))
    rows = {r["period_month"]: r for r in truth["quality"] if r["vendor_id"] == vendor and r["grain"] == "vendor"}
    assert sorted(rows) == list(MONTHS)
    for m, row in rows.items():
        scored = [e for e in evals if e["month"] == m and not e["cal"]]
        assert row["evaluations"] == len(scored)
        assert Decimal(row["qa_score"]) == _d(sum(e["v"] for e in scored) / len(scored))
        assert Decimal(row["auto_fail_rate"]) == _d(Fraction(sum(e["af"] for e in scored), len(scored)))
        assert row["calibration_pairs"] == len(gaps[m]) > 0
        assert Decimal(row["calibration_gap"]) == _d(sum(gaps[m]) / len(gaps[m]))
        assert row["complaints"] == complaints[m]
        assert Decimal(row["complaint_rate"]) == _d(Fraction(complaints[m] * 1000, handled[m]))
    # agent grain adds up to the vendor grain
    for m, row in rows.items():
        agents = [r for r in truth["quality"] if r["vendor_id"] == vendor and r["grain"] == "agent"
                  and r["period_month"] == m]
        assert sum(r["evaluations"] for r in agents) == row["evaluations"]
        assert sum(r["complaints"] for r in agents) == row["complaints"]
        assert sum(r["calibration_pairs"] for r in agents) == row["calibration_pairs"]


def _d(f: Fraction) -> Decimal:
    return Decimal(f.numerator) / Decimal(f.denominator)


def test_injected_evidence_overbilling(ev):
    """Each evidence defect's amount from the invoice file and the evidence; one case of each worked by hand:

    - acme_mx 2026-01 productive_hours: billed 249.40 h; worked 850,240 s productive = 236.1777... h;
      (249.40 - 236.1777...) x MXN 310.00 = 47,600 s / 3600 x 310 = 4,098.8889 (beyond 2 %: 5.6 %).
    - pacific_ph 2026-02 fte_months: billed 1.78; paid 1,016,056 s / (170 h x 3600) = 1.66022... FTE;
      (1.78 - 1.66022...) x PHP 78,000 = 73,304 / 612,000 x 78,000 = 9,342.6667.
    - iberia_es 2026-03 resolved_contacts: billed 1,252, resolved 1,170: 82 x EUR 0.90 = 73.8000.
    - acme_mx 2026-03 contained_sessions (ivr): billed 422, contained 394: 28 x MXN 3.80 = 106.4000.
    - acme_mx 2026-02 training_hours: billed 10.61 h = 38,196 s vs 37,916 s worked: 280 s over = 0.74 %, within
      the 2 % tolerance: no finding (listed in evidence_checks).
    """
    out, truth = ev
    qv = {(d["vendor_id"], d["period_month"], _category(out, d)): d for d in truth["defects"]
          if d["finding"] == "quantity_variance"}
    assert qv[("acme_mx", "2026-01", "productive_hours")]["amount_at_risk"] == "4098.8889"
    assert qv[("pacific_ph", "2026-02", "fte_months")]["amount_at_risk"] == "9342.6667"
    assert qv[("iberia_es", "2026-03", "resolved_contacts")]["amount_at_risk"] == "73.8000"
    assert qv[("acme_mx", "2026-03", "contained_sessions")]["amount_at_risk"] == "106.4000"
    assert not any(k[2] == "training_hours" for k in qv)
    w = {(r["vendor_id"], r["period_month"]): r for r in truth["worked_time"]}
    assert w[("acme_mx", "2026-01")]["productive_seconds"] == 850240
    assert w[("pacific_ph", "2026-02")]["paid_seconds"] == 1016056
    assert w[("acme_mx", "2026-02")]["training_seconds"] == 37916
    check = [c for c in truth["evidence_checks"] if c["injected"]]
    assert [(c["vendor_id"], c["period_month"], c["category"], c["billed_quantity"]) for c in check] == [
        ("acme_mx", "2026-02", "training_hours", "10.61")]
    # billed_vs_worked agrees with the findings and with the invoice files
    for r in truth["billed_vs_worked"]:
        d = qv.get((r["vendor_id"], r["period_month"], r["category"]))
        assert r["finding"] == (d is not None)
        if d is not None:
            assert r["amount_at_risk"] == d["amount_at_risk"]
            billed = Decimal(r["billed_quantity"])
            assert billed == _billed(out, r["vendor_id"], r["period_month"], r["category"])
            assert billed > Decimal(r["evidenced_quantity"]) * Decimal("1.02")


def _lines(out: Path, vendor: str, month: str) -> list[dict]:
    latest: dict[str, list[dict]] = {}
    for f in (out / "landing" / vendor / "invoices").iterdir():
        lines = h.invoice_lines(f)
        if lines and lines[0]["period_end"].strftime("%Y-%m") == month:
            iid = lines[0]["invoice_id"]
            if iid not in latest or latest[iid][0]["revision"] < lines[0]["revision"]:
                latest[iid] = lines
    return [ln for lines in latest.values() for ln in lines]


def _category(out: Path, d: dict) -> str:
    return next(ln["category"] for ln in _lines(out, d["vendor_id"], d["period_month"])
                if ln["invoice_id"] == d["invoice_id"] and ln["line_id"] == d["line_id"])


def _billed(out: Path, vendor: str, month: str, category: str) -> Decimal:
    return sum((ln["quantity"] for ln in _lines(out, vendor, month) if ln["category"] == category), Decimal(0))


def test_evidence_sla_lines_are_evaluated(ev):
    _, truth = ev
    rows = [s for s in truth["sla"] if s["metric"] in ("qa_score", "qa_auto_fail_rate", "qa_calibration_gap",
                                                       "containment_rate")]
    assert {(s["vendor_id"], s["metric"]) for s in rows} == {
        ("acme_mx", "containment_rate"), ("pacific_ph", "qa_score"), ("pacific_ph", "qa_auto_fail_rate"),
        ("pacific_ph", "qa_calibration_gap")}
    for s in rows:
        assert s["sample_size"] > 0
        actual, target = Decimal(s["actual_exact"]), Decimal(s["target"])
        assert s["met"] == (actual >= target if s["metric"] in ("qa_score", "containment_rate") else actual <= target)
    qa = [s for s in rows if s["metric"] == "qa_score"]
    assert all(s["evaluator_side"] == "client" for s in qa)


def test_cli_flag(tmp_path, capsys):
    from generator.__main__ import main

    assert main(["--contracts-only", str(tmp_path / "off"), "--no-evidence"]) == 0
    assert main(["--contracts-only", str(tmp_path / "on"), "--evidence"]) == 0
    off = (tmp_path / "off" / "pacific_ph.yaml").read_text()
    on = (tmp_path / "on" / "pacific_ph.yaml").read_text()
    assert "worked_time" not in off and "fte_months" not in off
    assert "worked_time:" in on and "fte_hours_per_month: 170" in on and "category: fte_months" in on
    # the repo's contracts follow the default (evidence on)
    repo = Path(__file__).resolve().parents[2] / "contracts"
    assert (repo / "pacific_ph.yaml").read_text() == on
