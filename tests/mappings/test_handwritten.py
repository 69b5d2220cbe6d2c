"""A hand-written mapping for a spreadsheet-style CSV: separate date and time columns,
`0:00:00` for "never", h:mm:ss and Excel day-fraction durations, an Excel serial
timestamp, outcome codes, a `;` delimiter, cp1252 text and a title line to skip."""

from __future__ import annotations

from ingestion.feeds import INTERACTIONS
from ingestion.mappings import apply_mapping, load_mapping
from ingestion.readers import normalise
from tests.mappings.helpers import rows_by_id, utc, write

MAPPING = """
    # Iberia BPO daily export (spreadsheet saved as CSV)
    version: iberia-2026-03
    source:
      format: csv
      delimiter: ";"
      encoding: cp1252
      skip_rows: 1                      # the title line above the header
    timezone: Europe/Madrid             # local wall-clock times, no offset
    derived:
      day: strptime(CALL_DATE, '%d/%m/%Y')
      result:
        expr: OUTCOME
        codes: {AGENT: answered, HANG: abandoned, XFER: answered}
    columns:
      interaction_id: CALL_REF
      channel:
        expr: CHANNEL
        codes: {V: voice, C: chat, E: email}
      queue: QUEUE
      language: {const: es}
      arrived_at: combine(day, START_TIME)
      answered_at: CASE WHEN result = 'answered' THEN combine(day, nullif(ANSWER_TIME, '0:00:00')) END
      ended_at: combine(day, END_TIME)
      talk_seconds: CASE WHEN result = 'answered' THEN hms_seconds(TALK) END
      hold_seconds: CASE WHEN result = 'answered' THEN excel_seconds(replace(HOLD_DAYS, ',', '.')) END  # decimal comma
      wrap_seconds: CASE WHEN result = 'answered' THEN hms_seconds(nullif(WRAP, '0:00:00')) END
      agent_id: nullif(AGENT, '')
      transferred: OUTCOME = 'XFER'
      resolved:
        expr: RESOLVED
        codes: {SI: true, NO: false}
        else: "NULL"
      updated_at: excel_datetime(LOGGED)
    ignore_columns: [NOTES]
    """

EXPORT = """
    Informe diario de contactos - Atención al cliente;;;;;;;;;;;;;;
    CALL_REF;CALL_DATE;START_TIME;ANSWER_TIME;END_TIME;QUEUE;AGENT;OUTCOME;TALK;HOLD_DAYS;WRAP;CHANNEL;RESOLVED;LOGGED;NOTES
    R1;30/03/2026;09:15:00;09:15:20;09:22:00;Atención;ag7;AGENT;0:06:00;0,000231481;0:00:40;V;SI;46111.39097222222;
    R2;30/03/2026;09:20:00;0:00:00;09:21:10;Atención;;HANG;0:00:00;0;0:00:00;V;;46111.38993055555;colgó
    R3;29/03/2026;01:59:00;03:00:10;03:05:00;Facturación;ag9;XFER;0:04:30;0,000405093;0:00:00;C;NO;46110.129166666666;
    """


def test_date_and_time_columns_sentinels_excel_fractions_and_codes(tmp_path):
    path = write(tmp_path / "maps" / "iberia_es" / "interactions.yaml", MAPPING)
    export = write(tmp_path / "export.csv", EXPORT, encoding="cp1252")
    resolved = load_mapping(path, root=tmp_path / "maps")
    assert resolved.version.startswith("iberia-2026-03 (iberia_es/interactions.yaml sha256:")
    mapped = apply_mapping(resolved, export, timezone="America/Monterrey")  # the mapping's timezone wins
    assert mapped.warnings == []  # NOTES is listed in ignore_columns
    rows = rows_by_id(normalise(mapped.frame, INTERACTIONS, vendor_id="iberia_es", timezone=mapped.timezone,
                                salt="s").frame)

    r1 = rows["R1"]  # CEST (UTC+2) on 30 March
    assert (r1["arrived_at"], r1["answered_at"], r1["ended_at"]) == (
        utc(2026, 3, 30, 7, 15, 0), utc(2026, 3, 30, 7, 15, 20), utc(2026, 3, 30, 7, 22, 0))
    assert (r1["talk_seconds"], r1["hold_seconds"], r1["wrap_seconds"]) == (360, 20, 40)
    assert (r1["channel"], r1["queue"], r1["language"], r1["agent_id"]) == ("voice", "Atención", "es", "ag7")
    assert r1["resolved"] is True and r1["transferred"] is False
    # Excel serial 46111.39097222222 = 2026-03-30 09:23:00, read in Europe/Madrid
    assert r1["updated_at"] == utc(2026, 3, 30, 7, 23, 0)

    r2 = rows["R2"]  # HANG: the 0:00:00 answer time is "never"
    assert r2["answered_at"] is None and r2["agent_id"] is None
    assert (r2["talk_seconds"], r2["hold_seconds"], r2["wrap_seconds"]) == (None, None, None)
    assert r2["resolved"] is None and r2["ended_at"] == utc(2026, 3, 30, 7, 21, 10)

    r3 = rows["R3"]  # across the change: 01:59 CET (UTC+1), then 03:00:10 CEST (UTC+2)
    assert (r3["arrived_at"], r3["answered_at"], r3["ended_at"]) == (
        utc(2026, 3, 29, 0, 59, 0), utc(2026, 3, 29, 1, 0, 10), utc(2026, 3, 29, 1, 5, 0))
    assert r3["transferred"] is True and r3["channel"] == "chat" and r3["resolved"] is False
    assert (r3["talk_seconds"], r3["hold_seconds"], r3["wrap_seconds"]) == (270, 35, None)
    assert r3["queue"] == "Facturación"


def test_constants_and_nested_json_records_path(tmp_path):
    path = write(tmp_path / "m" / "v" / "interactions.yaml", """
        source: {format: json, records: data.items}
        columns:
          interaction_id: CAST(id AS VARCHAR)
          channel: {const: email}
          queue: meta.queue
          arrived_at: to_timestamp(t.created / 1000)
          answered_at: to_timestamp(t.replied / 1000)
          ended_at: to_timestamp(t.closed / 1000)
          transferred: false
          complaint: list_contains(tags, 'complaint')
        """)
    export = write(tmp_path / "tickets.json", """
        {"data": {"items": [
          {"id": 17, "meta": {"queue": "Refunds"}, "tags": ["complaint"],
           "t": {"created": 1772953200000, "replied": 1772956800000, "closed": 1772960400000}},
          {"id": 18, "meta": {"queue": "Refunds"}, "tags": [],
           "t": {"created": 1772953200000, "replied": null, "closed": 1772953260000}}]}}
        """)
    mapped = apply_mapping(load_mapping(path), export, timezone="Asia/Manila")  # instants: tz irrelevant
    rows = rows_by_id(normalise(mapped.frame, INTERACTIONS, vendor_id="v", timezone=mapped.timezone,
                                salt="s").frame)
    assert rows["17"]["arrived_at"] == utc(2026, 3, 8, 7, 0, 0)  # epoch ms are UTC instants
    assert rows["17"]["answered_at"] == utc(2026, 3, 8, 8, 0, 0)
    assert rows["17"]["complaint"] is True and rows["18"]["complaint"] is False
    assert rows["18"]["answered_at"] is None and rows["18"]["channel"] == "email"
    assert rows["17"]["transferred"] is False and rows["17"]["queue"] == "Refunds"
