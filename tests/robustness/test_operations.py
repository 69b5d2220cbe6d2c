"""Real operations through the command line: guards, one clear line per mistake, exit codes.

One small landing zone is run once through `bpo run` (module fixture); each test then tries a
mistake a person makes and asserts the message, the exit code and that the published marts
are exactly as they were (same build, same bytes).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ingestion.settings import Settings
from orchestration.cli import app
from tests.conftest import land, write_contract
from tests.robustness.corpus import interactions, invoice

pytestmark = pytest.mark.slow
SALT = {"BPO_PII_SALT": "a-test-secret", "COLUMNS": "250"}


def bpo(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env={**SALT, **(env or {})})


def settle(path: Path) -> None:
    """Land a file as complete: written a while ago."""
    t = time.time() - 3600
    os.utime(path, (t, t))


def published_fingerprint(s: Settings) -> tuple[str, str]:
    con = duckdb.connect(str(s.published_path), read_only=True)
    try:
        (build_id,) = con.execute("select build_id from publication").fetchone()
    finally:
        con.close()
    return build_id, hashlib.sha256(s.published_path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """acme_mx: interactions and an invoice loaded; one interactions file quarantined."""
    root = tmp_path_factory.mktemp("ops")
    s = Settings(landing=root / "landing", contracts=root / "contracts",
                 warehouse=root / "wh" / "warehouse.duckdb").resolved()
    write_contract(s.contracts, "acme_mx")
    settle(land(s, "acme_mx", "interactions", "good.csv", interactions(3)))
    settle(land(s, "acme_mx", "invoices", "inv.csv", invoice()))
    settle(land(s, "acme_mx", "interactions", "bad.csv", interactions(2, channel="fax")))
    args = ["--landing", str(s.landing), "--contracts", str(s.contracts), "--warehouse", str(s.warehouse)]
    first = bpo("run", *args, "--fail-on-quarantine")
    return {"s": s, "args": args, "first": first}


def test_fail_on_quarantine_exits_3_after_loading_and_publishing_the_good_files(ran):
    first, s = ran["first"], ran["s"]
    assert first.exit_code == 3, first.output
    assert "committed 2 file(s) (5 rows), quarantined 1, failed 0, left pending 0" in first.output
    assert "acme_mx/interactions/bad.csv" in first.output  # vendor and feed named
    con = duckdb.connect(str(s.published_path), read_only=True)
    try:
        assert con.execute("select sum(offered) from marts.sla_interval").fetchone() == (3,)
    finally:
        con.close()


def test_a_deleted_contract_refuses_the_run_and_leaves_the_published_marts_alone(ran, tmp_path):
    s = ran["s"]
    before = published_fingerprint(s)
    other = tmp_path / "contracts"
    write_contract(other, "iberia_es", timezone="Europe/Madrid", currency="EUR")  # acme_mx's contract is gone
    result = bpo("run", "--landing", str(s.landing), "--contracts", str(other), "--warehouse", str(s.warehouse))
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no contract for acme_mx, whose data is loaded" in errors[0], result.output
    assert "Traceback" not in result.output
    assert published_fingerprint(s) == before


def test_an_empty_contracts_folder_refuses_the_run(ran, tmp_path):
    s = ran["s"]
    before = published_fingerprint(s)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = bpo("run", "--landing", str(s.landing), "--contracts", str(empty), "--warehouse", str(s.warehouse))
    assert result.exit_code == 2
    assert f"error: contracts folder {empty} holds no contract" in result.output
    assert published_fingerprint(s) == before


def test_an_impossible_contract_date_names_file_line_and_field(ran, tmp_path):
    s = ran["s"]
    broken = tmp_path / "contracts"
    shutil.copytree(s.contracts, broken)
    path = broken / "acme_mx.yaml"
    path.write_text(path.read_text().replace("effective_from: 2026-01-01", "effective_from: 2026-02-30"))
    result = bpo("run", "--landing", str(s.landing), "--contracts", str(broken), "--warehouse", str(s.warehouse))
    assert result.exit_code == 2
    assert (f"error: {path}, line 7: versions[0].effective_from: '2026-02-30' is not a valid date"
            in result.output), result.output


@pytest.mark.parametrize("mistake", ["landing", "warehouse_folder", "published_copy", "not_duckdb"])
def test_wrong_paths_get_one_line_and_exit_2(ran, tmp_path, mistake):
    s = ran["s"]
    landing, warehouse = s.landing, s.warehouse
    if mistake == "landing":
        landing, expected = tmp_path / "landnig", f"landing folder {tmp_path / 'landnig'} does not exist"
    elif mistake == "warehouse_folder":
        warehouse, expected = s.warehouse.parent, "is a folder; give a file"
    elif mistake == "published_copy":
        warehouse = tmp_path / "copy.duckdb"
        shutil.copy(s.published_path, warehouse)
        expected = "is a published read-only copy for BI, not a warehouse"
    else:
        warehouse = tmp_path / "notes.duckdb"
        warehouse.write_text("not a database\n")
        expected = "is not a DuckDB database file"
    result = bpo("run", "--landing", str(landing), "--contracts", str(s.contracts), "--warehouse", str(warehouse))
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expected in errors[0], result.output


def test_replay_of_a_loaded_file_is_refused_without_a_build(ran):
    s = ran["s"]
    before = published_fingerprint(s)
    result = bpo("replay", str(s.landing / "acme_mx" / "interactions" / "good.csv"), *ran["args"])
    assert result.exit_code == 2
    assert "is not quarantined: its bytes were loaded" in result.output
    assert published_fingerprint(s) == before


def test_a_second_run_lists_no_earlier_file(ran):
    result = bpo("run", *ran["args"])
    assert result.exit_code == 0, result.output
    assert "good.csv" not in result.output and "inv.csv" not in result.output
    assert ("committed 0 file(s) (0 rows), quarantined 0, failed 0, left pending 0; "
            "3 file(s) already processed before" in result.output)
    history = bpo("status", "--warehouse", str(ran["s"].warehouse))
    assert history.exit_code == 0 and "good.csv" in history.output and "bad.csv" in history.output


def test_the_demo_salt_warning(ran, tmp_path):
    # any non-demo command that processes files warns; a refused run (no landing folder) is enough to see it
    args = ["run", "--landing", str(tmp_path / "none"), "--contracts", str(ran["s"].contracts),
            "--warehouse", str(ran["s"].warehouse)]
    without = CliRunner().invoke(app, args, env={"BPO_PII_SALT": None, "COLUMNS": "250"})
    assert "warning: BPO_PII_SALT is not set" in without.output
    assert "BPO_PII_SALT is not set" not in bpo(*args).output


def test_generate_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = bpo("generate", "--out", str(tmp_path), "--vendors", "1", "--months", "1", "--scale", "200")
    assert result.exit_code == 2 and "is not empty" in result.output and "--force" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    forced = bpo("generate", "--out", str(tmp_path), "--vendors", "1", "--months", "1", "--scale", "200",
                 "--force")
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "ground_truth.json").exists()


def test_an_unexpected_error_is_one_line_unless_debug(monkeypatch, tmp_path):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr("generator.generate", boom)
    result = bpo("generate", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "error: disk on fire" in result.output and "second line" not in result.output
    assert "run with --debug for the traceback" in result.output
    debug = bpo("--debug", "generate", "--out", str(tmp_path / "y"))
    assert isinstance(debug.exception, RuntimeError)


def test_the_replay_command_printed_in_the_quarantine_reason_runs_as_printed(ran):
    import shlex

    s = ran["s"]
    reason = (s.quarantine_dir / "acme_mx" / "interactions" / "bad.csv.reason.txt").read_text()
    (command,) = [line.strip() for line in reason.splitlines() if line.strip().startswith("bpo replay ")]
    argv = shlex.split(command)
    assert argv[:3] == ["bpo", "replay", str(s.landing / "acme_mx" / "interactions" / "bad.csv")]
    result = bpo(*argv[1:])
    # nothing was corrected, so it is quarantined again, with the same reason; but the command ran as printed
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output and "acme_mx/interactions/bad.csv" in result.output
