"""The completeness rule of the landing zone (ingestion/landing.py): a file is taken once its mtime is
the settle interval away from now, or at once when a `<name>.done` marker written after it is beside it;
in-progress names and markers are never data files; the bytes loaded are the bytes hashed."""

from __future__ import annotations

import os
import time

import duckdb
import pytest

from ingestion.batch import file_statuses, ingest, pending_files
from ingestion.landing import LandedFile, scan, scan_landing
from ingestion.settings import Settings
from tests.conftest import land

ROWS = """
    interaction_id,channel,queue,arrived_at,answered_at,ended_at,talk_seconds,hold_seconds,wrap_seconds,agent_id,transferred,resolved
    a1,voice,billing,2026-01-05 09:14:03,2026-01-05 09:14:20,2026-01-05 09:20:00,300,10,20,ag1,false,true
    a2,voice,billing,2026-01-05 10:00:00,,2026-01-05 10:01:00,,,,,false,false
    """


def age(path, seconds: float, now: float | None = None) -> None:
    """As if the file had last been written `seconds` before `now` (default: the clock)."""
    t = (time.time() if now is None else now) - seconds
    os.utime(path, (t, t))


def assert_nothing_recorded(settings) -> None:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from raw.load_manifest").fetchone() == (0,)
        assert con.execute("select count(*) from raw.interactions").fetchone() == (0,)
    finally:
        con.close()


def names(files) -> list[str]:
    return [f.path.name for f in files]


def test_the_settle_interval_is_a_setting_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("BPO_SETTLE_SECONDS", "7.5")
    assert Settings().settle_seconds == 7.5
    monkeypatch.delenv("BPO_SETTLE_SECONDS")
    assert Settings().settle_seconds == 10.0  # the default outside the test suite


def test_a_recently_written_file_waits_and_an_older_one_is_taken_without_sleeping(settings):
    fresh = land(settings, "acme_mx", "interactions", "fresh.csv", ROWS)
    old = land(settings, "acme_mx", "interactions", "old.csv", ROWS)
    now = time.time()
    age(old, 11, now)
    age(fresh, 5, now)
    result = scan(settings.landing, 10, now=now)
    assert names(result.complete) == ["old.csv"]
    assert names(w.landed for w in result.waiting) == ["fresh.csv"]
    (waiting,) = result.waiting
    assert waiting.reason.startswith("still being written (modified 5 s ago): taken once unchanged for 10 s")
    assert "fresh.csv.done" in waiting.reason
    assert names(scan_landing(settings.landing, 10)) == ["old.csv"]
    assert names(scan_landing(settings.landing, 0)) == ["old.csv", "fresh.csv"]  # arrival order
    # judged against the clock of the scan: the same file 5 s later is complete
    assert names(scan(settings.landing, 10, now=now + 5).complete) == ["old.csv", "fresh.csv"]


def test_a_modification_time_ahead_of_the_clock_waits_only_within_the_interval(settings):
    near = land(settings, "acme_mx", "interactions", "near.csv", ROWS)
    far = land(settings, "acme_mx", "interactions", "far.csv", ROWS)
    age(near, -5)  # a writer whose clock is 5 s ahead may still be writing
    age(far, -3600)  # stamped an hour ahead (e.g. copied with its original times): nobody writes it now
    result = scan(settings.landing, 10)
    assert names(result.complete) == ["far.csv"]
    assert "ahead of this clock" in result.waiting[0].reason


def test_a_done_marker_makes_a_file_complete_at_once_and_is_never_a_data_file(settings):
    marked = land(settings, "acme_mx", "interactions", "marked.csv", ROWS)
    land(settings, "acme_mx", "interactions", "marked.csv.done", b"")
    land(settings, "acme_mx", "interactions", "orphan.csv.done", b"")  # a marker without its file
    land(settings, "acme_mx", "interactions", "upload.csv.part", ROWS)
    land(settings, "acme_mx", "interactions", "upload.csv.tmp", ROWS)
    result = scan(settings.landing, 3600)
    assert names(result.complete) == ["marked.csv"]
    assert result.waiting == []
    # written again after its marker: the marker is stale, the settle rule applies
    t = marked.stat().st_mtime + 5
    os.utime(marked, (t, t))
    result = scan(settings.landing, 3600)
    assert result.complete == [] and names(w.landed for w in result.waiting) == ["marked.csv"]


def test_ingest_leaves_a_file_being_written_pending_and_loads_it_once_settled(settings, validate):
    settings = settings.model_copy(update={"settle_seconds": 30})
    path = land(settings, "acme_mx", "interactions", "day.csv", ROWS)
    (result,) = ingest(settings, validate)
    assert (result.status, result.file, result.vendor_id, result.feed) == ("pending", str(path), "acme_mx",
                                                                           "interactions")
    assert result.reason.startswith("still being written (modified ")
    assert pending_files(settings) == []  # not pending *processing*: not yet complete
    assert_nothing_recorded(settings)
    age(path, 31)
    (result,) = ingest(settings, validate)
    assert (result.status, result.rows) == ("loaded", 2)


def test_status_shows_a_file_being_written_as_pending_with_why(settings, monkeypatch):
    monkeypatch.setenv("BPO_SETTLE_SECONDS", "30")
    land(settings, "acme_mx", "interactions", "day.csv", ROWS)
    (entry,) = file_statuses(settings.warehouse, settings.landing)
    assert entry["status"] == "pending"
    assert entry["reason"].startswith("still being written (modified ")
    assert "taken once unchanged for 30 s (BPO_SETTLE_SECONDS), or at once when day.csv.done" in entry["reason"]


def test_a_file_written_to_after_it_was_hashed_is_seen_as_changed(settings):
    path = land(settings, "acme_mx", "interactions", "day.csv", ROWS)
    landed = LandedFile(path=path, landing_root=settings.landing)
    sha = landed.sha256
    assert landed.changed_since_hashed() is None
    with path.open("ab") as fh:
        fh.write(b"a3,voice,billing,2026-01-05 11:00:00,,2026-01-05 11:01:00,,,,,false,false\n")
    assert landed.changed_since_hashed() == "it was written to while it was read (still being written?)"
    assert landed.sha256 == sha  # the checksum stays that of the bytes hashed

    replaced = LandedFile(path=path, landing_root=settings.landing)
    _ = replaced.sha256  # hashed now, before the file changes
    tmp = path.with_name("day.csv.tmp")
    tmp.write_bytes(path.read_bytes())
    os.utime(tmp, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))  # same size and mtime, other file
    os.replace(tmp, path)
    assert replaced.changed_since_hashed() is not None


@pytest.mark.parametrize("appended", [b"a3,voice,billing,2026-01-05 11:00:00,,2026-01-05 11:01:00,,,,,false,false\n",
                                      b"a3,voice,bill"])
def test_a_file_appended_to_between_hashing_and_reading_is_left_pending_then_loaded_whole(
        settings, validate, monkeypatch, appended):
    """A producer appends (a whole line, or half of one) after the checksum was taken and before the
    file is read: what was read is not what was hashed, so nothing is recorded; the next run loads
    the file as it is then."""
    import ingestion.loader

    path = land(settings, "acme_mx", "interactions", "day.csv", ROWS)
    real_read = ingestion.loader.read_landed

    def read_after_an_append(*args, **kwargs):
        with path.open("ab") as fh:
            fh.write(appended)
        monkeypatch.setattr(ingestion.loader, "read_landed", real_read)  # once
        return real_read(*args, **kwargs)

    monkeypatch.setattr(ingestion.loader, "read_landed", read_after_an_append)
    (result,) = ingest(settings, validate)
    assert result.status == "pending"
    assert result.reason == ("left pending: it was written to while it was read (still being written?); "
                             "a later run takes it once it is complete")
    assert_nothing_recorded(settings)
    if appended.endswith(b"\n"):
        (again,) = ingest(settings, validate)
        assert (again.status, again.rows) == ("loaded", 3)
