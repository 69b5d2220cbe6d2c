"""Ingest a batch of landed files: what the sensor's run and `bpo run` both call."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shlex
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ingestion.checksum_cache import ChecksumCache, kept_checksums
from ingestion.landing import Landed, LandedFile, checksum_or_none, remote_landed_file, scan, scan_landing
from ingestion.loader import (IngestResult, PreparedFile, Validate, already_processed, ingest_file, one_line,
                              prepare_file, sync_contracts)
from ingestion.manifest import SETTLED
from ingestion.settings import Settings
from ingestion.storage import is_remote
from ingestion.warehouse import connect


def pending_files(settings: Settings) -> list[Landed]:
    """Landed files whose bytes the manifest has not seen, in arrival order."""
    files = scan_landing(settings.landing, settings.settle_seconds)
    with connect(settings.warehouse) as con, kept_checksums(settings.warehouse, files):
        return [f for f in files if checksum_or_none(f) is None or already_processed(con, f.sha256) is None]


def landed_file(settings: Settings, path: str | Path) -> Landed:
    """A path inside the landing zone as a LandedFile (refuses paths outside it).

    The quarantined copy of a file (<quarantine>/<vendor>/<feed>/<name>) is
    accepted too and stands for the landed file it was copied from. With an
    s3:// landing zone, `path` is the object's URL (or its quarantined copy).
    """
    if is_remote(settings.landing):
        return remote_landed_file(settings.landing, path, settings.quarantine_dir)
    root = settings.landing.resolve()
    resolved = Path(path).resolve()
    quarantine = settings.quarantine_dir.resolve()
    if root not in resolved.parents and quarantine in resolved.parents:
        original = root / resolved.relative_to(quarantine)
        if original.is_file():
            resolved = original.resolve()
    lexical = Path(os.path.normpath(Path(path).absolute()))
    if root in lexical.parents and lexical.is_symlink() and root not in resolved.parents:
        return LandedFile(path=lexical, landing_root=root)  # a link out of the zone: quarantined, never read
    if root not in resolved.parents:
        raise ValueError(f"{path} is not inside the landing zone {root} (files are replayed from where they landed)")
    if not resolved.is_file():
        raise ValueError(f"{path} is not a file in the landing zone {root}")
    return LandedFile(path=resolved, landing_root=root)


def replay_command(settings: Settings, path: str | Path) -> str:
    """The whole `bpo replay` command for a landed file: what a quarantine reason tells a person to run."""
    parts = ["bpo", "replay", str(path), "--landing", str(settings.landing), "--contracts", str(settings.contracts),
             "--warehouse", str(settings.warehouse)]
    if settings.mappings is not None and settings.mappings_dir != settings.contracts.parent / "mappings":
        parts += ["--mappings", str(settings.mappings_dir)]
    return shlex.join(parts)


def ingest(settings: Settings, validate: Validate, paths: Iterable[str | Path] | None = None,
           *, replay: bool = False, progress: Callable[[int, int, LandedFile | None], None] | None = None,
           ) -> list[IngestResult]:
    """Sync contracts, then load or quarantine each file (all pending ones when paths is None).

    Files are processed one at a time, each in its own transaction, in
    arrival order, so a crash loses at most the file in flight, which is
    then picked up again on the next run. One background thread prepares
    (hashes, reads, normalises) the next file while the current one is
    validated and loaded: at most two files are in memory at a time.

    One file never stops the others: every file gets a result (loaded,
    quarantined, duplicate, pending, or failed when even quarantining it was
    impossible; a failed file is not recorded and the next run tries it again).
    Only what concerns the whole batch raises (the warehouse locked or
    unreadable, an invalid contract).

    progress(i, n, file) is called before the i-th of the n files is taken, and
    progress(n, n, None) after the last (not at all when there is no file).
    """
    landing_scan = scan(settings.landing, settings.settle_seconds) if paths is None else None
    files = landing_scan.complete if landing_scan else [landed_file(settings, p) for p in paths]
    if paths is not None:
        files.sort(key=lambda f: f.arrival)
    # files still being written are not read: reported as pending, taken by a later run
    results: list[IngestResult] = [
        IngestResult(file=w.landed.source, vendor_id=w.landed.vendor_id, feed=w.landed.feed, sha256="",
                     status="pending", reason=w.reason) for w in (landing_scan.waiting if landing_scan else [])]
    with connect(settings.warehouse) as con, kept_checksums(settings.warehouse, files):
        contracts = sync_contracts(con, settings.contracts)
        ahead = _Prefetch(files, _known_shas(con, replay),
                          lambda f: prepare_file(f, contracts, mappings_dir=settings.mappings_dir,
                                                 salt=settings.pii_salt.get_secret_value()))
        with ahead:
            for i, f in enumerate(files):
                if progress is not None:
                    progress(i, len(files), f)
                try:
                    prepared = ahead.take(i)
                except Exception as exc:  # noqa: BLE001 - e.g. out of memory: this file fails, the batch goes on
                    results.append(_failed_result(f, exc))
                    continue
                try:
                    results.append(ingest_file(con, f, contracts, settings.quarantine_dir, validate, replay=replay,
                                               mappings_dir=settings.mappings_dir, prepared=prepared,
                                               replay_hint=replay_command(settings, f.source)))
                except Exception as exc:  # noqa: BLE001 - the last guard: this file fails, the batch goes on
                    results.append(_failed_result(f, exc))
                del prepared  # this file's frames go before the one after next is prepared
                f.release()  # and a remote file's local copy
                _return_freed_memory()
    if progress is not None and files:
        progress(len(files), len(files), None)
    return results


def _failed_result(landed: Landed, exc: Exception) -> IngestResult:
    try:
        sha = landed.sha256
    except OSError:
        sha = ""
    return IngestResult(file=landed.source, vendor_id=landed.vendor_id, feed=landed.feed, sha256=sha,
                        status="failed", reason=f"processing failed ({one_line(exc)}); nothing was recorded, "
                                                "the next run tries it again")


def _return_freed_memory() -> None:
    """Hand the memory of the file just done back to the OS (glibc only; elsewhere a no-op).

    glibc keeps freed memory in per-thread arenas; with the prefetch thread
    and DuckDB's and polars' threads they held up to ~0.7 GB of earlier files'
    frames (six files of ~1M rows: peak RSS 3.3 GB without the trim, 2.6 GB with).
    """
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_libc = _load_libc() if sys.platform.startswith("linux") else None


def _known_shas(con, replay: bool) -> set[str]:
    """sha256s that `ingest_file` will skip as duplicates (a replay re-processes quarantined ones)."""
    statuses = ("loaded",) if replay else SETTLED
    rows = con.execute("select distinct sha256 from raw.load_manifest where status in ?", [list(statuses)])
    return {sha for (sha,) in rows.fetchall()}


class _Prefetch:
    """Prepares files[i + 1] in one background thread while the caller handles files[i].

    A file whose bytes the manifest already knows, or that repeats an earlier
    file of the batch, is not prepared (it will be a duplicate); `take` then
    returns None and `ingest_file` prepares it itself if it has to after all.
    polars, pyarrow and hashlib release the GIL, so on two cores the
    preparation overlaps the (mostly single-threaded) GX validation.
    """

    def __init__(self, files: list[Landed], known_shas: set[str],
                 prepare: Callable[[Landed], PreparedFile]):
        self._files = files
        self._skip = set(known_shas)  # touched by the worker thread only, once started
        self._prepare = prepare
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bpo-prepare")
        self._pending: dict[int, Future] = {}

    def __enter__(self) -> _Prefetch:
        self._submit(0)
        return self

    def __exit__(self, *exc) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()

    def take(self, i: int) -> PreparedFile | None:
        """files[i] prepared (re-raising what preparing it raised), and files[i + 1] under way."""
        future = self._pending.pop(i, None)
        self._submit(i + 1)
        return None if future is None else future.result()

    def _submit(self, i: int) -> None:
        if i < len(self._files):
            self._pending[i] = self._pool.submit(self._prepare_unless_duplicate, self._files[i])

    def _prepare_unless_duplicate(self, landed: Landed) -> PreparedFile | None:
        try:
            sha = landed.sha256  # cached on the LandedFile: ingest_file does not read the file again
        except OSError:
            return None  # unreadable: ingest_file reports it as failed
        if sha in self._skip:
            return None
        self._skip.add(sha)
        return self._prepare(landed)


def file_statuses(warehouse: Path, landing: Path | str | None = None) -> list[dict]:
    """What `bpo status` shows: every file the manifest knows (its latest outcome) and, given the
    landing zone, every landed file not processed yet, each with a reason a person can act on.

    status: loaded | quarantined | duplicate (same bytes already processed under another name:
    nothing to load) | pending (not processed yet; the reason says what will happen).
    """
    rows: list[tuple] = []
    if Path(warehouse).exists():  # no warehouse yet: every landed file is pending
        with connect(Path(warehouse), read_only=True) as con:
            rows = con.execute(
                "select file_path, file_name, sha256, vendor_id, feed, rows, status, reason, warnings, processed_at "
                "from raw.load_manifest order by processed_at"
            ).fetchall()
    latest: dict[str, dict] = {}
    history: dict[str, list[dict]] = {}
    for path, name, sha, vendor, feed, n, status, reason, warnings, processed_at in rows:
        entry = {"file": path, "name": name, "sha256": sha, "vendor_id": vendor, "feed": feed, "rows": n,
                 "status": status, "reason": reason, "warnings": warnings, "processed_at": processed_at}
        history.setdefault(sha, []).append(entry)
        latest[sha] = entry
    out: list[dict] = []
    for sha, entry in latest.items():
        entry = dict(entry)
        earlier = [e for e in history[sha][:-1] if e["status"] == "quarantined"]
        if entry["status"] == "loaded" and earlier:
            entry["reason"] = f"replayed; quarantined before: {earlier[-1]['reason']}"
        elif entry["status"] == "loaded" and entry["warnings"]:
            entry["reason"] = f"loaded with warnings: {entry['warnings']}"
        out.append(entry)
    if landing is None:
        return out
    by_sha = {e["sha256"]: e for e in out}
    known_paths = {(e["file"], e["sha256"]) for es in history.values() for e in es}
    landing_scan = scan(landing)
    waiting = {w.landed.source: w.reason for w in landing_scan.waiting}
    landed = [*landing_scan.complete, *(w.landed for w in landing_scan.waiting)]
    ChecksumCache.beside(warehouse).recall(landed)  # recalled, not remembered: `bpo status` writes nothing
    for f in landed:
        sha = checksum_or_none(f)
        entry = {"file": f.source, "name": f.name, "sha256": sha or "", "vendor_id": f.vendor_id,
                 "feed": f.feed, "rows": None, "warnings": None, "processed_at": None}
        if sha is None:
            out.append({**entry, "status": "pending", "reason": "cannot be read (check its permissions): "
                                                               "each run reports it as failed until it can be"})
            continue
        if (f.source, sha) in known_paths:
            continue
        seen = by_sha.get(sha)
        if seen is not None:
            entry.update(status="duplicate", reason=f"same bytes as {seen['file']} ({seen['status']}): "
                                                    "nothing will be loaded from this file")
        else:
            problem = f.layout_problem()
            entry.update(status="pending", reason=(
                waiting[f.source] if f.source in waiting else f"will be quarantined: {problem}" if problem
                else "new file: loaded or quarantined at the next run (sensor or `bpo run`)"))
        out.append(entry)
    return out
