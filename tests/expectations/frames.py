"""Small valid frames per feed, shaped like ingestion hands them to the runner.

Built with polars and converted with `to_pandas(use_pyarrow_extension_array=True)`
so the dtypes are the Arrow-backed ones ingestion produces: large_string,
int64/int32, bool, timestamp[us, UTC], date32, decimal128(18,4) / (18,8).
Tests tweak cells of the polars frame (`rows(feed)` gives plain dicts) and
convert again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl

from ingestion.feeds import FEEDS, stored_columns

UTC = dt.timezone.utc
VENDOR = "acme_mx"

_PL_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "timestamp": pl.Datetime("us", "UTC"),
    "date": pl.Date(),
    "decimal": pl.Decimal(18, 4),
    "rate": pl.Decimal(18, 8),
}


def schema(feed: str) -> dict[str, pl.DataType]:
    spec = FEEDS[feed]
    types: dict[str, str] = {"vendor_id": "string"} if spec.vendor_scoped else {}
    for c in spec.columns:
        if c.pii == "hash":
            types[f"{c.name}_hash"] = "string"
        elif c.pii == "flag":
            types[f"has_{c.name}"] = "bool"
        elif c.pii != "drop":
            types[c.name] = c.type
    out = {name: _PL_TYPES[types[name]] for name in stored_columns(spec)}
    out["_row_number"] = pl.Int64()
    return out


def ts(day: int, hour: int = 9, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def _interaction(i: int) -> dict[str, Any]:
    answered = i % 4 != 3  # every 4th contact abandoned
    arrived = ts(1 + i % 20, 8 + i % 10, i % 60)
    return {
        "vendor_id": VENDOR,
        "interaction_id": f"I{i:06d}",
        "channel": ("voice", "chat", "email")[i % 3],
        "queue": "billing" if i % 2 else "sales",
        "language": "es" if i % 5 else None,
        "arrived_at": arrived,
        "answered_at": arrived + dt.timedelta(seconds=15 + i % 40) if answered else None,
        "ended_at": arrived + dt.timedelta(seconds=400 + i % 300),
        "talk_seconds": 300 + i % 200 if answered else None,
        "hold_seconds": (i % 3) * 10 if answered else None,
        "wrap_seconds": 30 if answered else (0 if i % 8 == 7 else None),
        "agent_id": f"A{i % 17:03d}" if answered else None,
        "transferred": i % 7 == 0,
        "resolved": answered and i % 5 != 0,
        "customer_ref_hash": f"{i:064x}",
        "customer_phone_hash": None if i % 6 == 0 else f"{i * 7:064x}",
        "customer_email_hash": None,
        "complaint": i % 11 == 0 if i % 2 else None,
        "updated_at": arrived + dt.timedelta(hours=1) if i % 9 == 0 else None,
    }


def _survey(i: int) -> dict[str, Any]:
    return {
        "vendor_id": VENDOR,
        "survey_id": f"S{i:05d}",
        "interaction_id": f"I{i:06d}",
        "responded_at": ts(2 + i % 20),
        "csat": None if i % 7 == 0 else 1 + i % 5,
        "nps": None if i % 5 == 0 else i % 11,
        "resolved_self_reported": None if i % 3 == 0 else bool(i % 2),
        "has_comment": i % 4 == 0,
    }


def _agent_survey(i: int) -> dict[str, Any]:
    return {
        "vendor_id": VENDOR,
        "response_id": f"R{i:05d}",
        "agent_id": f"A{i % 17:03d}",
        "site": "MTY",
        "responded_at": ts(3 + i % 20),
        "esat": 1 + i % 5,
        "enps": None if i % 4 == 0 else i % 11,
    }


_INVOICE_LINES = [
    # category, channel, quantity, unit, unit_price, amount, tax
    ("handled_contacts", "voice", "40000", "contact", "61.50", "2460000.00", "393600.00"),
    ("handled_contacts", "voice", "2000", "contact", "55.00", "110000.00", "17600.00"),
    ("handle_minutes", "chat", "12000.5", "minute", "9.80", "117604.90", "0"),
    ("productive_hours", None, "160", "hour", "310.00", "49600.33", "0"),  # off by 0.33: a finding, loads
    ("telecom_passthrough", None, None, None, None, "23000.00", "0"),
    ("service_credit", "voice", "1", "each", "-5000.00", "-5000.00", "0"),
    ("service_credit", None, None, None, None, "0", "0"),
]


def _invoice_line(i: int) -> dict[str, Any]:
    cat, ch, q, unit, price, amount, tax = _INVOICE_LINES[i % len(_INVOICE_LINES)]
    return {
        "vendor_id": VENDOR,
        "invoice_id": "INV-2026-03",
        "revision": 0,
        "invoice_date": dt.date(2026, 4, 2),
        "period_start": dt.date(2026, 3, 1),
        "period_end": dt.date(2026, 3, 31),
        "currency": "MXN",
        "line_id": f"L{i + 1:03d}",
        "category": cat,
        "channel": ch,
        "description": f"{cat} March",
        "quantity": None if q is None else Decimal(q),
        "unit": unit,
        "unit_price": None if price is None else Decimal(price),
        "amount": Decimal(amount),
        "tax_amount": Decimal(tax),
        "approval_ref": None,
    }


def _fx_rate(i: int) -> dict[str, Any]:
    cur = ("MXN", "EUR", "USD", "PHP")[i % 4]
    return {
        "rate_date": dt.date(2026, 3, 1) + dt.timedelta(days=i // 4),
        "currency": cur,
        "rate_to_reporting": Decimal(("0.05812345", "1.08550000", "1.00000000", "0.01790000")[i % 4]),
    }


_STATES = ("available", "on_contact", "acw", "break", "training", "lunch")


def _agent_time(i: int) -> dict[str, Any]:
    started = ts(1 + i % 20, 8 + i % 9, (i * 7) % 60)
    return {
        "vendor_id": VENDOR,
        "record_id": f"T{i:06d}",
        "agent_id": f"A{i % 17:03d}",
        "site": None if i % 5 == 0 else "MTY",
        "state": _STATES[i % len(_STATES)],
        "started_at": started,
        "ended_at": started + dt.timedelta(seconds=1 + i * 97),
    }


def _self_service(i: int) -> dict[str, Any]:
    started = ts(1 + i % 20, 7 + i % 12, i % 60)
    outcome = ("contained", "transferred", "abandoned")[i % 3]
    return {
        "vendor_id": VENDOR,
        "session_id": f"SS{i:06d}",
        "channel": ("ivr", "bot", "web")[i % 3],
        "started_at": started,
        "ended_at": started + dt.timedelta(seconds=(i % 4) * 45),  # includes zero-length sessions
        "intent": None if i % 4 == 0 else "balance",
        "outcome": outcome,
        "interaction_id": f"I{i:06d}" if outcome == "transferred" else None,
        "customer_ref_hash": None if i % 6 == 0 else f"{i * 3:064x}",
    }


def _qa_evaluation(i: int) -> dict[str, Any]:
    max_score = Decimal(("100", "10", "4.5")[i % 3])
    return {
        "vendor_id": VENDOR,
        "evaluation_id": f"Q{i:05d}",
        "interaction_id": None if i % 7 == 0 else f"I{i // 2:06d}",
        "agent_id": f"A{i % 17:03d}",
        "evaluated_at": ts(4 + i % 20),
        "evaluator_side": ("vendor", "client")[i % 2],
        "form": "standard",
        # edges included: 0 and the maximum itself are valid scores
        "score": (Decimal(0), max_score, max_score * Decimal("0.75"))[i % 3],
        "max_score": max_score,
        "auto_fail": i % 5 == 0,
        "calibration": i % 4 == 1,
    }


_BUILDERS = {
    "interactions": _interaction,
    "surveys": _survey,
    "agent_surveys": _agent_survey,
    "invoices": _invoice_line,
    "fx_rates": _fx_rate,
    "agent_time": _agent_time,
    "self_service": _self_service,
    "qa_evaluations": _qa_evaluation,
}


def rows(feed: str, n: int = 12) -> list[dict[str, Any]]:
    """n valid rows (plain dicts, with _row_number 1..n)."""
    return [{**_BUILDERS[feed](i), "_row_number": i + 1} for i in range(n)]


def to_frame(feed: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    """Records -> polars (declared types) -> Arrow-backed pandas, like ingestion."""
    sch = schema(feed)
    return pl.DataFrame(records, schema=sch, orient="row").to_pandas(use_pyarrow_extension_array=True)


def frame(feed: str, n: int = 12) -> pd.DataFrame:
    return to_frame(feed, rows(feed, n))
