"""The repo's contracts/ folder holds exactly what generate() writes for the default parameters.

Refresh with: python -m generator --contracts-only contracts
"""
from __future__ import annotations

from pathlib import Path

from generator.core import write_contracts

REPO_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def test_repo_contracts_equal_generated_defaults(tmp_path):
    write_contracts(tmp_path)  # the default parameters (evidence on)
    generated = {p.name: p.read_text() for p in tmp_path.glob("*.yaml")}
    repo = {p.name: p.read_text() for p in REPO_CONTRACTS.glob("*.yaml")}
    assert set(generated) == {"acme_mx.yaml", "pacific_ph.yaml", "iberia_es.yaml", "inhouse_us.yaml"}
    assert repo == generated
