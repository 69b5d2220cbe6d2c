"""The incremental (scoped) models are restated when their code changes, not only their data.

A warehouse built by an older release keeps rows of marts.sla_interval and the interaction
facts computed by the older SQL; the build ledger's per-vendor fingerprint therefore includes
the checksums of the scoped models and of every model they read, plus var scoped_logic_version
(for macro changes). Here: a build, a build with nothing changed (nothing restated), then the
version bumped (every vendor restated whole).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from tests.dbt.harness import create_raw, dbt_build

pytestmark = pytest.mark.slow
SELECT = ("--select", "+tag:scoped")


def _raw():
    t0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    return {
        "contracts": [dict(vendor_id="v1", name="V1", kind="outsourcer", timezone="UTC", currency="USD")],
        "contract_versions": [dict(vendor_id="v1", version_id="v1@2026-01-01", effective_from=date(2026, 1, 1),
                                   tolerance_quantity_pct=0.02, tolerance_amount_abs=1)],
        "interactions": [
            dict(vendor_id="v1", interaction_id=f"i{n}", channel="voice", queue="q", arrived_at=t0 + timedelta(hours=n),
                 answered_at=t0 + timedelta(hours=n, seconds=5), ended_at=t0 + timedelta(hours=n, minutes=3),
                 talk_seconds=170, hold_seconds=0, wrap_seconds=5)
            for n in range(3)
        ],
    }


def _parameters(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select fingerprint, contract_changed from intermediate.int_vendor_build_parameters"
                           ).fetchone()
    finally:
        con.close()


def test_a_change_of_the_scoped_code_restates_every_vendor(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    create_raw(warehouse, _raw())
    dbt_build(warehouse, *SELECT)
    first, changed = _parameters(warehouse)
    assert changed  # nothing built before
    dbt_build(warehouse, *SELECT)
    assert _parameters(warehouse) == (first, False)  # same code, same contract: nothing restated
    dbt_build(warehouse, *SELECT, "--vars", "{scoped_logic_version: 2}")
    bumped, changed = _parameters(warehouse)
    assert changed and bumped != first
