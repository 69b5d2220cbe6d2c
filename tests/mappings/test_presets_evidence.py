"""Presets for the evidence feeds (agent_time, self_service, qa_evaluations) map their realistic sample
exports to hand-checked canonical rows, pass the feed's suite, and load (or quarantine) through the loader.

The samples (tests/mappings/samples/) hold, besides ordinary records: a state across local midnight,
one across the US daylight-saving change of 2026-03-08 (02:00 EST -> 03:00 EDT, i.e. 07:00 UTC), a status
name the contract may not list, a status still open at export time, a duplicated event, null fields.
"""

from __future__ import annotations

import gzip
import os
import json
import textwrap
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from ingestion.batch import ingest
from ingestion.feeds import FEEDS, QA_EVALUATIONS, SELF_SERVICE
from ingestion.mappings import apply_mapping, available_presets, load_mapping, load_preset_mapping
from ingestion.mappings.model import load_preset
from ingestion.readers import normalise
from tests.conftest import land, staged_frame
from tests.mappings.helpers import SAMPLES, rows_by_id, utc, write
from tests.mappings.test_ingest import query

NY = "America/New_York"
NEW_PRESETS = {  # preset -> (feed, sample)
    "amazon_connect_agent_events": ("agent_time", "amazon_connect_agent_events.json"),
    "genesys_cloud_user_presence": ("agent_time", "genesys_cloud_user_presence.json"),
    "amazon_connect_ctr_self_service": ("self_service", "amazon_connect_ctr_ivr.json"),
    "genesys_cloud_conversations_self_service": ("self_service", "genesys_cloud_conversations_ivr.json"),
    "genesys_cloud_quality_evaluations": ("qa_evaluations", "genesys_cloud_quality_evaluations.json"),
}
CONNECT_A1 = "a1f0c2e1-0000-4000-8000-000000000001"  # jdoe's agent id (end of the AgentARN)
CONNECT_A2 = "a2f0c2e1-0000-4000-8000-000000000002"  # asmith
GENESYS_U1 = "6f0c2a1e-5b3d-4c7e-9a8f-1d2e3c4b5a69"
GENESYS_U2 = "9d8c7b6a-5e4f-4d3c-2b1a-0f9e8d7c6b5a"


def mapped(preset: str, sample: str | None = None, timezone: str = NY):
    feed, default_sample = NEW_PRESETS.get(preset, ("interactions", None))
    result = apply_mapping(load_preset_mapping(preset, feed), SAMPLES / (sample or default_sample), timezone=timezone)
    assert not [w for w in result.warnings if "schema drift" in w], result.warnings
    return result


def canonical(preset: str, sample: str | None = None) -> dict[str, dict]:
    """Map a sample with a preset, then normalise it exactly as the loader does; rows by the feed's id."""
    feed = FEEDS[NEW_PRESETS.get(preset, ("interactions",))[0]]
    result = mapped(preset, sample)
    frame = normalise(result.frame, feed, vendor_id="v", timezone=result.timezone, salt="s").frame
    return rows_by_id(frame, feed.unique_key[0])


def interval(row: dict) -> tuple:
    return row["agent_id"], row["state"], row["started_at"], row["ended_at"]


def test_each_preset_maps_the_feed_it_declares():
    feeds = {name: load_preset(name)[0].get("feed") for name in available_presets()}
    assert {name: feeds[name] for name in NEW_PRESETS} == {name: f for name, (f, _) in NEW_PRESETS.items()}
    for name, feed in feeds.items():
        assert load_preset_mapping(name, feed).feed is FEEDS[feed]


def test_amazon_connect_agent_events():
    result = mapped("amazon_connect_agent_events")
    # 13 events: the LOGIN, the heartbeat and the contact state change change no status; the event
    # delivered twice (records 5 and 6) closes one interval, kept once
    assert result.source_rows == [2, 5, 7, 8, 9, 10, 11, 12, 13]
    assert any("4 of 13 source record(s) left out" in w for w in result.warnings)
    rows = canonical("amazon_connect_agent_events")
    assert len(rows) == 9
    # offline from the logout the evening before (17:05 EST) to 09:00 EST: across local midnight
    offline = rows[f"{CONNECT_A1}|2026-03-06T22:05:00.000Z"]
    assert interval(offline) == ("jdoe", "offline", utc(2026, 3, 6, 22, 5), utc(2026, 3, 7, 14, 0))
    local = [t.astimezone(ZoneInfo(NY)).date().isoformat() for t in (offline["started_at"], offline["ended_at"])]
    assert local == ["2026-03-06", "2026-03-07"]
    assert interval(rows[f"{CONNECT_A1}|2026-03-07T14:00:00.000Z"]) == (
        "jdoe", "available", utc(2026, 3, 7, 14, 0), utc(2026, 3, 7, 16, 0))  # the on-contact event inside it
    assert interval(rows[f"{CONNECT_A1}|2026-03-07T16:00:00.000Z"]) == (
        "jdoe", "break", utc(2026, 3, 7, 16, 0), utc(2026, 3, 7, 16, 15))
    assert interval(rows[f"{CONNECT_A1}|2026-03-07T17:30:00.000Z"]) == (
        "jdoe", "lunch", utc(2026, 3, 7, 17, 30), utc(2026, 3, 7, 18, 0))
    assert interval(rows[f"{CONNECT_A1}|2026-03-07T18:00:00.000Z"]) == (  # closed by the LOGOUT event
        "jdoe", "available", utc(2026, 3, 7, 18, 0), utc(2026, 3, 7, 22, 0))
    assert interval(rows[f"{CONNECT_A2}|2026-03-08T05:00:00.000Z"]) == (  # from local midnight
        "asmith", "training", utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 6, 30))
    # 01:30 EST to 04:00 EDT: 2 h 30 on the wall clock, 1 h 30 elapsed
    dst = rows[f"{CONNECT_A2}|2026-03-08T06:30:00.000Z"]
    assert interval(dst) == ("asmith", "available", utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 8, 0))
    assert dst["ended_at"] - dst["started_at"] == timedelta(hours=1, minutes=30)
    assert [t.astimezone(ZoneInfo(NY)).strftime("%H:%M") for t in (dst["started_at"], dst["ended_at"])] == [
        "01:30", "04:00"]
    # a custom status with a space in its name
    assert interval(rows[f"{CONNECT_A2}|2026-03-08T08:00:00.000Z"]) == (
        "asmith", "quality_huddle", utc(2026, 3, 8, 8, 0), utc(2026, 3, 8, 9, 0))
    assert all(r["site"] is None for r in rows.values())
    # elapsed minutes by state, worked out from the intervals above
    minutes: dict[str, int] = {}
    for r in rows.values():
        minutes[r["state"]] = minutes.get(r["state"], 0) + (r["ended_at"] - r["started_at"]) // timedelta(minutes=1)
    assert minutes == {"offline": 15 * 60 + 55, "available": 120 + 75 + 240 + 90, "break": 15, "lunch": 30,
                       "training": 90, "quality_huddle": 60}


def test_genesys_cloud_user_presence():
    result = mapped("genesys_cloud_user_presence")
    # 3 users -> 12 presence records (the third user has none); the one still open has no endTime
    assert result.source_rows == [1] * 6 + [2] * 5
    assert any("1 of 12 rows (records unnested by `derived`) left out" in w for w in result.warnings)
    rows = canonical("genesys_cloud_user_presence")
    assert len(rows) == 11 and f"{GENESYS_U1}|2026-03-07T18:00:00.000Z" not in rows
    assert interval(rows[f"{GENESYS_U1}|2026-03-06T22:00:00.000Z"]) == (
        GENESYS_U1, "offline", utc(2026, 3, 6, 22, 0), utc(2026, 3, 7, 13, 55))  # across local midnight
    assert interval(rows[f"{GENESYS_U1}|2026-03-07T14:00:00.000Z"]) == (
        GENESYS_U1, "on_queue", utc(2026, 3, 7, 14, 0), utc(2026, 3, 7, 16, 0))
    assert interval(rows[f"{GENESYS_U1}|2026-03-07T17:30:00.000Z"]) == (
        GENESYS_U1, "meal", utc(2026, 3, 7, 17, 30), utc(2026, 3, 7, 18, 0))
    dst = rows[f"{GENESYS_U2}|2026-03-08T06:30:00.000Z"]  # 01:30 EST -> 04:00 EDT
    assert interval(dst) == (GENESYS_U2, "on_queue", utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 8, 0))
    assert dst["ended_at"] - dst["started_at"] == timedelta(hours=1, minutes=30)
    states = sorted(r["state"] for r in rows.values())
    assert states == sorted(["offline", "available", "on_queue", "break", "on_queue", "meal",
                             "training", "on_queue", "meeting", "idle", "offline"])
    # routing statuses (sub-states of on_queue) are not intervals of their own: no overlap is made up
    by_agent: dict[str, list] = {}
    for r in rows.values():
        by_agent.setdefault(r["agent_id"], []).append((r["started_at"], r["ended_at"]))
    for spans in by_agent.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


def test_amazon_connect_ctr_self_service():
    result = mapped("amazon_connect_ctr_self_service")
    assert result.source_rows == [1, 2, 3, 4, 5, 7]  # record 6 is an outbound call
    rows = canonical("amazon_connect_ctr_self_service")
    cid = "11111111-0000-4000-8000-00000000000{}".format
    outcomes = {k[-1]: (r["channel"], r["outcome"], r["interaction_id"]) for k, r in rows.items()}
    assert outcomes == {
        "1": ("ivr", "contained", None),  # the flow hung up: ended in the flow
        "2": ("ivr", "abandoned", None),  # the caller hung up in the menu
        "3": ("ivr", "transferred", cid(3)),  # queued: the interaction it became
        "4": ("ivr", "transferred", None),  # the flow transferred it to an outside number
        "5": ("bot", "contained", None),  # a chat ended by the bot
        "7": ("ivr", "abandoned", None),  # the line dropped (TELECOM_PROBLEM)
    }
    assert (rows[cid(1)]["started_at"], rows[cid(1)]["ended_at"]) == (utc(2026, 3, 8, 6, 59), utc(2026, 3, 8, 7, 1, 30))
    # a queued session ends when the flow hands it to the queue; an outside transfer when it completes
    assert (rows[cid(3)]["started_at"], rows[cid(3)]["ended_at"]) == (utc(2026, 3, 7, 14, 10),
                                                                      utc(2026, 3, 7, 14, 11, 30))
    assert rows[cid(4)]["ended_at"] == utc(2026, 3, 7, 15, 1, 15)
    assert rows[cid(2)]["ended_at"] == utc(2026, 3, 7, 14, 0, 47)
    # the same caller number hashes to the same customer_ref; chats and withheld numbers have none
    assert rows[cid(1)]["customer_ref_hash"] == rows[cid(2)]["customer_ref_hash"] is not None
    assert rows[cid(5)]["customer_ref_hash"] is None and rows[cid(7)]["customer_ref_hash"] is None
    assert all(r["intent"] is None for r in rows.values())


def test_the_same_connect_export_lands_in_both_feeds_and_loses_no_contact():
    """The interactions preset leaves the IVR-only contact out; the self-service preset keeps it."""
    contacts = [json.loads(line)["ContactId"] for line in (SAMPLES / "amazon_connect_ctr.json").read_text().splitlines()]
    interactions = canonical("amazon_connect_ctr", "amazon_connect_ctr.json")
    sessions = canonical("amazon_connect_ctr_self_service", "amazon_connect_ctr.json")
    ivr_only = "e1f2a3b4-c5d6-4e7f-8a9b-1c2d3e4f5a6b"
    assert set(interactions) | set(sessions) == set(contacts) and ivr_only not in interactions
    assert sessions[ivr_only]["outcome"] == "abandoned"  # CUSTOMER_DISCONNECT in the flow: no evidence of containment
    transferred = {k for k, r in sessions.items() if r["outcome"] == "transferred"}
    assert transferred == set(interactions)
    assert all(sessions[k]["interaction_id"] == k for k in transferred)
    assert sessions["c4a1f2e3-d5b6-4c7a-8e9f-a0b1c2d3e4f5"]["channel"] == "bot"  # the chat


def test_genesys_cloud_conversations_self_service():
    result = mapped("genesys_cloud_conversations_self_service")
    assert result.source_rows == [1, 2, 3, 4, 6]  # conversation 5 is an agent's outbound call
    rows = canonical("genesys_cloud_conversations_self_service")
    cid = "d2b8e4a1-000{}-4c5d-9e8f-7a6b5c4d3e2f".format
    outcomes = {k[12]: (r["channel"], r["outcome"], r["interaction_id"]) for k, r in rows.items()}
    assert outcomes == {
        "1": ("ivr", "contained", None),  # the flow's segment ended at its own endpoint
        "2": ("ivr", "transferred", None),  # the flow transferred it to an outside number
        "3": ("bot", "contained", None),  # a web message ended by the bot flow
        "4": ("ivr", "transferred", cid(4)),  # two menu segments, then the Billing queue
        "6": ("ivr", "abandoned", None),  # the line failed in the flow
    }
    assert (rows[cid(1)]["started_at"], rows[cid(1)]["ended_at"]) == (utc(2026, 3, 8, 6, 59), utc(2026, 3, 8, 7, 1, 30))
    assert rows[cid(1)]["ended_at"] - rows[cid(1)]["started_at"] == timedelta(minutes=2, seconds=30)  # across 07:00Z
    assert rows[cid(2)]["ended_at"] == utc(2026, 3, 7, 15, 1, 15)
    assert (rows[cid(4)]["started_at"], rows[cid(4)]["ended_at"]) == (utc(2026, 3, 7, 14, 10),
                                                                      utc(2026, 3, 7, 14, 11, 30))  # queue entry
    assert rows[cid(1)]["customer_ref_hash"] is not None and rows[cid(3)]["customer_ref_hash"] is None
    assert rows[cid(6)]["customer_ref_hash"] is None  # withheld number: no ani


def test_the_same_genesys_export_lands_in_both_feeds_and_loses_no_conversation():
    sample = "genesys_cloud_conversations.json"
    conversations = [c["conversationId"] for c in json.loads((SAMPLES / sample).read_text())["conversations"]]
    interactions = canonical("genesys_cloud_conversations", sample)
    sessions = canonical("genesys_cloud_conversations_self_service", sample)
    ivr_only = "c1a7e3f0-0005-4d5e-8f9a-1b2c3d4e5f60"
    assert set(interactions) | set(sessions) == set(conversations) and ivr_only not in interactions
    assert sessions[ivr_only]["outcome"] == "abandoned"  # the caller hung up on the flow (`peer`)
    through_ivr = "c1a7e3f0-0001-4d5e-8f9a-1b2c3d4e5f60"  # the others went straight to a queue: no flow session
    assert set(sessions) == {ivr_only, through_ivr}
    assert (sessions[through_ivr]["outcome"], sessions[through_ivr]["interaction_id"]) == ("transferred", through_ivr)
    assert sessions[through_ivr]["ended_at"] == interactions[through_ivr]["arrived_at"] == utc(2026, 3, 7, 14, 15, 20)


def test_genesys_cloud_quality_evaluations():
    result = mapped("genesys_cloud_quality_evaluations")
    assert result.source_rows == [1, 2, 3, 5]  # record 4 is INPROGRESS
    rows = canonical("genesys_cloud_quality_evaluations")
    e = "e1000000-0000-4000-8000-00000000000{}".format
    first = rows[e(1)]
    assert (first["interaction_id"], first["agent_id"], first["form"]) == (
        "c1a7e3f0-0001-4d5e-8f9a-1b2c3d4e5f60", GENESYS_U1, "Inbound Voice QA v3")
    assert (first["score"], first["max_score"], first["auto_fail"], first["calibration"]) == (87.5, 100, False, False)
    assert first["evaluated_at"] == utc(2026, 3, 9, 15, 2, 11) and first["evaluator_side"] == "vendor"
    failed = rows[e(2)]  # a fatal question failed
    assert (failed["score"], failed["auto_fail"]) == (0, True)
    never = rows[e(3)]  # never released: no releaseDate, so changedDate; 23:30 EDT on 31 March
    assert never["evaluated_at"] == utc(2026, 4, 1, 3, 30)
    assert never["evaluated_at"].astimezone(ZoneInfo(NY)).strftime("%Y-%m-%d %H:%M") == "2026-03-31 23:30"
    assert str(rows[e(5)]["score"]) == "92.3100" and rows[e(5)]["form"] == "Chat QA v1"


@pytest.mark.parametrize("preset", sorted(NEW_PRESETS))
def test_new_presets_pass_their_feed_suite(preset, validate):
    feed, sample = NEW_PRESETS[preset]
    result = mapped(preset)
    frame = normalise(result.frame, FEEDS[feed], vendor_id="v", timezone=result.timezone, salt="s").frame
    with staged_frame(frame) as rows:
        report = validate(feed, rows, "v")
    assert report.success, report.to_text()


# ------------------------------------------------------------------------------ through the loader

CONNECT_STATES = {"available": "productive", "training": "training", "break": "paid_other", "lunch": "unpaid",
                  "quality_huddle": "paid_other", "offline": "unpaid"}
GENESYS_STATES = {"on_queue": "productive", "available": "productive", "training": "training",
                  "break": "paid_other", "meeting": "paid_other", "idle": "paid_other", "meal": "unpaid",
                  "offline": "unpaid"}


def contract(settings, vendor_id: str, timezone: str, states: dict[str, str]) -> None:
    listed = "\n".join(f"          {k}: {v}" for k, v in states.items())
    (settings.contracts / f"{vendor_id}.yaml").write_text(textwrap.dedent(f"""\
        vendor_id: {vendor_id}
        name: Test vendor {vendor_id}
        kind: outsourcer
        timezone: {timezone}
        currency: USD
        versions:
          - effective_from: 2026-01-01
            pricing:
              - {{category: handled_contacts, channel: voice, unit: contact, rate: 10.00}}
              - {{category: productive_hours, unit: hour, rate: 30.00}}
            sla:
              - {{metric: service_level, channel: voice, threshold_seconds: 20, target: 0.80, credit_pct: 0.03}}
            worked_time:
              fte_hours_per_month: 160
              states:
        """) + listed + "\n")


def use_presets(settings, vendor_id: str, presets: dict[str, str]) -> None:
    for feed, preset in presets.items():
        write(settings.mappings_dir / vendor_id / f"{feed}.yaml", f"preset: {preset}\n")


def test_mapped_evidence_files_load_through_the_loader(settings, validate):
    contract(settings, "acme_mx", NY, CONNECT_STATES)
    contract(settings, "iberia_es", "Europe/Madrid", GENESYS_STATES)
    use_presets(settings, "acme_mx", {"agent_time": "amazon_connect_agent_events", "interactions": "amazon_connect_ctr",
                                      "self_service": "amazon_connect_ctr_self_service"})
    use_presets(settings, "iberia_es", {"agent_time": "genesys_cloud_user_presence",
                                        "self_service": "genesys_cloud_conversations_self_service",
                                        "qa_evaluations": "genesys_cloud_quality_evaluations"})
    land(settings, "acme_mx", "agent_time", "events.json", (SAMPLES / "amazon_connect_agent_events.json").read_bytes())
    land(settings, "acme_mx", "interactions", "ctr.json", (SAMPLES / "amazon_connect_ctr.json").read_bytes())
    land(settings, "acme_mx", "self_service", "ctr_ivr.json", (SAMPLES / "amazon_connect_ctr_ivr.json").read_bytes())
    land(settings, "iberia_es", "agent_time", "users.json", (SAMPLES / "genesys_cloud_user_presence.json").read_bytes())
    land(settings, "iberia_es", "self_service", "conversations_ivr.json",
         (SAMPLES / "genesys_cloud_conversations_ivr.json").read_bytes())
    land(settings, "iberia_es", "qa_evaluations", "evals.json",
         (SAMPLES / "genesys_cloud_quality_evaluations.json").read_bytes())
    results = {(r.vendor_id, r.feed): r for r in ingest(settings, validate)}
    assert {k: (r.status, r.rows) for k, r in results.items()} == {
        ("acme_mx", "agent_time"): ("loaded", 9), ("acme_mx", "interactions"): ("loaded", 4),
        ("acme_mx", "self_service"): ("loaded", 6), ("iberia_es", "agent_time"): ("loaded", 11),
        ("iberia_es", "self_service"): ("loaded", 5), ("iberia_es", "qa_evaluations"): ("loaded", 4)}, {
        k: r.reason for k, r in results.items()}
    assert "; preset amazon_connect_agent_events sha256:" in results[("acme_mx", "agent_time")].mapping_version
    got = query(settings, "select vendor_id, state, sum(epoch(ended_at - started_at)) from raw.agent_time "
                          "group by all order by all")
    # seconds by state, from the intervals worked out in the tests above
    assert got == [("acme_mx", "available", 31500), ("acme_mx", "break", 900), ("acme_mx", "lunch", 1800),
                   ("acme_mx", "offline", 57300), ("acme_mx", "quality_huddle", 3600), ("acme_mx", "training", 5400),
                   ("iberia_es", "available", 300), ("iberia_es", "break", 900), ("iberia_es", "idle", 900),
                   ("iberia_es", "meal", 1800), ("iberia_es", "meeting", 1800), ("iberia_es", "offline", 69000),
                   ("iberia_es", "on_queue", 17100), ("iberia_es", "training", 5400)]
    sessions = query(settings, "select vendor_id, outcome, count(*), count(interaction_id) from raw.self_service "
                               "group by all order by all")
    assert sessions == [("acme_mx", "abandoned", 2, 0), ("acme_mx", "contained", 2, 0), ("acme_mx", "transferred", 2, 1),
                        ("iberia_es", "abandoned", 1, 0), ("iberia_es", "contained", 2, 0),
                        ("iberia_es", "transferred", 2, 1)]
    qa = query(settings, "select evaluation_id, score, max_score, auto_fail from raw.qa_evaluations order by 1")
    assert [(q[0][-1], float(q[1]), float(q[2]), q[3]) for q in qa] == [
        ("1", 87.5, 100, False), ("2", 0, 100, True), ("3", 64, 100, False), ("5", 92.31, 100, False)]


@pytest.mark.parametrize(("preset", "sample", "states", "missing", "row"), [
    ("amazon_connect_agent_events", "amazon_connect_agent_events.json", CONNECT_STATES, "quality_huddle", 9),
    ("genesys_cloud_user_presence", "genesys_cloud_user_presence.json", GENESYS_STATES, "idle", 10),
])
def test_a_state_the_contract_does_not_list_quarantines_the_file_naming_it(settings, validate, preset, sample,
                                                                            states, missing, row):
    contract(settings, "acme_mx", NY, {k: v for k, v in states.items() if k != missing})
    use_presets(settings, "acme_mx", {"agent_time": preset})
    land(settings, "acme_mx", "agent_time", sample, (SAMPLES / sample).read_bytes())
    [result] = ingest(settings, validate)
    assert result.status == "quarantined"
    assert f"state '{missing}' is not in the contract's worked_time.states (row {row})" in result.reason
    assert query(settings, "select count(*) from raw.agent_time") == [(0,)]  # nothing half-loaded


def test_the_same_export_gzipped_lands_in_the_second_feed(settings, validate):
    """The documented way today: the copy for the second feed is gzipped, so its checksum differs."""
    use_presets(settings, "acme_mx", {"interactions": "amazon_connect_ctr",
                                      "self_service": "amazon_connect_ctr_self_service"})
    ctr = (SAMPLES / "amazon_connect_ctr.json").read_bytes()
    land(settings, "acme_mx", "interactions", "ctr.json", ctr)
    land(settings, "acme_mx", "self_service", "ctr.json.gz", gzip.compress(ctr, mtime=0))
    results = {r.feed: r for r in ingest(settings, validate)}
    assert {f: (r.status, r.rows) for f, r in results.items()} == {"interactions": ("loaded", 4),
                                                                   "self_service": ("loaded", 5)}
    assert query(settings, "select session_id, outcome from raw.self_service where interaction_id is null") == [
        ("e1f2a3b4-c5d6-4e7f-8a9b-1c2d3e4f5a6b", "abandoned")]  # the IVR-only contact, not lost


def test_the_same_bytes_in_a_second_feed_are_a_reported_duplicate_not_a_silent_loss(settings, validate):
    """Byte-identical files are detected by checksum whatever folder they land in (interfaces.md): the second
    copy is reported as a duplicate naming the first, so the user sees why and gzips it (the test above)."""
    use_presets(settings, "acme_mx", {"interactions": "amazon_connect_ctr",
                                      "self_service": "amazon_connect_ctr_self_service"})
    ctr = (SAMPLES / "amazon_connect_ctr.json").read_bytes()
    first = land(settings, "acme_mx", "interactions", "ctr.json", ctr)
    second = land(settings, "acme_mx", "self_service", "ctr.json", ctr)
    os.utime(second, (first.stat().st_mtime + 10, first.stat().st_mtime + 10))  # lands after the first
    results = {r.feed: r for r in ingest(settings, validate)}
    assert (results["interactions"].status, results["interactions"].rows) == ("loaded", 4)
    assert results["self_service"].status == "duplicate"
    assert str(first) in results["self_service"].reason


def test_a_flow_attribute_can_decide_the_outcome_as_onboarding_shows(tmp_path):
    """docs/onboarding.md: when the flow records its result, the vendor mapping maps the outcome from it."""
    results = {"1": "done", "2": "done", "3": "agent", "4": "agent", "5": "hangup", "7": None}
    lines = []
    for line in (SAMPLES / "amazon_connect_ctr_ivr.json").read_text().splitlines():
        record = json.loads(line)
        if results.get(record["ContactId"][-1]):
            record["Attributes"] = {"self_service_result": results[record["ContactId"][-1]], "intent": "balance"}
        lines.append(json.dumps(record))
    sample = write(tmp_path / "ctr.json", "\n".join(lines) + "\n")
    path = write(tmp_path / "maps" / "v" / "self_service.yaml", """
        preset: amazon_connect_ctr_self_service
        columns:
          outcome:
            expr: coalesce(Attributes.self_service_result, 'none')
            codes: {done: contained, agent: transferred, hangup: abandoned}
            else: "'abandoned'"
          intent: Attributes.intent
        """)
    result = apply_mapping(load_mapping(path, root=tmp_path / "maps"), sample, timezone=NY)
    rows = rows_by_id(normalise(result.frame, SELF_SERVICE, vendor_id="v", timezone=NY, salt="s").frame, "session_id")
    # record 2 (the caller hung up) now counts as contained: the flow says it was served before
    assert {k[-1]: (r["outcome"], r["intent"]) for k, r in rows.items()} == {
        "1": ("contained", "balance"), "2": ("contained", "balance"), "3": ("transferred", "balance"),
        "4": ("transferred", "balance"), "5": ("abandoned", "balance"), "7": ("abandoned", None)}


def test_the_evaluator_side_can_come_from_the_evaluator_as_onboarding_shows(tmp_path):
    path = write(tmp_path / "maps" / "v" / "qa_evaluations.yaml", """
        preset: genesys_cloud_quality_evaluations
        columns:
          evaluator_side:
            expr: evaluator.id
            codes: {4b5c6d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d: client}
            else: "'vendor'"
        """)
    result = apply_mapping(load_mapping(path, root=tmp_path / "maps"),
                           SAMPLES / "genesys_cloud_quality_evaluations.json", timezone=NY)
    frame = normalise(result.frame, QA_EVALUATIONS, vendor_id="v", timezone=NY, salt="s").frame
    assert frame["evaluator_side"].to_list() == ["client"] * 4  # Maria Quality scored all four
