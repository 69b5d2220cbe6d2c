"""Contracts: worked_time, outcome and self-service pricing, the QA and containment SLA metrics; mistakes are
reported by file, line and field; everything is stored in raw.contract_*."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import duckdb
import pytest

from ingestion.contracts import ContractError, contract_rows, load_contract, load_contracts
from ingestion.loader import sync_contracts
from ingestion.warehouse import connect
from orchestration.assets import CONTRACT_TABLES

from .test_contracts import EXAMPLE, write

# The interfaces.md example's worked_time section and outcome / self-service lines (docs/interfaces.md).
WORKED_TIME = """\
    worked_time:                          # how agent_time counts against hour- and FTE-priced lines
      states:                             # the vendor's state name -> class
        available: productive
        on_contact: productive
        acw: productive
        training: training
        coaching: training
        break: paid_other
        meeting: paid_other
        lunch: unpaid
        offline: unpaid
      fte_hours_per_month: 160            # paid hours (productive + training + paid_other) in one fte_month
"""
EXTRA_PRICING = """\
      - {category: resolved_contacts, unit: contact, rate: 9.50}
      - {category: contained_sessions, channel: ivr, unit: session, rate: 0.40}
      - {category: fte_months, unit: fte_month, rate: 52000.00}
"""
EXTRA_SLA = """\
      - {metric: qa_score, target: 0.85, evaluator_side: client, credit_pct: 0.01}
      - {metric: qa_auto_fail_rate, target: 0.02, credit_pct: 0.01}
      - {metric: qa_calibration_gap, target: 0.05}
      - {metric: containment_rate, channel: ivr, target: 0.30, credit_pct: 0.01}
"""
FULL = (EXAMPLE
        .replace("      - {category: travel, passthrough: true, requires_approval: true}\n",
                 "      - {category: travel, passthrough: true, requires_approval: true}\n"
                 + textwrap.indent(textwrap.dedent(EXTRA_PRICING), "      "))
        .replace("      - {metric: fcr_rate, target: 0.70, repeat_window_days: 7, credit_pct: 0.01}\n",
                 "      - {metric: fcr_rate, target: 0.70, repeat_window_days: 7, credit_pct: 0.01}\n"
                 + textwrap.indent(textwrap.dedent(EXTRA_SLA), "      "))
        + textwrap.indent(textwrap.dedent(WORKED_TIME), "    "))


def lineno(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `fragment` (golden line numbers from the text itself)."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return hits[occurrence - 1]


def error_of(tmp_path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ContractError) as exc:
        load_contract(path)
    return str(exc.value)


def test_the_full_example_loads_with_its_worked_time_and_new_lines(tmp_path):
    version = load_contract(write(tmp_path, FULL)).versions[0]
    assert version.worked_time.fte_hours_per_month == Decimal("160")
    assert version.worked_time.states["coaching"] == "training"
    assert version.worked_time.states["lunch"] == "unpaid"
    assert len(version.worked_time.states) == 9
    contained = next(p for p in version.pricing if p.category == "contained_sessions")
    assert (contained.channel, contained.unit, contained.rate) == ("ivr", "session", Decimal("0.40"))
    assert [(s.metric, s.evaluator_side) for s in version.sla[-4:]] == [
        ("qa_score", "client"), ("qa_auto_fail_rate", None), ("qa_calibration_gap", None), ("containment_rate", None)]


def test_contract_rows_carry_fte_hours_states_and_evaluator_side(tmp_path):
    write(tmp_path, FULL)
    rows = contract_rows(load_contracts(tmp_path), tmp_path)
    assert rows["contract_versions"][0]["fte_hours_per_month"] == Decimal("160")
    states = {(r["version_id"], r["state"]): r["work_class"] for r in rows["contract_worked_time_states"]}
    assert states[("acme_mx@2026-01-01", "acw")] == "productive"
    assert states[("acme_mx@2026-01-01", "meeting")] == "paid_other"
    assert len(states) == 9
    sides = [r["evaluator_side"] for r in rows["contract_sla"]]
    assert sides == [None] * 6 + ["client", None, None, None]


def test_a_version_without_worked_time_has_no_state_rows_and_no_fte_hours(tmp_path):
    write(tmp_path, EXAMPLE)
    rows = contract_rows(load_contracts(tmp_path), tmp_path)
    assert rows["contract_worked_time_states"] == []
    assert rows["contract_versions"][0]["fte_hours_per_month"] is None


def test_sync_contracts_stores_every_contract_table(tmp_path):
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    write(contracts, FULL)
    with connect(tmp_path / "warehouse.duckdb") as con:
        sync_contracts(con, contracts)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        counts = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in CONTRACT_TABLES}
        classes = con.execute("select work_class, count(*) from raw.contract_worked_time_states group by 1 "
                              "order by 1").fetchall()
        fte = con.execute("select fte_hours_per_month from raw.contract_versions").fetchall()
        side = con.execute("select evaluator_side from raw.contract_sla where metric = 'qa_score'").fetchall()
    finally:
        con.close()
    assert counts["contract_worked_time_states"] == 9 and counts["contract_pricing"] == 10
    assert classes == [("paid_other", 2), ("productive", 3), ("training", 2), ("unpaid", 2)]
    assert fte == [(Decimal("160.0000"),)]
    assert side == [("client",)]


@pytest.mark.parametrize(("old", "new", "at", "field", "problem"), [
    # an unknown class, on the state's own line
    ("        lunch: unpaid", "        lunch: unpaid_break", "lunch: unpaid_break",
     "versions[0].worked_time.states.lunch", "unknown class 'unpaid_break' for state 'lunch'; expected productive, "
                                              "training, paid_other or unpaid"),
    # a non-positive fte_hours_per_month
    ("fte_hours_per_month: 160", "fte_hours_per_month: 0", "fte_hours_per_month: 0",
     "versions[0].worked_time.fte_hours_per_month", "greater than 0"),
    ("fte_hours_per_month: 160", "fte_hours_per_month: -160", "fte_hours_per_month: -160",
     "versions[0].worked_time.fte_hours_per_month", "greater than 0"),
    ("fte_hours_per_month: 160", "fte_hours_per_month: lots", "fte_hours_per_month: lots",
     "versions[0].worked_time.fte_hours_per_month", "valid decimal"),
    # fte_months priced but no hours per FTE: the FTE lines could never be checked
    ("      fte_hours_per_month: 160", "", "- effective_from", "versions[0]", "fte_hours_per_month"),
    # YAML reads `off` as false: the state must be quoted
    ("        offline: unpaid", "        off: unpaid", "off: unpaid", "versions[0].worked_time.states",
     "state 'off' is read by YAML as a boolean or a number, not a name: quote it"),
    # SLA lines: evaluator side, channels of the new metrics
    ("{metric: qa_calibration_gap, target: 0.05}", "{metric: qa_calibration_gap, target: 0.05, evaluator_side: client}",
     "qa_calibration_gap", "versions[0].sla[8]", "the calibration gap compares both sides"),
    ("evaluator_side: client, credit_pct: 0.01}", "evaluator_side: both, credit_pct: 0.01}", "evaluator_side: both",
     "versions[0].sla[6].evaluator_side", "'vendor' or 'client'"),
    ("{metric: containment_rate, channel: ivr,", "{metric: containment_rate, channel: voice,", "containment_rate",
     "versions[0].sla[9]", "its channel is ivr, bot or web"),
    ("{metric: asa_seconds, channel: voice,", "{metric: asa_seconds, channel: ivr,", "asa_seconds",
     "versions[0].sla[1]", "only containment_rate is measured on one"),
    ("{metric: csat_top2box, target: 0.85,", "{metric: csat_top2box, target: 0.85, evaluator_side: vendor,",
     "csat_top2box", "versions[0].sla[4]", "`evaluator_side` applies to qa_score and qa_auto_fail_rate only"),
    # pricing: self-service channels belong to contained_sessions
    ("{category: contained_sessions, channel: ivr,", "{category: contained_sessions, channel: voice,",
     "contained_sessions", "versions[0].pricing[8]", "priced per self-service channel (ivr, bot or web), not 'voice'"),
    ("{category: resolved_contacts, unit: contact,", "{category: resolved_contacts, channel: bot, unit: contact,",
     "resolved_contacts", "versions[0].pricing[7]", "channel 'bot' is a self-service channel"),
    ("unit: session, rate: 0.40}", "unit: sessions, rate: 0.40}", "unit: sessions", "versions[0].pricing[8].unit", "'session'"),
])
def test_invalid_worked_time_and_new_lines_name_file_line_field_and_problem(tmp_path, old, new, at, field, problem):
    assert old in FULL
    text = FULL.replace(old, new)
    message = error_of(tmp_path, text)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{tmp_path / 'acme_mx.yaml'}, line {lineno(text, at)}: {field}: "), message
    assert problem in message


def test_a_state_listed_twice_is_an_error_on_its_second_line(tmp_path):
    """PyYAML would silently keep the last `break`: the contract would mean something nobody wrote."""
    text = FULL.replace("        meeting: paid_other\n", "        meeting: paid_other\n        break: unpaid\n")
    message = error_of(tmp_path, text)
    assert message == (f"{tmp_path / 'acme_mx.yaml'}, line {lineno(text, 'break: unpaid')}: "
                       f"versions[0].worked_time.states: state 'break' is listed twice (first on line "
                       f"{lineno(text, 'break: paid_other')}); YAML would keep only the last one")


def test_any_key_given_twice_is_an_error_too(tmp_path):
    assert "\ncurrency: MXN\n" in FULL
    text = FULL.replace("\ncurrency: MXN\n", "\ncurrency: MXN\ncurrency: USD\n")
    message = error_of(tmp_path, text)
    assert message == (f"{tmp_path / 'acme_mx.yaml'}, line {lineno(text, 'currency: USD')}: (top level): key "
                       f"'currency' is given twice (first on line {lineno(text, 'currency: MXN')}); YAML would keep "
                       "only the last one")


def test_every_problem_of_a_file_is_reported_each_on_its_own_line(tmp_path):
    text = (FULL.replace("        meeting: paid_other\n", "        meeting: paid_other\n        acw: unpaid\n")
            .replace("        lunch: unpaid", "        lunch: nap")
            .replace("fte_hours_per_month: 160", "fte_hours_per_month: 0"))
    lines = error_of(tmp_path, text).splitlines()
    path = tmp_path / "acme_mx.yaml"
    assert lines == [
        f"{path}, line {lineno(text, 'acw: unpaid')}: versions[0].worked_time.states: state 'acw' is listed twice "
        f"(first on line {lineno(text, 'acw: productive')}); YAML would keep only the last one",
        f"{path}, line {lineno(text, 'lunch: nap')}: versions[0].worked_time.states.lunch: unknown class 'nap' for "
        "state 'lunch'; expected productive, training, paid_other or unpaid",
        f"{path}, line {lineno(text, 'fte_hours_per_month: 0')}: versions[0].worked_time.fte_hours_per_month: "
        "Input should be greater than 0",
    ]


def test_a_worked_time_without_states_is_an_error(tmp_path):
    text = EXAMPLE + "    worked_time: {states: {}, fte_hours_per_month: 160}\n"
    assert error_of(tmp_path, text) == (
        f"{tmp_path / 'acme_mx.yaml'}, line {lineno(text, 'worked_time')}: versions[0].worked_time.states: "
        "Dictionary should have at least 1 item after validation, not 0")


def test_a_quoted_state_that_yaml_would_read_as_a_boolean_loads(tmp_path):
    text = FULL.replace("        offline: unpaid", "        'off': unpaid\n        '1': unpaid")
    states = load_contract(write(tmp_path, text)).versions[0].worked_time.states
    assert states["off"] == "unpaid" and states["1"] == "unpaid"
