"""Complete files only: a file still being written when a run starts is not loaded by that run, and
is loaded whole, once, by a later run (ingestion/landing.py, the settle interval and `.done` markers).

The scenario (one data set, runs of the killable pipeline driver with a 10 s settle interval):
1. a run with every file except an interactions file and a 30-line invoice: the baseline marts;
2. a run that starts while a thread is still appending lines to the interactions file and while the
   invoice holds 10 of its 30 lines (a half upload): neither is loaded, the marts stay the baseline;
3. the files complete (and older than the interval): the next run loads both whole, and every mart
   equals that of a reference run that had both files whole from the start.
"""

from __future__ import annotations

import csv
import os
import shutil
import threading
import time
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from ingestion.batch import ingest
from generator import generate
from orchestration.cli import app
from tests.conftest import land
from tests.robustness.helpers import Paths, assert_same_tables, copy_landed, query, spread_mtimes, table_rows

SETTLE = 10
INVOICE_ID = "ACME-2026-01-EXTRA"
INVOICE_HEADER = ("invoice_id,revision,invoice_date,period_start,period_end,currency,line_id,category,channel,"
                  "description,quantity,unit,unit_price,amount,tax_amount,approval_ref\n")


def invoice_lines(n: int) -> list[str]:
    """Line i bills i voice contacts at 78.50 (so the lines differ and the total is easy to work out)."""
    return [f"{INVOICE_ID},0,2026-02-06,2026-01-01,2026-01-31,MXN,L{i:03d},handled_contacts,voice,"
            f"Extra contacts batch {i},{i},contact,78.50,{Decimal(i) * Decimal('78.50')},0,\n" for i in range(1, n + 1)]


def age(path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


class Appender(threading.Thread):
    """A producer writing a file line by line; it holds back the last line until told to finish."""

    def __init__(self, path, lines: list[bytes]):
        super().__init__(daemon=True)
        self.path, self.lines = path, lines
        self.begun, self.finish = threading.Event(), threading.Event()

    def run(self) -> None:
        half = len(self.lines) // 2
        with self.path.open("wb") as fh:
            fh.writelines(self.lines[:half])
            fh.flush()
            self.begun.set()
            for line in self.lines[half:-1]:
                fh.write(line)
                fh.flush()
                time.sleep(0.02)
            self.finish.wait(timeout=300)
            fh.write(self.lines[-1])


@pytest.fixture(scope="module")
def scenario(driver, tmp_path_factory):
    root = tmp_path_factory.mktemp("complete_files")
    src = root / "source"
    generate(src, outsourcers=1, months=1, seed=17, scale=400)
    landing = src / "landing"
    growing = next((landing / "acme_mx" / "interactions").glob("*.csv"))
    invoice = landing / "acme_mx" / "invoices" / f"invoice_{INVOICE_ID}_r0.csv"
    invoice.write_text(INVOICE_HEADER + "".join(invoice_lines(30)))
    files = spread_mtimes(landing)
    late = [growing, invoice]

    reference = Paths(root / "reference")
    shutil.copytree(src / "contracts", reference.contracts)
    copy_landed(files, landing, reference.landing)
    driver.run(reference)

    run = Paths(root / "run")
    shutil.copytree(src / "contracts", run.contracts)
    copy_landed([f for f in files if f not in late], landing, run.landing)
    command = {**run.command(), "settle_seconds": SETTLE}
    driver.run(command)
    out = {"paths": run, "reference": reference, "source": {"interactions": growing, "invoice": invoice},
           "baseline": table_rows(run.warehouse, "marts")}

    # 2. a run starts while the interactions file grows and the invoice holds 10 of its 30 lines
    growing_target = run.landing / growing.relative_to(landing)
    invoice_target = run.landing / invoice.relative_to(landing)
    growing_target.parent.mkdir(parents=True, exist_ok=True)
    invoice_target.write_text(INVOICE_HEADER + "".join(invoice_lines(10)))
    appender = Appender(growing_target, growing.read_bytes().splitlines(keepends=True))
    appender.start()
    assert appender.begun.wait(timeout=60)
    cycle = driver.start(command)
    try:
        assert driver.wait_phase(cycle, "dbt"), driver.log[-15:]  # ingestion is over: it ran while the file grew
        out["grew_during_ingestion"] = not appender.finish.is_set() and appender.is_alive()
    finally:
        appender.finish.set()
        appender.join(timeout=300)
    driver.wait_exit(cycle)
    out["during"] = {"cycle": cycle, "marts": table_rows(run.warehouse, "marts"),
                     "published": table_rows(run.published, "marts", exclude=("build_id",)),
                     "manifest": query(run.warehouse, "select file_name, status from raw.load_manifest"),
                     "invoice_rows": query(run.warehouse, "select count(*) from raw.invoice_lines "
                                                          "where invoice_id = ?", [INVOICE_ID])[0][0]}

    # 3. both complete, and left alone for longer than the interval
    with invoice_target.open("a") as fh:
        fh.writelines(invoice_lines(30)[10:])
    age(growing_target, SETTLE + 5)
    age(invoice_target, SETTLE + 5)
    out["after"] = {"cycle": driver.run(command), "marts": table_rows(run.warehouse, "marts")}
    return out


@pytest.mark.slow
def test_a_file_appended_to_while_a_run_starts_is_not_loaded_by_that_run(scenario):
    assert scenario["grew_during_ingestion"]
    during = scenario["during"]
    assert during["cycle"].exit_code == 0 and during["cycle"].done, during["cycle"].failure
    assert during["cycle"].done.split()[2:4] == ["0", "0"]  # nothing loaded, nothing quarantined
    grown = scenario["source"]["interactions"].name
    assert during["manifest"] and not any(name == grown for name, _ in during["manifest"])
    assert_same_tables(during["marts"], scenario["baseline"], "marts while the file was being written")


@pytest.mark.slow
def test_a_half_uploaded_invoice_is_never_published_with_part_of_its_lines(scenario):
    during = scenario["during"]
    assert during["invoice_rows"] == 0
    assert not any(name == f"invoice_{INVOICE_ID}_r0.csv" for name, _ in during["manifest"])
    assert not any(INVOICE_ID in repr(row) for row in during["published"]["invoice_revisions"][1])
    assert not any(INVOICE_ID in repr(row) for row in during["marts"]["unforeseen_costs"][1])


@pytest.mark.slow
def test_once_complete_both_load_whole_once_and_the_marts_equal_a_run_that_had_them_whole(scenario):
    after, run = scenario["after"], scenario["paths"]
    assert after["cycle"].done.split()[2:4] == ["2", "0"]
    interactions_rows = len(scenario["source"]["interactions"].read_text().splitlines()) - 1
    manifest = query(run.warehouse, "select file_name, status, rows from raw.load_manifest "
                                    "where file_name in (?, ?) order by file_name",
                     [scenario["source"]["interactions"].name, scenario["source"]["invoice"].name])
    assert manifest == [(scenario["source"]["interactions"].name, "loaded", interactions_rows),
                        (f"invoice_{INVOICE_ID}_r0.csv", "loaded", 30)]
    # one revision of 30 lines: 78.50 x (1 + 2 + ... + 30) = 78.50 x 465 = 36,502.50
    assert query(run.warehouse, "select revision, lines, total_amount from marts.invoice_revisions "
                                "where invoice_id = ?", [INVOICE_ID]) == [(0, 30, Decimal("36502.50"))]
    assert_same_tables(after["marts"], table_rows(scenario["reference"].warehouse, "marts"), "marts")


def test_a_done_marker_lets_a_fresh_file_in_at_once_and_is_never_loaded_itself(settings, validate):
    settings = settings.model_copy(update={"settle_seconds": 3600})
    marked = land(settings, "acme_mx", "invoices", "inv_a.csv", INVOICE_HEADER + "".join(invoice_lines(3)))
    land(settings, "acme_mx", "invoices", "inv_a.csv.done", b"")
    unmarked = land(settings, "acme_mx", "invoices", "inv_b.csv",
                    (INVOICE_HEADER + "".join(invoice_lines(2))).replace(INVOICE_ID, "INV-B"))
    results = ingest(settings, validate)
    assert sorted((os.path.basename(r.file), r.status) for r in results) == [("inv_a.csv", "loaded"),
                                                                             ("inv_b.csv", "pending")]
    assert query(settings.warehouse, "select file_name, rows from raw.load_manifest") == [("inv_a.csv", 3)]
    (waiting,) = [r for r in results if r.status == "pending"]
    assert waiting.file == str(unmarked) and "inv_b.csv.done" in waiting.reason
    assert marked.exists()


def test_the_sensor_requests_no_file_being_written_and_requests_it_once_marked(settings):
    import dagster as dg

    from orchestration.definitions import build_definitions

    defs = build_definitions(settings.model_copy(update={"settle_seconds": 3600}))
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    instance = dg.DagsterInstance.ephemeral()
    path = land(settings, "acme_mx", "invoices", "inv_a.csv", INVOICE_HEADER + "".join(invoice_lines(3)))
    with dg.build_sensor_context(resources=defs.resources, instance=instance) as context:
        assert isinstance(sensor(context), dg.SkipReason)
        cursor = context.cursor
    land(settings, "acme_mx", "invoices", "inv_a.csv.done", b"")
    with dg.build_sensor_context(resources=defs.resources, instance=instance, cursor=cursor) as context:
        requests = sensor(context)
    assert [r.run_config["ops"]["landed_files"]["config"]["paths"] for r in requests] == [[str(path)]]


@pytest.mark.slow
def test_bpo_run_says_a_file_being_written_is_left_pending_then_loads_it(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("BPO_SETTLE_SECONDS", "3600")  # the run starts after seconds of imports
    path = land(settings, "acme_mx", "invoices", "inv_a.csv", INVOICE_HEADER + "".join(invoice_lines(10)))
    args = ["run", "--landing", str(settings.landing), "--contracts", str(settings.contracts),
            "--warehouse", str(settings.warehouse)]
    first = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert first.exit_code == 0, first.output
    assert "acme_mx/invoices/inv_a.csv" in first.output and "still being written" in first.output
    assert "left pending 1" in first.output
    assert query(settings.published_path, "select count(*) from marts.invoice_revisions") == [(0,)]

    with path.open("a") as fh:
        fh.writelines(invoice_lines(30)[10:])
    age(path, 3601)
    second = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert second.exit_code == 0, second.output
    assert "left pending 0" in second.output
    rows = list(csv.DictReader(path.open()))
    expected_total = sum(Decimal(r["amount"]) for r in rows)
    assert query(settings.published_path, "select invoice_id, revision, lines, total_amount "
                                          "from marts.invoice_revisions") == [(INVOICE_ID, 0, 30, expected_total)]
