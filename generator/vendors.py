"""Static profiles of the demo vendors: identity, file formats, behaviour, prices.

Everything here is plain data. Quantities that depend on the data set size
(tier thresholds, caps, fixed fees) are derived in `contract_model.py` from
the expected volume, so contracts stay realistic at any `scale`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

D = Decimal

# Approximate value of one unit of each currency in USD, used only to scale
# made-up invoice amounts (off-contract items, deltas). The FX feed has its
# own random walk around these.
FX_BASE: dict[str, float] = {"USD": 1.0, "MXN": 0.0549, "PHP": 0.01745, "EUR": 1.0870}
FX_CURRENCIES: tuple[str, ...] = ("EUR", "MXN", "PHP", "USD")

CHANNELS = ("voice", "chat", "email")
QUEUES = ("billing", "tech_support", "sales", "retention", "general")
# queue weights per channel (same queue list for every channel)
QUEUE_WEIGHTS = {
    "voice": (0.36, 0.30, 0.18, 0.10, 0.06),
    "chat": (0.34, 0.36, 0.20, 0.04, 0.06),
    "email": (0.40, 0.25, 0.08, 0.02, 0.25),
}


@dataclass(frozen=True)
class VoiceTiers:
    rate1: Decimal
    rate2: Decimal
    basis: str = "marginal"  # or "whole"


@dataclass(frozen=True)
class VendorProfile:
    vendor_id: str
    name: str
    kind: str  # outsourcer | in_house
    timezone: str
    currency: str
    # share of the total scale
    volume_weight: float
    # --- file formats -------------------------------------------------
    interactions_format: str  # csv | csv.gz | parquet | jsonl
    ts_style: str  # naive_space | offset | naive_iso | utc_z
    bool_style: str  # YN | 10 | native | json
    include_updated_at: bool
    include_vendor_id_column: bool
    surveys_early: bool  # survey files land before the month's interaction files
    # --- ids ------------------------------------------------------------
    id_prefix: str  # interaction ids
    agent_prefix: str
    sites: tuple[str, ...]
    invoice_prefix: str  # invoice ids, outsourcers only
    # --- market (fake PII) ---------------------------------------------
    market: str  # mx | ph | es | us
    languages: tuple[tuple[str | None, float], ...]
    # --- behaviour -----------------------------------------------------
    channel_mix: tuple[float, float, float]  # voice, chat, email
    wait_mean: dict[str, float]  # exponential part of the queue wait (s), voice/chat
    wait_month_sigma: float  # month-to-month variation of the wait level
    patience_mean: dict[str, float]  # mean patience (s), voice/chat
    short_abandon_share: float  # callers who hang up within a few seconds
    aht_factor: float  # multiplies the channel base handle times
    transfer_rate: float
    resolved_rate: float
    csat_quality: float  # 0..1, shifts CSAT up
    esat_quality: float  # 0..1, shifts ESAT up
    # --- contract --------------------------------------------------------
    voice_tiers: VoiceTiers | None = None
    chat_rate: Decimal | None = None
    email_minute_rate: Decimal | None = None
    training_rate: Decimal | None = None
    fixed_category: str | None = None  # productive_hours | management_fee
    fixed_rate: Decimal | None = None  # per hour (productive_hours); monthly fee is derived
    vat_rate: Decimal = D("0")
    sla_abandons: str = "exclude_short"
    sla_targets: dict[str, Decimal] = field(default_factory=dict)
    voice_threshold: int = 20
    chat_threshold: int = 30
    credit_pcts: dict[str, Decimal] = field(default_factory=dict)
    service_credit_cap_pct: Decimal = D("0.10")
    # minimum_monthly_commitment as a share of the expected variable fees (1.2: bites in short months)
    minimum_share: float = 0.15
    # a second contract version from the third month: {"chat_rate": ..., "sl_voice": ...} (None: one version)
    version2: dict[str, Decimal] | None = None
    # bills a (pre-contract) pilot month before the first contract version
    bills_pilot_month: bool = False


_DEFAULT_TARGETS = {
    "sl_voice": D("0.80"),
    "sl_chat": D("0.80"),
    "asa_voice": D("30"),
    "abandon_voice": D("0.05"),
    "aht_chat": D("600"),
    "csat": D("0.80"),
    "fcr": D("0.70"),
}
_DEFAULT_CREDITS = {
    "sl_voice": D("0.03"),
    "sl_chat": D("0.02"),
    "asa_voice": D("0.01"),
    "abandon_voice": D("0.02"),
    "aht_chat": D("0.0"),
    "csat": D("0.02"),
    "fcr": D("0.01"),
}

ACME = VendorProfile(
    vendor_id="acme_mx",
    name="Acme Contact Solutions (Monterrey)",
    kind="outsourcer",
    timezone="America/Monterrey",
    currency="MXN",
    volume_weight=0.30,
    interactions_format="csv",
    ts_style="naive_space",
    bool_style="YN",
    include_updated_at=False,
    include_vendor_id_column=False,
    surveys_early=False,
    id_prefix="AC",
    agent_prefix="MTY",
    sites=("MTY-Centro", "MTY-Apodaca"),
    invoice_prefix="ACME",
    market="mx",
    languages=(("es", 0.88), ("en", 0.12)),
    channel_mix=(0.62, 0.24, 0.14),
    wait_mean={"voice": 16.0, "chat": 22.0},
    wait_month_sigma=0.28,
    patience_mean={"voice": 170.0, "chat": 260.0},
    short_abandon_share=0.035,
    aht_factor=1.00,
    transfer_rate=0.07,
    resolved_rate=0.79,
    csat_quality=0.55,
    esat_quality=0.45,
    voice_tiers=VoiceTiers(D("78.50"), D("71.00")),
    chat_rate=D("52.00"),
    email_minute_rate=D("9.80"),
    training_rate=D("240.00"),
    fixed_category="productive_hours",
    fixed_rate=D("310.00"),
    vat_rate=D("0.16"),
    sla_abandons="exclude_short",
    sla_targets={**_DEFAULT_TARGETS, "csat": D("0.70"), "fcr": D("0.80")},
    credit_pcts=dict(_DEFAULT_CREDITS),
    bills_pilot_month=True,
)

PACIFIC = VendorProfile(
    vendor_id="pacific_ph",
    name="Pacific Outsourcing (Manila)",
    kind="outsourcer",
    timezone="Asia/Manila",
    currency="PHP",
    volume_weight=0.28,
    interactions_format="csv.gz",
    ts_style="offset",
    bool_style="10",
    include_updated_at=True,
    include_vendor_id_column=False,
    surveys_early=True,
    id_prefix="PO-",
    agent_prefix="PH-",
    sites=("MNL-Ortigas", "CEB-ITPark"),
    invoice_prefix="PAC",
    market="ph",
    languages=(("en", 0.93), ("tl", 0.07)),
    channel_mix=(0.58, 0.28, 0.14),
    wait_mean={"voice": 11.0, "chat": 15.0},
    wait_month_sigma=0.30,
    patience_mean={"voice": 230.0, "chat": 330.0},
    short_abandon_share=0.02,
    aht_factor=1.15,
    transfer_rate=0.09,
    resolved_rate=0.76,
    csat_quality=0.70,
    esat_quality=0.70,
    voice_tiers=VoiceTiers(D("185.00"), D("168.00")),
    chat_rate=D("120.00"),
    email_minute_rate=D("22.50"),
    training_rate=D("420.00"),
    fixed_category="management_fee",
    vat_rate=D("0.12"),
    sla_abandons="count_against",
    sla_targets={**_DEFAULT_TARGETS, "sl_chat": D("0.75"), "csat": D("0.75")},
    credit_pcts=dict(_DEFAULT_CREDITS),
    version2={"chat_rate": D("112.00"), "sl_voice": D("0.78")},
)

IBERIA = VendorProfile(
    vendor_id="iberia_es",
    name="Iberia Contact (Madrid)",
    kind="outsourcer",
    timezone="Europe/Madrid",
    currency="EUR",
    volume_weight=0.22,
    interactions_format="parquet",
    ts_style="naive_iso",
    bool_style="native",
    include_updated_at=False,
    include_vendor_id_column=False,
    surveys_early=False,
    id_prefix="IBE",
    agent_prefix="MAD",
    sites=("MAD-Alcobendas",),
    invoice_prefix="IBC",
    market="es",
    languages=(("es", 0.78), ("ca", 0.10), ("en", 0.10), (None, 0.02)),
    channel_mix=(0.60, 0.22, 0.18),
    wait_mean={"voice": 14.0, "chat": 20.0},
    wait_month_sigma=0.25,
    patience_mean={"voice": 140.0, "chat": 240.0},
    short_abandon_share=0.03,
    aht_factor=0.95,
    transfer_rate=0.05,
    resolved_rate=0.84,
    csat_quality=0.80,
    esat_quality=0.55,
    voice_tiers=VoiceTiers(D("5.40"), D("4.95"), basis="whole"),
    chat_rate=D("3.60"),
    email_minute_rate=D("0.85"),
    training_rate=D("24.00"),
    fixed_category="management_fee",
    vat_rate=D("0.21"),
    sla_abandons="count_for_within",
    voice_threshold=20,
    chat_threshold=30,
    sla_targets={**_DEFAULT_TARGETS, "sl_voice": D("0.85")},
    credit_pcts=dict(_DEFAULT_CREDITS),
    service_credit_cap_pct=D("0.05"),
    minimum_share=1.30,
    bills_pilot_month=True,
)

INHOUSE = VendorProfile(
    vendor_id="inhouse_us",
    name="In-house Customer Care (Chicago)",
    kind="in_house",
    timezone="America/Chicago",
    currency="USD",
    volume_weight=0.20,
    interactions_format="jsonl",
    ts_style="utc_z",
    bool_style="json",
    include_updated_at=True,
    include_vendor_id_column=True,
    surveys_early=False,
    id_prefix="US-",
    agent_prefix="CHI",
    sites=("CHI-Loop",),
    invoice_prefix="",
    market="us",
    languages=(("en", 0.86), ("es", 0.14)),
    channel_mix=(0.60, 0.25, 0.15),
    wait_mean={"voice": 13.0, "chat": 18.0},
    wait_month_sigma=0.25,
    patience_mean={"voice": 200.0, "chat": 300.0},
    short_abandon_share=0.025,
    aht_factor=1.10,
    transfer_rate=0.06,
    resolved_rate=0.82,
    csat_quality=0.75,
    esat_quality=0.80,
    sla_abandons="exclude_all",
    sla_targets={**_DEFAULT_TARGETS, "csat": D("0.75")},
    credit_pcts={k: D("0.0") for k in _DEFAULT_CREDITS},
)

OUTSOURCERS: tuple[VendorProfile, ...] = (ACME, PACIFIC, IBERIA)


def select_vendors(outsourcers: int) -> list[VendorProfile]:
    if not 0 <= outsourcers <= len(OUTSOURCERS):
        raise ValueError(f"outsourcers must be between 0 and {len(OUTSOURCERS)}, got {outsourcers}")
    return [*OUTSOURCERS[:outsourcers], INHOUSE]
