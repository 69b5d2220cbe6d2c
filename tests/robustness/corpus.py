"""The bad-input corpus: every kind of broken file the landing zone has seen, built in code.

Each `Case` lands one file (bytes generated here, so nothing binary is
committed) and states what must happen: quarantined with a reason containing
`reason` (a phrase a person understands), or, for harmless surprises, loaded
with a warning. `GOOD` files are valid and must load beside the bad ones.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

VENDOR = "acme_mx"  # contract currency MXN, timezone America/Monterrey (tests/conftest.py)
OTHER_VENDOR = "iberia_es"
IN_HOUSE = "house_us"  # written by `write_in_house_contract`
WORKED_VENDOR = "shift_ph"  # a contract with worked_time, also written by `write_in_house_contract`

IN_HOUSE_CONTRACT = textwrap.dedent("""\
    vendor_id: house_us
    name: In-house team
    kind: in_house
    timezone: America/Chicago
    currency: USD
    versions:
      - effective_from: 2026-01-01
        monthly_cost_base: 100000
        sla:
          - {metric: service_level, channel: voice, threshold_seconds: 20, target: 0.80, credit_pct: 0.0}
    """)


WORKED_TIME_CONTRACT = textwrap.dedent("""\
    vendor_id: shift_ph
    name: Shift Contact Centre (Manila)
    kind: outsourcer
    timezone: Asia/Manila
    currency: PHP
    versions:
      - effective_from: 2026-01-01
        pricing:
          - {category: productive_hours, unit: hour, rate: 310.00}
          - {category: contained_sessions, channel: ivr, unit: session, rate: 0.40}
        worked_time:
          states: {available: productive, on_contact: productive, acw: productive, training: training,
                   break: paid_other, lunch: unpaid, offline: unpaid}
          fte_hours_per_month: 160
    """)


def write_in_house_contract(contracts: Path) -> None:
    """The contracts the corpus needs beyond tests/conftest.py's: the in-house team, and a vendor whose
    contract has a worked_time section (agent_time files of the other vendors are quarantined for lack
    of one)."""
    (contracts / f"{IN_HOUSE}.yaml").write_text(IN_HOUSE_CONTRACT)
    (contracts / f"{WORKED_VENDOR}.yaml").write_text(WORKED_TIME_CONTRACT)


def csv(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode()


INTERACTION_HEADER = ("interaction_id,channel,queue,arrived_at,answered_at,ended_at,talk_seconds,hold_seconds,"
                      "wrap_seconds,agent_id,transferred,resolved,customer_ref,customer_phone,customer_email,"
                      "customer_name,complaint")
INTERACTION_ROW = ("{id},{channel},billing,{arrived},{answered},{ended},{talk},10,30,ag1,N,Y,CUST-{id},"
                   "+52 81 5555 {n:04d},c{n}@example.com,Customer {n},0")


_next_start = iter(range(1000, 10**6, 10))


def interactions(rows: int = 3, *, start: int | None = None, **override) -> bytes:
    """A valid interactions CSV; `override` replaces fields of the LAST row.

    Without `start`, every call numbers its rows differently, so no two cases
    have the same bytes (identical bytes would be detected as a re-delivery).
    """
    start = next(_next_start) if start is None else start
    lines = [INTERACTION_HEADER]
    for n in range(start, start + rows):
        fields = {"id": f"i{n}", "n": n, "channel": "voice", "arrived": "2026-01-05 09:14:03",
                  "answered": "2026-01-05 09:14:20", "ended": "2026-01-05 09:20:00", "talk": 300}
        if n == start + rows - 1:
            fields.update(override)
        lines.append(INTERACTION_ROW.format(**fields))
    return ("\n".join(lines) + "\n").encode()


INVOICE_HEADER = ("invoice_id,revision,invoice_date,period_start,period_end,currency,line_id,category,channel,"
                  "description,quantity,unit,unit_price,amount,tax_amount,approval_ref")


def invoice(*lines: str, invoice_id: str = "INV-1", currency: str = "MXN") -> bytes:
    """A valid invoice CSV; each line is 'line_id,category,channel,description,qty,unit,price,amount,tax,approval'."""
    lines = lines or ("L001,handled_contacts,voice,Voice contacts,1200,contact,10.00,12000.00,1920.00,",
                      "L002,travel,,Site visit,1,each,450.10,450.10,0,APP-7")
    head = f"{invoice_id},0,2026-02-05,2026-01-01,2026-01-31,{currency},"
    return (INVOICE_HEADER + "\n" + "\n".join(head + line for line in lines) + "\n").encode()


SURVEYS = csv("""
    survey_id,interaction_id,responded_at,csat,nps,resolved_self_reported,comment
    s1,i1,2026-01-05 12:00:00,5,10,Y,Great service from Ana
    s2,i2,2026-01-05 12:30:00,2,3,N,
    """)

AGENT_SURVEYS = csv("""
    response_id,agent_id,site,responded_at,esat,enps
    r1,ag1,MTY-1,2026-01-10 08:00:00,4,8
    r2,ag2,MTY-1,2026-01-10 08:05:00,5,9
    """)

FX = csv("""
    rate_date,currency,rate_to_reporting
    2026-01-01,MXN,0.05800000
    2026-01-01,EUR,1.08000000
    """)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def parquet(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


def garbage(n: int, seed: int = 5) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(n))


@dataclass(frozen=True)
class Case:
    id: str
    vendor: str
    feed: str
    name: str
    content: bytes | Callable[[], bytes] | None  # None: see `make`
    reason: str  # a phrase the reason (or, when loaded, a warning) must contain
    expect: str = "quarantined"  # or "loaded"
    make: Callable[[Path, Path], Path] | None = None  # (landing, outside dir) -> landed path, for odd files

    def land(self, landing: Path, outside: Path) -> Path:
        if self.make is not None:
            return self.make(landing, outside)
        path = landing / self.vendor / self.feed / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.content() if callable(self.content) else self.content
        path.write_bytes(data)
        return path


def _symlink_out(landing: Path, outside: Path) -> Path:
    secret = outside / "secret.csv"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(interactions(2, start=900))
    link = landing / VENDOR / "interactions" / "linked.csv"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(secret, link)
    return link


def _fifty_mb_line() -> bytes:
    return b"x" * 50_000_000


def _header(data: bytes, old: bytes, new: bytes) -> bytes:
    """`data` with one column name of its header line replaced (the rows untouched)."""
    header, rows = data.split(b"\n", 1)
    return header.replace(old, new) + b"\n" + rows


def _huge_unsigned_parquet() -> bytes:
    """talk_seconds as an unsigned 64-bit integer beyond every signed type."""
    return parquet(pl.DataFrame({
        "interaction_id": ["p1", "p2"], "channel": ["voice", "voice"], "queue": ["billing", "billing"],
        "arrived_at": ["2026-01-05 09:14:03"] * 2, "answered_at": ["2026-01-05 09:14:20"] * 2,
        "ended_at": ["2026-01-05 09:20:00"] * 2, "talk_seconds": pl.Series([60, 2**63 + 5], dtype=pl.UInt64)}))


AGENT_TIME_HEADER = "record_id,agent_id,site,state,started_at,ended_at"
_next_record = iter(range(1000, 10**6, 10))


def agent_time(*overrides: dict[str, str], rows: int = 4) -> bytes:
    """A valid agent_time CSV (Manila local times); each dict replaces fields of the row of its position.
    Every call numbers its records differently, so no two cases have the same bytes."""
    start = next(_next_record)
    states = ("available", "on_contact", "acw", "break")
    lines = [AGENT_TIME_HEADER]
    for n in range(rows):
        fields = {"record_id": f"t{start + n}", "agent_id": "ag1", "site": "MNL", "state": states[n % 4],
                  "started_at": f"2026-01-05 {9 + n:02d}:00:00", "ended_at": f"2026-01-05 {9 + n:02d}:45:00"}
        fields.update(overrides[n] if n < len(overrides) else {})
        lines.append(",".join(fields.values()))
    return ("\n".join(lines) + "\n").encode()


SELF_SERVICE = csv("""
    session_id,channel,started_at,ended_at,intent,outcome,interaction_id,customer_ref
    ss1,ivr,2026-01-05 09:00:00,2026-01-05 09:02:10,balance,contained,,CUST-1
    ss2,bot,2026-01-05 09:05:00,2026-01-05 09:05:00,,abandoned,,
    ss3,web,2026-01-05 09:10:00,2026-01-05 09:14:00,card,transferred,i1,CUST-2
    """)

QA_EVALUATIONS = csv("""
    evaluation_id,interaction_id,agent_id,evaluated_at,evaluator_side,form,score,max_score,auto_fail,calibration
    q1,i1,ag1,2026-01-06 10:00:00,vendor,standard,85,100,,
    q2,i1,ag1,2026-01-07 10:00:00,client,standard,100,100,N,Y
    q3,i2,ag2,2026-01-07 11:00:00,client,standard,0,4.5,Y,N
    """)

YEAR_9999 = dict(arrived="9999-12-31 23:00:00", answered="9999-12-31 23:00:10", ended="9999-12-31 23:10:00")


CASES: list[Case] = [
    # --- the bytes are not a usable file ---------------------------------------------------------
    Case("empty_csv", VENDOR, "interactions", "empty.csv", b"", "the file is empty"),
    Case("empty_jsonl", VENDOR, "interactions", "empty.jsonl", b"\n\n", "the file is empty"),
    Case("header_only", VENDOR, "interactions", "header.csv", (INTERACTION_HEADER + "\n").encode(),
         "header but no rows"),
    Case("semicolon_delimiter", VENDOR, "interactions", "semi.csv",
         interactions().replace(b",", b";"), "another delimiter"),
    Case("tab_delimiter", VENDOR, "surveys", "tabs.csv", SURVEYS.replace(b",", b"\t"), "another delimiter"),
    Case("latin1_bytes", VENDOR, "interactions", "latin1.csv",
         interactions().decode().replace("billing", "facturaci\u00f3n").encode("latin-1"), "not UTF-8"),
    Case("utf16_file", VENDOR, "surveys", "utf16.csv", SURVEYS.decode().encode("utf-16"), "not UTF-8"),
    Case("truncated_gzip", VENDOR, "interactions", "cut.csv.gz", gz(interactions(200))[:300], "gzip"),
    Case("not_really_gzip", VENDOR, "interactions", "fake.csv.gz", interactions(), "gzip"),
    Case("binary_garbage_csv", VENDOR, "interactions", "garbage.csv", garbage(4096), "not UTF-8"),
    Case("binary_garbage_parquet", VENDOR, "interactions", "garbage.parquet", garbage(4096, seed=6),
         "could not be read as .parquet"),
    Case("fifty_mb_single_line", VENDOR, "interactions", "one_line.csv", _fifty_mb_line, "50.0 MB long"),
    Case("broken_jsonl", VENDOR, "surveys", "broken.jsonl",
         b'{"survey_id": "s1", "interaction_id": "i1", "csat": 5}\n{"survey_id": "s2", "interac',
         "could not be read as .jsonl"),
    Case("ragged_csv_rows", VENDOR, "agent_surveys", "ragged.csv",
         AGENT_SURVEYS + b"r3,ag3,MTY-1,2026-01-10 08:06:00,4,8,extra,fields\n", "could not be read as .csv"),
    Case("unsupported_xlsx", VENDOR, "interactions", "calls.xlsx", b"PK\x03\x04" + garbage(200),
         "unsupported file type"),
    Case("no_extension", VENDOR, "interactions", "README", b"hello\n", "unsupported file type"),
    # --- the shape is wrong ---------------------------------------------------------------------
    Case("missing_required_column", VENDOR, "interactions", "nocol.csv",
         csv("interaction_id,channel,queue\na1,voice,billing\n"), "missing required column(s): arrived_at"),
    Case("extra_unknown_column", VENDOR, "interactions", "drift.csv",
         interactions().replace(b"complaint\n", b"complaint,sentiment\n").replace(b",0\n", b",0,positive\n"),
         "schema drift: unknown column(s) ignored: sentiment", expect="loaded"),
    Case("wrong_types_int", VENDOR, "interactions", "types.csv", interactions(talk="ten"),
         "values of the wrong type in column(s) talk_seconds"),
    Case("wrong_types_parquet", VENDOR, "agent_surveys", "types.parquet",
         parquet(pl.DataFrame({"response_id": ["r1", "r2"], "esat": ["four", "5"]})),
         "values of the wrong type in column(s) esat"),
    Case("unparseable_timestamp", VENDOR, "interactions", "when.csv", interactions(arrived="yesterday"),
         "values of the wrong type in column(s) arrived_at"),
    Case("nonexistent_local_time", "iberia_es", "interactions", "dst.csv",
         interactions(arrived="2026-03-29 02:30:00", answered="2026-03-29 03:30:10",
                      ended="2026-03-29 03:40:00"), "arrived_at"),
    # --- the values are wrong (GX suites) -------------------------------------------------------------
    Case("negative_duration", VENDOR, "interactions", "negative.csv", interactions(talk=-30), "talk_seconds"),
    Case("answered_before_arrived", VENDOR, "interactions", "order.csv",
         interactions(answered="2026-01-05 09:10:00"), "answered_at is before arrived_at"),
    Case("timestamp_in_future", VENDOR, "interactions", "future.csv",
         interactions(arrived="2099-01-05 09:14:03", answered="2099-01-05 09:14:20", ended="2099-01-05 09:20:00"),
         "arrived_at"),
    Case("timestamp_before_2000", VENDOR, "interactions", "y1999.csv",
         interactions(arrived="1999-12-31 09:14:03", answered="1999-12-31 09:14:20", ended="1999-12-31 09:20:00"),
         "arrived_at"),
    Case("duplicate_ids_in_file", VENDOR, "interactions", "dups.csv",
         interactions(3, start=300) + interactions(1, start=300)[len(INTERACTION_HEADER) + 1:],
         "interaction_id"),
    Case("missing_id_value", VENDOR, "surveys", "noid.csv", SURVEYS + b",i3,2026-01-05 13:00:00,4,8,Y,\n",
         "survey_id"),
    Case("invalid_channel", VENDOR, "interactions", "fax.csv", interactions(channel="fax"), "channel"),
    Case("csat_out_of_range", VENDOR, "surveys", "csat7.csv", SURVEYS.replace(b",5,10,", b",7,10,"), "csat"),
    Case("invalid_currency_code", VENDOR, "invoices", "pesos.csv", invoice(currency="pesos"), "currency"),
    Case("currency_not_the_contracts", VENDOR, "invoices", "eur.csv", invoice(currency="EUR"),
         "differs from the contract currency MXN"),
    Case("amount_sign_does_not_add_up", VENDOR, "invoices", "sign.csv",
         invoice("L001,handled_contacts,voice,Voice contacts,1200,contact,10.00,-12000.00,1920.00,"), "amount"),
    Case("amount_not_a_number", VENDOR, "invoices", "nan.csv",
         invoice("L001,handled_contacts,voice,Voice contacts,1200,contact,10.00,twelve thousand,1920.00,"),
         "values of the wrong type in column(s) amount"),
    Case("arithmetic_off_loads_as_a_finding", VENDOR, "invoices", "arith.csv",
         invoice("L001,handled_contacts,voice,Voice contacts,1200,contact,10.00,12050.00,1920.00,",
                 invoice_id="INV-ARITH"), "", expect="loaded"),
    Case("two_invoices_in_one_file", VENDOR, "invoices", "two.csv",
         invoice() + invoice(invoice_id="INV-2")[len(INVOICE_HEADER) + 1:], "invoice_id"),
    Case("period_end_before_start", VENDOR, "invoices", "period.csv",
         invoice().replace(b"2026-01-01,2026-01-31", b"2026-01-31,2026-01-01"), "period_end"),
    Case("positive_service_credit", VENDOR, "invoices", "credit.csv",
         invoice("L001,service_credit,,SLA credit,1,each,500.00,500.00,0,"), "service_credit"),
    Case("fx_rate_zero", "_shared", "fx_rates", "zero.csv", FX.replace(b"0.05800000", b"0"), "rate_to_reporting"),
    # --- worked time, self-service, QA ----------------------------------------------------------------
    Case("unknown_agent_state", WORKED_VENDOR, "agent_time", "smoke.csv",
         agent_time({}, {"state": "smoke_break"}, {}, {"state": "smoke_break"}),
         "state 'smoke_break' is not in the contract's worked_time.states (rows 2, 4)"),
    Case("agent_time_without_worked_time", VENDOR, "agent_time", "nowt.csv", agent_time(),
         "the contract of acme_mx has no worked_time section"),
    Case("interval_ends_before_it_starts", WORKED_VENDOR, "agent_time", "backwards.csv",
         agent_time({}, {}, {"ended_at": "2026-01-05 10:59:59"}),
         "ended_at is not after started_at in 1 of 4 rows (first: row 3:"),
    Case("zero_length_interval", WORKED_VENDOR, "agent_time", "zero.csv",
         agent_time({"ended_at": "2026-01-05 09:00:00"}),
         "ended_at is not after started_at in 1 of 4 rows (first: row 1:"),
    Case("duplicate_record_id_in_file", WORKED_VENDOR, "agent_time", "dup_ids.csv",
         agent_time({"record_id": "dup1"}, {}, {"record_id": "dup1"}),
         "record_id is not unique within the file (rows sharing a value) in 2 of 4 rows (first: row 1:"),
    Case("qa_score_above_its_maximum", VENDOR, "qa_evaluations", "over.csv",
         QA_EVALUATIONS.replace(b",0,4.5,", b",4.6,4.5,"), "score is above max_score in 1 of 3 rows (first: row 3:"),
    Case("qa_max_score_zero", VENDOR, "qa_evaluations", "max0.csv",
         QA_EVALUATIONS.replace(b",85,100,", b",0,0,"), "max_score is not greater than 0 in 1 of 3 rows (first: row 1:"),
    Case("unknown_self_service_outcome", VENDOR, "self_service", "outcome.csv",
         SELF_SERVICE.replace(b",abandoned,", b",hung_up,"),
         "outcome is not one of contained, transferred, abandoned in 1 of 3 rows (values seen: 'hung_up') "
         "(first: row 2: outcome='hung_up')"),
    Case("self_service_on_an_agent_channel", VENDOR, "self_service", "voice.csv",
         SELF_SERVICE.replace(b"ss1,ivr,", b"ss1,voice,"), "channel is not one of ivr, bot, web in 1 of 3 rows"),
    # --- values the warehouse cannot store: named with row and value, never a failed load ----------------
    Case("year_9999_timestamp", VENDOR, "interactions", "y9999.csv", interactions(**YEAR_9999),
         "row 3: '9999-12-31 23:00:00' is outside the years 0001..9999 (UTC) once read in America/Monterrey"),
    Case("year_9999_timestamp_utc", VENDOR, "interactions", "y9999z.csv",
         interactions(arrived="9999-12-31T23:00:00Z", answered="9999-12-31T23:00:10Z", ended="9999-12-31T23:10:00Z"),
         "arrived_at is implausible (before 2000-01-01 or more than 1 day in the future) in 1 of 3 rows "
         "(first: row 3: arrived_at=9999-12-31 23:00:00+00:00)"),
    Case("seconds_beyond_integer", VENDOR, "interactions", "talk.csv", interactions(talk=99999999999999),
         "column talk_seconds, row 3: '99999999999999' is too large for an INTEGER column"),
    Case("seconds_beyond_int64", VENDOR, "interactions", "talk64.csv", interactions(talk=10**20),
         "column talk_seconds, row 3: '100000000000000000000' is too large for an INTEGER column"),
    Case("unsigned_beyond_int64_parquet", VENDOR, "interactions", "talk.parquet", _huge_unsigned_parquet,
         "column talk_seconds, row 2: 9223372036854775813 is too large for an INTEGER column"),
    Case("revision_beyond_integer", VENDOR, "invoices", "rev.csv",
         invoice().replace(b"INV-1,0,", b"INV-1,3000000000,"), "column revision, row 1: '3000000000' is too large"),
    Case("amount_beyond_decimal_18_4", VENDOR, "invoices", "big.csv",
         invoice("L001,handled_contacts,voice,Voice contacts,1200,contact,10.00,1234567890123456.00,1920.00,"),
         "column amount, row 1: '1234567890123456.00' is too large for DECIMAL(18,4)"),
    Case("nul_byte_in_text", VENDOR, "interactions", "nul.csv",
         interactions().replace(b",billing,", b",bil\x00ling,", 1),
         "text with a NUL byte in column(s) queue (first: column queue, row 1: 'bil\\x00ling'"),
    # --- headers that are not the feed's -------------------------------------------------------------
    Case("upper_case_header", VENDOR, "interactions", "upper.csv",
         _header(interactions(), b"interaction_id", b"INTERACTION_ID"), "column INTERACTION_ID: expected interaction_id"),
    Case("all_upper_case_header", VENDOR, "surveys", "upper.csv",
         SURVEYS.split(b"\n", 1)[0].upper() + b"\n" + SURVEYS.split(b"\n", 1)[1],
         "column SURVEY_ID: expected survey_id (column names are lower case, exactly as in docs/interfaces.md); "
         "and 6 more"),
    Case("spelt_differently_header", VENDOR, "interactions", "spaced.csv",
         _header(interactions(), b"arrived_at", b"Arrived At"), "column Arrived At: expected arrived_at"),
    Case("mixed_case_json_keys", VENDOR, "interactions", "mixed.jsonl",
         b'{"interaction_id":"j1","channel":"voice","queue":"q","arrived_at":"2026-01-05 09:14:03",'
         b'"answered_at":null,"ended_at":"2026-01-05 09:20:00"}\n'
         b'{"INTERACTION_ID":"j2","channel":"voice","queue":"q","arrived_at":"2026-01-05 09:14:03",'
         b'"answered_at":null,"ended_at":"2026-01-05 09:20:00"}\n', "column INTERACTION_ID: expected interaction_id"),
    Case("repeated_column", VENDOR, "interactions", "twice.csv",
         interactions().replace(b"complaint\n", b"complaint,queue\n").replace(b",0\n", b",0,sales\n"),
         "column queue appears more than once in the header"),
    # --- the file is in the wrong place or claims the wrong owner ----------------------------------------
    Case("vendor_without_contract", "nobody_co", "invoices", "inv.csv", invoice(), "no contract for vendor 'nobody_co'"),
    Case("invoice_from_in_house_team", IN_HOUSE, "invoices", "inv.csv", invoice(currency="USD"), "in-house team"),
    Case("unknown_feed_folder", VENDOR, "calls", "x.csv", interactions(), "unknown feed folder 'calls'"),
    Case("file_outside_feed_folder", VENDOR, "", "loose.csv", interactions(), "not in a <vendor_id>/<feed>/ folder"),
    Case("fx_rates_under_a_vendor", VENDOR, "fx_rates", "fx.csv", FX + b"2026-01-02,MXN,0.05810000\n", "_shared/fx_rates"),
    Case("interactions_under_shared", "_shared", "interactions", "x.csv", interactions(),
         "only fx_rates files may land under _shared"),
    Case("invalid_vendor_folder", "Acme-MX", "interactions", "x.csv", interactions(), "not a valid vendor_id"),
    Case("rows_claim_another_vendor", VENDOR, "surveys", "claims.csv",
         csv("""
             vendor_id,survey_id,interaction_id,responded_at,csat,nps
             acme_mx,s1,i1,2026-01-05 12:00:00,5,10
             iberia_es,s2,i2,2026-01-05 12:30:00,4,9
             """), "vendor_id"),
    Case("backslash_traversal_name", VENDOR, "interactions", "x\\..\\..\\..\\etc\\cron.d\\evil.csv", interactions(),
         "unsafe file name"),
    Case("encoded_traversal_name", VENDOR, "interactions", "x..%2F..%2Fetc%2Fpasswd.csv", interactions(),
         "encoded folder separator"),
    Case("control_characters_in_name", VENDOR, "interactions", "calls\x1b[31m.csv", interactions(),
         "control or invisible characters"),
    Case("symlink_out_of_landing", VENDOR, "interactions", "linked.csv", None, "outside the landing zone",
         make=_symlink_out),
]

GOOD: list[tuple[str, str, str, bytes]] = [
    (VENDOR, "interactions", "good_interactions.csv", interactions(5, start=100)),
    (VENDOR, "surveys", "good_surveys.csv", SURVEYS),
    (VENDOR, "agent_surveys", "good_agent_surveys.csv", AGENT_SURVEYS),
    (VENDOR, "invoices", "good_invoice.csv", invoice(invoice_id="INV-GOOD")),
    (OTHER_VENDOR, "interactions", "good_interactions.csv.gz", gz(interactions(4, start=200))),
    ("_shared", "fx_rates", "good_fx.csv", FX),
    (WORKED_VENDOR, "agent_time", "good_agent_time.csv", agent_time()),
    (VENDOR, "self_service", "good_self_service.csv", SELF_SERVICE),
    (VENDOR, "qa_evaluations", "good_qa.csv", QA_EVALUATIONS),
]
