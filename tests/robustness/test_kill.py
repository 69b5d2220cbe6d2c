"""Crash safety: SIGKILL the pipeline 20 times, at random moments, restart it; the marts come out
identical to a run that was never interrupted.

The pipeline process (tests/robustness/driver.py: ingest → dbt build →
publish, the functions `bpo run` uses) is killed during ingestion, during the
dbt build and while publishing. Files keep landing in waves between
restarts, in the same arrival order as the reference run's landing zone. After
the last kill it runs once to completion, and then:

* every mart table (rows sorted) equals the reference run's, in the warehouse
  and in the published copy (less its build id);
* the raw tables hold each file exactly once (no lost or doubled file);
* no dbt scratch relation (`__dbt_tmp`, `__dbt_backup`) and no stale
  temporary published file is left behind.
"""

from __future__ import annotations

import random
import shutil
import time

import duckdb
import pytest

from generator import generate
from tests.robustness import corpus
from tests.robustness.helpers import (
    Paths,
    assert_same_tables,
    copy_landed,
    spread_mtimes,
    table_rows,
)

pytestmark = pytest.mark.slow

KILLS = {"ingest": 9, "dbt": 9, "publish": 2}  # 20 kills in all
PHASE_KIND = {"ingest": "ingest", "dbt": "dbt", "dbt-nodes": "dbt", "publish": "publish"}
WAVES = 12


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A small generated data set (plus one bad file) with a fixed arrival order."""
    root = tmp_path_factory.mktemp("kill_source")
    generate(root, outsourcers=1, months=2, seed=11, scale=800)
    bad = root / "landing" / "acme_mx" / "interactions" / "negative_talk.csv"
    bad.write_bytes(corpus.interactions(4, talk=-5))
    files = spread_mtimes(root / "landing")
    return root, files


def setup_paths(root, source_root) -> Paths:
    paths = Paths(root)
    shutil.copytree(source_root / "contracts", paths.contracts)
    return paths


def test_sigkill_at_random_moments_leaves_marts_identical_to_an_uninterrupted_run(driver, source, tmp_path):
    src, files = source
    rnd = random.Random(20260105)

    # The reference: everything landed at once, one uninterrupted run.
    ref = setup_paths(tmp_path / "reference", src)
    copy_landed(files, src / "landing", ref.landing)
    cycle = driver.run(ref)
    assert cycle.done.split()[2:4] == [str(len(files) - 1), "1"], cycle.done
    per_file = (cycle.marks["dbt"] - cycle.marks["ingest"]) / len(files)
    print("reference", {k: round(v - cycle.sent_at, 2) for k, v in cycle.marks.items()})
    windows = {"dbt": (cycle.marks["publish"] - cycle.marks["dbt-nodes"]) * 0.95,
               "publish": cycle.marks["done"] - cycle.marks["publish"]}

    # The run that is killed 20 times; files land in waves, in the same arrival order.
    run = setup_paths(tmp_path / "killed", src)
    n = len(files)
    waves = [files[round(i * n / WAVES):round((i + 1) * n / WAVES)] for i in range(WAVES)]
    landed = 0
    kills = dict.fromkeys(KILLS, 0)
    history: list[tuple[str, str | None]] = []
    for _attempt in range(60):
        if sum(kills.values()) == sum(KILLS.values()):
            break
        open_targets = [p for p in KILLS if kills[p] < KILLS[p] and (p != "ingest" or landed < len(waves))]
        if not open_targets:  # no wave left to kill the ingestion of: the other phases make up
            open_targets = [p for p in KILLS if p != "ingest"]
        target = min(open_targets, key=lambda p: kills[p] / KILLS[p])
        if target == "ingest":
            copy_landed(waves[landed], src / "landing", run.landing)
            window = per_file * len(waves[landed]) * 1.5
            landed += 1
        else:
            window = windows[target]
        cycle = driver.start(run)
        if driver.wait_phase(cycle, {"dbt": "dbt-nodes"}.get(target, target)):
            time.sleep(rnd.uniform(0, window))
            driver.kill(cycle)
        driver.wait_exit(cycle)
        if cycle.exit_code != -9:  # finished before the kill came
            assert cycle.exit_code == 0, f"the pipeline failed after a kill: {cycle.failure}\n{driver.log[-20:]}"
            history.append((target, "finished first"))
            continue
        phase = PHASE_KIND.get(cycle.last_phase, "ingest")
        kills[phase] = kills.get(phase, 0) + 1
        history.append((target, cycle.last_phase, round(time.monotonic() - cycle.sent_at, 1)))
    print(f"kills: {kills}; history {history}")
    assert sum(kills.values()) == 20, (kills, history)
    assert kills["ingest"] >= 6 and kills["dbt"] >= 6, (kills, history)

    copy_landed([f for w in waves[landed:] for f in w], src / "landing", run.landing)
    final = driver.run(run)
    assert final.done

    # Marts: identical in the warehouse and in the published copy.
    assert_same_tables(table_rows(run.warehouse, "marts"), table_rows(ref.warehouse, "marts"), "marts")
    assert_same_tables(table_rows(run.published, "marts", exclude=("build_id",)),
                       table_rows(ref.published, "marts", exclude=("build_id",)), "published marts")
    # Raw: each file exactly once; rows equal to the reference's (load ids and times aside).
    raw_exclude = ("_load_id", "_loaded_at", "load_id", "processed_at", "file_path", "file_mtime", "source_file")
    assert_same_tables(table_rows(run.warehouse, "raw", exclude=raw_exclude),
                       table_rows(ref.warehouse, "raw", exclude=raw_exclude), "raw")
    con = duckdb.connect(str(run.warehouse), read_only=True)
    try:
        assert con.execute("select count(*), count(distinct sha256) from raw.load_manifest").fetchone() \
            == (len(files), len(files))
        scratch = con.execute("select table_name from duckdb_tables() where table_name like '%__dbt_%' "
                              "union all select view_name from duckdb_views() where view_name like '%__dbt_%'"
                              ).fetchall()
        assert scratch == []
    finally:
        con.close()
    assert [p.name for p in run.published.parent.glob(".*.tmp*")] == []
    reason_files = list((run.warehouse.parent / "quarantine").rglob("*.reason.txt"))
    assert [p.name for p in reason_files] == ["negative_talk.csv.reason.txt"]
