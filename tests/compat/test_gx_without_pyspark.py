"""GX is imported without pyspark (installed for the Spark target), which stays importable afterwards."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from compat.gx import import_great_expectations
gx = import_great_expectations()
assert "pyspark" not in sys.modules, "GX imported pyspark"
assert gx.compatibility.pyspark.pyspark.__class__.__name__ == "NotImported"
import pyspark
print("ok", pyspark.__version__)
"""


def test_gx_import_leaves_pyspark_alone_and_importable():
    # a fresh process: this one may have imported GX or pyspark already
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok ")
