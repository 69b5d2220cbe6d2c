"""The landing zone: <landing>/<vendor_id>/<feed>/<file>.

One landed file is one event. Files are identified by the sha256 of their
bytes, so a re-delivery under another name is recognised as the same file.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from ingestion.feeds import FEEDS, SHARED_VENDOR

_CHUNK = 1 << 20
VENDOR_ID = re.compile(r"^[a-z0-9_]+$")
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


@dataclass(frozen=True)
class LandedFile:
    path: Path  # absolute
    landing_root: Path

    @property
    def relative(self) -> Path:
        return self.path.relative_to(self.landing_root)

    @property
    def parts(self) -> tuple[str, ...]:
        return self.relative.parts

    @property
    def vendor_id(self) -> str | None:
        return self.parts[0] if len(self.parts) == 3 else None

    @property
    def feed(self) -> str | None:
        return self.parts[1] if len(self.parts) == 3 else None

    @cached_property
    def escaping_link(self) -> str | None:
        """Where the path really leads when a symbolic link (of the file or of a folder on the way)
        takes it outside the landing zone, else None. Such a file is never read."""
        target = self.path.resolve()
        if self.landing_root in target.parents:
            return None
        return os.readlink(self.path) if self.path.is_symlink() else str(target)

    @cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        if self.escaping_link is not None:  # identify the link itself; never read what it points to
            digest.update(b"symlink\0" + os.fsencode(self.escaping_link))
            return digest.hexdigest()
        with self.path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    @property
    def mtime(self) -> datetime:
        return datetime.fromtimestamp(self.path.lstat().st_mtime, tz=timezone.utc)

    def layout_problem(self) -> str | None:
        """Why this path is not <vendor_id>/<feed>/<file>, or None when it is."""
        if self.escaping_link is not None:
            return (f"{self.relative} leads through a symbolic link to {self.escaping_link}, outside the landing zone "
                    "(a path-traversal attempt?): it was not read; land the file itself")
        unsafe = unsafe_name_problem(self.path.name)
        if unsafe:
            return unsafe
        if len(self.parts) != 3:
            return (f"{self.relative} is not in a <vendor_id>/<feed>/ folder "
                    "(expected <landing>/<vendor_id>/<feed>/<file>)")
        vendor, feed, _ = self.parts
        if vendor != SHARED_VENDOR and not VENDOR_ID.match(vendor):
            return (f"vendor folder {vendor!r} is not a valid vendor_id "
                    "(lowercase letters, digits and _ only, as in the contract's vendor_id)")
        if feed not in FEEDS:
            return f"unknown feed folder {feed!r}; expected one of {', '.join(FEEDS)}"
        if (feed == "fx_rates") != (vendor == SHARED_VENDOR):
            return ("fx_rates files belong under the pseudo-vendor folder _shared/fx_rates/"
                    if feed == "fx_rates" else f"only fx_rates files may land under {SHARED_VENDOR}/")
        return None


def scan_landing(landing_root: Path) -> list[LandedFile]:
    """Every file in the landing zone, in arrival order (mtime, then path).

    Hidden files and files still being written (``*.tmp``, ``*.part``) are
    skipped. A symbolic link that points outside the landing zone is listed
    (so that it is quarantined with a reason) but never read.
    """
    root = landing_root.resolve()
    files: list[LandedFile] = []
    if not root.is_dir():
        return files
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.name.endswith((".tmp", ".part", ".partial")):
            continue
        landed = LandedFile(path=root / rel, landing_root=root)
        if (path.is_symlink() or path.is_file()) and landed.escaping_link is not None:
            files.append(landed)  # quarantined unread, whatever it points to
            continue
        if not path.is_file():
            continue
        files.append(landed)
    files.sort(key=lambda f: (f.path.lstat().st_mtime, str(f.path)))
    return files
