"""A one-file replay builds what the file touches: its vendor × months (the build scope), not every
vendor-month (issue 16). Observed in the warehouse: the scope the build used (int_build_scope: the
vendor-months the scoped models' pre-hook deleted and their insert recomputed), and the facts."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import land
from tests.robustness.corpus import INTERACTION_HEADER, INTERACTION_ROW


def _file(prefix: str, days: list[str], talk: int = 300) -> bytes:
    """One contact per day (ids prefix + n), answered after 17 s, ended 6 minutes later."""
    rows = [INTERACTION_ROW.format(id=f"{prefix}{n}", n=n, channel="voice", arrived=f"{day} 10:00:00",
                                   answered=f"{day} 10:00:17", ended=f"{day} 10:06:00", talk=talk)
            for n, day in enumerate(days)]
    return ("\n".join([INTERACTION_HEADER, *rows]) + "\n").encode()


def _run(settings) -> None:
    result = CliRunner().invoke(app, ["run", "--landing", str(settings.landing), "--contracts",
                                      str(settings.contracts), "--warehouse", str(settings.warehouse)])
    assert result.exit_code == 0, result.output


def _months(settings) -> dict:
    """Contacts of int_interaction_facts per (vendor, month)."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute("select vendor_id, strftime(period_month, '%Y-%m'), count(*) "
                           "from intermediate.int_interaction_facts group by all").fetchall()
    return {(v, m): n for v, m, n in rows}


@pytest.mark.slow
def test_a_one_file_replay_recomputes_its_vendor_months_only(settings):
    days = ["2026-01-12", "2026-01-20", "2026-02-10", "2026-02-17", "2026-03-09"]
    land(settings, "acme_mx", "interactions", "acme.csv", _file("A", days))
    land(settings, "iberia_es", "interactions", "iberia.csv", _file("I", days))
    _run(settings)
    before = _months(settings)
    assert before == {(v, m): n for v in ("acme_mx", "iberia_es") for m, n in (("2026-01", 2), ("2026-02", 2),
                                                                                ("2026-03", 1))}

    # one file: a correction of acme_mx's February contacts (same ids, another talk time)
    land(settings, "acme_mx", "interactions", "acme_feb_fix.csv", _file("A", days[:4], talk=240)
         .replace(b"A0,", b"X0,").replace(b"A1,", b"X1,"))  # rows 0-1 are new January contacts
    _run(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        scope = con.execute("select vendor_id, strftime(period_month, '%Y-%m'), whole_vendor, fcr_lookback "
                            "from intermediate.int_build_scope order by all").fetchall()
        handle = dict(con.execute("select interaction_id, handle_seconds from intermediate.int_interaction_facts "
                                "where vendor_id = 'acme_mx'").fetchall())
    # the file's contacts: two new ones in January, two corrected in February; nothing of iberia_es
    assert scope == [("acme_mx", "2026-01", False, False), ("acme_mx", "2026-02", False, False)]
    assert _months(settings) == {**before, ("acme_mx", "2026-01"): 4}  # X0, X1 new; A2, A3 updated
    # and the correction is in the facts: handle = talk + hold 10 + wrap 30
    assert handle["A2"] == handle["A3"] == 280 and handle["A4"] == 340
    assert handle["X0"] == handle["X1"] == 280 and handle["A0"] == 340
