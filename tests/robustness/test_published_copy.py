"""The published copy for BI: a reader querying it in a loop while 10 loads and builds run sees no
error, no lock, and never a mix of two builds (every published mart carries its build id)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import duckdb
import pytest

from generator import generate
from serving.publish import publish_marts, remove_stale_copies
from tests.robustness.helpers import ROOT, Paths, copy_landed, spread_mtimes

pytestmark = pytest.mark.slow
CYCLES = 10


def test_a_reader_in_a_loop_never_sees_an_error_a_lock_or_a_mix_of_builds(driver, tmp_path):
    src = tmp_path / "source"
    generate(src, outsourcers=1, months=2, seed=5, scale=300)
    files = spread_mtimes(src / "landing")
    paths = Paths(tmp_path / "run")
    copy_landed(sorted((src / "contracts").glob("*.yaml")), src / "contracts", paths.contracts)
    n = len(files)
    waves = [files[round(i * n / CYCLES):round((i + 1) * n / CYCLES)] for i in range(CYCLES)]

    stop, result = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-m", "tests.robustness.reader", str(paths.published), str(stop),
                               str(result)], cwd=ROOT)
    build_ids = []
    try:
        for wave in waves:  # 10 loads and builds, each published when it succeeded
            copy_landed(wave, src / "landing", paths.landing)
            cycle = driver.run(paths)
            build_ids.append(cycle.done.split()[4])
        time.sleep(1.0)  # let the reader see the last build
    finally:
        stop.touch()
        reader.wait(timeout=60)
    report = json.loads(result.read_text())
    print(f"reader: {report['reads']} reads, {len(report['builds'])} builds seen")
    assert report["error_count"] == 0, report["errors"]
    assert report["mixed"] == []
    assert len(set(build_ids)) == CYCLES
    assert report["reads"] >= 2 * CYCLES
    assert len(report["builds"]) >= 3, report  # it did read while the copy was being replaced
    assert set(report["builds"]) <= set(build_ids)
    assert report["builds"][-1] == build_ids[-1]

    con = duckdb.connect(str(paths.published), read_only=True)
    try:
        marts = [r[0] for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'marts' order by 1").fetchall()]
        assert sorted(con.execute("select tables from publication").fetchone()[0]) == marts
        for mart in marts:
            assert con.execute(f"select distinct build_id from {mart}").fetchall() in ([], [(build_ids[-1],)])
        with pytest.raises(duckdb.Error):
            con.execute("create table marts.scribble as select 1 as x")
    finally:
        con.close()


def test_publish_skips_dbt_scratch_relations_and_cleans_stale_copies(tmp_path):
    warehouse, published = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts")
    con.execute("create table marts.sla_compliance as select 1 as x")
    con.execute("create table marts.sla_compliance__dbt_tmp as select 2 as x")
    con.execute("create table marts.cost_to_serve__dbt_backup as select 3 as x")
    con.close()
    stale = tmp_path / ".published.duckdb.20260101T000000Z-dead.tmp"
    stale.write_bytes(b"half a file")
    (tmp_path / f"{stale.name}.wal").write_bytes(b"")
    info = publish_marts(warehouse, published)
    assert info["tables"] == ["marts.sla_compliance"]
    # the stale copy and its WAL are gone; raw_parquet/ is publish's raw layer for other engines (Spark)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published.duckdb", "raw_parquet", "warehouse.duckdb"]
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select x, build_id from marts.sla_compliance").fetchall() == [(1, info["build_id"])]
    con.close()
    assert remove_stale_copies(published) == []
