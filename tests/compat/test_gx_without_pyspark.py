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


AFTER_PYSPARK = """
import pyspark, pyspark.sql
from compat.gx import import_great_expectations
gx = import_great_expectations()
assert gx.compatibility.pyspark.pyspark.__class__.__name__ == "NotImported"
assert sys.modules["pyspark"] is pyspark and "pyspark.sql" in sys.modules
from expectations.runner import get_validator
get_validator()
print("ok")
"""


def test_gx_import_after_pyspark_was_imported_keeps_the_process_alive():
    # the Spark tests import pyspark first in their worker; GX's own Spark support then exited the process
    out = subprocess.run([sys.executable, "-c", "import sys" + AFTER_PYSPARK], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
