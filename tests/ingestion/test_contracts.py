"""Contracts: the interfaces.md example loads; mistakes are reported by file, line and field."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.contracts import ContractError, contract_rows, load_contract, load_contracts

EXAMPLE = textwrap.dedent("""\
    vendor_id: acme_mx
    name: Acme Contact Solutions (Monterrey)
    kind: outsourcer            # or in_house
    timezone: America/Monterrey
    currency: MXN
    versions:                   # non-overlapping, by effective date
      - effective_from: 2026-01-01
        effective_to: null      # open-ended
        pricing:
          - category: handled_contacts
            channel: voice
            unit: contact
            tiers:              # marginal tiers on the monthly quantity
              - {up_to: 40000, rate: 61.50}
              - {up_to: null,  rate: 55.00}
          - {category: handle_minutes, channel: chat, unit: minute, rate: 9.80}
          - {category: productive_hours, unit: hour, rate: 310.00}
          - {category: training_hours, unit: hour, rate: 240.00}
          - {category: overtime_hours, unit: hour, rate: 465.00}
          - {category: telecom_passthrough, passthrough: true, monthly_cap: 25000}
          - {category: travel, passthrough: true, requires_approval: true}
        minimum_monthly_commitment: 1500000   # take-or-pay, in contract currency
        sla:
          - {metric: service_level, channel: voice, threshold_seconds: 20, target: 0.80,
             short_abandon_seconds: 5, abandons: exclude_short, credit_pct: 0.03}
          - {metric: asa_seconds, channel: voice, target: 30, credit_pct: 0.01}
          - {metric: abandon_rate, channel: voice, target: 0.05, credit_pct: 0.02}
          - {metric: aht_seconds, channel: chat, target: 600, credit_pct: 0.0}
          - {metric: csat_top2box, target: 0.85, credit_pct: 0.02}
          - {metric: fcr_rate, target: 0.70, repeat_window_days: 7, credit_pct: 0.01}
        service_credit_cap_pct: 0.10          # of the month's invoiced fees
        tolerance: {quantity_pct: 0.02, amount_abs: 1.00}
    """)


def write(tmp_path: Path, text: str, name: str = "acme_mx.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_interfaces_example_loads_with_exact_decimals(tmp_path):
    contract = load_contract(write(tmp_path, EXAMPLE))
    version = contract.versions[0]
    assert contract.timezone == "America/Monterrey"
    assert version.pricing[0].tiers[0].rate == Decimal("61.50")
    assert version.pricing[5].monthly_cap == Decimal("25000")
    assert version.sla[0].abandons == "exclude_short"
    assert version.tolerance.amount_abs == Decimal("1.00")


def test_contract_rows_flatten_tiers_with_lower_bounds(tmp_path):
    write(tmp_path, EXAMPLE)
    rows = contract_rows(load_contracts(tmp_path), tmp_path)
    tiers = rows["contract_pricing_tiers"]
    assert [(t["tier_number"], t["lower_bound"], t["up_to"]) for t in tiers] == [
        (1, Decimal(0), Decimal(40000)), (2, Decimal(40000), None)]
    assert len(rows["contract_sla"]) == 6
    assert rows["contract_versions"][0]["version_id"] == "acme_mx@2026-01-01"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "problem"),
    [
        ("threshold_seconds: 20", "treshold_seconds: 20", 24, "sla[0].treshold_seconds", "Extra inputs"),
        ("timezone: America/Monterrey", "timezone: Mars/Olympus", 4, "timezone", "unknown IANA timezone"),
        ("{up_to: 40000, rate: 61.50}", "{up_to: 40000, rate: cheap}", 14, "tiers[0].rate", "valid decimal"),
        ("abandons: exclude_short", "abandons: ignore", 25, "sla[0].abandons", "exclude_short"),
        ("{category: travel, passthrough: true, requires_approval: true}",
         "{category: travel, rate: 10, requires_approval: true}", 21, "pricing[6]", "pass-through"),
    ],
)
def test_invalid_contract_names_file_line_field_and_problem(tmp_path, old, new, line, field, problem):
    assert old in EXAMPLE
    path = write(tmp_path, EXAMPLE.replace(old, new))
    with pytest.raises(ContractError) as exc:
        load_contract(path)
    message = str(exc.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert field in message
    assert problem in message


def test_overlapping_versions_are_rejected(tmp_path):
    text = EXAMPLE.replace("effective_to: null      # open-ended", "effective_to: 2026-06-30") + textwrap.indent(
        textwrap.dedent("""\
        - effective_from: 2026-06-01
          pricing: [{category: handled_contacts, channel: voice, rate: 50}]
        """), "  ")
    with pytest.raises(ContractError, match="versions overlap"):
        load_contract(write(tmp_path, text))


def test_gap_between_versions_is_rejected(tmp_path):
    text = EXAMPLE.replace("effective_to: null      # open-ended", "effective_to: 2026-06-30") + textwrap.indent(
        textwrap.dedent("""\
        - effective_from: 2026-08-01
          pricing: [{category: handled_contacts, channel: voice, rate: 50}]
        """), "  ")
    with pytest.raises(ContractError, match="gap between versions"):
        load_contract(write(tmp_path, text))


def test_vendor_id_must_match_file_name(tmp_path):
    with pytest.raises(ContractError, match="does not match the file name"):
        load_contract(write(tmp_path, EXAMPLE, name="other_vendor.yaml"))


def test_all_bad_files_are_reported_together(tmp_path):
    write(tmp_path, EXAMPLE.replace("currency: MXN", "currency: pesos"))
    write(tmp_path, "vendor_id: b\nname: B\nkind: in_house\ntimezone: UTC\ncurrency: USD\nversions: []\n", "b.yaml")
    with pytest.raises(ContractError) as exc:
        load_contracts(tmp_path)
    assert "acme_mx.yaml, line 5: currency" in str(exc.value)
    assert "b.yaml, line 6: versions" in str(exc.value)
