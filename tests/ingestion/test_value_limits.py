"""Values beyond what raw.* can store, and headers that are not the feed's, are rejected by
normalise() with the column, the row and the value (never left to fail the load)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.feeds import FEEDS, STORED_DECIMALS, STORED_INT_RANGE
from ingestion.readers import FileRejected, normalise

SCHEMA = Path(__file__).resolve().parents[2] / "ingestion" / "warehouse_schema.sql"
BASE = {"interaction_id": "a1", "channel": "voice", "queue": "billing", "arrived_at": "2026-01-05 09:14:03",
        "answered_at": "2026-01-05 09:14:20", "ended_at": "2026-01-05 09:20:00"}


def test_the_declared_limits_are_the_warehouse_column_types():
    con = duckdb.connect()
    con.execute(SCHEMA.read_text())
    types = {(t, c): d for t, c, d in con.execute(
        "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'raw'").fetchall()}
    expected = {"int": "INTEGER", "timestamp": "TIMESTAMP WITH TIME ZONE", "date": "DATE",
                **{k: f"DECIMAL({p},{s})" for k, (p, s) in STORED_DECIMALS.items()}}
    checked = 0
    for feed in FEEDS.values():
        for col in feed.columns:
            if col.type in expected and not col.pii:
                assert types[(feed.table, col.name)] == expected[col.type], (feed.table, col.name)
                checked += 1
    # interactions, surveys, agent_surveys, invoices, fx_rates, agent_time, self_service, qa_evaluations
    assert checked == 7 + 3 + 3 + 8 + 2 + 2 + 2 + 3
    assert STORED_INT_RANGE == (-2147483648, 2147483647)  # DuckDB INTEGER is 32-bit signed


def interactions(**columns) -> pl.DataFrame:
    """Two canonical interaction rows as text; `columns` replace whole columns (values of rows 1 and 2)."""
    data = {k: [v, v.replace("a1", "a2")] for k, v in BASE.items()}
    data.update(columns)
    return pl.DataFrame(data)


def run(raw: pl.DataFrame, feed: str = "interactions", timezone: str = "America/Monterrey") -> pl.DataFrame:
    return normalise(raw, FEEDS[feed], vendor_id="acme_mx", timezone=timezone, salt="s").frame


def rejected(raw: pl.DataFrame, feed: str = "interactions", timezone: str = "America/Monterrey") -> FileRejected:
    with pytest.raises(FileRejected) as info:
        run(raw, feed, timezone)
    return info.value


def test_integers_up_to_the_integer_range_load_and_one_beyond_is_too_large():
    ok = run(interactions(talk_seconds=["2147483647", "0"]))
    assert ok["talk_seconds"].to_list() == [2147483647, 0]
    err = rejected(interactions(talk_seconds=["0", "2147483648"]))
    assert err.reason == ("values the warehouse cannot store in column(s) talk_seconds (first: column talk_seconds, "
                          "row 2: '2147483648' is too large for an INTEGER column (-2,147,483,648..2,147,483,647))")
    assert err.details == ["column talk_seconds: 1 value(s) are too large for an INTEGER column "
                           "(-2,147,483,648..2,147,483,647) (row 2: '2147483648')"]


def test_a_whole_number_beyond_int64_and_a_parquet_uint64_are_too_large_not_the_wrong_type():
    assert "row 1: '1e+20' is too large" in rejected(interactions(hold_seconds=["1e+20", "3"])).reason
    typed = interactions().with_columns(wrap_seconds=pl.Series([1, 2**64 - 1], dtype=pl.UInt64))
    assert f"row 2: {2**64 - 1} is too large for an INTEGER column" in rejected(typed).reason


def test_a_fraction_is_still_the_wrong_type():
    err = rejected(interactions(talk_seconds=["12.5", "3"]))
    assert err.reason.startswith("values of the wrong type in column(s) talk_seconds (first: column talk_seconds, "
                                 "row 1: '12.5' is not a valid whole number)")


INVOICE = {"invoice_id": "INV-1", "period_start": "2026-01-01", "period_end": "2026-01-31", "currency": "MXN",
           "line_id": "L001", "category": "travel"}


def test_amounts_up_to_decimal_18_4_load_and_larger_ones_are_too_large():
    ok = run(pl.DataFrame({**INVOICE, "amount": "99999999999999.9999"}), "invoices")
    assert str(ok["amount"][0]) == "99999999999999.9999"
    err = rejected(pl.DataFrame({**INVOICE, "amount": "1234567890123456.00"}), "invoices")
    assert err.reason == ("values the warehouse cannot store in column(s) amount (first: column amount, row 1: "
                          "'1234567890123456.00' is too large for DECIMAL(18,4) (at most 14 digits before the "
                          "decimal point))")
    assert "too large" in rejected(pl.DataFrame({**INVOICE, "amount": "-100000000000000"}), "invoices").reason
    # and text that is no number at all is still the wrong type
    assert rejected(pl.DataFrame({**INVOICE, "amount": "twelve"}), "invoices").reason.startswith(
        "values of the wrong type in column(s) amount")


def test_a_rate_beyond_decimal_18_8_is_too_large():
    raw = pl.DataFrame({"rate_date": ["2026-01-01"], "currency": ["MXN"], "rate_to_reporting": ["12345678901.5"]})
    with pytest.raises(FileRejected, match=r"'12345678901.5' is too large for DECIMAL\(18,8\) \(at most 10 digits"):
        normalise(raw, FEEDS["fx_rates"], vendor_id=None, timezone="UTC", salt="s")


def test_timestamps_past_the_year_9999_once_in_utc_are_rejected_the_last_instant_is_not():
    late = {"arrived_at": ["2026-01-05 09:14:03", "9999-12-31 23:59:59"],
            "answered_at": [None, None], "ended_at": ["2026-01-05 09:20:00", "9999-12-31 23:59:59"]}
    assert run(interactions(**late), timezone="UTC")["arrived_at"][1].year == 9999
    err = rejected(interactions(**late), timezone="America/Monterrey")  # 06:00 UTC on 10000-01-01
    assert err.reason == ("values the warehouse cannot store in column(s) arrived_at, ended_at (first: column "
                          "arrived_at, row 2: '9999-12-31 23:59:59' is outside the years 0001..9999 (UTC) once "
                          "read in America/Monterrey)")


def test_a_nul_byte_in_text_is_rejected_with_row_and_column():
    err = rejected(interactions(queue=["billing", "bil\x00ling"]))
    assert err.reason == ("text with a NUL byte in column(s) queue (first: column queue, row 2: 'bil\\x00ling' is "
                          "text with a NUL byte (\\x00), which the warehouse cannot store)")


def test_wrong_types_and_values_too_large_are_reported_together_type_errors_first():
    err = rejected(interactions(talk_seconds=["ten", "5"], hold_seconds=["3", "99999999999"]))
    assert err.reason.startswith("values of the wrong type in column(s) talk_seconds; values the warehouse cannot "
                                 "store in column(s) hold_seconds (first: column talk_seconds, row 1: 'ten'")
    assert len(err.details) == 2


@pytest.mark.parametrize("header, message", [
    ("INTERACTION_ID", "column INTERACTION_ID: expected interaction_id"),
    ("Interaction_Id", "column Interaction_Id: expected interaction_id"),
    ("interaction id", "column interaction id: expected interaction_id"),
    ("Interaction-ID", "column Interaction-ID: expected interaction_id"),
])
def test_a_header_in_another_case_or_spelling_names_the_expected_column(header, message):
    err = rejected(interactions().rename({"interaction_id": header}))
    assert err.reason == f"{message} (column names are lower case, exactly as in docs/interfaces.md)"
    assert err.details[-1].startswith(f"columns found: {header}, channel")


def test_every_mismatched_header_is_listed_and_counted():
    raw = interactions().rename({c: c.upper() for c in BASE})
    err = rejected(raw)
    assert err.reason.endswith("; and 5 more")
    assert err.details[:6] == [f"column {c.upper()}: expected {c}" for c in BASE]


def test_surrounding_spaces_are_tolerated_and_unrelated_columns_stay_schema_drift():
    raw = interactions().rename({"queue": " queue "}).with_columns(pl.lit("x").alias("Sentiment"))
    out = normalise(raw, FEEDS["interactions"], vendor_id="acme_mx", timezone="UTC", salt="s")
    assert out.frame["queue"].to_list() == ["billing", "billing"]
    assert out.warnings == ["schema drift: unknown column(s) ignored: Sentiment"]


def test_a_column_given_twice_is_rejected(tmp_path):
    from ingestion.readers import stage_file, staging_connection

    path = tmp_path / "twice.csv"
    path.write_text("interaction_id,queue,queue\na1,billing,sales\n")
    with pytest.raises(FileRejected, match="^column queue appears more than once in the header"):
        stage_file(staging_connection(), path)  # before DuckDB would rename the repeat
    spaced = interactions().with_columns(pl.lit("sales").alias(" queue"))
    assert rejected(spaced).reason.startswith("column queue appears more than once in the header")
