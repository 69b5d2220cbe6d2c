"""`bpo run` with nothing new stops before the pipeline starts (transform/nothing_new.py): no Dagster run, no
dbt, no publish. Anything that may be new lets the whole run go ahead and decide."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from typer.testing import CliRunner

import ingestion.landing as landing
import ingestion.loader as loader
import orchestration.cli as cli
from tests.conftest import land
from tests.robustness.corpus import interactions
from transform import nothing_new as precheck
from transform.run_inputs import NOTHING_NEW


def _bpo_run(settings):
    return CliRunner().invoke(cli.app, ["run", "--landing", str(settings.landing), "--contracts",
                                        str(settings.contracts), "--warehouse", str(settings.warehouse)])


def test_the_check_skips_what_the_loader_skips_without_importing_the_loader():
    assert precheck.SETTLED is loader.SETTLED  # one definition (ingestion/manifest.py)
    # importing the loader (polars, pyarrow, GX's runner) would cost the check more than it does
    probe = subprocess.run([sys.executable, "-c", "import sys, transform.nothing_new; "
                            "print(sorted(m for m in ('ingestion.loader', 'pyarrow', 'dagster') if m in sys.modules))"],
                           capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_no_warehouse_or_published_copy_yet_means_run(settings):
    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    assert precheck.nothing_new(settings) is None


@pytest.mark.slow
def test_a_run_with_nothing_new_starts_no_pipeline_and_anything_else_runs_it(settings, monkeypatch):
    monkeypatch.setattr(landing, "RACY_NS", 0)  # written just now, remembered all the same (see its own test)
    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    result = _bpo_run(settings)
    assert result.exit_code == 0, result.output
    hashed = []
    monkeypatch.setattr(landing, "hashlib", SimpleNamespace(sha256=lambda: hashed.append(1) or hashlib.sha256()))
    assert precheck.nothing_new(settings) is not None
    assert hashed == []  # the run remembered the file's checksum (ingestion/checksum_cache.py): nothing read

    def no_pipeline(*args, **kwargs):
        raise AssertionError("the pipeline started although nothing was new")

    monkeypatch.setattr(cli, "_execute", no_pipeline)
    result = _bpo_run(settings)
    assert result.exit_code == 0, result.output
    assert NOTHING_NEW in result.output
    # the run's own summary, as when the pipeline finds every file known
    assert "committed 0 file(s) (0 rows), quarantined 0, failed 0, left pending 0; 1 file(s) already processed" \
        in result.output
    (known,) = precheck.nothing_new(settings)
    assert known["status"] == "duplicate" and known["reason"].startswith("same bytes already loaded from ")

    # a file being written (not settled yet) goes to the whole run, which lists it as pending
    writing = land(settings, "acme_mx", "interactions", "b.csv", interactions(2))
    monkeypatch.setattr(settings, "settle_seconds", 3600.0)
    assert precheck.nothing_new(settings) is None
    monkeypatch.setattr(settings, "settle_seconds", 0.0)
    # complete and new
    assert precheck.nothing_new(settings) is None
    assert hashed == [1]  # that file only
    writing.unlink()
    assert precheck.nothing_new(settings) is not None

    # the warehouse held by a writer: the run waits for it (or says who holds it)
    holder = duckdb.connect(str(settings.warehouse))
    try:
        assert precheck.nothing_new(settings) is None
    finally:
        holder.close()
    assert precheck.nothing_new(settings) is not None

    # a contract changed: built again
    contract = settings.contracts / "acme_mx.yaml"
    contract.write_text(contract.read_text().replace("rate: 10.00", "rate: 11.00"))
    assert precheck.nothing_new(settings) is None
