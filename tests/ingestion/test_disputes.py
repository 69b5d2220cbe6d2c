"""The dispute register (contracts folder, disputes.csv): each bad input gives its one line with the file and
line number; a good register reaches raw.disputes with the contracts, in their sync; no register is no
disputes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ingestion.disputes import DisputeError, load_register, read_register
from ingestion.loader import sync_contracts
from ingestion.warehouse import connect
from tests.conftest import write_contract

HEADER = "vendor_id,invoice_id,line_id,finding,status,sent_on,resolved_on,amount_disputed,amount_accepted,amount_recovered\n"
GOOD = "acme,I1,L001,rate_variance,sent,2026-03-05,,,,\n"


def register(tmp_path, *rows: str, header: str = HEADER):
    path = tmp_path / "disputes.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def test_good_register_reads_exact_decimals_and_dates(tmp_path):
    path = register(tmp_path, GOOD, "acme,I1,L002,off_contract_item,recovered,2026-03-05,2026-04-01,100.10,,99.9999\n")
    (line1, first), (line2, second) = read_register(path, {"acme"})
    assert (line1, first.status, first.sent_on, first.amount_disputed) == (2, "sent", date(2026, 3, 5), None)
    assert (line2, second.amount_disputed, second.amount_recovered) == (3, Decimal("100.10"), Decimal("99.9999"))


@pytest.mark.parametrize("row, message", [
    ("acme,I1,L002,rate_variance,recovred,2026-03-05,,,,\n",
     "line 3: status: unknown status 'recovred'; expected one of open, sent, accepted, rejected, recovered"),
    ("acme,I1,L002,rate_variance,sent,05/03/2026,,,,\n",
     "line 3: sent_on: '05/03/2026' is not a date (write YYYY-MM-DD)"),
    ("acme,I1,L002,rate_variance,rejected,2026-03-05,2026-02-30,,,\n",
     "line 3: resolved_on: '2026-02-30' is not a date (write YYYY-MM-DD)"),
    ("acme,I1,L002,rate_variance,rejected,2026-03-05,2026-03-01,,,\n",
     "line 3: resolved_on: 2026-03-01 is before sent_on 2026-03-05"),
    ("acme,I1,L002,rate_variance,recovered,2026-03-05,2026-04-01,100,,120\n",
     "line 3: amount_recovered: 120 exceeds amount_disputed 100"),
    ("acme,I1,L002,rate_variance,accepted,2026-03-05,2026-04-01,100,80,90\n",
     "line 3: amount_recovered: 90 exceeds amount_accepted 80"),
    ("acme,I1,L002,rate_variance,accepted,2026-03-05,2026-04-01,100,101,\n",
     "line 3: amount_accepted: 101 exceeds amount_disputed 100"),
    ("acme,I1,L002,rate_variance,sent,2026-03-05,,\"1,234.50\",,\n",
     "line 3: amount_disputed: '1,234.50' is not an amount (digits and a decimal point, e.g. 1234.50)"),
    ("acme,I1,L002,rate_variance,sent,2026-03-05,,-5,,\n",
     "line 3: amount_disputed: Input should be greater than or equal to 0"),
    ("acme,I1,L002,rate_variance,recovered,2026-03-05,2026-04-01,,,\n",
     "line 3: amount_recovered: required and above 0 for status 'recovered' (nothing recovered: status `rejected`)"),
    ("acme,I1,L002,rate_variance,sent,,,,,\n",
     "line 3: sent_on: required for status 'sent' (the date it was sent to the vendor)"),
    ("acme,I1,L002,rate_variance,open,2026-03-05,,,,\n",
     "line 3: sent_on: an `open` entry is not sent yet (status `sent` once it is)"),
    ("acme,I1,L002,rate_variance,rejected,2026-03-05,2026-03-06,,5,\n",
     "line 3: amount_accepted: must be empty or 0 for status 'rejected'"),
    ("acme,,L002,rate_variance,sent,2026-03-05,,,,\n", "line 3: invoice_id: required"),
    ("acmee,I1,L002,rate_variance,sent,2026-03-05,,,,\n", "line 3: vendor_id: 'acmee' has no contract (known: acme)"),
    ("acme,I1,L001,rate_variance,accepted,2026-03-05,2026-03-09,,,\n",
     "line 3: finding acme/I1/L001/rate_variance is already on line 2: one entry per finding (update that row)"),
    ("acme,I1,L002,rate_variance,sent,2026-03-05,,,,,extra\n", "line 3: 11 cells but 10 columns"),
])
def test_each_bad_row_gives_its_one_line(tmp_path, row, message):
    path = register(tmp_path, GOOD, row)
    with pytest.raises(DisputeError) as exc:
        read_register(path, {"acme"})
    assert str(exc.value) == f"{path}, {message}"


def test_a_quoted_cell_over_two_lines_reports_the_row_first_line(tmp_path):
    header = HEADER.replace("amount_recovered\n", "amount_recovered,note\n")
    path = register(tmp_path, 'acme,I1,L001,rate_variance,sent,2026-03-05,,,,,"two\nlines"\n',
                    "acme,I1,L002,rate_variance,sent,2026-13-01,,,,\n", header=header)
    with pytest.raises(DisputeError) as exc:
        read_register(path, {"acme"})
    assert str(exc.value) == f"{path}, line 4: sent_on: '2026-13-01' is not a date (write YYYY-MM-DD)"


def test_bad_header_is_named_on_line_one(tmp_path):
    path = register(tmp_path, GOOD, header=HEADER.replace("status", "state"))
    with pytest.raises(DisputeError) as exc:
        read_register(path, {"acme"})
    assert str(exc.value).startswith(f"{path}, line 1: unknown column(s) state; missing column(s) status (")


def test_semicolon_separated_register_says_so(tmp_path):
    path = register(tmp_path, GOOD.replace(",", ";"), header=HEADER.replace(",", ";"))
    with pytest.raises(DisputeError) as exc:
        read_register(path, {"acme"})
    assert str(exc.value).startswith(f"{path}, line 1: cells are separated by ';': save the register as CSV with commas")


def test_every_problem_is_reported_together(tmp_path):
    path = register(tmp_path, "acme,I1,L1,f,lost,2026-03-05,,,,\n", GOOD, "acme,I1,L3,f,sent,yesterday,,,,\n")
    with pytest.raises(DisputeError) as exc:
        read_register(path, {"acme"})
    assert [line.split(": ")[0] for line in str(exc.value).splitlines()] == [f"{path}, line 2", f"{path}, line 4"]


def test_no_register_is_no_disputes(tmp_path):
    assert load_register(tmp_path, {"acme"}) == []


def test_register_is_synced_with_the_contracts_and_replaced_whole(settings):
    write_contract(settings.contracts, "acme")
    path = settings.contracts / "disputes.csv"
    path.write_text(HEADER + GOOD + "acme,I1,L002,off_contract_item,accepted,2026-03-05,2026-03-20,500,400.25,150\n")
    with connect(settings.warehouse) as con:
        sync_contracts(con, settings.contracts)
        rows = con.execute("select register_line, line_id, status, amount_accepted, amount_recovered, length(sha256) "
                           "from raw.disputes order by register_line").fetchall()
        assert rows == [(2, "L001", "sent", None, None, 64),
                        (3, "L002", "accepted", Decimal("400.2500"), Decimal("150.0000"), 64)]
        path.write_text(HEADER.replace(",amount_recovered", "") + "acme,I1,L001,rate_variance,sent,2026-03-05,,,\n")
        sync_contracts(con, settings.contracts)
        assert con.execute("select count(*), max(line_id) from raw.disputes").fetchone() == (1, "L001")
        path.unlink()  # no register: no disputes
        sync_contracts(con, settings.contracts)
        assert con.execute("select count(*) from raw.disputes").fetchone() == (0,)


def test_a_bad_register_replaces_nothing(settings):
    write_contract(settings.contracts, "acme")
    path = settings.contracts / "disputes.csv"
    path.write_text(HEADER + GOOD)
    with connect(settings.warehouse) as con:
        sync_contracts(con, settings.contracts)
        path.write_text(HEADER + "acme,I1,L001,rate_variance,sennt,2026-03-05,,,,\n")
        with pytest.raises(DisputeError):
            sync_contracts(con, settings.contracts)
        assert con.execute("select count(*), max(status) from raw.disputes").fetchone() == (1, "sent")


def test_bpo_run_refuses_a_bad_register_in_one_line(settings):
    from typer.testing import CliRunner

    from orchestration.cli import app

    write_contract(settings.contracts, "acme")
    settings.landing.mkdir(parents=True, exist_ok=True)
    register(settings.contracts, GOOD, "acme,I1,L002,rate_variance,recovred,2026-03-05,,,,\n")
    result = CliRunner().invoke(app, ["run", "--landing", str(settings.landing), "--contracts",
                                      str(settings.contracts), "--warehouse", str(settings.warehouse)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].endswith(
        "disputes.csv, line 3: status: unknown status 'recovred'; expected one of open, sent, accepted, rejected, "
        "recovered"), result.output
    assert "Traceback" not in result.output and not settings.published_path.exists()
