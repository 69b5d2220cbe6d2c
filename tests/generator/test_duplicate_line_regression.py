"""Regression: with evidence, seed 7 / scale 6000 bills pacific_ph 0 training hours in 2026-03 (no training was
worked that month), and the duplicate_line injector copied that 0.00 line: a duplicate whose amount is within the
tolerance, so no finding may report it and the generator stopped ("injected duplicate_line ... is below
tolerance"). The injector must pick a line whose copy is a reportable finding."""
from __future__ import annotations

import csv
from decimal import Decimal

from generator import generate


def test_seed_7_scale_6000_injects_only_reportable_duplicates(tmp_path):
    truth = generate(tmp_path, outsourcers=3, months=3, seed=7, scale=6000, evidence=True)
    # the month that triggered it: really no training worked, so the clean invoice bills 0.00 training hours
    pac_march = next(w for w in truth["worked_time"]
                     if w["vendor_id"] == "pacific_ph" and w["period_month"] == "2026-03")
    assert pac_march["training_seconds"] == 0
    dups = [d for d in truth["defects"] if d["finding"] == "duplicate_line"]
    assert len(dups) == 3
    tolerance = Decimal("1.00")  # every generated contract version's amount_abs
    assert all(Decimal(d["amount_at_risk"]) > tolerance for d in dups)
    # the injected copy equals its original line in the file (category, channel, quantity, amount)
    for d in dups:
        path = next(p for p in (tmp_path / "landing" / d["vendor_id"] / "invoices").iterdir()
                    if d["invoice_id"] in p.name)
        rows = list(csv.DictReader(path.open()))
        copy = next(r for r in rows if r["line_id"] == d["line_id"])
        assert Decimal(copy["amount"]) == Decimal(d["amount_at_risk"])
        assert Decimal(copy["quantity"]) > 0
