"""The checksum cache (ingestion/checksum_cache.py): an unchanged landed file is not hashed again, a changed
one always is, and a cache that cannot be trusted is ignored, never believed."""

from __future__ import annotations

import hashlib
import json
import os
import time
from types import SimpleNamespace

import pytest

import ingestion.landing as landing
from ingestion.batch import file_statuses, ingest, pending_files
from ingestion.checksum_cache import FORMAT, ChecksumCache, cache_path
from ingestion.landing import LandedFile, scan_landing
from tests.conftest import land
from tests.robustness.corpus import interactions


@pytest.fixture
def hashed(monkeypatch) -> list[int]:
    """Counts the files ingestion.landing reads to hash (one sha256 object per file)."""
    calls: list[int] = []

    def counting_sha256(*args):
        calls.append(1)
        return hashlib.sha256(*args)

    monkeypatch.setattr(landing, "hashlib", SimpleNamespace(sha256=counting_sha256))
    return calls


@pytest.fixture
def settled(monkeypatch):
    """Files written by the test count as written long before they are hashed: the rule that keeps a
    file changed within RACY_NS of its reading out of the cache has its own test."""
    monkeypatch.setattr(landing, "RACY_NS", 0)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def landed_files(settings) -> dict[str, LandedFile]:
    return {f.name: f for f in scan_landing(settings.landing, settings.settle_seconds)}


def test_an_unchanged_file_is_hashed_once_and_its_checksum_recalled_after(settings, settled, hashed):
    a = land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    b = land(settings, "acme_mx", "interactions", "b.csv", interactions(4))
    assert {f.name for f in pending_files(settings)} == {"a.csv", "b.csv"}
    assert len(hashed) == 2
    assert cache_path(settings.warehouse).is_file()

    hashed.clear()
    files = landed_files(settings)
    assert ChecksumCache.beside(settings.warehouse).recall(files.values()) == 2
    assert (files["a.csv"].sha256, files["b.csv"].sha256) == (sha(a), sha(b))
    assert {f.name for f in pending_files(settings)} == {"a.csv", "b.csv"}
    assert hashed == []  # nothing read to be hashed


def test_a_file_rewritten_with_the_same_size_and_a_new_mtime_is_hashed_again(settings, settled, hashed):
    path = land(settings, "acme_mx", "interactions", "day.csv", interactions(3, start=500))
    before = sha(path)
    pending_files(settings)
    st = path.stat()
    rewritten = interactions(3, start=600)  # other ids, the same number of bytes
    assert len(rewritten) == st.st_size and rewritten != path.read_bytes()
    with path.open("r+b") as fh:  # in place: the same inode
        fh.write(rewritten)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert path.stat().st_ino == st.st_ino and path.stat().st_size == st.st_size

    hashed.clear()
    (landed,) = pending_files(settings)
    assert len(hashed) == 1
    assert landed.sha256 == sha(path) != before


def test_a_file_rewritten_in_place_with_its_mtime_set_back_is_hashed_again(settings, settled, hashed):
    """Same path, size, mtime and inode: the ctime, which no program can set, tells the rewrite."""
    path = land(settings, "acme_mx", "interactions", "day.csv", interactions(3, start=700))
    pending_files(settings)
    st = path.stat()
    for attempt in range(200):  # until the clock of the file system has moved (a tick is a few ms at most)
        with path.open("r+b") as fh:
            fh.write(interactions(3, start=800 + attempt % 100))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `touch -d` or `cp -p` would
        if path.stat().st_ctime_ns != st.st_ctime_ns:
            break
        time.sleep(0.01)
    now = path.stat()
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    assert now.st_ctime_ns != st.st_ctime_ns

    hashed.clear()
    (landed,) = pending_files(settings)
    assert len(hashed) == 1
    assert landed.sha256 == sha(path)


def test_a_file_replaced_under_its_name_is_hashed_again(settings, settled, hashed):
    path = land(settings, "acme_mx", "interactions", "day.csv", interactions(3, start=900))
    pending_files(settings)
    st = path.stat()
    tmp = path.with_name("day.csv.tmp")
    tmp.write_bytes(interactions(3, start=910))
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and mtime, another file
    os.replace(tmp, path)

    hashed.clear()
    (landed,) = pending_files(settings)
    assert len(hashed) == 1 and landed.sha256 == sha(path)


def test_a_file_changed_just_before_it_was_hashed_is_not_remembered(settings, hashed):
    """git's "racy clean" rule: a write in the same timestamp tick after the reading would keep the
    fingerprint, so a file changed within RACY_NS of its reading is hashed again next time."""
    land(settings, "acme_mx", "interactions", "fresh.csv", interactions(3))
    pending_files(settings)
    pending_files(settings)
    assert len(hashed) == 2
    assert not cache_path(settings.warehouse).exists()


def test_a_recalled_checksum_still_guards_the_bytes_read(settings, settled):
    path = land(settings, "acme_mx", "interactions", "day.csv", interactions(3))
    pending_files(settings)
    (landed,) = landed_files(settings).values()
    assert ChecksumCache.beside(settings.warehouse).recall([landed]) == 1
    assert landed.changed_since_hashed() is None
    with path.open("ab") as fh:
        fh.write(b"more\n")
    assert landed.changed_since_hashed() == "it was written to while it was read (still being written?)"


@pytest.mark.parametrize("content", [b"{not json", b"", b'{"format": "someone-else/2", "files": {}}',
                                     b'{"format": "bpo-landed-checksums/1", "files": []}', b"\x00\xff" * 10])
def test_a_corrupt_or_foreign_cache_is_ignored(settings, settled, hashed, content):
    path = land(settings, "acme_mx", "interactions", "day.csv", interactions(3))
    cache = cache_path(settings.warehouse)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(content)
    (landed,) = pending_files(settings)
    assert len(hashed) == 1 and landed.sha256 == sha(path)
    assert json.loads(cache.read_text())["format"] == FORMAT  # written anew


def test_an_entry_under_another_fingerprint_is_not_believed(settings, settled, hashed):
    """A cache copied from another machine, or an entry of the file before it changed: wrong checksum
    and all, it is not used."""
    path = land(settings, "acme_mx", "interactions", "day.csv", interactions(3))
    (landed,) = landed_files(settings).values()
    cache = cache_path(settings.warehouse)
    cache.parent.mkdir(parents=True, exist_ok=True)
    wrong = "0" * 64
    fingerprints = [landed.fingerprint.replace(f"|{path.stat().st_ino}", "|1"),  # another inode
                    landed.fingerprint.replace(f"|{path.stat().st_size}|", f"|{path.stat().st_size + 1}|")]
    for fingerprint in fingerprints:
        assert fingerprint != landed.fingerprint
        cache.write_text(json.dumps({"format": FORMAT, "files": {str(path): [fingerprint, wrong]}}))
        hashed.clear()
        (again,) = landed_files(settings).values()
        assert ChecksumCache.beside(settings.warehouse).recall([again]) == 0
        assert again.sha256 == sha(path) != wrong and len(hashed) == 1


def test_the_cache_is_beside_the_warehouse_never_in_the_landing_zone(settings, settled, validate):
    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    before = sorted(p for p in settings.landing.rglob("*"))
    assert [r.status for r in ingest(settings, validate)] == ["loaded"]
    file_statuses(settings.warehouse, settings.landing)
    assert sorted(p for p in settings.landing.rglob("*")) == before
    cache = cache_path(settings.warehouse)
    assert cache.parent == settings.warehouse.parent and cache.is_file()
    assert not [p for p in cache.parent.iterdir() if p.name.endswith(".tmp")]  # no temporary file left


def test_the_batch_takes_known_bytes_from_the_cache_and_new_bytes_of_the_same_size_as_new(
        settings, settled, validate, hashed):
    """Exactly once by sha256 holds: the same file is a duplicate without being read, the same path
    rewritten with other bytes of the same size is loaded."""
    path = land(settings, "acme_mx", "interactions", "day.csv", interactions(3, start=1000))
    assert [r.status for r in ingest(settings, validate)] == ["loaded"]
    hashed.clear()
    assert [r.status for r in ingest(settings, validate)] == ["duplicate"]
    assert hashed == []
    st = path.stat()
    rewritten = interactions(3, start=2000)
    assert len(rewritten) == st.st_size
    path.write_bytes(rewritten)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    (result,) = ingest(settings, validate)
    assert (result.status, result.rows, result.sha256) == ("loaded", 3, sha(path))


def test_a_cache_that_cannot_be_written_costs_only_the_hashing(settings, settled, hashed, monkeypatch):
    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))

    def refuse(*args, **kwargs):
        raise PermissionError("read-only folder")

    monkeypatch.setattr("ingestion.checksum_cache.os.open", refuse)
    assert len(pending_files(settings)) == 1
    assert len(pending_files(settings)) == 1
    assert len(hashed) == 2 and not cache_path(settings.warehouse).exists()


def test_bpo_status_recalls_checksums_and_writes_nothing(settings, settled, hashed):
    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    (entry,) = file_statuses(settings.warehouse, settings.landing)
    assert entry["status"] == "pending" and len(hashed) == 1
    assert not cache_path(settings.warehouse).exists()  # a read-only command
    pending_files(settings)  # the batch remembers
    hashed.clear()
    (entry,) = file_statuses(settings.warehouse, settings.landing)
    assert entry["status"] == "pending" and hashed == []
