"""Late and corrected data restate the affected months on the next run.

A first run sees January only in part: part of January's interactions and
surveys arrive after February's files, and January's invoice is revised
(revision 1 drops a line and changes an amount). After the next run every
mart equals that of a run that had all the data from the start: the marts
are rebuilt from `raw` on every build (table models, no incremental model
without a lookback)."""

from __future__ import annotations

import shutil

import duckdb
import polars as pl
import pytest

from generator import generate
from tests.robustness.helpers import (
    Paths,
    assert_same_tables,
    copy_landed,
    set_arrival_order,
    spread_mtimes,
    table_rows,
)

pytestmark = pytest.mark.slow


def split_csv(path, keep_share: float):
    """Split a CSV in two: the first rows stay at `path`, the rest become `<stem>_late.csv`."""
    frame = pl.read_csv(path, infer_schema=False)
    cut = int(frame.height * keep_share)
    late = path.with_name(path.stem + "_late.csv")
    frame.head(cut).write_csv(path)
    frame.slice(cut).write_csv(late)
    return late


def revise_invoice(path):
    """Revision 1 of an invoice: the last line dropped, the first line's amount corrected."""
    frame = pl.read_csv(path, infer_schema=False)
    frame = frame.head(frame.height - 1).with_columns(pl.lit("1").alias("revision"))
    amount = frame["amount"].cast(pl.Float64)
    frame = frame.with_columns(pl.Series("amount", [f"{amount[0] * 0.9:.2f}", *frame["amount"][1:]]))
    revised = path.with_name(path.name.replace("_r0", "_r1"))
    frame.write_csv(revised)
    return revised


def test_late_interactions_surveys_and_invoice_revisions_restate_the_marts(driver, tmp_path):
    src = tmp_path / "source"
    generate(src, outsourcers=1, months=2, seed=31, scale=800)
    landing = src / "landing"
    vendor = "acme_mx"
    late = [split_csv(next((landing / vendor / "interactions").glob("*2026-01*")), 0.6),
            split_csv(next((landing / vendor / "surveys").glob("*2026-01*")), 0.5)]
    invoice = next((landing / vendor / "invoices").glob("*2026-01*_r0.csv"))
    late.append(revise_invoice(invoice))
    files = spread_mtimes(landing)
    for path in late:  # they arrive after everything else
        files.remove(path)
    files += late
    set_arrival_order(files)

    reference = Paths(tmp_path / "reference")
    shutil.copytree(src / "contracts", reference.contracts)
    copy_landed(files, landing, reference.landing)
    driver.run(reference)

    run = Paths(tmp_path / "run")
    shutil.copytree(src / "contracts", run.contracts)
    copy_landed([f for f in files if f not in late], landing, run.landing)
    driver.run(run)
    before = table_rows(run.warehouse, "marts")
    expected = table_rows(reference.warehouse, "marts")
    for mart in ("sla_compliance", "cost_to_serve", "unforeseen_costs", "vendor_scorecard", "esat_csat"):
        assert before[mart] != expected[mart], f"{mart} should change with the late data"

    copy_landed(late, landing, run.landing)
    cycle = driver.run(run)
    assert cycle.done.split()[2:4] == ["3", "0"], cycle.done
    assert_same_tables(table_rows(run.warehouse, "marts"), expected, "marts")
    assert_same_tables(table_rows(run.published, "marts", exclude=("build_id",)),
                       table_rows(reference.published, "marts", exclude=("build_id",)), "published marts")
    con = duckdb.connect(str(run.warehouse), read_only=True)
    try:  # January's findings are those of revision 1 now
        revisions = con.execute("select distinct revision from marts.unforeseen_costs "
                                "where invoice_id = ?", [invoice.stem.removeprefix("invoice_").removesuffix("_r0")]
                                ).fetchall()
    finally:
        con.close()
    assert revisions == [(1,)]

