"""Each invoice revision is loaded once (ingestion/revisions.py).

An invoice revision already loaded that arrives again in a file with other bytes is quarantined with
a reason that says what to do; its lines never reach raw or the marts. Byte-identical re-deliveries
stay duplicates."""

from __future__ import annotations

import csv
import os
import shutil
import time
from decimal import Decimal

import pytest

from ingestion.batch import ingest
from generator import generate
from tests.conftest import land
from tests.robustness.helpers import Paths, assert_same_tables, copy_landed, query, spread_mtimes, table_rows

HEADER = ("invoice_id,revision,invoice_date,period_start,period_end,currency,line_id,category,channel,description,"
          "quantity,unit,unit_price,amount,tax_amount,approval_ref\n")


def invoice(invoice_id: str, revision: int, amounts: list[str]) -> str:
    return HEADER + "".join(f"{invoice_id},{revision},2026-02-05,2026-01-01,2026-01-31,MXN,L{i:03d},travel,,"
                            f"Site visit {i},1,each,{a},{a},0,APP-{i}\n" for i, a in enumerate(amounts, 1))


def arrive_in_order(*paths) -> None:
    base = time.time() - 100
    for i, path in enumerate(paths):
        os.utime(path, (base + i, base + i))


def change_one_amount(text: str) -> str:
    """The same invoice with the second line's amount (and unit price) raised by 100."""
    rows = list(csv.DictReader(text.splitlines()))
    amount = Decimal(rows[1]["amount"]) + 100
    rows[1]["amount"] = rows[1]["unit_price"] = str(amount)
    rows[1]["quantity"] = "1"
    out = [",".join(rows[0].keys())] + [",".join(_quoted(v) for v in r.values()) for r in rows]
    return "\n".join(out) + "\n"


def _quoted(value: str) -> str:
    return f'"{value}"' if "," in value else value


@pytest.fixture(scope="module")
def resent(driver, tmp_path_factory):
    """A data set loaded and built; then, in one run, its invoices re-sent: r1 of one and r0 of another
    with one amount changed, a byte-identical copy, and a copy with other line endings."""
    root = tmp_path_factory.mktemp("revisions")
    src = root / "source"
    generate(src, outsourcers=1, months=1, seed=23, scale=300)
    files = spread_mtimes(src / "landing")
    run = Paths(root / "run")
    shutil.copytree(src / "contracts", run.contracts)
    copy_landed(files, src / "landing", run.landing)
    driver.run(run)
    marts = table_rows(run.warehouse, "marts")
    before = {mart: marts[mart] for mart in ("invoice_revisions", "unforeseen_costs")}
    published_before = table_rows(run.published, "marts", exclude=("build_id",))

    invoices = run.landing / "acme_mx" / "invoices"
    r1 = invoices / "invoice_ACME-2026-01_r1.csv"
    r0 = invoices / "invoice_ACME-2025-12_r0.csv"
    new = {
        "r1_changed": invoices / "invoice_ACME-2026-01_r1_resent.csv",
        "r0_changed": invoices / "invoice_ACME-2025-12_r0_corrected.csv",
        "r0_same_bytes": invoices / "invoice_ACME-2025-12_r0_copy.csv",
        "r0_crlf": invoices / "invoice_ACME-2025-12_r0_windows.csv",
    }
    new["r1_changed"].write_text(change_one_amount(r1.read_text()))
    new["r0_changed"].write_text(change_one_amount(r0.read_text()))
    new["r0_same_bytes"].write_bytes(r0.read_bytes())
    new["r0_crlf"].write_bytes(r0.read_bytes().replace(b"\n", b"\r\n"))
    arrive_in_order(*new.values())
    cycle = driver.run(run)
    manifest = dict(query(run.warehouse, "select file_name, status from raw.load_manifest"))
    reasons = dict(query(run.warehouse, "select file_name, reason from raw.load_manifest where reason is not null"))
    return {"paths": run, "cycle": cycle, "before": before, "published_before": published_before,
            "r0": r0, "r1": r1, "new": {k: p.name for k, p in new.items()}, "manifest": manifest,
            "reasons": reasons}


@pytest.mark.slow
def test_a_resent_revision_with_changed_lines_is_quarantined_with_what_to_do(resent):
    new, reasons = resent["new"], resent["reasons"]
    assert resent["cycle"].done.split()[2:4] == ["0", "3"]  # nothing loaded; 3 quarantined (the copy: duplicate)
    assert {resent["manifest"].get(n) for n in (new["r1_changed"], new["r0_changed"], new["r0_crlf"])} == {
        "quarantined"}
    assert reasons[new["r1_changed"]] == ("revision 1 of ACME-2026-01 was loaded from "
                                          "acme_mx/invoices/invoice_ACME-2026-01_r1.csv with other content; "
                                          "send the correction as revision 2")
    assert reasons[new["r0_changed"]] == ("revision 0 of ACME-2025-12 was loaded from "
                                          "acme_mx/invoices/invoice_ACME-2025-12_r0.csv with other content; "
                                          "send the correction as revision 1")
    assert reasons[new["r0_crlf"]] == ("revision 0 of ACME-2025-12 was loaded from "
                                       "acme_mx/invoices/invoice_ACME-2025-12_r0.csv with the same lines "
                                       "(this file differs only in its bytes): nothing new to load")
    quarantined = resent["paths"].warehouse.parent / "quarantine" / "acme_mx" / "invoices"
    assert reasons[new["r0_changed"]] in (quarantined / f"{new['r0_changed']}.reason.txt").read_text()


@pytest.mark.slow
def test_a_byte_identical_copy_stays_a_duplicate(resent):
    assert resent["new"]["r0_same_bytes"] not in resent["manifest"]  # never recorded: known by its sha256


@pytest.mark.slow
def test_the_marts_are_unchanged_by_the_resent_revisions(resent):
    run = resent["paths"]
    after = table_rows(run.warehouse, "marts")
    for mart, rows in resent["before"].items():
        assert_same_tables({mart: after[mart]}, {mart: rows}, "marts")
    assert_same_tables(table_rows(run.published, "marts", exclude=("build_id",)), resent["published_before"],
                       "published marts")
    # worked from the landed files: each revision counted once, with its own lines and total
    for path, (invoice_id, revision) in ((resent["r0"], ("ACME-2025-12", 0)), (resent["r1"], ("ACME-2026-01", 1))):
        rows = list(csv.DictReader(path.open()))
        assert query(run.warehouse, "select lines, total_amount from marts.invoice_revisions "
                                    "where invoice_id = ? and revision = ?", [invoice_id, revision]) == [
            (len(rows), sum(Decimal(r["amount"]) for r in rows))]
    assert query(run.warehouse, "select count(*) from raw.invoice_lines where invoice_id = 'ACME-2025-12'") == [
        (len(list(csv.DictReader(resent["r0"].open()))),)]


def test_two_files_with_the_same_new_revision_in_one_batch_load_the_first_only(settings, validate):
    first = land(settings, "acme_mx", "invoices", "inv9_a.csv", invoice("INV-9", 0, ["100.00", "250.00"]))
    second = land(settings, "acme_mx", "invoices", "inv9_b.csv", invoice("INV-9", 0, ["100.00", "260.00"]))
    arrive_in_order(first, second)
    results = ingest(settings, validate)
    assert [(os.path.basename(r.file), r.status) for r in results] == [("inv9_a.csv", "loaded"),
                                                                       ("inv9_b.csv", "quarantined")]
    assert results[1].reason == ("revision 0 of INV-9 was loaded from acme_mx/invoices/inv9_a.csv with other "
                                 "content; send the correction as revision 1")
    assert query(settings.warehouse, "select line_id, amount from raw.invoice_lines order by line_id") == [
        ("L001", Decimal("100.00")), ("L002", Decimal("250.00"))]

    # the correction as the reason says: revision 1 loads
    land(settings, "acme_mx", "invoices", "inv9_r1.csv", invoice("INV-9", 1, ["100.00", "260.00"]))
    (corrected,) = [r for r in ingest(settings, validate) if r.file.endswith("inv9_r1.csv")]
    assert corrected.status == "loaded"


def test_a_half_upload_taken_anyway_is_not_loaded_again_as_a_second_r0(settings, validate):
    """With no settle interval (BPO_SETTLE_SECONDS=0), or a producer that paused longer than it, the
    first 10 of 30 lines may be taken as a file. The whole file, arriving later, would be a second
    revision 0: it is quarantined, not added to the 10 lines."""
    amounts = [f"{i}.00" for i in range(1, 31)]
    path = land(settings, "acme_mx", "invoices", "inv7.csv", invoice("INV-7", 0, amounts[:10]))
    (partial,) = ingest(settings, validate)
    assert (partial.status, partial.rows) == ("loaded", 10)
    with path.open("a") as fh:
        fh.write(invoice("INV-7", 0, amounts)[len(invoice("INV-7", 0, amounts[:10])):])
    (whole,) = ingest(settings, validate)
    assert whole.status == "quarantined"
    assert whole.reason == ("revision 0 of INV-7 was loaded from acme_mx/invoices/inv7.csv with other content; "
                            "send the correction as revision 1")
    # 1 + 2 + ... + 10 = 55: only the first load's lines
    assert query(settings.warehouse, "select count(*), sum(amount) from raw.invoice_lines") == [(10, Decimal("55.00"))]
