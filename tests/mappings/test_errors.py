"""Clear errors: each names the mapping file, the column and the offending value,
and a file that cannot be mapped is quarantined whole."""

from __future__ import annotations

import textwrap

import pytest

from ingestion.mappings import MappingError, apply_mapping, load_mapping
from ingestion.readers import FileRejected
from tests.mappings.helpers import SAMPLES, write

CSV = """
    ID,START,END,QUEUE,TALK,KIND,EXTRA
    a1,2026-03-02 10:00:00,2026-03-02 10:05:00,billing,0:04:10,V,x
    a2,2026-03-02 11:00:00,2026-03-02 11:03:00,billing,3 min,V,y
    """

BASE = """
    columns:
      interaction_id: ID
      channel: {{const: voice}}
      queue: {queue}
      arrived_at: START
      answered_at: "NULL"
      ended_at: '"END"'
      talk_seconds: {talk}
    """


def mapped(tmp_path, queue="QUEUE", talk="NULL", extra="", csv=CSV):
    text = textwrap.dedent(BASE).format(queue=queue, talk=talk) + extra
    path = write(tmp_path / "maps" / "v" / "interactions.yaml", text)
    export = write(tmp_path / "export.csv", csv)
    return path, lambda: apply_mapping(load_mapping(path), export, timezone="UTC")


def test_a_column_the_file_lacks(tmp_path):
    path, run = mapped(tmp_path, queue="QUEUE_NAME")
    with pytest.raises(FileRejected) as exc:
        run()
    reason = exc.value.reason
    assert str(path) in reason and "columns.queue" in reason
    assert "refers to column 'QUEUE_NAME', which the file does not have" in reason
    assert any("columns in the file: ID, START, END, QUEUE, TALK, KIND, EXTRA" in d for d in exc.value.details)


def test_an_expression_that_does_not_parse(tmp_path):
    path, run = mapped(tmp_path, talk="'hms_seconds(TALK'")
    with pytest.raises(FileRejected) as exc:
        run()
    assert str(path) in exc.value.reason and "columns.talk_seconds" in exc.value.reason
    assert "does not parse" in exc.value.reason
    # a column named like an SQL keyword must be quoted; the error says so
    path, run = mapped(tmp_path, extra="  ended_at: END\n")
    with pytest.raises(FileRejected, match=r'columns.ended_at: the expression does not parse: syntax error at or '
                                           r'near "END" \(a column named END must be quoted: "END"\)'):
        run()


def test_a_value_that_cannot_be_converted_names_row_and_source_value(tmp_path):
    path, run = mapped(tmp_path, talk="hms_seconds(TALK)")
    with pytest.raises(FileRejected) as exc:
        run()
    reason = exc.value.reason
    assert str(path) in reason and "columns.talk_seconds" in reason
    assert "row 2" in reason and "TALK='3 min'" in reason


def test_a_type_that_cannot_be_produced(tmp_path):
    path, run = mapped(tmp_path, talk="TALK")  # text '0:04:10' is not a whole number of seconds
    with pytest.raises(FileRejected) as exc:
        run()
    reason = exc.value.reason
    assert str(path) in reason and "column talk_seconds" in reason
    assert "2 value(s) cannot be a whole number" in reason and "row 1: mapped value '0:04:10'" in reason
    path, run = mapped(tmp_path, talk="TALK", extra="  queue: {}\n".format("struct_pack(q := QUEUE)"))
    with pytest.raises(FileRejected, match="column queue: the expression yields STRUCT, not a string"):
        run()


def test_a_code_in_no_list(tmp_path):
    path, run = mapped(tmp_path, extra="  channel: {expr: KIND, codes: {C: chat}}\n")
    with pytest.raises(FileRejected) as exc:
        run()
    assert "columns.channel: 2 value(s) are in no code list: 'V'" in exc.value.reason
    assert any("row 1: 'V'; source KIND='V'" in d for d in exc.value.details)


def test_unused_source_columns_are_schema_drift(tmp_path):
    _, run = mapped(tmp_path)
    assert run().warnings == ["schema drift: source column(s) not used by mapping interactions.yaml: TALK, KIND, EXTRA"]


def test_a_skipped_local_time_is_an_error_not_a_guess(tmp_path):
    csv = "ID,START,END,QUEUE,TALK,KIND,EXTRA\na1,2026-03-08 02:30:00,2026-03-08 03:05:00,b,,V,\n"
    _, run = mapped(tmp_path, csv=csv, extra="  arrived_at: localize(START)\ntimezone: America/New_York\n")
    with pytest.raises(FileRejected, match=r"local time 2026-03-08 02:30:00 does not exist in America/New_York.*row 1"):
        run()


@pytest.mark.parametrize("text, expected", [
    ("colums:\n  interaction_id: ID\n", r"interactions.yaml, line 1: colums: unknown key 'colums'"),
    ("preset: five9\n", r"interactions.yaml, line 1: preset: unknown preset 'five9'; available: .*five9_call_log"),
    ("source:\n  format: xlsx\ncolumns: {}\n", r"line 2: source.format: Input should be 'csv', 'jsonl'"),
    ("preset: five9_call_log\ncolumns:\n  talk_secs: TALK\n",
     r"line 3: columns.talk_secs: 'talk_secs' is not a column of the interactions feed"),
    ("columns:\n  interaction_id: ID\n", r"line 2: columns: the interactions feed needs channel, queue"),
    ("timezone: Mars/Olympus\n", r"line 1: timezone: unknown IANA timezone 'Mars/Olympus'"),
    ("columns:\n  channel: {expr: X, const: voice}\n", r"line 2: columns.channel: give exactly one of"),
    ("columns:\n  queue: [a\n", r"line \d: not valid YAML"),
])
def test_an_invalid_mapping_file_names_file_line_and_field(tmp_path, text, expected):
    path = write(tmp_path / "v" / "interactions.yaml", text)
    with pytest.raises(MappingError, match=expected):
        load_mapping(path)


def test_a_file_the_mapping_cannot_read(tmp_path):
    path = write(tmp_path / "v" / "interactions.yaml", "preset: genesys_cloud_conversations\n")
    with pytest.raises(FileRejected, match="records path 'conversations' not found"):
        apply_mapping(load_mapping(path), SAMPLES / "amazon_connect_ctr.json", timezone="UTC")
    path = write(tmp_path / "w" / "interactions.yaml", "preset: five9_call_log\nsource: {delimiter: ';'}\n")
    with pytest.raises(FileRejected, match="the header line has no ';'"):
        apply_mapping(load_mapping(path), SAMPLES / "five9_call_log.csv", timezone="UTC")


def test_seconds_beyond_the_integer_column_name_row_and_source_value(tmp_path):
    csv = CSV.replace("0:04:10", "99999999999")
    path, run = mapped(tmp_path, talk="TRY_CAST(TALK AS BIGINT)", csv=csv)
    with pytest.raises(FileRejected) as exc:
        run()
    assert exc.value.reason == (f"mapping {path}: column talk_seconds: 1 value(s) cannot be a whole number (of "
                                "seconds, for durations) from -2147483648 to 2147483647 (first: row 1: mapped "
                                "value '99999999999'; source TALK='99999999999')")


def test_a_required_column_that_maps_to_nothing_on_every_record_says_why(tmp_path):
    """A JSON key in another case (`->>` is case-sensitive) gave "interaction_id is empty in 2 of 2 rows"."""
    csv = """
        REC,START,END,QUEUE
        "{""INTERACTION_ID"": ""a1""}",2026-03-02 10:00:00,2026-03-02 10:05:00,billing
        "{""INTERACTION_ID"": ""a2""}",2026-03-02 11:00:00,2026-03-02 11:03:00,billing
        """
    path, run = mapped(tmp_path, extra="  interaction_id: REC ->> '$.interaction_id'\n", csv=csv)
    with pytest.raises(FileRejected) as exc:
        run()
    assert exc.value.reason == (f"mapping {path}: column interaction_id: the expression gives no value in any of the "
                                "2 record(s): does it name a column or JSON key that the file spells differently "
                                "(JSON keys are case-sensitive)?")
    # an optional column that is empty throughout is fine (answered_at is NULL for every record above)
    path, run = mapped(tmp_path, extra="  interaction_id: REC ->> '$.INTERACTION_ID'\n", csv=csv)
    assert run().frame["interaction_id"].to_list() == ["a1", "a2"]
