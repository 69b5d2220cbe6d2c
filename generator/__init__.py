"""Synthetic data generator for bpo-warehouse (independent ground-truth oracle).

It never imports pipeline code (`ingestion.*` outside this package,
`expectations`, `dbt_project`, `orchestration`): the ground truth it writes is
computed on its own, from the rules in DEVELOPERS.md ("Marts: shared
semantics") and docs/domain.md.

    from generator import generate
    truth = generate(Path("demo"), outsourcers=3, months=3, seed=42, scale=20000, start="2026-01")
"""

from .core import DEFAULTS, contracts_for, generate, write_contracts

__all__ = ["DEFAULTS", "contracts_for", "generate", "write_contracts"]
