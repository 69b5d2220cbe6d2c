"""The feeds agent_time, self_service and qa_evaluations: every landing format, UTC normalisation (local
times read in the vendor's timezone, across a DST change), PII hashed, load metadata kept for updates."""

from __future__ import annotations

import gzip
import io
import json
import textwrap
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from ingestion.batch import ingest
from ingestion.landing import scan_landing
from ingestion.pii import pii_salt, salted_key
from tests.conftest import land
from tests.ingestion.test_loader import rows as query

UTC = timezone.utc
VENDOR = "iberia_es"  # Europe/Madrid (tests/conftest.py); given a worked_time section below

WORKED_TIME_CONTRACT = textwrap.dedent("""\
    vendor_id: iberia_es
    name: Iberia Contact (Madrid)
    kind: outsourcer
    timezone: Europe/Madrid
    currency: EUR
    versions:
      - effective_from: 2026-01-01
        pricing:
          - {category: productive_hours, unit: hour, rate: 21.50}
          - {category: contained_sessions, channel: ivr, unit: session, rate: 0.40}
        worked_time:
          states: {available: productive, on_contact: productive, break: paid_other, 'off': unpaid}
          fte_hours_per_month: 160
    """)

# Madrid went from CET (UTC+1) to CEST (UTC+2) at 02:00 local on 2026-03-29: 01:30 local is 00:30 UTC,
# 03:30 local is 01:30 UTC (one elapsed hour, two on the wall clock).
AGENT_TIME = [
    {"record_id": "r1", "agent_id": "ag1", "site": "MAD", "state": "available",
     "started_at": "2026-03-29 01:30:00", "ended_at": "2026-03-29 03:30:00"},
    {"record_id": "r2", "agent_id": "ag1", "site": None, "state": "off",
     "started_at": "2026-03-29T03:30:00+02:00", "ended_at": "2026-03-29T02:00:00Z"},
]
AGENT_TIME_UTC = {
    "r1": (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    "r2": (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC)),
}

# Madrid back to CET at 03:00 local on 2026-10-25: 02:30 local happens twice, read as the first (CEST).
SELF_SERVICE = [
    {"session_id": "s1", "channel": "ivr", "started_at": "2026-10-25 02:30:00", "ended_at": "2026-10-25 02:31:15",
     "intent": "balance", "outcome": "contained", "interaction_id": None, "customer_ref": "CUST-77"},
    {"session_id": "s2", "channel": "bot", "started_at": "2026-10-25 09:00:00", "ended_at": "2026-10-25 09:00:00",
     "intent": None, "outcome": "transferred", "interaction_id": "i9", "customer_ref": None},
]
SELF_SERVICE_UTC = {
    "s1": (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 31, 15, tzinfo=UTC)),
    "s2": (datetime(2026, 10, 25, 8, 0, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
}

QA = [
    {"evaluation_id": "e1", "interaction_id": "i9", "agent_id": "ag1", "evaluated_at": "2026-01-15 18:00:00",
     "evaluator_side": "client", "form": "std", "score": "87.5", "max_score": "100", "auto_fail": None,
     "calibration": "Y"},
    {"evaluation_id": "e2", "interaction_id": None, "agent_id": "ag2", "evaluated_at": "2026-07-15 18:00:00",
     "evaluator_side": "vendor", "form": None, "score": "0", "max_score": "4.5", "auto_fail": "1",
     "calibration": None},
]
QA_STORED = {  # evaluated_at: CET in January, CEST in July; empty auto_fail / calibration = false
    "e1": (datetime(2026, 1, 15, 17, 0, tzinfo=UTC), Decimal("87.5000"), Decimal("100.0000"), False, True),
    "e2": (datetime(2026, 7, 15, 16, 0, tzinfo=UTC), Decimal("0.0000"), Decimal("4.5000"), True, False),
}

ROWS = {"agent_time": AGENT_TIME, "self_service": SELF_SERVICE, "qa_evaluations": QA}


def as_csv(rows: list[dict]) -> bytes:
    lines = [",".join(rows[0])] + [",".join("" if v is None else v for v in r.values()) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def as_parquet(rows: list[dict]) -> bytes:
    buf = io.BytesIO()
    pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).write_parquet(buf)
    return buf.getvalue()


FORMATS = {
    "csv": as_csv,
    "csv.gz": lambda rows: gzip.compress(as_csv(rows), mtime=0),
    "parquet": as_parquet,
    "jsonl": lambda rows: "".join(json.dumps(r) + "\n" for r in rows).encode(),
    "json": lambda rows: json.dumps(rows).encode(),
    "jsonl.gz": lambda rows: gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode(), mtime=0),
    "json.gz": lambda rows: gzip.compress(json.dumps(rows).encode(), mtime=0),
}


@pytest.fixture
def wt_settings(settings):
    (settings.contracts / f"{VENDOR}.yaml").write_text(WORKED_TIME_CONTRACT)
    return settings


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("feed", list(ROWS))
def test_each_feed_loads_from_each_format_in_utc(wt_settings, validate, feed, fmt):
    land(wt_settings, VENDOR, feed, f"batch.{fmt}", FORMATS[fmt](ROWS[feed]))
    (result,) = ingest(wt_settings, validate)
    assert result.status == "loaded", result.reason
    assert result.rows == 2
    if feed == "agent_time":
        got = query(wt_settings, "select record_id, started_at, ended_at, site, state from raw.agent_time")
        assert {r[0]: (r[1], r[2]) for r in got} == AGENT_TIME_UTC
        assert sorted((r[0], r[3], r[4]) for r in got) == [("r1", "MAD", "available"), ("r2", None, "off")]
    elif feed == "self_service":
        got = query(wt_settings, "select session_id, started_at, ended_at, channel, outcome, interaction_id "
                                 "from raw.self_service")
        assert {r[0]: (r[1], r[2]) for r in got} == SELF_SERVICE_UTC
        assert sorted(r[3:] for r in got) == [("bot", "transferred", "i9"), ("ivr", "contained", None)]
    else:
        got = query(wt_settings, "select evaluation_id, evaluated_at, score, max_score, auto_fail, calibration "
                                 "from raw.qa_evaluations")
        assert {r[0]: r[1:] for r in got} == QA_STORED
    meta = query(wt_settings, f"select vendor_id, _row_number, _load_id is not null from raw.{feed} order by 2")
    assert meta == [(VENDOR, 1, True), (VENDOR, 2, True)]


def test_typed_parquet_columns_are_normalised_too(wt_settings, validate):
    """A Parquet export with its own types: naive datetimes are local, aware ones keep their instant,
    float scores become exact decimals, booleans stay booleans."""
    buf = io.BytesIO()
    pl.DataFrame({
        "evaluation_id": ["e1", "e2"], "agent_id": ["ag1", "ag2"],
        "evaluated_at": pl.Series([datetime(2026, 1, 15, 18, 0), datetime(2026, 7, 15, 18, 0)]),
        "evaluator_side": ["client", "vendor"], "score": [87.5, 0.0], "max_score": [100.0, 4.5],
        "auto_fail": [None, True], "calibration": [True, False],
    }).write_parquet(buf)
    land(wt_settings, VENDOR, "qa_evaluations", "typed.parquet", buf.getvalue())
    buf = io.BytesIO()
    pl.DataFrame({
        "record_id": ["r1"], "agent_id": ["ag1"], "state": ["available"],
        "started_at": pl.Series([datetime(2026, 3, 29, 0, 30, tzinfo=UTC)]),
        "ended_at": pl.Series([datetime(2026, 3, 29, 3, 30)]),  # local: 03:30 CEST = 01:30 UTC
    }).write_parquet(buf)
    land(wt_settings, VENDOR, "agent_time", "typed.parquet", buf.getvalue())
    assert [r.status for r in ingest(wt_settings, validate)] == ["loaded", "loaded"]
    got = query(wt_settings, "select evaluation_id, evaluated_at, score, max_score, auto_fail, calibration "
                             "from raw.qa_evaluations")
    assert {r[0]: r[1:] for r in got} == QA_STORED
    assert query(wt_settings, "select started_at, ended_at from raw.agent_time") == [AGENT_TIME_UTC["r1"]]


def test_self_service_customer_ref_is_hashed_like_interactions(wt_settings, validate):
    land(wt_settings, VENDOR, "self_service", "s.csv", as_csv(SELF_SERVICE))
    land(wt_settings, VENDOR, "interactions", "i.csv", textwrap.dedent("""\
        interaction_id,channel,queue,arrived_at,answered_at,ended_at,customer_ref
        i9,voice,billing,2026-10-25 09:00:00,,2026-10-25 09:01:00,CUST-77
        """))
    assert [r.status for r in ingest(wt_settings, validate)] == ["loaded", "loaded"]
    columns = [c for (c,) in query(wt_settings, "select column_name from duckdb_columns() "
                                                "where schema_name = 'raw' and table_name = 'self_service'")]
    assert "customer_ref" not in columns and "customer_ref_hash" in columns
    hashes = dict(query(wt_settings, "select session_id, customer_ref_hash from raw.self_service"))
    (interaction_hash,) = query(wt_settings, "select customer_ref_hash from raw.interactions")[0]
    # the same customer, the same key across feeds (a session can be joined to the customer's contacts)
    assert hashes["s1"] == interaction_hash == salted_key(pl.Series(["CUST-77"]), pii_salt()).item()
    assert hashes["s2"] is None
    # and they join in SQL: the key has one type (BLOB) in every table it is stored in
    assert query(wt_settings, "select s.session_id, i.interaction_id from raw.self_service as s "
                              "join raw.interactions as i on i.customer_ref_hash = s.customer_ref_hash") == [("s1", "i9")]
    dump = str(query(wt_settings, "select * from raw.self_service"))
    assert "CUST-77" not in dump


def test_a_repeated_id_in_a_later_file_is_kept_with_its_load(wt_settings, validate):
    """Updates by id: both versions are stored with their load; staging keeps the latest file's."""
    land(wt_settings, VENDOR, "agent_time", "day1.csv", as_csv(AGENT_TIME))
    first = ingest(wt_settings, validate)
    corrected = [{**AGENT_TIME[0], "ended_at": "2026-03-29 03:15:00"}]
    land(wt_settings, VENDOR, "agent_time", "day1_correction.csv", as_csv(corrected))
    second = ingest(wt_settings, validate)
    assert [r.status for r in first] == ["loaded"]
    assert sorted((Path(r.file).name, r.status) for r in second) == [("day1.csv", "duplicate"),
                                                                      ("day1_correction.csv", "loaded")]
    got = query(wt_settings, "select a.record_id, a.ended_at, m.file_name from raw.agent_time a "
                             "join raw.load_manifest m on m.load_id = a._load_id where a.record_id = 'r1' "
                             "order by m.processed_at")
    assert got == [("r1", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "day1.csv"),
                   ("r1", datetime(2026, 3, 29, 1, 15, tzinfo=UTC), "day1_correction.csv")]


def test_the_landing_zone_accepts_the_three_feed_folders(wt_settings):
    for feed in ROWS:
        land(wt_settings, VENDOR, feed, "x.csv", as_csv(ROWS[feed]))
    found = scan_landing(wt_settings.landing)
    assert sorted(f.feed for f in found) == sorted(ROWS)
    assert all(f.layout_problem() is None for f in found)


def test_a_local_time_that_does_not_exist_is_rejected_with_row_and_value(wt_settings, validate):
    """02:30 on 2026-03-29 never happened in Madrid: named, never shifted to a guess."""
    rows = [{**AGENT_TIME[0], "started_at": "2026-03-29 02:30:00"}]
    land(wt_settings, VENDOR, "agent_time", "gap.csv", as_csv(rows))
    (result,) = ingest(wt_settings, validate)
    assert result.status == "quarantined"
    assert "column started_at, row 1: '2026-03-29 02:30:00' is not a valid ISO 8601 timestamp" in result.reason


def test_absent_optional_columns_take_their_defaults(wt_settings, validate):
    minimal = [{k: r[k] for k in ("evaluation_id", "agent_id", "evaluated_at", "evaluator_side", "score",
                                  "max_score")} for r in QA]
    land(wt_settings, VENDOR, "qa_evaluations", "minimal.csv", as_csv(minimal))
    (result,) = ingest(wt_settings, validate)
    assert result.status == "loaded", result.reason
    assert query(wt_settings, "select evaluation_id, interaction_id, form, auto_fail, calibration "
                              "from raw.qa_evaluations order by 1") == [("e1", None, None, False, False),
                                                                         ("e2", None, None, False, False)]


def test_an_invalid_boolean_is_rejected_not_defaulted(wt_settings, validate):
    rows = [{**QA[0], "auto_fail": "maybe"}]
    land(wt_settings, VENDOR, "qa_evaluations", "bad_bool.csv", as_csv(rows))
    (result,) = ingest(wt_settings, validate)
    assert result.status == "quarantined"
    assert "column auto_fail, row 1: 'maybe' is not a valid boolean" in result.reason


def test_invoices_accept_a_self_service_channel_and_the_unit_session(wt_settings, validate):
    land(wt_settings, VENDOR, "invoices", "inv.csv", textwrap.dedent("""\
        invoice_id,revision,invoice_date,period_start,period_end,currency,line_id,category,channel,quantity,unit,unit_price,amount
        INV-9,0,2026-02-03,2026-01-01,2026-01-31,EUR,L001,contained_sessions,ivr,1000,session,0.40,400.00
        """))
    (result,) = ingest(wt_settings, validate)
    assert result.status == "loaded", result.reason
    assert query(wt_settings, "select channel, unit from raw.invoice_lines") == [("ivr", "session")]
