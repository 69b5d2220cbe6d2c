"""Ground-truth invoice defects, credits and clean lines, re-checked from the written files with Decimal."""
from __future__ import annotations

import os
from functools import lru_cache
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import pytest

from ._helpers import fx_rates, interactions, invoice_lines, load_contract, price, pricing_line, read_rows
from .test_kpis import _loop_kpis

FINDINGS = {"rate_variance", "off_contract_item", "duplicate_line", "arithmetic_error", "passthrough_over_cap",
            "quantity_variance", "unapproved_passthrough", "missing_service_credit", "minimum_commitment_misbilled",
            "outside_contract_period"}
SPECIAL = {"service_credit", "tax", "minimum_commitment_shortfall"}
MONTHS = ["2026-01", "2026-02", "2026-03"]
OUTSOURCERS = ["acme_mx", "pacific_ph", "iberia_es"]
CENT, Q4 = Decimal("0.01"), Decimal("0.0001")


def _r4(x):
    return x.quantize(Q4, ROUND_HALF_EVEN)


@lru_cache(maxsize=None)
def _contract(out, vendor):
    return load_contract(out / "contracts" / f"{vendor}.yaml")


def _version(out, vendor, month):
    first = date(int(month[:4]), int(month[5:]), 1)
    for v in _contract(out, vendor)["versions"]:
        if v["effective_from"] <= first and (v["effective_to"] is None or first <= v["effective_to"]):
            return v
    return None


def _files(out, vendor):
    return sorted((out / "landing" / vendor / "invoices").glob("*.csv"))


@lru_cache(maxsize=None)
def _latest(out, vendor):
    """Lines of the latest revision of every invoice of the vendor, in line order."""
    rows = [r for f in _files(out, vendor) for r in invoice_lines(f)]
    top = {}
    for r in rows:
        top[r["invoice_id"]] = max(top.get(r["invoice_id"], -1), r["revision"])
    return tuple(sorted((r for r in rows if r["revision"] == top[r["invoice_id"]]),
                        key=lambda r: (r["invoice_date"], r["invoice_id"], r["line_id"])))


def _period(out, vendor, month):
    return [r for r in _latest(out, vendor) if r["period_start"][:7] == month]


def _key(r):
    return (r["category"], r["channel"], r["quantity"], r["amount"])


def _non_duplicates(lines):
    seen, out = set(), []
    for r in lines:  # line order
        if _key(r) not in seen:
            out.append(r)
        seen.add(_key(r))
    return out


def _group(lines, line, version):
    pl = pricing_line(version, line["category"], line["channel"])
    return [r for r in _non_duplicates(lines) if r["category"] == line["category"]
            and (pl.get("channel") is None or r["channel"] == line["channel"])]


def _fees(lines, version):
    priced = {p["category"]: p for p in version["pricing"]}
    return sum((r["amount"] for r in lines if r["category"] in priced and r["category"] not in SPECIAL
                and not priced[r["category"]].get("passthrough")), Decimal(0))


@lru_cache(maxsize=None)
def _observed(out, vendor, month, category, channel):
    rows = [r for r in interactions(out, vendor, month) if r["answered_at"] is not None and r["channel"] == channel]
    if category == "handled_contacts":
        return Decimal(len(rows))
    return _r4(Decimal(sum(r["talk_seconds"] + r["hold_seconds"] + r["wrap_seconds"] for r in rows)) / 60)


def _tier_rate(quantity, pl):
    if "tiers" not in pl:
        return Decimal(str(pl["rate"]))
    for t in pl["tiers"]:
        if t["up_to"] is None or quantity <= Decimal(str(t["up_to"])):
            return Decimal(str(t["rate"]))


def _credit(truth, vendor, month):
    (c,) = [c for c in truth["credits"] if (c["vendor_id"], c["month"]) == (vendor, month)]
    return c


def _prev(month):
    y, m = int(month[:4]), int(month[5:])
    return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"


def test_every_finding_type_at_least_three_times(truth):
    defects = truth["defects"]
    counts = Counter(d["finding"] for d in defects)
    assert set(counts) == FINDINGS
    assert all(n >= 3 for n in counts.values()), counts
    for f in FINDINGS:
        ds = [d for d in defects if d["finding"] == f]
        assert len({d["vendor_id"] for d in ds}) >= 2, f
        assert len({d["currency"] for d in ds}) >= 2, f
        if f != "outside_contract_period":
            assert len({d["period_month"] for d in ds}) >= 2, f
    # never two defects on the same line
    assert len({(d["invoice_id"], d["revision"], d["line_id"]) for d in defects}) == len(defects)
    # passthrough over cap: travel and telecom, and once by several lines each under the cap
    cats = {d["detail"].split()[0] for d in defects if d["finding"] == "passthrough_over_cap"}
    assert cats == {"travel", "telecom_passthrough"}
    # a duplicate across two invoices of the same period, a credit not applied and one applied partially
    assert any(d["invoice_id"].endswith("-S") for d in defects if d["finding"] == "duplicate_line")
    details = [d["detail"] for d in defects if d["finding"] == "missing_service_credit"]
    assert any("not applied" in x for x in details) and any("applied" in x and "not" not in x for x in details)
    details = [d["detail"] for d in defects if d["finding"] == "minimum_commitment_misbilled"]
    assert any("met the minimum" in x for x in details) and any("met the minimum" not in x for x in details)
    assert {d["revision"] for d in defects} == {0, 1}


def test_defects_recomputed_from_files(default_out, truth):
    fx = fx_rates(default_out)
    split_over_cap = False
    for d in truth["defects"]:
        vendor, month = d["vendor_id"], d["period_month"]
        lines = _period(default_out, vendor, month)
        version = _version(default_out, vendor, month)
        (line,) = [r for r in lines if (r["invoice_id"], r["line_id"]) == (d["invoice_id"], d["line_id"])]
        assert line["revision"] == d["revision"]
        risk = Decimal(d["amount_at_risk"])
        assert d["amount_at_risk"] == str(risk.quantize(Q4))
        assert risk > Decimal("1.00")
        assert d["currency"] == line["currency"]
        f = d["finding"]
        if f == "outside_contract_period":
            assert version is None and risk == line["amount"]
        else:
            assert version is not None
        if f == "arithmetic_error":
            assert risk == line["amount"] - line["quantity"] * line["unit_price"]
        elif f == "duplicate_line":
            earlier = [r for r in lines[:lines.index(line)] if _key(r) == _key(line)]
            assert len(earlier) == 1
            keep = ("category", "channel", "description", "quantity", "unit", "unit_price", "amount", "tax_amount")
            assert {k: earlier[0][k] for k in keep} == {k: line[k] for k in keep}
            assert line["category"] != "travel" and line["category"] != "telecom_passthrough"
            assert risk == line["amount"]
        elif f == "off_contract_item":
            assert pricing_line(version, line["category"], line["channel"]) is None
            assert risk == line["amount"]
        elif f == "rate_variance":
            pl = pricing_line(version, line["category"], line["channel"])
            group = _group(lines, line, version)
            assert group[0] is line
            billed = sum(r["quantity"] * r["unit_price"] for r in group)
            expected = price(sum(r["quantity"] for r in group), pl)
            assert risk == billed - expected
            assert line["amount"] == (line["quantity"] * line["unit_price"]).quantize(CENT, ROUND_HALF_EVEN)
        elif f == "quantity_variance":
            pl = pricing_line(version, line["category"], line["channel"])
            group = _group(lines, line, version)
            assert group[0] is line
            billed = sum(r["quantity"] for r in group)
            observed = _observed(default_out, vendor, month, line["category"], line["channel"])
            assert billed > observed * Decimal("1.02")
            assert risk == _r4((billed - observed) * _tier_rate(billed, pl))
            assert sum(r["quantity"] * r["unit_price"] for r in group) == price(billed, pl)  # no rate variance
        elif f == "passthrough_over_cap":
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
        elif f == "unapproved_passthrough":
            cap = Decimal(str(pricing_line(version, "travel", None)["monthly_cap"]))
            assert line["category"] == "travel" and line["approval_ref"] is None and risk == line["amount"]
            assert sum(r["amount"] for r in lines if r["category"] == "travel") <= cap
        elif f == "missing_service_credit":
            due = Decimal(_credit(truth, vendor, _prev(month))["credit_due"])
            credits = [r for r in _non_duplicates(lines) if r["category"] == "service_credit"]
            applied = -sum(r["amount"] for r in credits)
            assert risk == due - applied
            assert line is (credits[0] if credits else lines[0])
        elif f == "minimum_commitment_misbilled":
            expected = max(Decimal(0), Decimal(str(version["minimum_monthly_commitment"])) - _fees(lines, version))
            short = [r for r in _non_duplicates(lines) if r["category"] == "minimum_commitment_shortfall"]
            assert line is short[0]
            assert risk == sum(r["amount"] for r in short) - expected
        rate = fx[(line["period_end"], d["currency"])]
        assert Decimal(d["amount_at_risk_reporting"]) == (risk * rate).quantize(Q4, ROUND_HALF_EVEN)
    assert split_over_cap


def test_pilot_month_is_outside_every_contract_version(default_out, truth):
    for vendor in ("acme_mx", "iberia_es"):
        lines = _period(default_out, vendor, "2025-12")
        flagged = {d["line_id"] for d in truth["defects"] if d["vendor_id"] == vendor and d["period_month"] == "2025-12"}
        assert len(lines) >= 3 and flagged == {r["line_id"] for r in lines}
        assert all(d["finding"] == "outside_contract_period" for d in truth["defects"] if d["period_month"] == "2025-12")
        assert (date(2025, 12, 31), lines[0]["currency"]) in fx_rates(default_out)


def test_clean_lines_follow_contract_and_interactions(default_out, truth):
    flagged = defaultdict(set)
    for d in truth["defects"]:
        flagged[(d["invoice_id"], d["revision"])].add(d["line_id"])
    findings = defaultdict(set)  # (vendor, month) -> finding types and categories hit
    for vendor in OUTSOURCERS:
        vat = {"acme_mx": Decimal("0.16"), "pacific_ph": Decimal("0.12"), "iberia_es": Decimal("0.21")}[vendor]
        for f in _files(default_out, vendor):
            lines = invoice_lines(f)
            assert [r["line_id"] for r in lines] == [f"L{i:03d}" for i in range(1, len(lines) + 1)]
            for r in lines:  # credits carry no tax (the feed wants tax_amount >= 0)
                assert r["tax_amount"] == (max(r["amount"], 0) * vat).quantize(CENT, ROUND_HALF_EVEN)
    for d in truth["defects"]:
        line = next(r for r in _period(default_out, d["vendor_id"], d["period_month"])
                    if (r["invoice_id"], r["line_id"]) == (d["invoice_id"], d["line_id"]))
        findings[(d["vendor_id"], d["period_month"])].add((d["finding"], line["category"], line["channel"]))
    for vendor in OUTSOURCERS:
        for month in MONTHS:
            version = _version(default_out, vendor, month)
            lines = _period(default_out, vendor, month)
            hit = findings[(vendor, month)]
            clean = [r for r in lines if r["line_id"] not in flagged[(r["invoice_id"], r["revision"])]]
            keys = Counter(_key(r) for r in clean)
            assert max(keys.values()) == 1, "clean lines must never be accidentally equal"
            for r in clean:
                assert r["amount"] == (r["quantity"] * r["unit_price"]).quantize(CENT, ROUND_HALF_EVEN)
                if r["category"] == "service_credit":
                    due = Decimal(_credit(truth, vendor, _prev(month))["credit_due"])
                    assert r["quantity"] == 1 and r["unit"] == "each" and r["unit_price"] == r["amount"]
                    assert r["amount"] == -due.quantize(CENT, ROUND_HALF_EVEN)
                    continue
                if r["category"] == "minimum_commitment_shortfall":
                    minimum = Decimal(str(version["minimum_monthly_commitment"]))
                    assert r["amount"] == minimum - _fees(lines, version) > 0
                    continue
                pl = pricing_line(version, r["category"], r["channel"])
                assert pl is not None, r
                if pl.get("passthrough"):
                    assert r["quantity"] == 1 and r["unit"] == "each" and r["unit_price"] == r["amount"]
                    if pl.get("requires_approval"):
                        assert r["approval_ref"]
                elif "tiers" in pl:
                    assert r["unit_price"] in {Decimal(str(t["rate"])) for t in pl["tiers"]}
                else:
                    assert r["unit_price"] == Decimal(str(pl["rate"])), r
                    assert r["unit"] == pl["unit"]
            # a credit due for the previous month is on this month's invoice unless a finding says otherwise
            if month != MONTHS[0] and not any(h[0] == "missing_service_credit" for h in hit):
                due = Decimal(_credit(truth, vendor, _prev(month))["credit_due"])
                applied = -sum(r["amount"] for r in lines if r["category"] == "service_credit")
                assert abs(due - applied) <= Decimal("0.005")
            # passthrough caps hold where no over-cap defect was injected
            for p in version["pricing"]:
                if p.get("passthrough") and ("passthrough_over_cap", p["category"], None) not in hit:
                    assert sum(r["amount"] for r in lines if r["category"] == p["category"]) <= Decimal(str(p["monthly_cap"]))
            # quantities are what the interactions support (vendor local month)
            live = _non_duplicates(lines)
            for cat, ch in (("handled_contacts", "voice"), ("handled_contacts", "chat"), ("handle_minutes", "email")):
                if ("quantity_variance", cat, ch) in hit:
                    continue
                billed = sum(r["quantity"] for r in live if (r["category"], r["channel"]) == (cat, ch))
                observed = _observed(default_out, vendor, month, cat, ch)
                assert abs(billed - observed) <= Decimal("0.005"), (vendor, month, cat, ch)
            tiers = pricing_line(version, "handled_contacts", "voice")["tiers"]
            voice = [r for r in live if (r["category"], r["channel"]) == ("handled_contacts", "voice")]
            if tiers[0].get("basis") == "whole":
                assert len(voice) == 1
            else:
                up_to = Decimal(str(tiers[0]["up_to"]))
                assert voice[0]["quantity"] == min(up_to, sum(r["quantity"] for r in voice))


def test_most_vendor_months_cross_the_first_voice_tier(default_out):
    crossed = 0
    for vendor in OUTSOURCERS:
        for month in MONTHS:
            version = _version(default_out, vendor, month)
            up_to = pricing_line(version, "handled_contacts", "voice")["tiers"][0]["up_to"]
            voice = [r for r in _non_duplicates(_period(default_out, vendor, month)) if r["channel"] == "voice"]
            crossed += sum(r["quantity"] for r in voice) > up_to
    assert crossed >= 6


# ------------------------------------------------------------------ SLA outcomes and credits, by plain loops

def _loop_sla(out, vendor, month, version):
    """Every SLA line's (numerator, denominator, higher_is_better) for one vendor-month, written out plainly."""
    rows = interactions(out, vendor, month)
    later = [r for m in MONTHS if m >= month for r in interactions(out, vendor, m)]
    by_customer = defaultdict(list)
    for r in later:
        if r["customer_ref"]:
            by_customer[(r["customer_ref"], r["queue"])].append(r["arrived_at"])
    surveys = read_rows(out / "landing" / vendor / "surveys" / f"surveys_{month}.csv")
    by_id = {r["interaction_id"]: r for r in rows}
    result = {}
    for line in version["sla"]:
        metric, ch = line["metric"], line.get("channel")
        mine = [r for r in rows if ch is None or r["channel"] == ch]
        answered = [r for r in mine if r["answered_at"] is not None]
        if metric in ("service_level", "abandon_rate"):
            sl = next(s for s in version["sla"] if s["metric"] == "service_level" and s["channel"] == ch)
            params = dict(sl, short_abandon_seconds=line.get("short_abandon_seconds", sl["short_abandon_seconds"]))
            k = _loop_kpis(rows, ch, params)
            if metric == "abandon_rate":
                num, den, up = k["abandoned"] - k["short_abandoned"], k["offered"] - k["short_abandoned"], False
            else:
                num = k["answered_within_threshold"] + (k["abandoned_within_threshold"] if sl["abandons"] == "count_for_within" else 0)
                den = {"exclude_short": k["offered"] - k["short_abandoned"], "exclude_all": k["answered"],
                       "count_against": k["offered"], "count_for_within": k["offered"]}[sl["abandons"]]
                up = True
        elif metric == "asa_seconds":
            num = sum(int((r["answered_at"] - r["arrived_at"]).total_seconds()) for r in answered)
            den, up = len(answered), False
        elif metric == "aht_seconds":
            num = sum(r["talk_seconds"] + r["hold_seconds"] + r["wrap_seconds"] for r in answered)
            den, up = len(answered), False
        elif metric == "csat_top2box":
            rated = [s for s in surveys if s["csat"] != ""
                     and (ch is None or by_id[s["interaction_id"]]["channel"] == ch)]
            num, den, up = sum(int(s["csat"]) >= 4 for s in rated), len(rated), True
        elif metric == "fcr_rate":
            window = line.get("repeat_window_days", 7) * 86400
            num = 0
            for r in answered:
                if not r["customer_ref"]:
                    num += bool(r["resolved"])
                    continue
                gaps = [(t - r["arrived_at"]).total_seconds() for t in by_customer[(r["customer_ref"], r["queue"])]]
                num += not any(0 < g <= window for g in gaps)
            den, up = len(answered), True
        else:
            raise AssertionError(metric)
        result[(metric, ch)] = (num, den, up)
    return result


@pytest.mark.parametrize("vendor,month", [("acme_mx", "2026-01"), ("iberia_es", "2026-01"), ("pacific_ph", "2026-03")])
def test_sla_outcomes_and_credit_due_by_a_plain_loop(default_out, truth, vendor, month):
    version = _version(default_out, vendor, month)
    outcomes = _loop_sla(default_out, vendor, month, version)
    lines = _period(default_out, vendor, month)
    fees = _fees(lines, version)
    per_line = []
    for line in version["sla"]:
        num, den, up = outcomes[(line["metric"], line.get("channel"))]
        target = Fraction(Decimal(str(line["target"])))
        assert Fraction(num, den) != target  # never exactly on the target
        met = Fraction(num, den) >= target if up else Fraction(num, den) <= target
        (got,) = [s for s in truth["sla"] if (s["vendor_id"], s["period_month"], s["metric"], s["channel"])
                  == (vendor, month, line["metric"], line.get("channel"))]
        assert (got["numerator"], got["denominator"], got["met"]) == (num, den, met), line
        assert Decimal(got["target"]) == Decimal(str(line["target"]))
        if not met:
            per_line.append(_r4(Decimal(str(line["credit_pct"])) * fees))
    cap = _r4(Decimal(str(version["service_credit_cap_pct"])) * fees)
    c = _credit(truth, vendor, month)
    assert Decimal(c["fees"]) == fees
    assert Decimal(c["credit_due"]) == min(sum(per_line, Decimal(0)), cap)
    assert c["cap_applied"] == (sum(per_line, Decimal(0)) > cap)
    if c["applied_on_invoice"]:
        nxt = [r for r in _latest(default_out, vendor) if r["invoice_id"] == c["applied_on_invoice"]]
        assert Decimal(c["credit_applied"]) == -sum(r["amount"] for r in nxt if r["category"] == "service_credit")


def test_credits_cover_misses_cap_and_versions(truth):
    credits = truth["credits"]
    assert {(c["vendor_id"], c["month"]) for c in credits} == {(v, m) for v in OUTSOURCERS for m in MONTHS}
    assert any(c["cap_applied"] for c in credits)
    assert sum(Decimal(c["credit_due"]) > 0 for c in credits) >= 5
    assert any("fcr_rate" in c["missed"] for c in credits)
    applied = [c for c in credits if c["applied_on_invoice"]]
    assert len(applied) == 6 and all(c["month"] != MONTHS[-1] for c in applied)


# ------------------------------------------------------------------ revisions and contract versions

def test_revision_fixes_one_defect_and_introduces_another(default_out, truth):
    (rev,) = truth["invoice_revisions"]
    vendor, inv = rev["vendor_id"], rev["invoice_id"]
    folder = default_out / "landing" / vendor / "invoices"
    r0, r1 = folder / f"invoice_{inv}_r0.csv", folder / f"invoice_{inv}_r1.csv"
    assert os.stat(r1).st_mtime > os.stat(r0).st_mtime
    lines0, lines1 = invoice_lines(r0), invoice_lines(r1)
    assert {r["revision"] for r in lines0} == {0} and {r["revision"] for r in lines1} == {1}
    fixed = rev["fixed_in_revision_1"]
    bad = next(r for r in lines0 if r["line_id"] == fixed["line_id"])
    assert bad["amount"] - bad["quantity"] * bad["unit_price"] == Decimal(fixed["amount_at_risk"]) > 1
    same = next(r for r in lines1 if (r["category"], r["channel"], r["quantity"]) ==
                (bad["category"], bad["channel"], bad["quantity"]))
    assert same["amount"] == (same["quantity"] * same["unit_price"]).quantize(CENT, ROUND_HALF_EVEN)
    mine = [d for d in truth["defects"] if d["invoice_id"] == inv]
    assert mine and all(d["revision"] == 1 for d in mine)  # revision 0's defects are not in the ground truth
    assert not any(d["finding"] == "arithmetic_error" and d["line_id"] == same["line_id"] for d in mine)
    (new,) = rev["introduced_in_revision_1"]
    assert any((d["line_id"], d["finding"], d["revision"]) == (new["line_id"], new["finding"], 1) for d in mine)
    assert new["line_id"] not in {r["line_id"] for r in lines0}


def test_version_switch_mid_data_set(default_out, truth):
    v1, v2 = _contract(default_out, "pacific_ph")["versions"]
    assert v2["effective_from"] == date(2026, 3, 1)
    chat_rate = {"2026-01": Decimal("120.00"), "2026-02": Decimal("120.00"), "2026-03": Decimal("112.00")}
    assert Decimal(str(pricing_line(v1, "handled_contacts", "chat")["rate"])) == chat_rate["2026-01"]
    assert Decimal(str(pricing_line(v2, "handled_contacts", "chat")["rate"])) == chat_rate["2026-03"]
    for month in MONTHS:  # each month's chat lines are priced at the rate of the version in force
        chat = [r for r in _non_duplicates(_period(default_out, "pacific_ph", month))
                if (r["category"], r["channel"]) == ("handled_contacts", "chat")]
        variance = sum((Decimal(d["amount_at_risk"]) for d in truth["defects"] if d["finding"] == "rate_variance"
                        and (d["invoice_id"], d["line_id"]) == (chat[0]["invoice_id"], chat[0]["line_id"])), Decimal(0))
        billed = sum(r["quantity"] * r["unit_price"] for r in chat)
        assert billed - variance == sum(r["quantity"] for r in chat) * chat_rate[month], month
    targets = {s["period_month"]: (Decimal(s["target"]), s["contract_version"]) for s in truth["sla"]
               if (s["vendor_id"], s["metric"], s["channel"]) == ("pacific_ph", "service_level", "voice")}
    assert targets == {"2026-01": (Decimal("0.80"), "2026-01-01"), "2026-02": (Decimal("0.80"), "2026-01-01"),
                       "2026-03": (Decimal("0.78"), "2026-03-01")}


def test_minimum_commitment_bites_and_is_billed_correctly(default_out, truth):
    flagged = {(d["invoice_id"], d["line_id"]) for d in truth["defects"]}
    correct = 0
    for month in MONTHS:
        version = _version(default_out, "iberia_es", month)
        lines = _period(default_out, "iberia_es", month)
        short = [r for r in lines if r["category"] == "minimum_commitment_shortfall"]
        if short and (short[0]["invoice_id"], short[0]["line_id"]) not in flagged:
            assert short[0]["amount"] == Decimal(str(version["minimum_monthly_commitment"])) - _fees(lines, version) > 0
            correct += 1
    assert correct >= 1
