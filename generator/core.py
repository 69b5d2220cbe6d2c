"""`generate()`: the whole synthetic data set plus its ground-truth manifest."""

from __future__ import annotations

import gzip
import json
import math
import os
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from . import kpis as kpimod
from .contract_model import Sizing, build_contract, contract_yaml, version_in_force
from .fx import REPORTING_CURRENCY, FxTable
from .interactions import MonthRows, frame, generate_month
from . import evidence_truth
from .evidence_run import EVIDENCE_SOURCE, VendorEvidence
from .invoices import (EVIDENCE_CATEGORIES, FINDINGS, Bill, Invoice, Observed, audit, bill_fees, clean_invoice, credit_due,
                       evaluate_defects, inject_defects, invoice_csv, invoice_rows, pilot_invoice)
from .people import CustomerPool
from .periods import Month, add_days, allocate, month_list
from .pricing import money4, round4
from .surveys import generate_agent_surveys, generate_surveys
from .vendors import INHOUSE, OUTSOURCERS, VendorProfile, select_vendors

DEFAULTS = {"outsourcers": 3, "months": 3, "seed": 42, "scale": 20000, "start": "2026-01", "evidence": True}

# stable stream ids (independent of how many vendors are generated)
_VENDOR_STREAM = {p.vendor_id: i for i, p in enumerate((*OUTSOURCERS, INHOUSE))}
_PURPOSE = {"customers": 1, "behaviour": 2, "month": 3, "surveys": 4, "esat": 5, "invoice": 6, "defects": 7, "fx": 8,
            "pilot": 9}
# streams of the evidence feeds (option `evidence`), apart from the ones above so the rest stays the same
_EV_PURPOSE = {"remap": 20, "shifts": 21, "self_service": 22, "qa": 23, "quirks": 24, "overbill": 25}
# arrays kept per vendor-month for the SLA ground truth (FCR needs the following month)
_SLIM = ("channel", "queue", "arrived", "wait", "answered", "talk", "hold", "wrap", "resolved", "cust", "has_ref")
EXT = {"csv": "csv", "csv.gz": "csv.gz", "parquet": "parquet", "jsonl": "jsonl"}


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), *keys]))


def _ts(d: date, hour: int, minute: int = 0) -> float:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=timezone.utc).timestamp()


def _set_mtime(path: Path, t: float) -> None:
    os.utime(path, (t, t))


def _write(path: Path, data: bytes, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    _set_mtime(path, mtime)


def vendor_sizing(vendors: list[VendorProfile], months: list[Month], scale: int) -> tuple[list[list[int]], dict]:
    alloc = allocate(scale, [p.volume_weight for p in vendors], months)
    sizing = {p.vendor_id: Sizing(offered=sum(alloc[i]) / len(months)) for i, p in enumerate(vendors)}
    return alloc, sizing


def contracts_for(outsourcers: int = 3, months: int = 3, scale: int = 20000, start: str = "2026-01",
                  evidence: bool = DEFAULTS["evidence"]) -> dict[str, str]:
    """vendor_id -> contract YAML text (contracts do not depend on the seed)."""
    vendors = select_vendors(outsourcers)
    mlist = month_list(start, months)
    _, sizing = vendor_sizing(vendors, mlist, scale)
    return {p.vendor_id: contract_yaml(build_contract(p, mlist[0].first, sizing[p.vendor_id], evidence))
            for p in vendors}


def write_contracts(dest: Path, outsourcers: int = 3, months: int = 3, scale: int = 20000,
                    start: str = "2026-01", evidence: bool = DEFAULTS["evidence"]) -> list[Path]:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for vid, text in contracts_for(outsourcers, months, scale, start, evidence).items():
        path = dest / f"{vid}.yaml"
        path.write_text(text)
        out.append(path)
    return out


def _defect_plan(invoices: list[tuple[str, Month, int]], feasible) -> dict[tuple[str, str], list[str]]:
    """Spread the finding types over the outsourcer invoices: each invoice gets `per` types, the least used
    feasible ones first, preferring types not yet placed in that month or on that vendor (then round-robin
    order), so each type lands on several vendors, months and currencies."""
    n = len(invoices)
    if n == 0:
        return {}
    per = min(len(FINDINGS), max(2, math.ceil(3 * len(FINDINGS) / n)))
    counts = dict.fromkeys(FINDINGS, 0)
    in_month: dict[int, set] = {}
    on_vendor: dict[str, set] = {}
    plan, ptr = {}, 0
    for vid, m, mi in invoices:
        chosen: list[str] = []
        for _ in range(per):
            cands = [f for f in FINDINGS if f not in chosen and feasible(f, vid, mi)]
            if not cands:
                break
            f = min(cands, key=lambda f: (counts[f], f in in_month.get(mi, ()), f in on_vendor.get(vid, ()),
                                          (FINDINGS.index(f) - ptr) % len(FINDINGS)))
            chosen.append(f)
            counts[f] += 1
            in_month.setdefault(mi, set()).add(f)
            on_vendor.setdefault(vid, set()).add(f)
            ptr = FINDINGS.index(f) + 1
        plan[(vid, m.key)] = chosen
    return plan


FRAME_CHUNK = 250_000  # rows formatted at a time (bounds memory for large vendor-months)


def _write_frames(path: Path, fmt: str, frames) -> None:
    """Write an iterator of same-shaped frames as one file (deterministic bytes)."""
    with open(path, "wb") as fh:
        if fmt == "parquet":
            writer = None
            for df in frames:
                t = df.to_arrow()
                if writer is None:
                    schema = t.schema
                    writer = pq.ParquetWriter(fh, schema, compression="zstd")
                writer.write_table(t.cast(schema))
            if writer is not None:
                writer.close()
        elif fmt == "csv.gz":
            with gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=3, mtime=0) as gz:
                for i, df in enumerate(frames):
                    df.write_csv(gz, include_header=i == 0)
        elif fmt == "csv":
            for i, df in enumerate(frames):
                df.write_csv(fh, include_header=i == 0)
        elif fmt == "jsonl":
            for df in frames:
                df.write_ndjson(fh)
        else:
            raise ValueError(fmt)


def _write_interactions(p: VendorProfile, rows, pool, folder: Path, month: Month, rows_per_file: int | None,
                        mtime: float) -> list[Path]:
    n = rows.n
    per = n if not rows_per_file or rows_per_file >= n else rows_per_file
    parts = max(1, math.ceil(n / per)) if n else 1
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in range(parts):
        lo, hi = part * per, min(n, (part + 1) * per)
        name = f"interactions_{month.key}" + (f"_p{part + 1:03d}" if parts > 1 else "") + "." + EXT[p.interactions_format]
        path = folder / name
        bounds = [(a, min(hi, a + FRAME_CHUNK)) for a in range(lo, hi, FRAME_CHUNK)] or [(lo, hi)]
        _write_frames(path, p.interactions_format, (frame(rows, pool, a, b) for a, b in bounds))
        _set_mtime(path, mtime + 60 * part)
        paths.append(path)
    return paths


def _vendor_data(p: VendorProfile, vi: int, contract: dict, mlist: list[Month], alloc, sizing, seed: int,
                 attempt: int, landing: Path, out_dir: Path, rows_per_file: int | None,
                 evidence: bool = False) -> dict[str, Any]:
    """Interactions, surveys and agent surveys of one vendor (files written), its KPIs and SLA results.

    `attempt` > 0 re-draws the vendor's data (used when an SLA actual lands exactly on its target or an FCR
    repeat exactly on the window's edge, where rounding could flip `met`)."""
    vs = _VENDOR_STREAM[p.vendor_id] + 100 * attempt
    total = sum(alloc[vi])
    pool = CustomerPool(p.market, max(50, int(total * 0.4)), _rng(seed, vs, _PURPOSE["customers"]),
                        ref_base=(_VENDOR_STREAM[p.vendor_id] + 1) * 10**8)
    n_agents = int(min(5000, max(20, round(sizing[p.vendor_id].offered * 0.93 / 700))))
    behaviour = _rng(seed, vs, _PURPOSE["behaviour"])
    wait_factors = [{c: float(np.exp(behaviour.normal(0.0, p.wait_month_sigma))) for c in ("voice", "chat")}
                    for _ in mlist]
    vs0 = _VENDOR_STREAM[p.vendor_id]
    ventry = {"vendor_id": p.vendor_id, "kind": p.kind, "timezone": p.timezone, "currency": p.currency,
              "interaction_files": [], "survey_files": [], "agent_survey_files": [], "invoice_files": []}
    counts = {"interactions": 0, "surveys": 0, "agent_surveys": 0, "invoice_lines": 0}
    slim, sstats_all, observed, kpis, versions = [], [], [], [], []
    evd = None
    if evidence:
        evd = VendorEvidence(p, mlist, n_agents, lambda name, *k: _rng(seed, vs, _EV_PURPOSE[name], *k), landing,
                             out_dir, ventry, counts, pool, _write_frames, _ts, _set_mtime, EXT[p.interactions_format],
                             7 * vs0)
    for mi, month in enumerate(mlist):
        version = version_in_force(contract, month.first)
        versions.append(version)
        n = alloc[vi][mi]
        arrive_day = add_days(month.last, 1)
        rows = generate_month(p, month, n, _rng(seed, vs, _PURPOSE["month"], mi), pool, n_agents, wait_factors[mi])
        if evd is not None:
            evd.before_write(mi, rows)
        paths = _write_interactions(p, rows, pool, landing / p.vendor_id / "interactions", month, rows_per_file,
                                    _ts(arrive_day, 6, 7 * vs0))
        ventry["interaction_files"] += [pp.relative_to(out_dir).as_posix() for pp in paths]
        counts["interactions"] += rows.n

        # surveys (one vendor's land before the month's interactions)
        sdf, sstats = generate_surveys(rows, _rng(seed, vs, _PURPOSE["surveys"], mi), pool)
        spath = landing / p.vendor_id / "surveys" / f"surveys_{month.key}.csv"
        spath.parent.mkdir(parents=True, exist_ok=True)
        sdf.write_csv(spath)
        _set_mtime(spath, _ts(arrive_day, 2, 30) if p.surveys_early else _ts(arrive_day, 7, 7 * vs0))
        ventry["survey_files"].append(spath.relative_to(out_dir).as_posix())
        counts["surveys"] += sdf.height

        adf = generate_agent_surveys(p, month, n_agents, _rng(seed, vs, _PURPOSE["esat"], mi))
        apath = landing / p.vendor_id / "agent_surveys" / f"agent_surveys_{month.key}.csv"
        apath.parent.mkdir(parents=True, exist_ok=True)
        adf.write_csv(apath)
        _set_mtime(apath, _ts(add_days(month.last, 2), 8, 7 * vs0))
        ventry["agent_survey_files"].append(apath.relative_to(out_dir).as_posix())
        counts["agent_surveys"] += adf.height

        for ch in ("voice", "chat"):
            sl = kpimod.sl_line(version, ch)
            if sl is not None:
                kpis.append(kpimod.channel_kpis(rows, ch, sl))
        a = rows.arrays
        ans, ch_ = a["answered"], a["channel"]
        observed.append(Observed(
            voice=int((ans & (ch_ == 0)).sum()), chat=int((ans & (ch_ == 1)).sum()),
            email=int((ans & (ch_ == 2)).sum()),
            email_handle_seconds=int((a["talk"] + a["hold"] + a["wrap"])[ans & (ch_ == 2)].sum()),
        ))
        if evd is not None:
            evd.month(mi, month, rows)
        slim.append(MonthRows(p, month, {k: a[k] for k in _SLIM}))
        sstats_all.append(sstats)
        del rows, a

    windows = sorted({int(s.get("repeat_window_days") or 7) for v in contract["versions"] for s in v.get("sla", [])
                      if s["metric"] == "fcr_rate"})
    # a next contact exactly at the window's edge is a repeat here as in the pipeline (within = at most
    # window_days x 86,400 s later; tests/dbt/test_sla_compliance.py f9/f10), so it needs no re-draw: at
    # 100M contacts a year some always land there, and re-drawing never ended
    fcr = {w: kpimod.first_contact_resolution(slim, w) for w in windows}
    sla = []
    for mi in range(len(mlist)):
        sla.append(kpimod.sla_results(slim[mi], versions[mi], sstats_all[mi], {w: fcr[w][mi] for w in windows}))
    ev_truth = evd.finish(versions, sla) if evd is not None else None
    if evd is not None:
        observed = [Observed(o.voice, o.chat, o.email, o.email_handle_seconds, evd.observed(mi))
                    for mi, o in enumerate(observed)]
    ties = sum(s.pop("at_target") for month_sla in sla for s in month_sla)
    return {"ventry": ventry, "counts": counts, "observed": observed, "kpis": kpis, "sla": sla, "ties": ties,
            "versions": versions, "evidence": ev_truth}


def generate(out_dir: Path, outsourcers: int = 3, months: int = 3, seed: int = 42, scale: int = 20000,
             start: str = "2026-01", rows_per_file: int | None = None,
             evidence: bool = DEFAULTS["evidence"]) -> dict[str, Any]:
    """Write the synthetic data set under `out_dir` and return the ground-truth manifest.

    `evidence` adds the agent_time, self_service and qa_evaluations feeds, the contract sections that price
    and check against them (worked_time, hour/FTE/outcome/self-service lines, QA and containment SLAs), invoices
    billed from them with overbilling injected, and their ground truth (README "Evidence").

    Layout: contracts/<vendor>.yaml, landing/<vendor>/<feed>/<file>, landing/_shared/fx_rates/<file>,
    ground_truth.json. `rows_per_file` splits a vendor-month's interactions into several files.
    """
    out_dir = Path(out_dir)
    if scale < 1:
        raise ValueError("scale must be >= 1")
    vendors = select_vendors(outsourcers)
    mlist = month_list(start, months)
    alloc, sizing = vendor_sizing(vendors, mlist, scale)
    landing = out_dir / "landing"

    # ---- contracts ------------------------------------------------------
    contracts = {p.vendor_id: build_contract(p, mlist[0].first, sizing[p.vendor_id], evidence) for p in vendors}
    for vid, c in contracts.items():
        _write(out_dir / "contracts" / f"{vid}.yaml", contract_yaml(c).encode(), _ts(add_days(mlist[0].first, -10), 12))

    # ---- fx -------------------------------------------------------------
    fx = FxTable(mlist, _rng(seed, _PURPOSE["fx"]))
    _write(landing / "_shared" / "fx_rates" / fx.file_name, fx.csv_bytes(), _ts(add_days(fx.last, 1), 1))

    truth: dict[str, Any] = {
        "generator": {"seed": seed, "scale": scale, "outsourcers": outsourcers, "months": months, "start": start},
        "reporting_currency": REPORTING_CURRENCY,
        "vendors": [], "defects": [], "kpis": [], "sla": [], "credits": [], "invoice_revisions": [],
        "counts": {"interactions": {}, "surveys": {}, "agent_surveys": {}, "invoice_lines": {}},
    }
    if evidence:  # keys only in evidence mode: the default manifest stays byte-identical
        truth["generator"]["evidence"] = True
        for k in ("worked_time", "workforce", "self_service", "quality", "billed_vs_worked", "evidence_checks",
                  "evidence_quirks", "scorecard"):
            truth[k] = []
        for k in ("agent_time", "self_service", "qa_evaluations"):
            truth["counts"][k] = {}

    # ---- interactions, surveys, KPIs and SLA results ----------------------
    data: dict[str, dict] = {}
    for vi, p in enumerate(vendors):
        for attempt in range(50):
            vd = _vendor_data(p, vi, contracts[p.vendor_id], mlist, alloc, sizing, seed, attempt, landing, out_dir,
                              rows_per_file, evidence)
            if not vd["ties"]:
                break
        else:
            raise RuntimeError(f"{p.vendor_id}: SLA actuals keep landing exactly on a target")
        vd["attempts"] = attempt + 1
        data[p.vendor_id] = vd
        truth["kpis"] += vd["kpis"]
        for month_sla in vd["sla"]:
            truth["sla"] += month_sla
        if vd["evidence"] is not None:
            for k, rows in vd["evidence"].items():
                truth[k] += rows

    # ---- invoices ---------------------------------------------------------
    outs = [p for p in vendors if p.kind == "outsourcer"]

    def feasible(kind: str, vid: str, mi: int) -> bool:
        if kind == "missing_service_credit":  # needs a credit due for the previous month
            return mi >= 1 and any(s["met"] is False and Decimal(s["credit_pct"]) > 0 for s in data[vid]["sla"][mi - 1])
        return True

    plan = _defect_plan([(p.vendor_id, m, mi) for p in outs for mi, m in enumerate(mlist)], feasible)
    revision_at = (outs[1 if len(outs) > 1 else 0].vendor_id, 1 if len(mlist) > 1 else 0) if outs else None
    counters: dict[str, int] = {}
    for p in outs:
        _vendor_invoices(p, contracts[p.vendor_id], data[p.vendor_id], mlist, plan, counters, revision_at, seed, fx,
                         landing, out_dir, truth)

    if evidence:  # the scorecard's evidence columns, from the truth rows above
        truth["scorecard"] = evidence_truth.scorecard(truth["worked_time"], truth["self_service"],
                                                      truth["billed_vs_worked"])

    for p in vendors:
        vd = data[p.vendor_id]
        truth["vendors"].append(vd["ventry"])
        for k, v in vd["counts"].items():
            if k == "invoice_lines" and p.kind != "outsourcer":
                continue
            truth["counts"][k][p.vendor_id] = v

    (out_dir / "ground_truth.json").write_text(json.dumps(truth, indent=2, default=_json_default) + "\n")
    _set_mtime(out_dir / "ground_truth.json", _ts(add_days(mlist[-1].last, 10), 0))
    return json.loads(json.dumps(truth, default=_json_default))


def _vendor_invoices(p: VendorProfile, contract: dict, vd: dict, mlist: list[Month], plan, counters, revision_at,
                     seed: int, fx: FxTable, landing: Path, out_dir: Path, truth: dict) -> None:
    vs = _VENDOR_STREAM[p.vendor_id]
    ventry, counts = vd["ventry"], vd["counts"]
    written: list[Invoice] = []
    expected: list[tuple] = []

    def record(defects, month: Month):
        for d in defects:
            inv = d.invoice
            rate = fx.rate_on_or_before(p.currency, inv.period_end)
            truth["defects"].append({
                "vendor_id": p.vendor_id, "invoice_id": inv.invoice_id, "revision": inv.revision,
                "line_id": d.line.line_id, "period_month": month.key, "finding": d.finding,
                "currency": p.currency, "amount_at_risk": money4(d.amount_at_risk),
                "amount_at_risk_reporting": money4(round4(d.amount_at_risk * rate)),
                "detail": d.detail,
            })
            expected.append((inv.invoice_id, inv.revision, d.line.line_id, d.finding, round4(d.amount_at_risk)))

    def write(inv: Invoice, mtime: float):
        ipath = landing / p.vendor_id / "invoices" / inv.file_name
        _write(ipath, invoice_csv(inv), mtime)
        ventry["invoice_files"].append(ipath.relative_to(out_dir).as_posix())
        counts["invoice_lines"] += len(inv.lines)
        written.append(inv)

    # a pilot month before the first contract version: every line is outside_contract_period
    if p.bills_pilot_month:
        pm = Month(mlist[0].year - (mlist[0].month == 1), (mlist[0].month - 2) % 12 + 1)
        first = contract["versions"][0]
        voice = int(vd["observed"][0].voice * 0.04)
        pinv, pdefects = pilot_invoice(p, pm, first, voice, _rng(seed, vs, _PURPOSE["pilot"]))
        write(pinv, _ts(pinv.invoice_date, 9, 7 * vs))
        record(pdefects, pm)

    credit_prev, prev = Decimal(0), None
    for mi, month in enumerate(mlist):
        version = vd["versions"][mi]
        obs = vd["observed"][mi]
        tol = Decimal(str(version["tolerance"]["amount_abs"]))
        inv = clean_invoice(p, month, version, obs, _rng(seed, vs, _PURPOSE["invoice"], mi), credit_prev, prev)
        bill = Bill(inv)
        kinds = list(plan.get((p.vendor_id, month.key), []))
        if credit_prev <= 10 * tol and "missing_service_credit" in kinds:
            kinds.remove("missing_service_credit")
        injected = inject_defects(bill, version, kinds, counters, _rng(seed, vs, _PURPOSE["defects"], mi), tol, obs,
                                  credit_prev, revise=revision_at == (p.vendor_id, mi))
        if obs.evidence is not None:
            injected += _evidence_overbilling(inv, version, obs)
        defects = evaluate_defects(bill, version, injected, obs, credit_prev)
        for d in defects:
            if d.amount_at_risk <= tol:
                raise RuntimeError(f"injected {d.finding} on {d.invoice.invoice_id} is below tolerance")
        if bill.r0 is not None:
            write(bill.r0, _ts(bill.r0.invoice_date, 9, 7 * vs))
            note = {"vendor_id": p.vendor_id, "invoice_id": inv.invoice_id, "period_month": month.key,
                    **bill.revision_note}
            truth["invoice_revisions"].append(note)
        write(inv, _ts(inv.invoice_date, 9 if bill.r0 is None else 10, 7 * vs))
        if bill.supp is not None:
            write(bill.supp, _ts(bill.supp.invoice_date, 9, 7 * vs))
        record(defects, month)

        # the service credit this month's SLA misses earn (applied on next month's invoice)
        if prev is not None and truth["credits"] and truth["credits"][-1]["vendor_id"] == p.vendor_id:
            applied = -sum((ln.amount for i in bill.invoices() for ln in i.lines if ln.category == "service_credit"),
                           Decimal(0))
            truth["credits"][-1].update({"applied_on_invoice": inv.invoice_id, "credit_applied": money4(applied)})
        cd = credit_due(version, bill_fees(bill, version), vd["sla"][mi])
        truth["credits"].append({
            "vendor_id": p.vendor_id, "month": month.key, "currency": p.currency,
            "contract_version": version["effective_from"].isoformat(), "fees": money4(cd["fees"]),
            "missed": cd["missed"], "uncapped_credit": money4(cd["uncapped"]), "cap": money4(cd["cap"]),
            "credit_due": money4(cd["credit_due"]), "cap_applied": cd["cap_applied"],
            "applied_on_invoice": None, "credit_applied": None,
        })
        credit_prev, prev = cd["credit_due"], month

    # self-check: an independent implementation of the rules finds exactly the injected defects
    rows = [r for inv in written for r in invoice_rows(inv)]
    if vd["evidence"] is not None:
        _billed_vs_worked(p, contract, rows, vd, mlist, expected, truth)
    pairs = (("handled_contacts", "voice"), ("handled_contacts", "chat"), ("handled_contacts", "email"),
             ("handle_minutes", "email"))
    if vd["evidence"] is not None:
        pairs += tuple((cat, "ivr" if cat == "contained_sessions" else None) for cat in EVIDENCE_CATEGORIES)
    observed = {m.key: {(cat, ch): q for cat, ch in pairs if (q := vd["observed"][mi].quantity(cat, ch)) is not None}
                for mi, m in enumerate(mlist)}
    sla = {m.key: vd["sla"][mi] for mi, m in enumerate(mlist)}
    found = {(f["invoice_id"], f["revision"], f["line_id"], f["finding"], round4(f["amount_at_risk"]))
             for f in audit(rows, contract, observed, sla)}
    if found != set(expected):
        raise RuntimeError(f"{p.vendor_id}: audit finds {sorted(found - set(expected))} not injected, "
                           f"misses {sorted(set(expected) - found)}")


def _evidence_overbilling(inv: Invoice, version: dict, obs: Observed) -> list[tuple]:
    """The evidence lines billed above the tolerance on purpose (quantity_variance findings)."""
    out = []
    qtol = Decimal(str(version["tolerance"]["quantity_pct"]))
    for cat, _factor in obs.evidence["factors"].items():
        lines = [ln for ln in inv.lines if ln.category == cat and ln.group != "dup"]
        if not lines:
            continue
        ln = lines[0]
        ev = obs.quantity(cat, ln.channel)
        if ln.quantity > ev * (1 + qtol):
            ln.defect = ln.defect or "quantity_variance"
            out.append(("quantity_variance", [ln], f"{cat}: billed {ln.quantity} vs {ev} evidenced "
                                                   f"({EVIDENCE_SOURCE[cat]})"))
    return out


def _billed_vs_worked(p: VendorProfile, contract: dict, rows: list[dict], vd: dict, mlist: list[Month],
                      expected: list[tuple], truth: dict) -> None:
    """Billed vs evidenced quantity per outsourcer-month and evidence category (latest revisions, duplicate
    lines left out, as the quantity rule counts them), and the within-tolerance checks (no finding)."""
    latest: dict[str, int] = {}
    for r in rows:
        latest[r["invoice_id"]] = max(latest.get(r["invoice_id"], -1), r["revision"])
    findings = {(iid, line): amt for iid, rev, line, f, amt in expected if f == "quantity_variance"}
    for mi, m in enumerate(mlist):
        version = vd["versions"][mi]
        live, seen = [], set()
        for r in sorted((r for r in rows if r["revision"] == latest[r["invoice_id"]]
                         and r["period_start"] == m.first), key=lambda r: (r["invoice_date"], r["invoice_id"], r["line_id"])):
            key = (r["category"], r["channel"], r["quantity"], r["amount"])
            if key not in seen:
                live.append(r)
            seen.add(key)
        qtol = Decimal(str(version["tolerance"]["quantity_pct"]))
        for pl_ in version.get("pricing", []):
            cat = pl_["category"]
            if cat not in EVIDENCE_CATEGORIES:
                continue
            members = [r for r in live if r["category"] == cat]
            billed = sum((r["quantity"] for r in members), Decimal(0))
            evq = vd["observed"][mi].quantity(cat, pl_.get("channel"))
            var = billed - evq
            amount = next((findings[(r["invoice_id"], r["line_id"])] for r in members
                           if (r["invoice_id"], r["line_id"]) in findings), None)
            row = {"vendor_id": p.vendor_id, "period_month": m.key, "category": cat, "channel": pl_.get("channel"),
                   "unit": pl_.get("unit"), "billed_quantity": str(billed), "billed_lines": len(members),
                   "evidenced_quantity": str(evq),
                   "evidence": EVIDENCE_SOURCE[cat], "variance_quantity": str(var),
                   "variance_pct": str(var / evq) if evq else None, "contract_rate": str(pl_["rate"]),
                   "tolerance_pct": str(qtol), "finding": amount is not None,
                   "amount_at_risk": money4(amount) if amount is not None else money4(Decimal(0))}
            truth["billed_vs_worked"].append(row)
            if amount is None and var > 0:  # the injected case, and quantities rounded up to 2 decimals
                injected = vd["observed"][mi].evidence["factors"].get(cat, Decimal(1)) > 1
                truth["evidence_checks"].append({**row, "injected": injected,
                                                 "check": "billed above evidence within tolerance: no finding"})


def _json_default(o: Any):
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    raise TypeError(type(o))
