"""Output people can read (issue 13 item 6): progress instead of dbt's node log, bars on a terminal and
plain lines elsewhere, every mart summarised without a cut column, and a demo that ends saying where
everything is and how many injected defects were found."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

import serving.report as report
from orchestration.progress import RunProgress

MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"


def _steps(progress: RunProgress) -> None:
    with progress:
        progress.step("files", "landed files: 2 to check", 2)
        progress.advance("files", 0, "validating and loading file 1 of 2: acme_mx/interactions/a.csv")
        progress.advance("files", 1, "validating and loading file 2 of 2: acme_mx/interactions/b.csv")
        progress.finish("files", "landed files: 2 loaded")
        progress.step("dbt", "dbt build: 3 models, 1 tests", 4)
        for _ in range(4):
            progress.advance("dbt")
        progress.finish("dbt", "dbt build: 3 models, 1 tests")


def test_progress_is_plain_lines_off_a_terminal():
    out = io.StringIO()
    _steps(RunProgress(Console(file=out, width=100)))
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text  # nothing redrawn: a CI log reads line by line
    lines = text.splitlines()
    assert lines[0] == "landed files: 2 to check ..."
    assert re.fullmatch(r"landed files: 2 loaded \(\d+\.\d s\)", lines[1])
    assert lines[2] == "dbt build: 3 models, 1 tests ..."
    assert len(lines) == 4


def test_progress_on_a_terminal_draws_bars_with_counts():
    out = io.StringIO()
    _steps(RunProgress(Console(file=out, width=100, force_terminal=True, color_system=None)))
    text = out.getvalue()
    assert "━" in text  # rich's bar
    assert "4/4" in text and "2/2" in text  # done of total
    assert "dbt build: 3 models, 1 tests" in text


def test_every_mart_has_a_summary():
    marts = {p.stem for p in MARTS.glob("*.sql")}
    assert marts and marts == set(report.SUMMARIES)


WIDE_ROW = {"vendor_id": "acme_mx", "month": "2026-01", "offered_contacts": "123456",
            "answered_within_threshold_share": "0.8123", "a_long_category_name": "training_hours_with_a_long_name",
            "credit_due_amount_reporting_currency": "12345.6789", "amount_at_risk_reporting": "987.65",
            "note": "a note longer than a narrow terminal is wide, which must fold, never be cut off"}


@pytest.mark.parametrize("width", [40, 60, 80, 200])
def test_mart_summary_never_cuts_a_column(tmp_path, monkeypatch, width):
    db = tmp_path / "published.duckdb"
    duckdb.connect(str(db)).close()
    select = ", ".join(f"'{v}' as {k}" for k, v in WIDE_ROW.items())
    monkeypatch.setattr(report, "SUMMARIES", {"wide": f"select {select} union all select {select}"})
    out = io.StringIO()
    report.print_mart_summary(Console(file=out, width=width), db)
    text = out.getvalue()
    assert "…" not in text and "..." not in text
    assert max(len(line) for line in text.splitlines()) <= width
    joined = re.sub(r"\s+", "", text)  # folded values continue on the next line
    for name, value in WIDE_ROW.items():
        assert re.sub(r"\s+", "", name) in joined
        assert re.sub(r"\s+", "", value) in joined
    short = [v for v in WIDE_ROW.values() if len(v) < width - 40]
    assert all(v in text for v in short)  # short values are never broken


@pytest.mark.slow
def test_demo_shows_progress_every_mart_and_where_everything_is(tmp_path, monkeypatch):
    import orchestration.cli as cli

    monkeypatch.setattr(cli, "console", Console(width=60))  # a narrow terminal; output captured by the runner
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli.app, ["demo", "--out", str(out), "--scale", "3000"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "OK created" not in text and "START sql" not in text  # dbt's node log went to the log file
    assert (out / "warehouse" / "dbt_logs" / "pipeline.log").read_text()
    assert re.search(r"^landed files: \d+ to check", text, re.M)
    assert re.search(r"^dbt build: \d+ models, \d+ tests \(\d+\.\d s\)$", text, re.M)
    assert re.search(r"^published \d+ marts", text, re.M)
    assert "…" not in text
    for mart in report.SUMMARIES:
        assert f"marts.{mart}" in text
    for what in ("report card", "warehouse", "published copy for BI", "dbt docs", "dispute packs"):
        assert re.search(rf"^{what}\b.*:", text, re.M), what
    packs = list((out / "disputes").glob("dispute_all_*.xlsx"))
    assert packs
    joined = re.sub(r"\s+", " ", text)
    found = re.search(r"injected defects found: (\d+) of (\d+) invoice defects", joined)
    assert found
    import json

    injected = len(json.loads((out / "ground_truth.json").read_text())["defects"])
    assert int(found.group(2)) == injected and int(found.group(1)) == injected  # the demo finds every one
