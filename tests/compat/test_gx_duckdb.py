"""GX's SQL execution engine on DuckDB (duckdb-engine): why every metric came back empty, and that
compat.gx_duckdb's fix makes it compute them."""

from __future__ import annotations

import subprocess
import sys


def test_a_duckdb_result_is_gone_once_its_connection_is_back_in_the_pool(tmp_path):
    """The root cause: duckdb-engine's cursor is the DuckDB connection itself, and the ROLLBACK of the pool's
    reset replaces its one pending result. GX 1.24's execute_query fetches after that point."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE TABLE t AS SELECT range AS x FROM range(10)"))
        connection.commit()
    with engine.connect() as connection:
        fetched_inside = connection.execute(sa.text("SELECT count(*) FROM t")).fetchall()
        late = connection.execute(sa.text("SELECT count(*) FROM t"))
    assert fetched_inside == [(10,)]
    assert late.fetchall() == []  # what GX's resolve_metric_bundle indexes with res[0]
    engine.dispose()


SCRIPT = """
import sys
import duckdb
from compat.gx import import_great_expectations
gx = import_great_expectations()
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE t AS SELECT range AS x FROM range(10)")  # 0..9
con.close()
context = gx.get_context(mode="ephemeral")
source = context.data_sources.add_sql("d", connection_string="duckdb:///" + sys.argv[1], create_temp_table=False)
batches = source.add_table_asset("t", table_name="t").add_batch_definition_whole_table("whole")
check = gx.expectations.ExpectColumnValuesToBeBetween(column="x", min_value=0, max_value=5)
before = batches.get_batch().validate(check)
print("before", before.success, repr(str(before.exception_info)))
from compat.gx_duckdb import fetch_rows_before_release
fetch_rows_before_release()
after = batches.get_batch().validate(check, result_format="SUMMARY")
print("after", after.success, after.result["element_count"], after.result["unexpected_count"],
      sorted(after.result["partial_unexpected_list"]))
"""


def test_gx_computes_metrics_on_duckdb_once_fixed(tmp_path):
    # a fresh process: the fix patches GX for the process, and the "before" must run unpatched
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "gx.duckdb")], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    before, after = out.stdout.strip().splitlines()[-2:]
    assert before.startswith("before False") and "list index out of range" in before
    assert after == "after False 10 4 [6, 7, 8, 9]"  # 10 rows, 6..9 above 5
