"""Each shipped preset maps its realistic sample export to hand-checked canonical rows.

Every sample holds an answered contact, an abandoned one, a transferred one
and one across the US daylight-saving change of 2026-03-08 (02:00 EST →
03:00 EDT, i.e. 07:00 UTC).
"""

from __future__ import annotations

import pytest

from ingestion.feeds import INTERACTIONS
from ingestion.mappings import apply_mapping, available_presets, load_mapping, load_preset_mapping
from ingestion.readers import normalise
from tests.conftest import staged_frame
from tests.mappings.helpers import SAMPLES, rows_by_id, utc, write

NY = "America/New_York"


def canonical(preset: str, sample: str, timezone: str = NY) -> dict[str, dict]:
    """Map a sample with a preset, then normalise it exactly as the loader does."""
    mapped = apply_mapping(load_preset_mapping(preset), SAMPLES / sample, timezone=timezone)
    assert not [w for w in mapped.warnings if "schema drift" in w]
    normalised = normalise(mapped.frame, INTERACTIONS, vendor_id="v", timezone=mapped.timezone, salt="s")
    return rows_by_id(normalised.frame)


def test_the_three_interactions_presets_are_shipped_and_valid():
    assert {"amazon_connect_ctr", "genesys_cloud_conversations", "five9_call_log"} <= set(available_presets())
    for name in ("amazon_connect_ctr", "genesys_cloud_conversations", "five9_call_log"):
        assert load_preset_mapping(name).feed is INTERACTIONS


def test_five9_call_log():
    rows = canonical("five9_call_log", "five9_call_log.csv")
    assert len(rows) == 4
    answered = rows["300000000001"]  # 2026/03/07 09:15:02 EST = 14:15:02Z; wait 0:00:26, call 0:07:41
    assert (answered["arrived_at"], answered["answered_at"], answered["ended_at"]) == (
        utc(2026, 3, 7, 14, 15, 2), utc(2026, 3, 7, 14, 15, 28), utc(2026, 3, 7, 14, 22, 43))
    assert (answered["talk_seconds"], answered["hold_seconds"], answered["wrap_seconds"]) == (395, 40, 45)
    assert (answered["channel"], answered["queue"], answered["agent_id"]) == ("voice", "Billing",
                                                                              "jane.doe@acme.example")
    assert answered["transferred"] is False and answered["customer_phone_hash"] is not None
    abandoned = rows["300000000002"]  # ABANDONED=1, AGENT [None]
    assert abandoned["answered_at"] is None and abandoned["agent_id"] is None
    assert abandoned["talk_seconds"] is None and abandoned["wrap_seconds"] is None
    assert abandoned["ended_at"] == utc(2026, 3, 7, 14, 21, 22)
    transferred = rows["300000000003"]
    assert transferred["transferred"] is True and transferred["queue"] == "Tech Support"
    assert (transferred["talk_seconds"], transferred["hold_seconds"], transferred["wrap_seconds"]) == (540, 135, 30)
    # 01:58:30 EST; 90 s later the clocks read 03:00:00 EDT, not 02:00:00 (durations are added to the instant)
    dst = rows["300000000004"]
    assert dst["arrived_at"] == utc(2026, 3, 8, 6, 58, 30)
    assert dst["answered_at"] == utc(2026, 3, 8, 7, 0, 0)
    assert dst["ended_at"] == utc(2026, 3, 8, 7, 4, 40)


def test_amazon_connect_ctr():
    mapped = apply_mapping(load_preset_mapping("amazon_connect_ctr"), SAMPLES / "amazon_connect_ctr.json",
                           timezone=NY)
    # the IVR-only contact (Queue null) is left out, and said so
    assert mapped.source_rows == [1, 2, 3, 4]
    assert any("1 of 5 source record(s) left out" in w for w in mapped.warnings)
    rows = canonical("amazon_connect_ctr", "amazon_connect_ctr.json")
    assert set(rows) == {"5ca32fbd-8f92-46af-92a5-6b0f970f0efe", "7d1e0c6a-3b5f-4a51-9d6e-2f8a1c0b9e21",
                         "0b9f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "c4a1f2e3-d5b6-4c7a-8e9f-a0b1c2d3e4f5"}
    answered = rows["5ca32fbd-8f92-46af-92a5-6b0f970f0efe"]
    assert (answered["arrived_at"], answered["answered_at"], answered["ended_at"]) == (
        utc(2026, 3, 7, 14, 15, 12), utc(2026, 3, 7, 14, 15, 33), utc(2026, 3, 7, 14, 22, 13))
    assert (answered["talk_seconds"], answered["hold_seconds"], answered["wrap_seconds"]) == (380, 20, 45)
    assert (answered["channel"], answered["queue"], answered["agent_id"]) == ("voice", "Billing", "jdoe")
    assert answered["updated_at"] == utc(2026, 3, 7, 14, 23, 40) and answered["transferred"] is False
    abandoned = rows["7d1e0c6a-3b5f-4a51-9d6e-2f8a1c0b9e21"]  # "Agent": null
    assert abandoned["answered_at"] is None and abandoned["agent_id"] is None and abandoned["talk_seconds"] is None
    assert abandoned["arrived_at"] == utc(2026, 3, 7, 14, 30, 15)
    assert abandoned["ended_at"] == utc(2026, 3, 7, 14, 31, 37)
    transferred = rows["0b9f6a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"]  # TransferCompletedTimestamp + NextContactId
    assert transferred["transferred"] is True and transferred["queue"] == "Tech Support"
    assert (transferred["talk_seconds"], transferred["hold_seconds"], transferred["wrap_seconds"]) == (240, 35, 0)
    dst = rows["c4a1f2e3-d5b6-4c7a-8e9f-a0b1c2d3e4f5"]  # a CHAT across 07:00Z, no customer endpoint
    assert dst["channel"] == "chat" and dst["customer_phone_hash"] is None
    assert (dst["arrived_at"], dst["answered_at"], dst["ended_at"]) == (
        utc(2026, 3, 8, 6, 58, 30), utc(2026, 3, 8, 6, 59, 40), utc(2026, 3, 8, 7, 5, 30))


def test_genesys_cloud_conversations():
    rows = canonical("genesys_cloud_conversations", "genesys_cloud_conversations.json")
    assert len(rows) == 4  # the IVR-only conversation never reached a queue
    answered = rows["c1a7e3f0-0001-4d5e-8f9a-1b2c3d4e5f60"]
    assert (answered["arrived_at"], answered["answered_at"], answered["ended_at"]) == (
        utc(2026, 3, 7, 14, 15, 20), utc(2026, 3, 7, 14, 15, 47), utc(2026, 3, 7, 14, 22, 30))
    # tTalk 193000 + 180000 ms, tHeld 30000, tAcw 45000
    assert (answered["talk_seconds"], answered["hold_seconds"], answered["wrap_seconds"]) == (373, 30, 45)
    assert (answered["channel"], answered["queue"]) == ("voice", "Billing")
    assert answered["agent_id"] == "6f0c2a1e-5b3d-4c7e-9a8f-1d2e3c4b5a69" and answered["transferred"] is False
    abandoned = rows["c1a7e3f0-0002-4d5e-8f9a-1b2c3d4e5f60"]
    assert abandoned["answered_at"] is None and abandoned["talk_seconds"] is None and abandoned["agent_id"] is None
    assert (abandoned["arrived_at"], abandoned["ended_at"]) == (utc(2026, 3, 7, 14, 30, 15),
                                                                utc(2026, 3, 7, 14, 31, 37))
    transferred = rows["c1a7e3f0-0003-4d5e-8f9a-1b2c3d4e5f60"]  # agent → Tier 2 queue → second agent
    assert transferred["transferred"] is True
    assert transferred["queue"] == "Tech Support"  # the first queue
    assert transferred["agent_id"] == "9d8c7b6a-5e4f-4d3c-2b1a-0f9e8d7c6b5a"  # the first agent
    assert (transferred["talk_seconds"], transferred["hold_seconds"], transferred["wrap_seconds"]) == (410, 0, 50)
    assert transferred["ended_at"] == utc(2026, 3, 7, 15, 10, 0)
    dst = rows["c1a7e3f0-0004-4d5e-8f9a-1b2c3d4e5f60"]  # chat across 07:00Z; tTalk 349600 ms
    assert dst["channel"] == "chat" and dst["talk_seconds"] == 350 and dst["wrap_seconds"] == 60
    assert (dst["arrived_at"], dst["answered_at"]) == (utc(2026, 3, 8, 6, 58, 30), utc(2026, 3, 8, 6, 59, 40))
    assert dst["ended_at"] == utc(2026, 3, 8, 7, 5, 30, 512000)


def test_a_vendor_mapping_starts_from_a_preset_and_overrides_columns(tmp_path):
    path = write(tmp_path / "maps" / "five9_us" / "interactions.yaml", """
        preset: five9_call_log
        timezone: America/Chicago          # the report was run in Central time
        columns:
          resolved:
            expr: DISPOSITION
            codes: {Resolved: true, Transferred: false, Abandon: null}
          queue: lower(trim("SKILL"))
        """)
    resolved = load_mapping(path, root=tmp_path / "maps")
    assert resolved.version.startswith("five9_us/interactions.yaml sha256:")
    assert "; preset five9_call_log sha256:" in resolved.version
    mapped = apply_mapping(resolved, SAMPLES / "five9_call_log.csv", timezone="America/Monterrey")
    assert mapped.timezone == "America/Chicago"
    rows = rows_by_id(normalise(mapped.frame, INTERACTIONS, vendor_id="v", timezone=mapped.timezone,
                                salt="s").frame)
    assert rows["300000000001"]["arrived_at"] == utc(2026, 3, 7, 15, 15, 2)  # 09:15:02 CST
    assert [rows[k]["resolved"] for k in sorted(rows)] == [True, None, False, True]
    assert rows["300000000003"]["queue"] == "tech support"
    assert rows["300000000003"]["talk_seconds"] == 540  # the preset's other columns are kept


@pytest.mark.parametrize("preset", ["amazon_connect_ctr", "genesys_cloud_conversations", "five9_call_log"])
def test_presets_pass_the_interactions_suite(preset, validate):
    sample = {"five9_call_log": "five9_call_log.csv"}.get(preset, f"{preset}.json")
    mapped = apply_mapping(load_preset_mapping(preset), SAMPLES / sample, timezone=NY)
    frame = normalise(mapped.frame, INTERACTIONS, vendor_id="v", timezone=mapped.timezone, salt="s").frame
    with staged_frame(frame) as rows:
        report = validate("interactions", rows, "v")
    assert report.success, report.to_text()
