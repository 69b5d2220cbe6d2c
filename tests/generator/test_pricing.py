from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from generator.pricing import expected_amount, reached_tier, tier_split

MARGINAL = {"category": "handled_contacts", "channel": "voice",
            "tiers": [{"up_to": 100, "rate": D("2.00")}, {"up_to": 250, "rate": D("1.50")}, {"up_to": None, "rate": D("1.00")}]}
WHOLE = {"category": "handled_contacts", "channel": "voice",
         "tiers": [{"up_to": 100, "rate": D("2.00"), "basis": "whole"}, {"up_to": None, "rate": D("1.50"), "basis": "whole"}]}


def test_marginal_tiers():
    assert expected_amount(D(50), MARGINAL) == D("100.00")
    assert expected_amount(D(100), MARGINAL) == D("200.00")
    assert expected_amount(D(300), MARGINAL) == D("200.00") + D("225.00") + D("50.00")
    assert tier_split(D(300), MARGINAL["tiers"]) == [(0, D(100), D("2.00")), (1, D(150), D("1.50")), (2, D(50), D("1.00"))]


def test_whole_basis_up_to_is_inclusive():
    assert reached_tier(D(100), WHOLE["tiers"]) == 0
    assert expected_amount(D(100), WHOLE) == D("200.00")
    assert expected_amount(D(101), WHOLE) == D("151.50")


def test_flat():
    assert expected_amount(D("12.25"), {"category": "handle_minutes", "rate": D("9.80")}) == D("120.0500")


@given(st.integers(min_value=0, max_value=10**6))
def test_marginal_is_sum_of_parts_and_monotone(q):
    parts = tier_split(D(q), MARGINAL["tiers"])
    assert sum(p[1] for p in parts) == q
    assert expected_amount(D(q), MARGINAL) == sum(p[1] * p[2] for p in parts)
    assert expected_amount(D(q + 1), MARGINAL) > expected_amount(D(q), MARGINAL)
