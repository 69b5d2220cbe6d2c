from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import generate


@pytest.fixture(scope="session")
def default_run(tmp_path_factory) -> tuple[Path, dict]:
    """The data set for the default parameters (3 outsourcers + in-house, 3 months, seed 42, 20k rows) without
    the evidence feeds: these tests recompute the classic invoices and KPIs; test_evidence.py covers evidence."""
    out = tmp_path_factory.mktemp("gen_default")
    truth = generate(out, evidence=False)
    return out, truth


@pytest.fixture(scope="session")
def default_out(default_run) -> Path:
    return default_run[0]


@pytest.fixture(scope="session")
def truth(default_run) -> dict:
    out, t = default_run
    assert json.loads((out / "ground_truth.json").read_text()) == t
    return t
