"""The suites are derived from ingestion.feeds, not written per feed by hand."""

from __future__ import annotations

import dataclasses

import pytest

from expectations import suites
from ingestion.feeds import FEEDS, Column, stored_columns


def _ids(feed) -> set[str]:
    return {r.rule_id for r in suites.rules_for(feed)}


@pytest.mark.parametrize("feed", list(FEEDS))
def test_generic_rules_follow_the_declarations(feed):
    spec = FEEDS[feed]
    ids = _ids(feed)
    stored = set(stored_columns(spec))
    for c in spec.columns:
        name = suites.stored_name(c)
        if name is None:
            assert c.pii == "drop"
            assert not any(i.endswith(f":{c.name}") for i in ids)
            continue
        assert name in stored
        assert (f"exists:{name}" in ids) == c.required
        assert (f"not_null:{name}" in ids) == (not c.nullable)
        assert (f"in_set:{name}" in ids) == (c.allowed is not None)
        assert (f"range:{name}" in ids) == (c.min_value is not None or c.max_value is not None)
        assert (f"plausible:{name}" in ids) == (c.type in ("timestamp", "date"))
    key = spec.unique_key
    assert (f"unique:{key[0]}" if len(key) == 1 else f"unique:{'+'.join(key)}") in ids
    for a, b in spec.ordered_pairs:
        assert f"order:{a}>={b}" in ids
    for a, b in spec.strict_pairs:
        assert f"order:{a}>{b}" in ids
    assert ("vendor:vendor_id" in ids) == spec.vendor_scoped


def test_pii_columns_are_checked_under_their_stored_names():
    ids = _ids("interactions")
    assert not any("customer_name" in i for i in ids)
    assert all(r.column != "customer_ref" for r in suites.rules_for("interactions"))


def test_a_new_declared_column_gets_its_checks_without_touching_the_suites():
    spec = dataclasses.replace(
        FEEDS["surveys"],
        columns=FEEDS["surveys"].columns
        + (Column("ces", "int", required=True, nullable=False, min_value=1, max_value=7),),
    )
    ids = _ids(spec)
    assert {"exists:ces", "not_null:ces", "range:ces"} <= ids


def test_feed_specific_rules():
    assert {"answered:answered_at"} <= _ids("interactions")
    assert {
        "single_value:invoice_id",
        "single_value:revision",
        "single_value:currency",
        "single_value:period_start",
        "single_value:period_end",
        "currency_code:currency",
        "amount_sign:positive",
        "amount_sign:negative",
        "service_credit:amount",
        "tax:tax_amount",
    } <= _ids("invoices")
    assert "currency_code:currency" in _ids("fx_rates")
    rate = next(r for r in suites.rules_for("fx_rates") if r.rule_id == "range:rate_to_reporting")
    assert rate.kwargs.get("strict_min") is True  # > 0, not >= 0


def test_worked_time_self_service_and_qa_rules():
    rules = {r.rule_id: r for f in ("agent_time", "self_service", "qa_evaluations") for r in suites.rules_for(f)}
    interval = rules["order:ended_at>started_at"]  # agent_time: a zero-length interval fails too
    assert interval.kwargs["or_equal"] is False and interval.problem == "ended_at is not after started_at"
    session = rules["order:ended_at>=started_at"]  # self_service: a zero-second session is possible
    assert session.kwargs["or_equal"] is True and session.problem == "ended_at is before started_at"
    assert "order:ended_at>started_at" not in _ids("self_service")
    score = rules["order:max_score>=score"]
    assert (score.kwargs["column_A"], score.kwargs["or_equal"], score.problem) == ("max_score", True,
                                                                                  "score is above max_score")
    assert rules["range:max_score"].kwargs == {"column": "max_score", "min_value": 0, "strict_min": True}
    assert rules["range:score"].kwargs == {"column": "score", "min_value": 0}
    assert rules["in_set:outcome"].kwargs["value_set"] == ["contained", "transferred", "abandoned"]
    assert rules["in_set:evaluator_side"].kwargs["value_set"] == ["vendor", "client"]
    assert rules["in_set:channel"].kwargs["value_set"] == ["ivr", "bot", "web"]  # self_service (agent_time and qa have no channel)
    for feed, key in (("agent_time", "record_id"), ("self_service", "session_id"), ("qa_evaluations", "evaluation_id")):
        assert {f"unique:{key}", f"not_null:{key}", f"exists:{key}", "vendor:vendor_id"} <= _ids(feed)


def test_rules_carry_readable_conditions():
    sign = next(r for r in suites.rules_for("invoices") if r.rule_id == "amount_sign:positive")
    assert sign.condition_text() == "(quantity > 0 and unit_price > 0) or (quantity < 0 and unit_price < 0)"
    assert sign.expectation_type == "expect_column_values_to_be_between"


def test_unknown_feed_is_an_error():
    with pytest.raises(ValueError, match="unknown feed"):
        suites.rules_for("calls")


@pytest.mark.parametrize("feed", list(FEEDS))
def test_build_suite_is_a_gx_suite_with_one_expectation_per_rule(validator, feed):
    import great_expectations as gx

    suite = suites.build_suite(feed)
    assert isinstance(suite, gx.ExpectationSuite)
    assert suite.name == f"bpo.{feed}"
    rules = suites.rules_for(feed)
    assert [e.meta["rule"] for e in suite.expectations] == [r.rule_id for r in rules]
    assert [e.expectation_type for e in suite.expectations] == [r.expectation_type for r in rules]
    # the validator holds the same suites, registered once in its context
    assert [e.meta["rule"] for e in validator.suites[feed].expectations] == [r.rule_id for r in rules]


@pytest.mark.parametrize("feed", list(FEEDS))
def test_every_regex_is_anchored_so_both_engines_agree(feed):
    """pandas finds a match anywhere (str.contains), DuckDB's `~` must match the whole value: only a pattern
    anchored at both ends gives the same verdict on both (DEVELOPERS.md, "Validation engine")."""
    for rule in suites.rules_for(feed):
        regex = rule.kwargs.get("regex")
        if regex is not None:
            assert regex.startswith("^") and regex.endswith("$"), rule.rule_id
