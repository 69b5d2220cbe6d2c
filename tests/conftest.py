"""Shared fixtures: a tiny contract set and a landing zone to drop files into."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from ingestion.settings import Settings

# Tests land whole files and run at once: no settle interval (ingestion/landing.py), here and in the
# processes they start. The tests of the completeness rule set their own interval.
os.environ["BPO_SETTLE_SECONDS"] = "0"

SMALL_CONTRACT = textwrap.dedent("""\
    vendor_id: {vendor_id}
    name: Test vendor {vendor_id}
    kind: outsourcer
    timezone: {timezone}
    currency: {currency}
    versions:
      - effective_from: 2026-01-01
        pricing:
          - {{category: handled_contacts, channel: voice, unit: contact, rate: 10.00}}
          - {{category: travel, passthrough: true, requires_approval: true, monthly_cap: 500}}
        sla:
          - {{metric: service_level, channel: voice, threshold_seconds: 20, target: 0.80, credit_pct: 0.03}}
    """)


def write_contract(contracts: Path, vendor_id: str, timezone: str = "America/Monterrey", currency: str = "MXN") -> None:
    contracts.mkdir(parents=True, exist_ok=True)
    (contracts / f"{vendor_id}.yaml").write_text(
        SMALL_CONTRACT.format(vendor_id=vendor_id, timezone=timezone, currency=currency))


def land(settings: Settings, vendor: str, feed: str, name: str, content: str | bytes) -> Path:
    path = settings.landing / vendor / feed / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = textwrap.dedent(content).lstrip("\n").encode()
    path.write_bytes(content)
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(landing=tmp_path / "landing", contracts=tmp_path / "contracts",
                 warehouse=tmp_path / "wh" / "warehouse.duckdb")
    write_contract(s.contracts, "acme_mx")
    write_contract(s.contracts, "iberia_es", timezone="Europe/Madrid", currency="EUR")
    s.landing.mkdir(parents=True)
    return s.resolved()


@pytest.fixture(scope="session")
def validate():
    """The real GX validator, built once for the whole session (GX import costs seconds)."""
    from expectations.runner import get_validator

    validator = get_validator()
    return lambda feed, frame, vendor_id: validator.validate(feed=feed, frame=frame, vendor_id=vendor_id)
