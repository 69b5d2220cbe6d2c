"""Shared fixtures: a tiny contract set and a landing zone to drop files into; the generated warehouse that
several slow test files read, built once per session."""

from __future__ import annotations

import os
import textwrap
from contextlib import contextmanager
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
    from ingestion.loader import gx_validate

    get_validator()  # built now, once
    return gx_validate


@contextmanager
def staged_frame(frame):
    """A normalised (polars) frame staged as the loader stages a file's rows: what `validate` takes."""
    from ingestion.loader import StagedRows, stage_rows
    from ingestion.readers import staging_connection

    con = staging_connection()
    try:
        stage_rows(con, frame.to_arrow())
        yield StagedRows(con)
    finally:
        con.close()


# The generated data set (three outsourcers and the in-house team, January to March 2026, with the evidence
# feeds) that the end-to-end, quality, Spark, metrics, report-card and docs tests read, built by one `bpo run`
# once per session (tests/warehouses.py). Mind: the fixture's users only read it (checked at the end).
EVIDENCE_DATA_SET = {"outsourcers": 3, "months": 3, "seed": 7, "scale": 8000, "evidence": True}


@pytest.fixture(scope="session")
def evidence_warehouse(tmp_path_factory):
    """`bpo run` of EVIDENCE_DATA_SET, shared read-only (a test that writes takes `.copy_to(tmp_path)`)."""
    from tests.warehouses import shared_warehouse

    built = shared_warehouse(tmp_path_factory, **EVIDENCE_DATA_SET)
    yield built
    built.assert_unchanged()


# Test files in the order their work starts under pytest-xdist (`--dist loadfile`, Makefile): the longest first,
# so that the files left for the end are short and the workers finish together. (xdist's own order, the files
# with the most tests first, left these, with one to five tests each, for the end: pytest_configure turns it
# off.) Measured on the 2-core machine (make test); files not listed follow, those with slow tests first.
LONGEST_FIRST = (
    "tests/dbt/test_spark_marts.py",
    "tests/dbt/test_incremental_builds.py",
    "tests/robustness/test_published_copy.py",
    "tests/orchestration/test_nothing_new.py",
    "tests/robustness/test_s3_landing.py",
    "tests/robustness/test_kill.py",
)


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist's --no-loadscope-reorder
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    files = [item.nodeid.split("::")[0] for item in items]
    slow_files = {f for f, item in zip(files, items) if item.get_closest_marker("slow")}
    rank = {f: i for i, f in enumerate(LONGEST_FIRST)}
    order = {id(item): (rank.get(f, len(rank)), f not in slow_files) for f, item in zip(files, items)}
    items.sort(key=lambda item: order[id(item)])  # stable: each file's tests stay together, in their order
