"""An agent_time state must be classified by the contract: a file with a state the contract version in force
does not list is quarantined whole, naming the state(s) and the rows, while the other files of the batch load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ingestion.batch import ingest
from tests.conftest import land
from tests.ingestion.test_loader import rows as query
from tests.ingestion.test_new_feeds import VENDOR, WORKED_TIME_CONTRACT

HEADER = "record_id,agent_id,site,state,started_at,ended_at"
STATES = "{available: productive, on_contact: productive, break: paid_other, lunch: unpaid}"


def contract(*versions: str) -> str:
    head = WORKED_TIME_CONTRACT.split("versions:\n")[0] + "versions:\n"
    return head + "".join(textwrap.indent(textwrap.dedent(v), "  ") for v in versions)


ONE_VERSION = contract(f"""\
    - effective_from: 2026-01-01
      worked_time: {{states: {STATES}, fte_hours_per_month: 160}}
    """)

# v1 lists `coaching`, v2 (from April) does not
TWO_VERSIONS = contract("""\
    - effective_from: 2026-01-01
      effective_to: 2026-03-31
      worked_time: {states: {coaching: training, available: productive}}
    """, f"""\
    - effective_from: 2026-04-01
      worked_time: {{states: {STATES}}}
    """)


def intervals(*rows: tuple[str, str, str]) -> str:
    """(state, started_at, ended_at) per row; record ids t1, t2, ..."""
    lines = [HEADER] + [f"t{n},ag1,MAD,{state},{start},{end}" for n, (state, start, end) in enumerate(rows, 1)]
    return "\n".join(lines) + "\n"


def day(hour: int) -> tuple[str, str]:
    return f"2026-01-05 {hour:02d}:00:00", f"2026-01-05 {hour:02d}:45:00"


def use_contract(settings, text: str) -> None:
    (settings.contracts / f"{VENDOR}.yaml").write_text(text)


def by_name(results) -> dict[str, object]:
    return {Path(r.file).name: r for r in results}


def test_unknown_state_quarantines_the_file_naming_state_and_rows_while_the_batch_loads(settings, validate):
    use_contract(settings, ONE_VERSION)
    states = ["available", "on_contact", "break", "smoke_break", "lunch", "available", "break", "on_contact",
              "smoke_break", "available"]
    land(settings, VENDOR, "agent_time", "a_bad.csv", intervals(*[(s, *day(8 + n)) for n, s in enumerate(states)]))
    land(settings, VENDOR, "agent_time", "b_good.csv", intervals(("available", *day(20)), ("lunch", *day(21))))
    land(settings, VENDOR, "self_service", "c.csv", "session_id,channel,started_at,ended_at,outcome\n"
                                                     "s1,ivr,2026-01-05 09:00:00,2026-01-05 09:01:00,contained\n")
    results = by_name(ingest(settings, validate))
    bad = results["a_bad.csv"]
    assert bad.status == "quarantined"
    assert bad.reason == (
        "state 'smoke_break' is not in the contract's worked_time.states (rows 4, 9): add it to "
        "contracts/iberia_es.yaml (worked_time.states: each state the vendor sends -> productive, training, "
        "paid_other or unpaid), then replay the file")
    assert (results["b_good.csv"].status, results["b_good.csv"].rows) == ("loaded", 2)
    assert results["c.csv"].status == "loaded"
    # nothing of the bad file reached raw; its copy and reason file are in quarantine
    assert query(settings, "select count(*), min(record_id), max(record_id) from raw.agent_time") == [(2, "t1", "t2")]
    reason_file = settings.quarantine_dir / VENDOR / "agent_time" / "a_bad.csv.reason.txt"
    assert "state 'smoke_break' is not in the contract's worked_time.states (rows 4, 9)" in reason_file.read_text()

    # the contract is corrected: the replayed file loads whole
    use_contract(settings, ONE_VERSION.replace("lunch: unpaid}", "lunch: unpaid, smoke_break: paid_other}"))
    (replayed,) = ingest(settings, validate, [settings.landing / VENDOR / "agent_time" / "a_bad.csv"], replay=True)
    assert (replayed.status, replayed.rows) == ("loaded", 10)


def test_several_unknown_states_are_named_in_the_order_of_their_first_row(settings, validate):
    use_contract(settings, ONE_VERSION)
    land(settings, VENDOR, "agent_time", "x.csv",
         intervals(("Available", *day(8)), ("available", *day(9)), ("nap", *day(10)), ("Available", *day(11))))
    (result,) = ingest(settings, validate)
    assert result.reason.startswith(
        "state 'Available' is not in the contract's worked_time.states (rows 1, 4); "
        "state 'nap' is not in the contract's worked_time.states (row 3): add them to")


def test_many_rows_are_counted_after_the_first_ten(settings, validate):
    use_contract(settings, ONE_VERSION)
    rows = [("tea", f"2026-01-{d:02d} 10:00:00", f"2026-01-{d:02d} 10:10:00") for d in range(1, 13)]
    land(settings, VENDOR, "agent_time", "x.csv", intervals(*rows))
    (result,) = ingest(settings, validate)
    assert "state 'tea' is not in the contract's worked_time.states (rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more)" \
        in result.reason


def test_a_contract_without_worked_time_quarantines_agent_time_saying_to_add_it(settings, validate):
    land(settings, "acme_mx", "agent_time", "x.csv", intervals(("available", *day(8))))  # conftest: no worked_time
    (result,) = ingest(settings, validate)
    assert result.status == "quarantined"
    assert result.reason == (
        "the contract of acme_mx has no worked_time section, so its agent states cannot be classified: add one "
        "to contracts/acme_mx.yaml (worked_time.states: each state the vendor sends -> productive, training, "
        "paid_other or unpaid), then replay the file")


@pytest.mark.parametrize(("name", "rows", "reason"), [
    # March: v1 lists coaching
    ("march.csv", [("coaching", "2026-03-31 10:00:00", "2026-03-31 11:00:00")], None),
    # April: v2 does not
    ("april.csv", [("available", "2026-04-01 10:00:00", "2026-04-01 11:00:00"),
                   ("coaching", "2026-04-01 11:00:00", "2026-04-01 12:00:00")], "(row 2)"),
    # 23:30 UTC on 31 March is 01:30 on 1 April in Madrid: v2's, in the vendor's timezone
    ("utc.csv", [("coaching", "2026-03-31T23:30:00Z", "2026-04-01T00:30:00Z")], "(row 1)"),
    # across local midnight into April: its April part is classified by v2
    ("across.csv", [("coaching", "2026-03-31 23:00:00", "2026-04-01 01:00:00")], "(row 1)"),
    # ending exactly at local midnight: all of it in March
    ("to_midnight.csv", [("coaching", "2026-03-31 23:00:00", "2026-04-01 00:00:00")], None),
    # an April interval with a state only v2 lists, and a March one with a state only v2 lists (v1 does not)
    ("lunch.csv", [("lunch", "2026-04-02 12:00:00", "2026-04-02 13:00:00"),
                   ("lunch", "2026-03-02 12:00:00", "2026-03-02 13:00:00")], "(row 2)"),
    # before the first version: no version classifies it, nothing is priced against it
    ("before.csv", [("pre_launch", "2025-12-30 10:00:00", "2025-12-30 11:00:00")], None),
])
def test_the_state_is_checked_against_the_version_in_force_in_the_vendors_timezone(settings, validate, name, rows,
                                                                                   reason):
    use_contract(settings, TWO_VERSIONS)
    land(settings, VENDOR, "agent_time", name, intervals(*rows))
    (result,) = ingest(settings, validate)
    if reason is None:
        assert result.status == "loaded", result.reason
    else:
        assert result.status == "quarantined"
        assert f"worked_time.states {reason}" in result.reason


def test_a_version_in_force_without_worked_time_names_the_version_and_rows(settings, validate):
    use_contract(settings, contract(f"""\
        - effective_from: 2026-01-01
          effective_to: 2026-01-31
          worked_time: {{states: {STATES}}}
        """, """\
        - effective_from: 2026-02-01
        """))
    land(settings, VENDOR, "agent_time", "x.csv", intervals(
        ("available", "2026-01-31 10:00:00", "2026-01-31 11:00:00"),
        ("available", "2026-02-01 10:00:00", "2026-02-01 11:00:00")))
    (result,) = ingest(settings, validate)
    assert result.status == "quarantined"
    assert result.reason.startswith(
        "contract version iberia_es@2026-02-01 has no worked_time section but row 2 falls in it: add what is missing to "
        "contracts/iberia_es.yaml")
