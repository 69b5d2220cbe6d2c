"""Canonical feed schemas, as data.

Readers, normalisation, the GX suites and the loader are all driven from these
declarations, so a feed's shape is written down exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "int", "bool", "timestamp", "date", "decimal", "rate"]
PiiHandling = Literal["hash", "drop", "flag"]

# What raw.* can store (ingestion/warehouse_schema.sql; tests/ingestion/test_value_limits.py checks they agree):
# "int" columns are INTEGER, "decimal" DECIMAL(18,4), "rate" DECIMAL(18,8), timestamps TIMESTAMPTZ read back
# as Python datetimes (years 1..9999). A value beyond these is a validation failure, never a failed load.
STORED_INT_RANGE = (-(2**31), 2**31 - 1)
STORED_DECIMALS = {"decimal": (18, 4), "rate": (18, 8)}  # (precision, scale)

CHANNELS = ("voice", "chat", "email")
SELF_SERVICE_CHANNELS = ("ivr", "bot", "web")
# An invoice line (and a contract pricing line) may name a self-service channel: contained_sessions are
# priced per IVR, bot or web session.
INVOICE_CHANNELS = CHANNELS + SELF_SERVICE_CHANNELS
INVOICE_UNITS = ("contact", "minute", "hour", "fte_month", "session", "each")
SELF_SERVICE_OUTCOMES = ("contained", "transferred", "abandoned")
EVALUATOR_SIDES = ("vendor", "client")
SHARED_VENDOR = "_shared"


# A vendor_id: the landing folder's name and the contract's vendor_id (lower-case letters, digits, _).
VENDOR_ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
# A currency: an ISO 4217 code (contracts, and the invoice and FX feeds' GX rules).
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
# Boolean cells, compared lower-cased: a canonical file and a vendor mapping accept the same words.
TRUE_WORDS = ("true", "t", "1", "y", "yes")
FALSE_WORDS = ("false", "f", "0", "n", "no")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False  # the column must be present in the file
    nullable: bool = True  # values may be null
    allowed: tuple[str, ...] | None = None  # enum values (after normalisation)
    min_value: float | None = None
    max_value: float | None = None
    # PII: "hash" -> stored as <name>_hash (the salted customer key, ingestion/pii.py), "drop" -> never stored,
    # "flag" -> stored only as has_<name> (bool).
    pii: PiiHandling | None = None
    default: object | None = None  # value used when an optional column is absent
    # True: an empty cell also takes `default` (a QA export leaves auto_fail blank unless it is set);
    # a value that is present but invalid is still rejected.
    default_when_empty: bool = False


@dataclass(frozen=True)
class Feed:
    name: str
    table: str  # raw.<table>
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...]  # unique within one file
    # (a, b): a >= b whenever both are non-null
    ordered_pairs: tuple[tuple[str, str], ...] = ()
    # (a, b): a > b strictly whenever both are non-null (a zero-length interval is rejected)
    strict_pairs: tuple[tuple[str, str], ...] = ()
    vendor_scoped: bool = True  # False for fx_rates (pseudo-vendor _shared)
    extra_checks: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


INTERACTIONS = Feed(
    name="interactions",
    table="interactions",
    columns=(
        Column("interaction_id", "string", required=True, nullable=False),
        Column("channel", "string", required=True, nullable=False, allowed=CHANNELS),
        Column("queue", "string", required=True, nullable=False),
        Column("language", "string"),
        Column("arrived_at", "timestamp", required=True, nullable=False),
        Column("answered_at", "timestamp", required=True),
        Column("ended_at", "timestamp", required=True, nullable=False),
        Column("talk_seconds", "int", min_value=0),
        Column("hold_seconds", "int", min_value=0),
        Column("wrap_seconds", "int", min_value=0),
        Column("agent_id", "string"),
        Column("transferred", "bool"),
        Column("resolved", "bool"),
        Column("customer_ref", "string", pii="hash"),
        Column("customer_phone", "string", pii="hash"),
        Column("customer_email", "string", pii="hash"),
        Column("customer_name", "string", pii="drop"),
        Column("complaint", "bool"),
        Column("updated_at", "timestamp"),
    ),
    unique_key=("interaction_id",),
    ordered_pairs=(("answered_at", "arrived_at"), ("ended_at", "arrived_at")),
)

SURVEYS = Feed(
    name="surveys",
    table="surveys",
    columns=(
        Column("survey_id", "string", required=True, nullable=False),
        Column("interaction_id", "string", required=True, nullable=False),
        Column("responded_at", "timestamp"),
        Column("csat", "int", min_value=1, max_value=5),
        Column("nps", "int", min_value=0, max_value=10),
        Column("resolved_self_reported", "bool"),
        Column("comment", "string", pii="flag"),
    ),
    unique_key=("survey_id",),
)

AGENT_SURVEYS = Feed(
    name="agent_surveys",
    table="agent_surveys",
    columns=(
        Column("response_id", "string", required=True, nullable=False),
        Column("agent_id", "string"),
        Column("site", "string"),
        Column("responded_at", "timestamp"),
        Column("esat", "int", required=True, min_value=1, max_value=5),
        Column("enps", "int", min_value=0, max_value=10),
    ),
    unique_key=("response_id",),
)

INVOICES = Feed(
    name="invoices",
    table="invoice_lines",
    columns=(
        Column("invoice_id", "string", required=True, nullable=False),
        Column("revision", "int", nullable=False, min_value=0, default=0),
        Column("invoice_date", "date"),
        Column("period_start", "date", required=True, nullable=False),
        Column("period_end", "date", required=True, nullable=False),
        Column("currency", "string", required=True, nullable=False),
        Column("line_id", "string", required=True, nullable=False),
        Column("category", "string", required=True, nullable=False),
        Column("channel", "string", allowed=INVOICE_CHANNELS),
        Column("description", "string"),
        Column("quantity", "decimal"),
        Column("unit", "string", allowed=INVOICE_UNITS),
        Column("unit_price", "decimal"),
        Column("amount", "decimal", required=True, nullable=False),
        Column("tax_amount", "decimal", nullable=False, default=0),
        Column("approval_ref", "string"),
    ),
    unique_key=("invoice_id", "revision", "line_id"),
    ordered_pairs=(("period_end", "period_start"),),
)

FX_RATES = Feed(
    name="fx_rates",
    table="fx_rates",
    columns=(
        Column("rate_date", "date", required=True, nullable=False),
        Column("currency", "string", required=True, nullable=False),
        Column("rate_to_reporting", "rate", required=True, nullable=False, min_value=0),
    ),
    unique_key=("rate_date", "currency"),
    vendor_scoped=False,
)

AGENT_TIME = Feed(
    name="agent_time",
    table="agent_time",
    columns=(
        Column("record_id", "string", required=True, nullable=False),
        Column("agent_id", "string", required=True, nullable=False),
        Column("site", "string"),
        # the vendor's own state name, classified by the contract's worked_time.states (checked by the loader)
        Column("state", "string", required=True, nullable=False),
        Column("started_at", "timestamp", required=True, nullable=False),
        Column("ended_at", "timestamp", required=True, nullable=False),
    ),
    unique_key=("record_id",),
    strict_pairs=(("ended_at", "started_at"),),
)

SELF_SERVICE = Feed(
    name="self_service",
    table="self_service",
    columns=(
        Column("session_id", "string", required=True, nullable=False),
        Column("channel", "string", required=True, nullable=False, allowed=SELF_SERVICE_CHANNELS),
        Column("started_at", "timestamp", required=True, nullable=False),
        Column("ended_at", "timestamp", required=True, nullable=False),
        Column("intent", "string"),
        Column("outcome", "string", required=True, nullable=False, allowed=SELF_SERVICE_OUTCOMES),
        Column("interaction_id", "string"),
        Column("customer_ref", "string", pii="hash"),
    ),
    unique_key=("session_id",),
    # a session may last zero seconds (a caller who hangs up at once): only end before start is wrong
    ordered_pairs=(("ended_at", "started_at"),),
)

QA_EVALUATIONS = Feed(
    name="qa_evaluations",
    table="qa_evaluations",
    columns=(
        Column("evaluation_id", "string", required=True, nullable=False),
        Column("interaction_id", "string"),
        Column("agent_id", "string", required=True, nullable=False),
        Column("evaluated_at", "timestamp", required=True, nullable=False),
        Column("evaluator_side", "string", required=True, nullable=False, allowed=EVALUATOR_SIDES),
        Column("form", "string"),
        Column("score", "decimal", required=True, nullable=False, min_value=0),
        Column("max_score", "decimal", required=True, nullable=False, min_value=0),  # > 0: STRICT_MIN in suites
        Column("auto_fail", "bool", nullable=False, default=False, default_when_empty=True),
        Column("calibration", "bool", nullable=False, default=False, default_when_empty=True),
    ),
    unique_key=("evaluation_id",),
    ordered_pairs=(("max_score", "score"),),
)

FEEDS: dict[str, Feed] = {f.name: f for f in (INTERACTIONS, SURVEYS, AGENT_SURVEYS, INVOICES, FX_RATES, AGENT_TIME,
                                              SELF_SERVICE, QA_EVALUATIONS)}


def stored_name(c: Column) -> str | None:
    """The column's name as stored in raw (PII transformed), None when never stored."""
    if c.pii == "hash":
        return f"{c.name}_hash"
    if c.pii == "drop":
        return None
    if c.pii == "flag":
        return f"has_{c.name}"
    return c.name


def stored_columns(feed: Feed) -> list[str]:
    """Column names as stored in raw.<table> (PII transformed), without load metadata."""
    names = (stored_name(c) for c in feed.columns)
    return [*(["vendor_id"] if feed.vendor_scoped else []), *(n for n in names if n is not None)]
