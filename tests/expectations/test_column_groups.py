"""The runner validates each rule on a frame of its own columns: same reports as the whole suite on the whole frame."""

from __future__ import annotations

import copy

import pytest

from expectations import runner, suites
from ingestion.feeds import FEEDS

from . import frames as F
from .test_runner import CASES, NOW, edited

GX_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")


@pytest.mark.parametrize("feed", list(FEEDS))
def test_every_column_a_rule_reads_is_in_its_group(feed):
    for rule in suites.rules_for(feed):
        read = set()
        for key in GX_COLUMN_KWARGS:
            value = rule.kwargs.get(key)
            read.update([value] if isinstance(value, str) else value or [])
        assert read <= set(runner._rule_columns(rule)), rule.rule_id


def test_groups_cover_every_rule_once_and_exists_checks_see_the_whole_frame():
    for feed in FEEDS:
        rules = suites.rules_for(feed)
        groups = runner._by_columns(rules)
        assert sorted(r.rule_id for g in groups.values() for r in g) == sorted(r.rule_id for r in rules)
        assert all(r.expectation == "ExpectColumnToExist" for r in groups[None])
        assert all(r.expectation != "ExpectColumnToExist" for cols, g in groups.items() if cols for r in g)


def _whole_suite(validator: runner.FeedValidator) -> runner.FeedValidator:
    """The validator as it was before column groups: each feed's one suite on the whole frame."""
    whole = copy.copy(validator)
    whole._column_groups = {feed: [(None, validator.suites[feed])] for feed in FEEDS}
    return whole


def _all_edits(feed: str):
    def apply(records):
        for case_feed, _, edits, *_ in CASES:
            if case_feed != feed:
                continue
            if callable(edits):
                edits(records)
            else:
                for row, changes in edits.items():
                    records[row - 1].update(changes)
    return apply


def _frames(feed: str):
    yield "valid", F.frame(feed)
    yield "every case's edits", edited(feed, _all_edits(feed))
    required = next(c.name for c in FEEDS[feed].columns if c.required and c.pii is None)
    yield f"without {required}", F.frame(feed).drop(columns=[required])


@pytest.mark.parametrize("feed", list(FEEDS))
def test_grouped_validation_reports_exactly_what_the_whole_suite_reports(validator, feed):
    whole = _whole_suite(validator)
    vendor = None if feed == "fx_rates" else F.VENDOR
    for label, frame in _frames(feed):
        grouped = validator.validate(feed, frame, vendor, now=NOW)
        expected = whole.validate(feed, frame, vendor, now=NOW)
        assert grouped.to_text() == expected.to_text(), label
        assert grouped.to_metadata() == expected.to_metadata(), label
        assert [f.to_dict() for f in grouped.failures] == [f.to_dict() for f in expected.failures], label
        assert expected.success == (label == "valid"), label  # the edited frames do exercise failures
