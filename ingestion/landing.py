"""The landing zone: <landing>/<vendor_id>/<feed>/<file>.

One landed file is one event. Files are identified by the sha256 of their
bytes, so a re-delivery under another name is recognised as the same file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from ingestion.feeds import FEEDS, SHARED_VENDOR

_CHUNK = 1 << 20


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
    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    @property
    def mtime(self) -> datetime:
        return datetime.fromtimestamp(self.path.stat().st_mtime, tz=timezone.utc)

    def layout_problem(self) -> str | None:
        """Why this path is not <vendor_id>/<feed>/<file>, or None when it is."""
        if len(self.parts) != 3:
            return (f"{self.relative} is not in a <vendor_id>/<feed>/ folder "
                    "(expected <landing>/<vendor_id>/<feed>/<file>)")
        vendor, feed, _ = self.parts
        if feed not in FEEDS:
            return f"unknown feed folder {feed!r}; expected one of {', '.join(FEEDS)}"
        if (feed == "fx_rates") != (vendor == SHARED_VENDOR):
            return ("fx_rates files belong under the pseudo-vendor folder _shared/fx_rates/"
                    if feed == "fx_rates" else f"only fx_rates files may land under {SHARED_VENDOR}/")
        return None


def scan_landing(landing_root: Path) -> list[LandedFile]:
    """Every file in the landing zone, in arrival order (mtime, then path).

    Hidden files and files still being written (``*.tmp``, ``*.part``) are
    skipped; symlinks that point outside the landing zone are ignored.
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
        if not path.is_file():
            continue
        resolved = path.resolve()
        if root not in resolved.parents:
            continue  # a symlink escaping the landing zone
        files.append(LandedFile(path=root / rel, landing_root=root))
    files.sort(key=lambda f: (f.path.stat().st_mtime, str(f.path)))
    return files
