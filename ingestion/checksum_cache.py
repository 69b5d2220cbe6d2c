"""The sha256 of landed files, remembered between runs, beside the warehouse.

A run with nothing new must not read gigabytes to find that out (issue 16): `bpo run`'s early check
(transform/nothing_new.py), the batch (ingestion/batch.py) and the landing sensor take a file's
checksum from here when the file is unchanged since it was hashed, and remember the ones they
compute. The cache is `<warehouse>.checksums.json`, never in the landing zone (it may be read-only,
or an object store).

The sha256 is the exactly-once identity of a file (raw.load_manifest): a changed file taken for a
known one would be skipped for ever. So an entry counts only while the file's fingerprint
(`LandedFile.fingerprint`) is the one it was hashed under: the same path, size, mtime and ctime to
the nanosecond, device and inode, the signs git's index trusts. Any difference, and the file is
hashed again: a rewrite in place changes mtime and ctime (setting the mtime back, as `touch -d` or
`cp -p` do, still moves the ctime, which no program can set), a replacement changes the inode.
What remains is a rewrite that keeps the size and lands in the same timestamp tick as the one the
file was hashed under, on the same inode: the file would then have been rewritten while it was
being hashed. A file changed less than `landing.RACY_NS` before it was read is not remembered (git's
"racy clean" rule), so only a clock stepped back, or a file system whose timestamps do not follow
writes, could produce that; a landed file is complete (settled or marked `.done`) before it is
hashed, so its producer has stopped writing it. To be sure all the same, delete the cache file: the
next run hashes every file again.

Object-store landing zones are not cached: an object's sha256 is computed while it is copied to be
read, which a remembered checksum would not save.

The file: `{"format": FORMAT, "files": {path: [fingerprint, sha256]}}`. A missing, unreadable,
corrupt or foreign one (another format) is ignored, and so is an entry that does not look right: the
files are hashed. Written whole (temporary file, then rename), merged with what another process wrote
meanwhile; a write that fails is skipped (nothing is lost but the time saved next run).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingestion.landing import Landed

FORMAT = "bpo-landed-checksums/1"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def cache_path(warehouse: Path | str) -> Path:
    """Where the checksums of the files landed for this warehouse are kept."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".checksums.json")


class ChecksumCache:
    """The checksums remembered for one warehouse: `recall` before hashing, `remember` after."""

    def __init__(self, path: Path):
        self.path = path
        self._entries = _read(path)

    @classmethod
    def beside(cls, warehouse: Path | str) -> ChecksumCache:
        return cls(cache_path(warehouse))

    def recall(self, files: Iterable[Landed]) -> int:
        """Give every unchanged file its remembered checksum (it is then not read to be hashed);
        how many got one."""
        recalled = 0
        for landed in files:
            entry = self._entries.get(landed.source)
            if entry is not None and landed.recall_checksum(*entry):
                recalled += 1
        return recalled

    def remember(self, files: Iterable[Landed]) -> None:
        """Keep the checksums the files computed by reading them, and write the cache when that
        changed it. Never raises for the cache's sake."""
        new = {}
        for landed in files:
            entry = landed.checksum_to_remember()
            if entry is not None and self._entries.get(landed.source) != entry:
                new[landed.source] = entry
        if not new:
            return
        entries = _read(self.path)  # what another process may have written since
        entries.update(new)
        # files no longer landed are forgotten (their entries could only ever miss)
        entries = {path: entry for path, entry in entries.items() if os.path.lexists(path)}
        if _write(self.path, entries):
            self._entries = entries


@contextlib.contextmanager
def kept_checksums(warehouse: Path | str, files: list[Landed]) -> Iterator[None]:
    """Around work that hashes `files`: their checksums recalled from the warehouse's cache where they are
    unchanged, and the ones computed meanwhile remembered there, even when the work fails."""
    cache = ChecksumCache.beside(warehouse)
    cache.recall(files)
    try:
        yield
    finally:
        cache.remember(files)


def _read(path: Path) -> dict[str, tuple[str, str]]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}  # missing, unreadable or corrupt (a torn write included): every file is hashed
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        return {}
    return {source: (entry[0], entry[1]) for source, entry in data["files"].items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
            and isinstance(entry[1], str) and _SHA256.fullmatch(entry[1])}


def _write(path: Path, entries: dict[str, tuple[str, str]]) -> bool:
    """Replace the cache file whole (readers see the old one or the new one); False when it cannot be written."""
    text = json.dumps({"format": FORMAT, "files": {k: list(v) for k, v in sorted(entries.items())}}, indent=0)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask decides, as for the warehouse
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        return True
    except OSError:  # e.g. a read-only warehouse folder, a full disk: the next run hashes again
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False
