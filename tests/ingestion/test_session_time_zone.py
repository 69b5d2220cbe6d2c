"""Normalising timestamps does not depend on the machine's time zone (DuckDB's default session TimeZone).

The hand-worked instants of tests/ingestion/test_timestamps.py are checked again in a process started with
TZ=America/New_York. Its staging connection sets TimeZone = 'UTC' (readers.staging_connection); without
that, three of them fail there (checked by hand: the fetched instants and the offset-less shapes move).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_text_timestamps_read_alike_in_a_new_york_session():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly",
         "tests/ingestion/test_timestamps.py", "-k", "not icu_reads"],  # the three-year ICU sweep: zone-free
        cwd=ROOT, env={**os.environ, "TZ": "America/New_York"}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "5 passed" in proc.stdout
