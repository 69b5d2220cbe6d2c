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
from .contract_model import Sizing, build_contract, contract_yaml
from .fx import REPORTING_CURRENCY, FxTable
from .interactions import frame, generate_month
from .invoices import FINDINGS, Observed, audit, clean_invoice, evaluate_defects, inject_defects, invoice_csv, invoice_rows
from .people import CustomerPool
from .periods import Month, add_days, allocate, month_list
from .pricing import money4, round4
from .surveys import generate_agent_surveys, generate_surveys
from .vendors import INHOUSE, OUTSOURCERS, VendorProfile, select_vendors

DEFAULTS = {"outsourcers": 3, "months": 3, "seed": 42, "scale": 20000, "start": "2026-01"}

# stable stream ids (independent of how many vendors are generated)
_VENDOR_STREAM = {p.vendor_id: i for i, p in enumerate((*OUTSOURCERS, INHOUSE))}
_PURPOSE = {"customers": 1, "behaviour": 2, "month": 3, "surveys": 4, "esat": 5, "invoice": 6, "defects": 7, "fx": 8}
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


def contracts_for(outsourcers: int = 3, months: int = 3, scale: int = 20000, start: str = "2026-01") -> dict[str, str]:
    """vendor_id -> contract YAML text (contracts do not depend on the seed)."""
    vendors = select_vendors(outsourcers)
    mlist = month_list(start, months)
    _, sizing = vendor_sizing(vendors, mlist, scale)
    return {p.vendor_id: contract_yaml(build_contract(p, mlist[0].first, sizing[p.vendor_id])) for p in vendors}


def write_contracts(dest: Path, outsourcers: int = 3, months: int = 3, scale: int = 20000,
                    start: str = "2026-01") -> list[Path]:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for vid, text in contracts_for(outsourcers, months, scale, start).items():
        path = dest / f"{vid}.yaml"
        path.write_text(text)
        out.append(path)
    return out


def _defect_plan(invoices: list[tuple[str, Month]]) -> dict[tuple[str, str], list[str]]:
    """Round-robin over the finding types, vendor-major, so each type lands on several vendors and months."""
    n = len(invoices)
    if n == 0:
        return {}
    per = min(len(FINDINGS), max(2, math.ceil(3 * len(FINDINGS) / n)))
    plan, k = {}, 0
    for vid, m in invoices:
        plan[(vid, m.key)] = [FINDINGS[(k + i) % len(FINDINGS)] for i in range(per)]
        k += per
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


def generate(out_dir: Path, outsourcers: int = 3, months: int = 3, seed: int = 42, scale: int = 20000,
             start: str = "2026-01", rows_per_file: int | None = None) -> dict[str, Any]:
    """Write the synthetic data set under `out_dir` and return the ground-truth manifest.

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
    contracts = {p.vendor_id: build_contract(p, mlist[0].first, sizing[p.vendor_id]) for p in vendors}
    for vid, c in contracts.items():
        _write(out_dir / "contracts" / f"{vid}.yaml", contract_yaml(c).encode(), _ts(add_days(mlist[0].first, -10), 12))

    # ---- fx -------------------------------------------------------------
    fx = FxTable(mlist, _rng(seed, _PURPOSE["fx"]))
    _write(landing / "_shared" / "fx_rates" / fx.file_name, fx.csv_bytes(), _ts(add_days(fx.last, 1), 1))

    plan = _defect_plan([(p.vendor_id, m) for p in vendors if p.kind == "outsourcer" for m in mlist])
    counters: dict[str, int] = {}
    truth: dict[str, Any] = {
        "generator": {"seed": seed, "scale": scale, "outsourcers": outsourcers, "months": months, "start": start},
        "reporting_currency": REPORTING_CURRENCY,
        "vendors": [], "defects": [], "kpis": [], "sla": [],
        "counts": {"interactions": {}, "surveys": {}, "agent_surveys": {}, "invoice_lines": {}},
    }
    for vi, p in enumerate(vendors):
        vs = _VENDOR_STREAM[p.vendor_id]
        version = contracts[p.vendor_id]["versions"][0]
        total = sum(alloc[vi])
        pool = CustomerPool(p.market, max(50, int(total * 0.4)), _rng(seed, vs, _PURPOSE["customers"]),
                            ref_base=(vs + 1) * 10**8)
        n_agents = int(min(5000, max(20, round(sizing[p.vendor_id].offered * 0.93 / 700))))
        behaviour = _rng(seed, vs, _PURPOSE["behaviour"])
        wait_factors = [{c: float(np.exp(behaviour.normal(0.0, p.wait_month_sigma))) for c in ("voice", "chat")}
                        for _ in mlist]
        ventry = {"vendor_id": p.vendor_id, "kind": p.kind, "timezone": p.timezone, "currency": p.currency,
                  "interaction_files": [], "survey_files": [], "agent_survey_files": [], "invoice_files": []}
        counts = {"interactions": 0, "surveys": 0, "agent_surveys": 0, "invoice_lines": 0}
        for mi, month in enumerate(mlist):
            n = alloc[vi][mi]
            arrive_day = add_days(month.last, 1)
            rows = generate_month(p, month, n, _rng(seed, vs, _PURPOSE["month"], mi), pool, n_agents, wait_factors[mi])
            paths = _write_interactions(p, rows, pool, landing / p.vendor_id / "interactions", month, rows_per_file,
                                        _ts(arrive_day, 6, 7 * vs))
            ventry["interaction_files"] += [pp.relative_to(out_dir).as_posix() for pp in paths]
            counts["interactions"] += rows.n

            # surveys (one vendor's land before the month's interactions)
            sdf, sstats = generate_surveys(rows, _rng(seed, vs, _PURPOSE["surveys"], mi), pool)
            spath = landing / p.vendor_id / "surveys" / f"surveys_{month.key}.csv"
            spath.parent.mkdir(parents=True, exist_ok=True)
            sdf.write_csv(spath)
            _set_mtime(spath, _ts(arrive_day, 2, 30) if p.surveys_early else _ts(arrive_day, 7, 7 * vs))
            ventry["survey_files"].append(spath.relative_to(out_dir).as_posix())
            counts["surveys"] += sdf.height

            adf = generate_agent_surveys(p, month, n_agents, _rng(seed, vs, _PURPOSE["esat"], mi))
            apath = landing / p.vendor_id / "agent_surveys" / f"agent_surveys_{month.key}.csv"
            apath.parent.mkdir(parents=True, exist_ok=True)
            adf.write_csv(apath)
            _set_mtime(apath, _ts(add_days(month.last, 2), 8, 7 * vs))
            ventry["agent_survey_files"].append(apath.relative_to(out_dir).as_posix())
            counts["agent_surveys"] += adf.height

            # KPIs and SLA results
            for ch in ("voice", "chat"):
                sl = kpimod.sl_line(version, ch)
                if sl is not None:
                    truth["kpis"].append(kpimod.channel_kpis(rows, ch, sl))
            truth["sla"] += kpimod.sla_results(rows, version, sstats)

            # invoice
            if p.kind == "outsourcer":
                a = rows.arrays
                ans = a["answered"]
                ch_ = a["channel"]
                obs = Observed(
                    voice=int((ans & (ch_ == 0)).sum()), chat=int((ans & (ch_ == 1)).sum()),
                    email=int((ans & (ch_ == 2)).sum()),
                    email_handle_seconds=int((a["talk"] + a["hold"] + a["wrap"])[ans & (ch_ == 2)].sum()),
                )
                irng = _rng(seed, vs, _PURPOSE["invoice"], mi)
                inv = clean_invoice(p, month, version, obs, irng)
                tol = Decimal(str(version["tolerance"]["amount_abs"]))
                injected = inject_defects(inv, version, plan[(p.vendor_id, month.key)], counters,
                                          _rng(seed, vs, _PURPOSE["defects"], mi), tol)
                defects = evaluate_defects(inv, version, injected)
                rate = fx.rate_on_or_before(p.currency, inv.period_end)
                for d in defects:
                    if d.amount_at_risk <= tol:
                        raise RuntimeError(f"injected {d.finding} on {inv.invoice_id} is below tolerance")
                    truth["defects"].append({
                        "vendor_id": p.vendor_id, "invoice_id": inv.invoice_id, "revision": inv.revision,
                        "line_id": d.line.line_id, "period_month": month.key, "finding": d.finding,
                        "currency": p.currency, "amount_at_risk": money4(d.amount_at_risk),
                        "amount_at_risk_reporting": money4(round4(d.amount_at_risk * rate)),
                        "detail": d.detail,
                    })
                # self-check: the rules find exactly the injected defects
                rows_ = invoice_rows(inv)
                observed = {("handled_contacts", "voice"): Decimal(obs.voice),
                            ("handled_contacts", "chat"): Decimal(obs.chat),
                            ("handle_minutes", "email"): Decimal(obs.email_handle_seconds) / Decimal(60)}
                found = {(f["line_id"], f["finding"], round4(f["amount_at_risk"]))
                         for f in audit(rows_, version, observed)}
                expect = {(d.line.line_id, d.finding, round4(d.amount_at_risk)) for d in defects}
                if found != expect:
                    raise RuntimeError(f"{inv.invoice_id}: audit {sorted(found)} != injected {sorted(expect)}")
                ipath = landing / p.vendor_id / "invoices" / inv.file_name
                _write(ipath, invoice_csv(inv), _ts(inv.invoice_date, 9, 7 * vs))
                ventry["invoice_files"].append(ipath.relative_to(out_dir).as_posix())
                counts["invoice_lines"] += len(inv.lines)
            del rows
        truth["vendors"].append(ventry)
        for k, v in counts.items():
            if k == "invoice_lines" and p.kind != "outsourcer":
                continue
            truth["counts"][k][p.vendor_id] = v

    (out_dir / "ground_truth.json").write_text(json.dumps(truth, indent=2, default=_json_default) + "\n")
    _set_mtime(out_dir / "ground_truth.json", _ts(add_days(mlist[-1].last, 10), 0))
    return json.loads(json.dumps(truth, default=_json_default))


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
