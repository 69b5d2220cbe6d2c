"""The runner: valid files pass, each rule fails with its expectation named,
the right count and the offending source rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl
import pytest

from expectations import runner, suites
from ingestion.feeds import FEEDS

from . import frames as F

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=F.UTC)  # fixed "validation time"


def _vendor(feed: str) -> str | None:
    return None if feed == "fx_rates" else F.VENDOR


def validate(validator, feed: str, frame: pd.DataFrame, vendor_id: str | None = "default", **kw):
    vendor = _vendor(feed) if vendor_id == "default" else vendor_id
    return validator.validate(feed=feed, frame=frame, vendor_id=vendor, now=kw.pop("now", NOW), **kw)


def edited(feed: str, edits: dict[int, dict[str, Any]] | Callable[[list[dict]], None], n: int = 12) -> pd.DataFrame:
    """A valid frame with cells changed; `edits` keyed by 1-based source row."""
    records = F.rows(feed, n)
    if callable(edits):
        edits(records)
    else:
        for row, changes in edits.items():
            records[row - 1].update(changes)
    return F.to_frame(feed, records)


def every_row(**changes) -> Callable[[list[dict]], None]:
    def apply(records):
        for r in records:
            r.update(changes)

    return apply


# --- caching --------------------------------------------------------------------


def test_validator_is_cached_per_process(validator):
    again = runner.get_validator()
    assert again is validator
    assert again.context is validator.context
    assert set(validator.suites) == set(FEEDS)
    assert len(validator.context.suites.all()) == len(FEEDS)  # built once, not per call


# --- valid files ------------------------------------------------------------------


@pytest.mark.parametrize("feed", list(FEEDS))
def test_valid_file_passes(validator, feed):
    report = validate(validator, feed, F.frame(feed))
    assert report.success, report.to_text()
    assert report.failures == []
    assert report.evaluated == len(suites.rules_for(feed)) == report.successful
    assert report.rows == 12
    assert report.to_text().startswith("Validation passed")


# --- one violation per rule ---------------------------------------------------------

I = "interactions"
INV = "invoices"
AT = "agent_time"
SS = "self_service"
QA = "qa_evaluations"
T0 = F.ts(2)  # a valid timestamp in the sample month

CASES: list[tuple[str, str, Any, str, str | None, int | None, list[int]]] = [
    # (feed, rule, edits, expectation type, column, unexpected_count, example source rows)
    (I, "not_null:queue", {12: {"queue": None}}, "expect_column_values_to_not_be_null", "queue", 1, [12]),
    (I, "in_set:channel", {5: {"channel": "fax"}, 9: {"channel": "Voice"}}, "expect_column_values_to_be_in_set", "channel", 2, [5, 9]),
    (I, "range:talk_seconds", {2: {"talk_seconds": -1}}, "expect_column_values_to_be_between", "talk_seconds", 1, [2]),
    (I, "range:hold_seconds", {6: {"hold_seconds": -5}}, "expect_column_values_to_be_between", "hold_seconds", 1, [6]),
    (I, "range:wrap_seconds", {10: {"wrap_seconds": -30}}, "expect_column_values_to_be_between", "wrap_seconds", 1, [10]),
    (I, "plausible:arrived_at", {3: {"arrived_at": dt.datetime(1999, 12, 31, 23, tzinfo=F.UTC)}}, "expect_column_values_to_be_between", "arrived_at", 1, [3]),
    (I, "plausible:ended_at", {1: {"ended_at": NOW + dt.timedelta(days=1, minutes=1)}}, "expect_column_values_to_be_between", "ended_at", 1, [1]),
    (I, "plausible:updated_at", {10: {"updated_at": NOW + dt.timedelta(days=30)}}, "expect_column_values_to_be_between", "updated_at", 1, [10]),
    (I, "unique:interaction_id", {7: {"interaction_id": "I000001"}}, "expect_column_values_to_be_unique", "interaction_id", 2, [2, 7]),
    (I, "order:answered_at>=arrived_at", {1: {"answered_at": F.ts(1, 8) - dt.timedelta(seconds=5)}}, "expect_column_pair_values_a_to_be_greater_than_b", None, 1, [1]),
    (I, "order:ended_at>=arrived_at", {2: {"ended_at": F.ts(2, 9, 1) - dt.timedelta(seconds=1)}}, "expect_column_pair_values_a_to_be_greater_than_b", None, 1, [2]),
    (I, "vendor:vendor_id", {3: {"vendor_id": "globex_ph"}, 4: {"vendor_id": "globex_ph"}}, "expect_column_values_to_be_in_set", "vendor_id", 2, [3, 4]),
    (I, "answered:answered_at", {4: {"talk_seconds": 40}, 8: {"wrap_seconds": 5}}, "expect_column_values_to_not_be_null", "answered_at", 2, [4, 8]),
    ("surveys", "range:csat", {2: {"csat": 6}, 3: {"csat": 0}}, "expect_column_values_to_be_between", "csat", 2, [2, 3]),
    ("surveys", "range:nps", {4: {"nps": 11}}, "expect_column_values_to_be_between", "nps", 1, [4]),
    ("surveys", "not_null:interaction_id", {9: {"interaction_id": None}}, "expect_column_values_to_not_be_null", "interaction_id", 1, [9]),
    ("surveys", "unique:survey_id", {3: {"survey_id": "S00000"}, 5: {"survey_id": "S00000"}}, "expect_column_values_to_be_unique", "survey_id", 3, [1, 3, 5]),
    ("surveys", "plausible:responded_at", {2: {"responded_at": dt.datetime(1970, 1, 1, tzinfo=F.UTC)}}, "expect_column_values_to_be_between", "responded_at", 1, [2]),
    ("agent_surveys", "range:esat", {1: {"esat": 0}}, "expect_column_values_to_be_between", "esat", 1, [1]),
    ("agent_surveys", "range:enps", {2: {"enps": -1}}, "expect_column_values_to_be_between", "enps", 1, [2]),
    ("agent_surveys", "not_null:response_id", {7: {"response_id": None}}, "expect_column_values_to_not_be_null", "response_id", 1, [7]),
    (INV, "single_value:invoice_id", {3: {"invoice_id": "INV-2026-04"}}, "expect_column_unique_value_count_to_be_between", "invoice_id", None, [1, 3]),
    (INV, "single_value:revision", {2: {"revision": 1}}, "expect_column_unique_value_count_to_be_between", "revision", None, [1, 2]),
    (INV, "single_value:currency", {4: {"currency": "USD"}}, "expect_column_unique_value_count_to_be_between", "currency", None, [1, 4]),
    (INV, "single_value:period_start", {2: {"period_start": dt.date(2026, 3, 2)}}, "expect_column_unique_value_count_to_be_between", "period_start", None, [1, 2]),
    (INV, "single_value:period_end", {6: {"period_end": dt.date(2026, 3, 30)}}, "expect_column_unique_value_count_to_be_between", "period_end", None, [1, 6]),
    (INV, "currency_code:currency", every_row(currency="mx$"), "expect_column_values_to_match_regex", "currency", 12, [1, 2, 3, 4, 5]),
    (INV, "order:period_end>=period_start", every_row(period_end=dt.date(2026, 2, 28)), "expect_column_pair_values_a_to_be_greater_than_b", None, 12, [1, 2, 3, 4, 5]),
    (INV, "unique:invoice_id+revision+line_id", {9: {"line_id": "L002"}}, "expect_compound_columns_to_be_unique", None, 2, [2, 9]),
    (INV, "not_null:amount", {5: {"amount": None}}, "expect_column_values_to_not_be_null", "amount", 1, [5]),
    (INV, "not_null:tax_amount", {5: {"tax_amount": None}}, "expect_column_values_to_not_be_null", "tax_amount", 1, [5]),
    (INV, "not_null:category", {3: {"category": None}}, "expect_column_values_to_not_be_null", "category", 1, [3]),
    (INV, "in_set:unit", {1: {"unit": "contacts"}}, "expect_column_values_to_be_in_set", "unit", 1, [1]),
    (INV, "in_set:channel", {4: {"channel": "sms"}}, "expect_column_values_to_be_in_set", "channel", 1, [4]),
    (INV, "range:revision", every_row(revision=-1), "expect_column_values_to_be_between", "revision", 12, [1, 2, 3, 4, 5]),
    (INV, "plausible:invoice_date", every_row(invoice_date=dt.date(1999, 4, 2)), "expect_column_values_to_be_between", "invoice_date", 12, [1, 2, 3, 4, 5]),
    (INV, "amount_sign:positive", {1: {"amount": Decimal("-2460000.00")}}, "expect_column_values_to_be_between", "amount", 1, [1]),
    (INV, "amount_sign:negative", {3: {"unit_price": Decimal("-9.80")}}, "expect_column_values_to_be_between", "amount", 1, [3]),
    (INV, "service_credit:amount", {7: {"amount": Decimal("12.00")}}, "expect_column_values_to_be_between", "amount", 1, [7]),
    (INV, "tax:tax_amount", {2: {"tax_amount": Decimal("-0.01")}}, "expect_column_values_to_be_between", "tax_amount", 1, [2]),
    ("fx_rates", "range:rate_to_reporting", {2: {"rate_to_reporting": Decimal("0")}, 7: {"rate_to_reporting": Decimal("-1.5")}}, "expect_column_values_to_be_between", "rate_to_reporting", 2, [2, 7]),
    ("fx_rates", "currency_code:currency", {3: {"currency": "usd"}}, "expect_column_values_to_match_regex", "currency", 1, [3]),
    ("fx_rates", "unique:rate_date+currency", {5: {"currency": "EUR"}}, "expect_compound_columns_to_be_unique", None, 2, [5, 6]),
    ("fx_rates", "not_null:rate_date", {1: {"rate_date": None}}, "expect_column_values_to_not_be_null", "rate_date", 1, [1]),
    # agent_time (frames._agent_time: row r starts at ts(r, 7 + r, 7 * (r - 1)) for r <= 9)
    (AT, "order:ended_at>started_at", {4: {"ended_at": F.ts(4, 11, 21)}, 9: {"ended_at": F.ts(9, 16, 55)}},
     "expect_column_pair_values_a_to_be_greater_than_b", None, 2, [4, 9]),  # zero length (row 4), end before start (row 9)
    (AT, "not_null:state", {6: {"state": None}}, "expect_column_values_to_not_be_null", "state", 1, [6]),
    (AT, "not_null:agent_id", {1: {"agent_id": None}}, "expect_column_values_to_not_be_null", "agent_id", 1, [1]),
    (AT, "unique:record_id", {10: {"record_id": "T000002"}}, "expect_column_values_to_be_unique", "record_id", 2, [3, 10]),
    (AT, "plausible:started_at", {2: {"started_at": dt.datetime(1999, 12, 31, 23, tzinfo=F.UTC)}}, "expect_column_values_to_be_between", "started_at", 1, [2]),
    (AT, "vendor:vendor_id", {5: {"vendor_id": "globex_ph"}}, "expect_column_values_to_be_in_set", "vendor_id", 1, [5]),
    # self_service (row 7 starts at ts(7, 13, 6))
    (SS, "in_set:channel", {2: {"channel": "voice"}}, "expect_column_values_to_be_in_set", "channel", 1, [2]),
    (SS, "in_set:outcome", {3: {"outcome": "resolved"}, 11: {"outcome": "Contained"}}, "expect_column_values_to_be_in_set", "outcome", 2, [3, 11]),
    (SS, "not_null:outcome", {8: {"outcome": None}}, "expect_column_values_to_not_be_null", "outcome", 1, [8]),
    (SS, "order:ended_at>=started_at", {7: {"ended_at": F.ts(7, 13, 5, 59)}}, "expect_column_pair_values_a_to_be_greater_than_b", None, 1, [7]),
    (SS, "unique:session_id", {12: {"session_id": "SS000000"}}, "expect_column_values_to_be_unique", "session_id", 2, [1, 12]),
    # qa_evaluations (max_score of row r: 100, 10, 4.5 for r = 1, 2, 3 mod 3)
    (QA, "range:score", {2: {"score": Decimal("-1")}}, "expect_column_values_to_be_between", "score", 1, [2]),
    (QA, "range:max_score", {3: {"max_score": Decimal(0), "score": Decimal(0)}}, "expect_column_values_to_be_between", "max_score", 1, [3]),
    (QA, "order:max_score>=score", {5: {"score": Decimal("10.5")}, 7: {"score": Decimal("100.0001")}}, "expect_column_pair_values_a_to_be_greater_than_b", None, 2, [5, 7]),
    (QA, "in_set:evaluator_side", {4: {"evaluator_side": "both"}}, "expect_column_values_to_be_in_set", "evaluator_side", 1, [4]),
    (QA, "unique:evaluation_id", {6: {"evaluation_id": "Q00000"}}, "expect_column_values_to_be_unique", "evaluation_id", 2, [1, 6]),
    (QA, "not_null:auto_fail", {9: {"auto_fail": None}}, "expect_column_values_to_not_be_null", "auto_fail", 1, [9]),
]


@pytest.mark.parametrize(
    "feed,rule,edits,expectation,column,count,rows", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_each_rule_fails_with_its_expectation_count_and_rows(validator, feed, rule, edits, expectation, column, count, rows):
    report = validate(validator, feed, edited(feed, edits))
    assert not report.success
    assert report.failed_rules == [rule], report.to_text()
    failure = report.failures[0]
    assert failure.expectation == expectation
    assert failure.column == column
    assert failure.unexpected_count == count
    assert failure.row_numbers == rows
    assert report.successful == report.evaluated - 1
    # the examples carry the rule's columns and the source row number
    spec = next(r for r in suites.rules_for(feed) if r.rule_id == rule)
    for example in failure.examples:
        assert set(example) == {"_row_number", *spec.columns}
    # the reason text names the column(s) and the source rows
    text = report.to_text()
    assert text.startswith("Validation failed")
    for col in spec.columns:
        assert col in text
    for r in rows:
        assert f"row {r}:" in text
    if count is not None:
        assert f"in {count:,} of 12 rows" in failure.message


def test_new_feed_messages_read_as_plain_english(validator):
    zero = validate(validator, AT, edited(AT, {4: {"ended_at": F.ts(4, 11, 21)}}))
    assert zero.failures[0].message == "ended_at is not after started_at in 1 of 12 rows"
    over = validate(validator, QA, edited(QA, {5: {"score": Decimal("10.5")}}))
    assert over.failures[0].message == "score is above max_score in 1 of 12 rows"
    assert "row 5: max_score=10.0000, score=10.5000" in over.to_text()
    zero_max = validate(validator, QA, edited(QA, {3: {"max_score": Decimal(0), "score": Decimal(0)}}))
    assert zero_max.failures[0].message == "max_score is not greater than 0 in 1 of 12 rows"


def test_message_reads_as_plain_english(validator):
    frame = edited(I, {3: {"answered_at": F.ts(3, 10, 2) - dt.timedelta(minutes=1)}})
    report = validate(validator, I, frame)
    assert report.failures[0].message == "answered_at is before arrived_at in 1 of 12 rows"
    example = report.failures[0].examples[0]
    assert example == {"_row_number": 3, "answered_at": F.ts(3, 10, 1), "arrived_at": F.ts(3, 10, 2)}


def test_file_claiming_another_vendor_fails_with_a_clear_message(validator):
    report = validate(validator, I, F.frame(I), vendor_id="globex_ph")
    (failure,) = report.failures
    assert failure.message == (
        "vendor_id is not 'globex_ph', the vendor folder the file landed in, in 12 of 12 rows (values seen: 'acme_mx')"
    )


def test_several_rules_fail_together_in_suite_order(validator):
    frame = edited(I, {2: {"talk_seconds": -1}, 5: {"channel": "fax"}, 6: {"vendor_id": "x"}})
    report = validate(validator, I, frame)
    assert report.failed_rules == ["in_set:channel", "range:talk_seconds", "vendor:vendor_id"]
    text = report.to_text()
    assert "3 failed" in text
    assert text.index("channel") < text.index("talk_seconds") < text.index("vendor_id is not")


def test_single_value_failure_lists_each_value_with_its_first_row(validator):
    frame = edited(INV, {3: {"invoice_id": "INV-2026-04"}, 4: {"invoice_id": "INV-2026-04"}})
    (failure,) = validate(validator, INV, frame).failures
    assert failure.message == (
        "invoice_id has 2 different values in the file (a file holds exactly one invoice revision): "
        "'INV-2026-03' (from row 1), 'INV-2026-04' (from row 3)"
    )


def test_missing_required_column_is_reported_once(validator):
    frame = F.frame(I).drop(columns=["channel"])
    report = validate(validator, I, frame)
    assert report.failed_rules == ["exists:channel"]
    assert report.failures[0].message == "required column channel is missing"
    assert report.failures[0].expectation == "expect_column_to_exist"


# --- rule semantics ---------------------------------------------------------------


def test_unanswered_rows_may_carry_zero_or_null_durations(validator):
    frame = edited(I, {4: {"talk_seconds": 0, "hold_seconds": 0, "wrap_seconds": 0}, 8: {"wrap_seconds": None}})
    assert validate(validator, I, frame).success


def test_timestamps_up_to_one_day_ahead_are_plausible(validator):
    frame = edited(I, {1: {"ended_at": NOW + dt.timedelta(hours=23, minutes=59)}})
    assert validate(validator, I, frame).success
    frame = edited(I, {3: {"arrived_at": dt.datetime(2000, 1, 1, tzinfo=F.UTC)}})
    assert validate(validator, I, frame).success


def test_timestamp_bound_follows_the_validation_time(validator):
    frame = edited(I, {1: {"ended_at": NOW + dt.timedelta(days=2)}})
    assert not validate(validator, I, frame).success
    assert validate(validator, I, frame, now=NOW + dt.timedelta(days=2)).success


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Decimal("2460000.37")},  # off by cents: arithmetic_error finding, loads
        {"amount": Decimal("2400000.00")},  # off by units: still a finding, not a rejection
        {"amount": Decimal("0")},  # zero is not the opposite sign
        {"quantity": None},  # sign rule needs both factors
        {"unit_price": Decimal("0")},
    ],
)
def test_amount_mismatch_is_not_a_validation_failure(validator, changes):
    assert validate(validator, INV, edited(INV, {1: changes})).success


def test_negative_quantity_and_price_need_a_positive_amount(validator):
    frame = edited(INV, {3: {"quantity": Decimal("-1"), "unit_price": Decimal("-9.80"), "amount": Decimal("-9.80")}})
    report = validate(validator, INV, frame)
    assert report.failed_rules == ["amount_sign:positive"]
    assert report.failures[0].examples == [
        {"_row_number": 3, "amount": Decimal("-9.8000"), "quantity": Decimal("-1.0000"), "unit_price": Decimal("-9.8000")}
    ]


def test_fx_rates_ignore_the_vendor_argument(validator):
    assert validate(validator, "fx_rates", F.frame("fx_rates"), vendor_id="_shared").success


def test_argument_errors(validator):
    with pytest.raises(ValueError, match="vendor-scoped"):
        validator.validate(feed=I, frame=F.frame(I), vendor_id=None)
    with pytest.raises(ValueError, match="unknown feed"):
        validator.validate(feed="calls", frame=F.frame(I), vendor_id=F.VENDOR)


# --- frames as they may arrive --------------------------------------------------------


@pytest.mark.parametrize("feed", list(FEEDS))
def test_empty_file_passes(validator, feed):
    report = validate(validator, feed, F.frame(feed).iloc[0:0])
    assert report.success, report.to_text()
    assert report.rows == 0


def test_absent_optional_columns_are_validated_as_empty_and_noted(validator):
    frame = F.frame(I).drop(columns=["language", "updated_at", "customer_email_hash"])
    report = validate(validator, I, frame)
    assert report.success
    assert report.notes == ["optional column(s) absent from the frame, validated as empty: language, customer_email_hash, updated_at"]
    assert "Notes:" in report.to_text()


def test_frame_without_row_numbers_is_numbered_in_order(validator):
    frame = edited(I, {4: {"channel": "fax"}}).drop(columns=["_row_number"])
    report = validate(validator, I, frame)
    assert report.failures[0].row_numbers == [4]
    assert any("_row_number" in n for n in report.notes)


def test_row_numbers_come_from_the_column_not_the_index(validator):
    records = F.rows(I)
    for r in records:
        r["_row_number"] += 100  # e.g. a file after a header block
    records[4]["channel"] = "fax"
    frame = F.to_frame(I, records)
    frame.index = pd.RangeIndex(1000, 1012)  # and a non-default index
    (failure,) = validate(validator, I, frame).failures
    assert failure.row_numbers == [105]


def test_multi_chunk_arrow_columns(validator):
    records = F.rows(I)
    records[9]["talk_seconds"] = -3
    sch = F.schema(I)
    parts = [pl.DataFrame(records[:6], schema=sch, orient="row"), pl.DataFrame(records[6:], schema=sch, orient="row")]
    frame = pl.concat(parts, rechunk=False).to_pandas(use_pyarrow_extension_array=True)
    (failure,) = validate(validator, I, frame).failures
    assert (failure.rule, failure.row_numbers) == ("range:talk_seconds", [10])


def _numpy_backed(frame: pd.DataFrame) -> pd.DataFrame:
    """The same data with pandas' own dtypes: Int64, string, datetime64[ns, UTC], object."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        pa_type = s.dtype.pyarrow_dtype
        if str(pa_type).startswith(("int", "uint")):
            out[col] = s.astype("Int64")
        elif str(pa_type) in ("string", "large_string"):
            out[col] = s.astype("string")
        elif str(pa_type) == "bool":
            out[col] = s.astype("boolean")
        elif str(pa_type).startswith("timestamp"):
            out[col] = pd.to_datetime(s.astype(object), utc=True)
        else:  # dates and decimals as Python objects
            out[col] = pd.Series([None if pd.isna(v) else v for v in s], dtype=object, index=s.index)
    return pd.DataFrame(out)


@pytest.mark.parametrize("feed", [I, INV, "fx_rates"])
def test_numpy_backed_frames_validate_the_same(validator, feed):
    assert validate(validator, feed, _numpy_backed(F.frame(feed))).success
    edits = {
        I: {2: {"talk_seconds": -1}, 5: {"answered_at": F.ts(1, 8)}},
        INV: {1: {"amount": Decimal("-1")}, 4: {"tax_amount": Decimal("-1")}},
        "fx_rates": {2: {"rate_to_reporting": Decimal("0")}},
    }[feed]
    arrow = validate(validator, feed, edited(feed, edits))
    numpy = validate(validator, feed, _numpy_backed(edited(feed, edits)))
    assert not arrow.success
    assert [(f.rule, f.unexpected_count, f.row_numbers) for f in numpy.failures] == [
        (f.rule, f.unexpected_count, f.row_numbers) for f in arrow.failures
    ]


def test_a_check_that_cannot_run_fails_the_file(validator):
    frame = F.frame(I)
    frame["arrived_at"] = frame["arrived_at"].astype("datetime64[us, UTC]").dt.tz_localize(None)  # naive: a bug upstream
    report = validate(validator, I, frame)
    assert not report.success
    assert "plausible:arrived_at" in report.failed_rules
    failure = report.failures[report.failed_rules.index("plausible:arrived_at")]
    assert "could not be evaluated" in failure.message
    assert failure.unexpected_count is None


# --- serialisation -----------------------------------------------------------------


def test_metadata_and_failures_are_json_able(validator):
    frame = edited(INV, {1: {"amount": Decimal("-1")}, 3: {"invoice_id": "X"}, 4: {"period_end": dt.date(2026, 2, 1)}})
    report = validate(validator, INV, frame)
    meta = report.to_metadata()
    json.dumps(meta)
    assert meta["feed"] == INV and meta["success"] is False
    assert meta["evaluated"] == report.evaluated
    assert [f["rule"] for f in meta["failed"]] == report.failed_rules
    assert {"rule", "expectation", "column", "unexpected_count", "message"} == set(meta["failed"][0])
    dumped = json.loads(json.dumps([f.to_dict() for f in report.failures]))
    sign = dumped[report.failed_rules.index("amount_sign:positive")]
    assert sign["examples"] == [{"_row_number": 1, "amount": "-1.0000", "quantity": "40000.0000", "unit_price": "61.5000"}]
    order = dumped[report.failed_rules.index("order:period_end>=period_start")]
    assert order["examples"] == [{"_row_number": 4, "period_end": "2026-02-01", "period_start": "2026-03-01"}]


def test_a_timestamp_past_the_year_9999_is_named_in_the_report_not_a_crash(validator):
    """Python cannot hold 10000-01-01 (what a local 9999-12-31 23:00 east of UTC becomes): the example
    shows it as text instead of the report raising OverflowError."""
    import pyarrow as pa

    frame = edited(I, {})
    micros = pa.array(frame["arrived_at"].array).cast(pa.int64()).to_pylist()
    micros[2] = 253402318800 * 10**6  # 10000-01-01 05:00:00 UTC: 2,932,897 days + 5 h after 1970-01-01
    frame["arrived_at"] = pd.Series(pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                                    dtype=pd.ArrowDtype(pa.timestamp("us", tz="UTC")))
    report = validate(validator, I, frame)
    plausible = next(f for f in report.failures if f.rule == "plausible:arrived_at")
    assert plausible.unexpected_count == 1 and plausible.row_numbers == [3]
    assert plausible.examples[0]["arrived_at"] == "10000-01-01 05:00:00.000000Z"
    assert "row 3: arrived_at='10000-01-01 05:00:00.000000Z'" in report.to_text()
