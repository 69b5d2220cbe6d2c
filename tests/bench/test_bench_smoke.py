"""The benchmark's own logic on a tiny data set (no timings asserted; the pipeline is not run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from floor import measure_floor  # noqa: E402
from run import _duration  # noqa: E402

from generator import generate  # noqa: E402


def test_floor_matches_the_generator_ground_truth(tmp_path: Path) -> None:
    truth = generate(tmp_path, outsourcers=3, months=2, seed=7, scale=3000)
    _, rows, _ = measure_floor(tmp_path / "landing", tmp_path / "contracts", repeats=1)
    got = {(v, ch, m.strftime("%Y-%m")): (offered, answered, within, handle)
           for v, ch, m, offered, answered, within, handle in rows}
    assert sum(r[3] for r in rows) == sum(truth["counts"]["interactions"].values())
    assert truth["kpis"]
    for k in truth["kpis"]:  # voice and chat of every vendor-month, each with its own threshold
        key = (k["vendor_id"], k["channel"], k["period_month"])
        assert got[key] == (k["offered"], k["answered"], k["answered_within_threshold"], k["handle_seconds"]), key


@pytest.mark.parametrize("text, seconds", [("0.83ms", 0.00083), ("533ms", 0.533), ("2.1s", 2.1),
                                           ("4m52s", 292.0), ("1h4m", 3840.0)])
def test_dagster_durations_are_parsed(text: str, seconds: float) -> None:
    assert _duration(text) == pytest.approx(seconds)
