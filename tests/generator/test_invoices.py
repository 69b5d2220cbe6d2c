"""Ground-truth invoice defects and clean lines, re-checked from the written files with Decimal."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from ._helpers import fx_rates, interactions, invoice_lines, load_contract, price, pricing_line

FINDINGS = {"rate_variance", "off_contract_item", "duplicate_line", "arithmetic_error", "passthrough_over_cap"}
CENT, Q4 = Decimal("0.01"), Decimal("0.0001")


def _invoice(out, d):
    return invoice_lines(out / "landing" / d["vendor_id"] / "invoices" / f"invoice_{d['invoice_id']}_r{d['revision']}.csv")


def _version(out, vendor):
    return load_contract(out / "contracts" / f"{vendor}.yaml")["versions"][0]


def _key(r):
    return (r["category"], r["channel"], r["quantity"], r["amount"])


def _non_duplicates(lines):
    seen, out = set(), []
    for r in sorted(lines, key=lambda r: r["line_id"]):
        if _key(r) not in seen:
            out.append(r)
        seen.add(_key(r))
    return out


def test_every_finding_type_at_least_three_times(truth):
    defects = truth["defects"]
    counts = Counter(d["finding"] for d in defects)
    assert set(counts) == FINDINGS
    assert all(n >= 3 for n in counts.values()), counts
    for f in FINDINGS:
        ds = [d for d in defects if d["finding"] == f]
        assert len({d["vendor_id"] for d in ds}) >= 2
        assert len({d["period_month"] for d in ds}) >= 2
        assert len({d["currency"] for d in ds}) >= 2
    # never two defects on the same line
    assert len({(d["invoice_id"], d["line_id"]) for d in defects}) == len(defects)
    # passthrough over cap: travel and telecom, and once by several lines each under the cap
    cats = {d["detail"].split()[0] for d in defects if d["finding"] == "passthrough_over_cap"}
    assert cats == {"travel", "telecom_passthrough"}


def test_defects_recomputed_from_files(default_out, truth):
    fx = fx_rates(default_out)
    split_over_cap = False
    for d in truth["defects"]:
        lines = _invoice(default_out, d)
        version = _version(default_out, d["vendor_id"])
        line = next(r for r in lines if r["line_id"] == d["line_id"])
        risk = Decimal(d["amount_at_risk"])
        assert d["amount_at_risk"] == str(risk.quantize(Q4))
        assert risk > Decimal("1.00")
        assert d["currency"] == line["currency"]
        if d["finding"] == "arithmetic_error":
            assert risk == line["amount"] - line["quantity"] * line["unit_price"]
        elif d["finding"] == "duplicate_line":
            earlier = [r for r in lines if r["line_id"] < line["line_id"] and _key(r) == _key(line)]
            assert len(earlier) == 1
            assert {k: v for k, v in earlier[0].items() if k != "line_id"} == {k: v for k, v in line.items() if k != "line_id"}
            assert line["category"] != "travel" and line["category"] != "telecom_passthrough"
            assert risk == line["amount"]
        elif d["finding"] == "off_contract_item":
            assert pricing_line(version, line["category"], line["channel"]) is None
            assert risk == line["amount"]
        elif d["finding"] == "rate_variance":
            pl = pricing_line(version, line["category"], line["channel"])
            group = [r for r in _non_duplicates(lines) if (r["category"], r["channel"]) == (line["category"], line["channel"])]
            assert group[0]["line_id"] == line["line_id"]
            billed = sum(r["quantity"] * r["unit_price"] for r in group)
            expected = price(sum(r["quantity"] for r in group), pl)
            assert risk == billed - expected
            assert line["amount"] == (line["quantity"] * line["unit_price"]).quantize(CENT, ROUND_HALF_EVEN)
        elif d["finding"] == "passthrough_over_cap":
            cap = Decimal(str(pricing_line(version, line["category"], None)["monthly_cap"]))
            group = [r for r in _non_duplicates(lines) if r["category"] == line["category"]]
            assert risk == sum(r["amount"] for r in group) - cap
            running, hit = Decimal(0), None
            for r in group:
                running += r["amount"]
                if hit is None and running > cap:
                    hit = r["line_id"]
            assert hit == line["line_id"]
            if len(group) > 1 and all(r["amount"] <= cap for r in group):
                split_over_cap = True
            assert all(r["approval_ref"] for r in group if r["category"] == "travel")
        rate = fx[(line["period_end"], d["currency"])]
        assert Decimal(d["amount_at_risk_reporting"]) == (risk * rate).quantize(Q4, ROUND_HALF_EVEN)
    assert split_over_cap


def test_clean_lines_follow_contract_and_interactions(default_out, truth):
    flagged = defaultdict(set)
    capped = defaultdict(set)
    for d in truth["defects"]:
        flagged[d["invoice_id"]].add(d["line_id"])
    for d in truth["defects"]:
        if d["finding"] == "passthrough_over_cap":
            line = next(r for r in _invoice(default_out, d) if r["line_id"] == d["line_id"])
            capped[d["invoice_id"]].add(line["category"])
    files = sorted((default_out / "landing").glob("*/invoices/*.csv"))
    assert len(files) == 9
    for f in files:
        vendor = f.parts[-3]
        version = _version(default_out, vendor)
        lines = invoice_lines(f)
        inv = lines[0]["invoice_id"]
        month = lines[0]["period_start"][:7]
        vat = {"acme_mx": Decimal("0.16"), "pacific_ph": Decimal("0.12"), "iberia_es": Decimal("0.21")}[vendor]
        assert [r["line_id"] for r in lines] == [f"L{i:03d}" for i in range(1, len(lines) + 1)]
        for r in lines:
            assert r["tax_amount"] == (r["amount"] * vat).quantize(CENT, ROUND_HALF_EVEN)
        clean = [r for r in lines if r["line_id"] not in flagged[inv]]
        keys = Counter(_key(r) for r in clean)
        assert max(keys.values()) == 1, "clean lines must never be accidentally equal"
        for r in clean:
            pl = pricing_line(version, r["category"], r["channel"])
            assert pl is not None, r
            assert r["amount"] == (r["quantity"] * r["unit_price"]).quantize(CENT, ROUND_HALF_EVEN)
            if pl.get("passthrough"):
                assert r["quantity"] == 1 and r["unit"] == "each" and r["unit_price"] == r["amount"]
                if pl.get("requires_approval"):
                    assert r["approval_ref"]
            elif "tiers" in pl:
                assert r["unit_price"] in {Decimal(str(t["rate"])) for t in pl["tiers"]}
            else:
                assert r["unit_price"] == Decimal(str(pl["rate"])), r
                assert r["unit"] == pl["unit"]
        # passthrough caps hold where no over-cap defect was injected
        for p in version["pricing"]:
            if p.get("passthrough") and p["category"] not in capped[inv]:
                total = sum(r["amount"] for r in lines if r["category"] == p["category"])
                assert total <= Decimal(str(p["monthly_cap"]))
        # quantities are what the interactions support (vendor local month)
        rows = interactions(default_out, vendor, month)
        answered = Counter(r["channel"] for r in rows if r["answered_at"] is not None)
        live = _non_duplicates(lines)
        voice = [r for r in live if (r["category"], r["channel"]) == ("handled_contacts", "voice")]
        assert sum(r["quantity"] for r in voice) == answered["voice"]
        tiers = pricing_line(version, "handled_contacts", "voice")["tiers"]
        if tiers[0].get("basis") == "whole":
            assert len(voice) == 1
        else:
            up_to = Decimal(str(tiers[0]["up_to"]))
            assert voice[0]["quantity"] == min(up_to, answered["voice"])
            assert [r["unit_price"] for r in voice if r["line_id"] not in flagged[inv]] == \
                [Decimal(str(t["rate"])) for t, r in zip(tiers, voice) if r["line_id"] not in flagged[inv]]
        chat = [r for r in live if (r["category"], r["channel"]) == ("handled_contacts", "chat")]
        assert sum(r["quantity"] for r in chat) == answered["chat"]
        secs = sum(r["talk_seconds"] + r["hold_seconds"] + r["wrap_seconds"]
                   for r in rows if r["channel"] == "email" and r["answered_at"] is not None)
        email = [r for r in live if (r["category"], r["channel"]) == ("handle_minutes", "email")]
        assert email[0]["quantity"] == (Decimal(secs) / 60).quantize(CENT, ROUND_HALF_EVEN)


def test_most_vendor_months_cross_the_first_voice_tier(default_out, truth):
    crossed = 0
    for f in sorted((default_out / "landing").glob("*/invoices/*.csv")):
        version = _version(default_out, f.parts[-3])
        up_to = pricing_line(version, "handled_contacts", "voice")["tiers"][0]["up_to"]
        voice = [r for r in _non_duplicates(invoice_lines(f)) if r["channel"] == "voice"]
        crossed += sum(r["quantity"] for r in voice) > up_to
    assert crossed >= 6
