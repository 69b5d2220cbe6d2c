"""The landing zone: <landing>/<vendor_id>/<feed>/<file>.

One landed file is one event. Files are identified by the sha256 of their
bytes, so a re-delivery under another name is recognised as the same file.

A file is taken only once it is complete (docs/interfaces.md, "Landing zone"):
- a marker ``<name>.done`` beside it, written after the file, makes it
  complete at once;
- otherwise its modification time must be at least the settle interval
  (``BPO_SETTLE_SECONDS``) away from now: every write sets the mtime to the
  writer's clock, so a file written to within the interval may still be
  growing and waits for a later run. No run sleeps: a file is judged
  from one stat, against the clock;
- names ending in ``.tmp``, ``.part`` or ``.partial`` (a producer's
  write-then-rename) and hidden files are never taken.
The bytes loaded are the bytes hashed: `LandedFile.changed_since_hashed` tells
whether the file changed after its checksum was taken (the loader then leaves
it pending instead of loading a mix).

The landing zone may also be an object-store prefix, ``s3://bucket/prefix``
(ingestion/storage.py): the same layout and rules, an object's LastModified
standing for the mtime. `RemoteLandedFile` has `LandedFile`'s interface
(`source`, `name`, `local_path`, `arrival`, `fingerprint`, `sha256`, ...).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path, PurePath, PurePosixPath

from ingestion.feeds import FEEDS, SHARED_VENDOR, VENDOR_ID_PATTERN
from ingestion.storage import ObjectInfo, S3Landing, is_remote, spool_file

_CHUNK = 1 << 20
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial")  # a producer writes these, then renames
DONE_SUFFIX = ".done"  # <name>.done beside <name>: the producer says <name> is complete
MAX_NAME_BYTES = 255


def unsafe_name_problem(name: str) -> str | None:
    """Why a landed file name is unsafe to handle (path tricks, control characters), or None."""
    if "\\" in name:
        return (f"unsafe file name {name!r}: it contains a backslash, which other systems read as a folder "
                "separator (a path-traversal attempt?); rename the file without backslashes")
    if re.search(r"%(2f|5c)", name, re.IGNORECASE):
        return (f"unsafe file name {name!r}: it contains an encoded folder separator (%2F or %5C), "
                "a path-traversal attempt?; rename the file")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        return f"unsafe file name {name!r}: it contains control or invisible characters; rename the file"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"unsafe file name: longer than {MAX_NAME_BYTES} bytes"
    return None


class _Landed:
    """What a landed file is, wherever it landed: its place in <vendor_id>/<feed>/<file> and its checks."""

    relative: PurePath
    escaping_link: str | None

    @property
    def parts(self) -> tuple[str, ...]:
        return self.relative.parts

    @property
    def name(self) -> str:
        return self.relative.name

    @property
    def vendor_id(self) -> str | None:
        return self.parts[0] if len(self.parts) == 3 else None

    @property
    def feed(self) -> str | None:
        return self.parts[1] if len(self.parts) == 3 else None

    def release(self) -> None:
        """Drop what was kept to read the file (a remote file's local copy); its checksum stays known."""

    def recall_checksum(self, fingerprint: str, sha256: str) -> bool:
        """Take `sha256` as the file's checksum when the file's fingerprint now is `fingerprint` (the file
        hashed then is unchanged): True, and the file is not read to be hashed. Else False, nothing taken.
        Only local files (ingestion/checksum_cache.py); an object's checksum is taken as it is copied."""
        return False

    def checksum_to_remember(self) -> tuple[str, str] | None:
        """(fingerprint, sha256) when this object hashed the file by reading it and the result can be
        remembered under that fingerprint (ingestion/checksum_cache.py), else None."""
        return None

    def layout_problem(self) -> str | None:
        """Why this path is not <vendor_id>/<feed>/<file>, or None when it is."""
        if self.escaping_link is not None:
            return (f"{self.relative} leads through a symbolic link to {self.escaping_link}, outside the landing zone "
                    "(a path-traversal attempt?): it was not read; land the file itself")
        unsafe = unsafe_name_problem(self.name)
        if unsafe:
            return unsafe
        if len(self.parts) != 3:
            return (f"{self.relative} is not in a <vendor_id>/<feed>/ folder "
                    "(expected <landing>/<vendor_id>/<feed>/<file>)")
        vendor, feed, _ = self.parts
        if vendor != SHARED_VENDOR and not VENDOR_ID_PATTERN.match(vendor):
            return (f"vendor folder {vendor!r} is not a valid vendor_id "
                    "(lowercase letters, digits and _ only, as in the contract's vendor_id)")
        if feed not in FEEDS:
            return f"unknown feed folder {feed!r}; expected one of {', '.join(FEEDS)}"
        if (feed == "fx_rates") != (vendor == SHARED_VENDOR):
            return ("fx_rates files belong under the pseudo-vendor folder _shared/fx_rates/"
                    if feed == "fx_rates" else f"only fx_rates files may land under {SHARED_VENDOR}/")
        return None


@dataclass(frozen=True)
class LandedFile(_Landed):
    """A file in a local landing folder."""

    path: Path  # absolute
    landing_root: Path

    @property
    def relative(self) -> Path:
        return self.path.relative_to(self.landing_root)

    @property
    def source(self) -> str:
        """Where the file landed, as the manifest, results and messages name it."""
        return str(self.path)

    @property
    def local_path(self) -> Path:
        """The local file holding the bytes that were hashed (for a local file: itself)."""
        return self.path

    @property
    def arrival(self) -> tuple[float, str]:
        """Arrival order: mtime, then path."""
        return self.path.lstat().st_mtime, str(self.path)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the file may have changed: its place, size, mtime, ctime, device and inode, the
        signs git's index trusts. The sensor's cursor and the checksum cache (ingestion/checksum_cache.py)
        keep a file's sha256 under it: the file is hashed again only when its fingerprint changes."""
        return _fingerprint(self.relative, self._stat())

    def _stat(self) -> os.stat_result:
        """The file that is read: a link inside the landing zone is followed (its target's changes are
        the file's); a link out of it is never followed."""
        return os.lstat(self.path) if self.escaping_link is not None else os.stat(self.path)

    @cached_property
    def escaping_link(self) -> str | None:
        """Where the path really leads when a symbolic link (of the file or of a folder on the way)
        takes it outside the landing zone, else None. Such a file is never read."""
        target = self.path.resolve()
        if self.landing_root in target.parents:
            return None
        return os.readlink(self.path) if self.path.is_symlink() else str(target)

    @cached_property
    def _hashed(self) -> tuple[str, os.stat_result | None, int | None]:
        """(sha256, the file's stat while it was hashed: None when it changed during the hashing,
        when the reading started (time.time_ns()): None when the checksum was recalled, not read)."""
        digest = hashlib.sha256()
        if self.escaping_link is not None:  # identify the link itself; never read what it points to
            digest.update(b"symlink\0" + os.fsencode(self.escaping_link))
            return digest.hexdigest(), None, None
        started = time.time_ns()
        with self.path.open("rb") as fh:
            before = os.fstat(fh.fileno())
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
            after = os.fstat(fh.fileno())
        return digest.hexdigest(), before if _identity(before) == _identity(after) else None, started

    def recall_checksum(self, fingerprint: str, sha256: str) -> bool:
        if "_hashed" in self.__dict__ or self.escaping_link is not None:
            return False  # hashed already (that stands), or a link that is never read
        try:
            st = self._stat()
        except OSError:
            return False  # gone or unreadable: hashing it reports that
        if _fingerprint(self.relative, st) != fingerprint:
            return False
        # as if hashed now: the bytes read later must still be these (changed_since_hashed)
        self.__dict__["_hashed"] = (sha256, st, None)
        return True

    def checksum_to_remember(self) -> tuple[str, str] | None:
        sha, st, started = self.__dict__.get("_hashed", (None, None, None))
        if st is None or started is None:
            return None  # not hashed, a link never read, changed while hashed, or recalled (already known)
        if started - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS:
            # changed shortly before it was read: a write in the same timestamp tick after the reading would
            # leave the fingerprint as it is (git's "racy clean" entries); remembered by a later run instead
            return None
        return _fingerprint(self.relative, st), sha

    @property
    def sha256(self) -> str:
        return self._hashed[0]

    def changed_since_hashed(self) -> str | None:
        """Why the file on disk may no longer hold the bytes that were hashed, or None.

        Called after the file was read: when the file is unchanged since its checksum
        was taken, the bytes read are the bytes hashed (every write changes the size or
        the mtime; a replacement changes the inode).
        """
        if self.escaping_link is not None:
            return None  # never read
        hashed = self._hashed[1]
        if hashed is None:
            return "it was written to while its checksum was taken (still being written?)"
        try:
            current = _identity(os.stat(self.path))
        except OSError:
            return "it was removed or renamed while it was read"
        if current != _identity(hashed):
            return "it was written to while it was read (still being written?)"
        return None

    @property
    def mtime(self) -> datetime:
        return datetime.fromtimestamp(self.path.lstat().st_mtime, tz=timezone.utc)


@dataclass(frozen=True)
class RemoteLandedFile(_Landed):
    """An object in an object-store landing zone (ingestion/storage.py). Its bytes are copied once into
    a local spool file, hashed as they are copied; the pipeline reads that copy (`local_path`)."""

    store: S3Landing
    obj: ObjectInfo  # the listing entry the settle rule judged

    escaping_link = None  # object stores have no links

    @property
    def relative(self) -> PurePosixPath:
        return PurePosixPath(self.obj.relative)

    @property
    def source(self) -> str:
        return self.store.url_of(self.obj.relative)

    @property
    def arrival(self) -> tuple[float, str]:
        return self.obj.modified, self.source

    @property
    def fingerprint(self) -> str:
        return f"{self.obj.relative}|{self.obj.size}|{self.obj.etag}"

    @property
    def mtime(self) -> datetime:
        return datetime.fromtimestamp(self.obj.modified, tz=timezone.utc)

    @cached_property
    def _copied(self) -> tuple[Path, str, str]:
        """(local copy, sha256 of its bytes, the ETag of the version copied)."""
        target = spool_file(self, self.name)
        sha, etag = self.store.copy(self.obj.relative, target)
        return target, sha, etag

    @property
    def sha256(self) -> str:
        return self._copied[1]

    @property
    def local_path(self) -> Path:
        path = self._copied[0]
        if not path.exists():
            raise OSError(f"the local copy of {self.source} was released")
        return path

    def release(self) -> None:
        if "_copied" in self.__dict__:
            self._copied[0].unlink(missing_ok=True)

    def changed_since_hashed(self) -> str | None:
        """The copy is what was hashed and read; but when it is not the version the listing judged
        complete, that version was written after the listing: it may still be growing."""
        if self._copied[2] != self.obj.etag:
            return "it was overwritten after it was listed (still being written?)"
        return None


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _fingerprint(relative: PurePath, st: os.stat_result) -> str:
    return f"{relative}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_dev}|{st.st_ino}"


# A checksum is remembered only for a file whose mtime and ctime were at least this long before it was read:
# more than the timestamp granularity of the file systems a landing zone sits on (1-2 s on some).
RACY_NS = 2_000_000_000


Landed = LandedFile | RemoteLandedFile


def checksum_or_none(landed: Landed) -> str | None:
    """The file's sha256, or None when it cannot be read (it is pending: the run reports it as failed).
    Only the checksum is kept: a remote file's local copy goes."""
    try:
        return landed.sha256
    except OSError:
        return None
    finally:
        landed.release()
Landing = Path | str  # a local folder, or s3://bucket/prefix (ingestion.storage.landing_location)


@dataclass(frozen=True)
class WaitingFile:
    """A landed file that is not complete yet: left pending, looked at again by the next run."""

    landed: Landed
    reason: str  # one line: why it waits and when it will be taken


@dataclass(frozen=True)
class LandingScan:
    complete: list[Landed]  # to be processed, in arrival order (mtime, then path)
    waiting: list[WaitingFile]  # still being written (by the settle rule), in arrival order


def configured_settle_seconds() -> float:
    """The settle interval from the environment (BPO_SETTLE_SECONDS), as `Settings` reads it."""
    from ingestion.settings import Settings

    return Settings().settle_seconds


def not_complete_reason(path: Path, settle_seconds: float, now: float | None = None) -> str | None:
    """Why a landed file is not complete yet (see the module docstring), or None when it is."""
    st = path.stat()
    marker = path.with_name(path.name + DONE_SUFFIX)
    try:
        marked = marker.stat().st_mtime_ns >= st.st_mtime_ns
    except OSError:
        marked = False
    return _settle_reason(st.st_mtime, marked, marker.name, settle_seconds, now)


def _settle_reason(modified: float, marked: bool, marker_name: str, settle_seconds: float,
                   now: float | None) -> str | None:
    """The settle rule on one modification time: None when complete, else why it waits."""
    if marked:
        return None  # the producer marked it complete (after its last write)
    age = (time.time() if now is None else now) - modified
    if abs(age) >= settle_seconds:
        return None
    when = f"modified {age:.0f} s ago" if age >= 0 else f"its modification time is {-age:.0f} s ahead of this clock"
    return (f"still being written ({when}): taken once unchanged for {settle_seconds:g} s "
            f"(BPO_SETTLE_SECONDS), or at once when {marker_name} is written beside it")


def _skipped(relative: PurePath) -> bool:
    """Hidden files, in-progress names and .done markers are not data files."""
    return (any(part.startswith(".") for part in relative.parts)
            or relative.name.endswith((*IN_PROGRESS_SUFFIXES, DONE_SUFFIX)))


def scan(landing_root: Landing, settle_seconds: float | None = None, *, now: float | None = None) -> LandingScan:
    """Every file in the landing zone, split into complete ones and ones still being written.

    Hidden files, in-progress names (``*.tmp``, ``*.part``, ``*.partial``) and
    ``.done`` markers are not data files and are skipped. A symbolic link that
    points outside the landing zone is listed as complete (so that it is
    quarantined with a reason) but never read. `settle_seconds`: None = the
    configured BPO_SETTLE_SECONDS. `landing_root` may be ``s3://bucket/prefix``
    (the objects' LastModified stand for mtimes; ingestion/storage.py).
    """
    settle = configured_settle_seconds() if settle_seconds is None else settle_seconds
    now = time.time() if now is None else now
    if is_remote(landing_root):
        return _scan_remote(S3Landing(landing_root), settle, now)
    root = landing_root.resolve()
    complete: list[Landed] = []
    waiting: list[WaitingFile] = []
    if not root.is_dir():
        return LandingScan(complete, waiting)
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if _skipped(rel):
            continue
        landed = LandedFile(path=root / rel, landing_root=root)
        if (path.is_symlink() or path.is_file()) and landed.escaping_link is not None:
            complete.append(landed)  # quarantined unread, whatever it points to
            continue
        if not path.is_file():
            continue
        try:
            reason = not_complete_reason(path, settle, now)
        except FileNotFoundError:
            continue  # removed (or renamed) since it was listed
        if reason is None:
            complete.append(landed)
        else:
            waiting.append(WaitingFile(landed, reason))
    return _in_arrival_order(complete, waiting)


def _scan_remote(store: S3Landing, settle: float, now: float) -> LandingScan:
    """`scan` of an object-store prefix: one listing (paged), no object read."""
    objects = store.list()
    modified = {o.relative: o.modified for o in objects}
    complete: list[Landed] = []
    waiting: list[WaitingFile] = []
    for obj in objects:
        if _skipped(PurePosixPath(obj.relative)):
            continue
        landed = RemoteLandedFile(store=store, obj=obj)
        marker = obj.relative + DONE_SUFFIX
        reason = _settle_reason(obj.modified, modified.get(marker, float("-inf")) >= obj.modified,
                                PurePosixPath(marker).name, settle, now)
        if reason is None:
            complete.append(landed)
        else:
            waiting.append(WaitingFile(landed, reason))
    return _in_arrival_order(complete, waiting)


def _in_arrival_order(complete: list[Landed], waiting: list[WaitingFile]) -> LandingScan:
    complete.sort(key=lambda f: f.arrival)
    waiting.sort(key=lambda w: w.landed.arrival)
    return LandingScan(complete, waiting)


def scan_landing(landing_root: Landing, settle_seconds: float | None = None) -> list[Landed]:
    """The complete files of the landing zone, in arrival order (mtime, then path); see `scan`."""
    return scan(landing_root, settle_seconds).complete


def remote_landed_file(landing_root: str, source: str | Path, quarantine_dir: Path | None = None) -> Landed:
    """A file of an object-store landing zone by where it landed (a path, or an s3:// URL), or by its quarantined
    copy (<quarantine>/<vendor>/<feed>/<name>), which stands for the landed file. Refuses anything else
    (ValueError); ingestion.batch.landed_file does the same for a local landing folder."""
    store = S3Landing(landing_root)
    text = str(source)
    if is_remote(text):
        relative = store.relative_of(text)
    else:
        copy, quarantine = Path(source).resolve(), quarantine_dir.resolve() if quarantine_dir else None
        relative = (copy.relative_to(quarantine).as_posix()
                    if quarantine is not None and quarantine in copy.parents else None)
    if relative is None:
        raise ValueError(f"{source} is not inside the landing zone {store.url} (files are replayed from where they "
                         "landed, or from their quarantined copy)")
    try:
        return RemoteLandedFile(store=store, obj=store.stat(relative))
    except FileNotFoundError:
        raise ValueError(f"{store.url_of(relative)} is not a file in the landing zone {store.url}") from None
