"""The exact-division macro on the magnitudes a large client reaches.

Cost-to-serve allocates a channel-less cost by `amount × handle seconds / month's
handle seconds`; at millions of contacts a month the numerator passes 1e26,
which overflowed DECIMAL(38) inside `decimal_div` (found by the 10M-row bench).
Expected values are computed here with Python's Decimal, half-even.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from tests.dbt.harness import DBT_PROJECT, create_raw

CASES = [  # (numerator, denominator, places)
    ("-687945073775456.3864", "2300000000", 8),  # a -300k credit spread by 2.3 billion handle seconds
    ("123456789012345678.9012", "7", 8),  # near the largest supported |num| (1.7e18 at 8 places)
    ("10", "4", 0),  # 2.5 -> 2 (half-even)
    ("-0.00015", "1", 4),  # -0.0002 (half-even on the 4th place)
]


def _expected(num: str, den: str, places: int) -> Decimal:
    return (Decimal(num) / Decimal(den)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("money_macros") / "warehouse.duckdb"
    create_raw(warehouse, {})
    columns = ", ".join(
        f"cast({{{{ decimal_div('cast({n} as decimal(38,4))', '{d}', {p}) }}}} as varchar) as c{i}"
        for i, (n, d, p) in enumerate(CASES))
    proc = subprocess.run(
        [str(__import__("pathlib").Path(sys.executable).with_name("dbt")), "show", "--inline", f"select {columns}",
         "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT), "--output", "json",
         "--target-path", str(warehouse.parent / "target"), "--log-path", str(warehouse.parent / "logs"),
         "--log-format", "text", "--quiet"],
        env={**os.environ, "BPO_WAREHOUSE": str(warehouse)}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    shown = json.loads(proc.stdout[proc.stdout.index("{"):])
    return shown["show"][0]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_decimal_div_is_exact_half_even(results, i):
    num, den, places = CASES[i]
    assert Decimal(results[f"c{i}"]) == _expected(num, den, places)
