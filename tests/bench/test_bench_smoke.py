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


def test_one_file_replay_is_a_correction_of_the_day(tmp_path: Path) -> None:
    """The one-file replay's file: the day's first rows again, same ids, one more second of wrap time."""
    import polars as pl

    from run import make_one_file

    day = tmp_path / "interactions_2026-04-01.csv"
    day.write_text("interaction_id,channel,wrap_seconds\nA1,voice,10\nA2,chat,\nA3,voice,7\n")
    one = make_one_file(day, tmp_path / "one", rows=2)
    frame = pl.read_csv(one, infer_schema=False)
    assert frame["interaction_id"].to_list() == ["A1", "A2"]
    assert frame["wrap_seconds"].to_list() == ["11", None]  # an empty wrap time stays empty
    assert one.read_bytes() != day.read_bytes()  # new bytes: not a re-delivery


def test_results_table_gains_the_noop_and_one_file_columns(tmp_path: Path) -> None:
    from run import TABLE_HEAD, append_results_md

    md = tmp_path / "RESULTS.md"
    old_head = ("| when | commit | rows | cores / mem | floor s | backfill s | ratio | ingest s | dbt s | valid. share "
                "| peak RSS MB | incr small s | incr large s | incr ratio | note |\n|---|---|---|---|---|---|---|---|---|"
                "---|---|---|---|---|---|\n")
    old_row = "| 2026-11-01 10:00 | abc | 10,000,000 | 2 / 24 | 5.20 | 112.0 | 21.5 | 63.0 | 42.5 | 0.19 | 2,960 | 9.0 | 11.0 | 1.22 |  |\n"
    md.write_text("# Benchmark results\n\n" + old_head + old_row)
    result = {"incremental": {"small": {"dbt_ran": True}, "large": {"dbt_ran": True}}, "row_notes": [],
              "git": {"commit": "0123456789abc", "pipeline_dirty": False}, "stage_seconds": {"ingestion": 1.0, "dbt": 2.0},
              "timestamp": "2026-12-04T14:00:00+00:00", "rows": 2000, "machine": {"cores": 2, "memory_gib": 24.0},
              "floor_seconds": 0.5, "backfill_seconds": 30.0, "backfill_ratio": 60.0, "validation_share": 0.2,
              "peak_rss_mb": 800.0, "incremental_small_seconds": 20.0, "incremental_large_seconds": 21.0,
              "incremental_ratio": 1.05, "noop_seconds": 6.4, "replay_one_file_seconds": 19.5}
    append_results_md(md, result)
    lines = md.read_text().splitlines()
    assert lines[2] + "\n" + lines[3] + "\n" == TABLE_HEAD
    assert lines[4] + "\n" == old_row  # earlier rows kept as they were
    new = [c.strip() for c in lines[5].strip("|").split("|")]
    header = [c.strip() for c in lines[2].strip("|").split("|")]
    assert len(new) == len(header)
    assert new[header.index("no-op s")] == "6.4"
    assert new[header.index("1-file s")] == "19.5"


@pytest.mark.parametrize("noop, startup, over, met", [(3.8, 1.9, 1.9, True), (3.5, 1.5, 2.0, True),
                                                      (4.0, 1.5, 2.5, False)])
def test_the_noop_is_judged_against_the_startup_plus_two_seconds(noop, startup, over, met) -> None:
    from run import noop_verdict

    verdict = noop_verdict(noop, startup)
    assert verdict["over_startup_seconds"] == pytest.approx(over)
    assert verdict["target_seconds"] == pytest.approx(startup + 2.0)
    assert verdict["target_met"] is met


def test_a_period_that_reaches_the_last_week_is_refused_with_a_start_that_fits(capsys) -> None:
    """The pipeline quarantines rows over a day ahead: a data set ending this month would measure quarantines."""
    from datetime import datetime, timezone

    from dayfile import next_month
    from run import main

    this_month = datetime.now(timezone.utc).strftime("%Y-%m")
    with pytest.raises(SystemExit) as refused:
        main(["--rows", "1000", "--months", "12", "--start", next_month(this_month, -11)])  # day: next month
    assert refused.value.code == 2
    said = capsys.readouterr().err
    assert "too close to today" in said
    fits = said.rsplit("start at ", 1)[1].split()[0]
    assert next_month(fits, 12 + 1) <= this_month  # its incremental day's month has passed
