"""The landing zone on object storage: ``s3://bucket/prefix`` through fsspec (s3fs).

The layout is the local one (``<prefix>/<vendor_id>/<feed>/<file>``) and the
same rules apply (ingestion/landing.py): a file is taken once complete (its
``LastModified`` at least the settle interval old, or a ``<name>.done`` object
as new as it beside it), identified by the sha256 of its bytes, loaded once.

Credentials and the endpoint come from botocore's standard chain, never from
project files: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and ``~/.aws/{config,credentials}``,
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` (or ``endpoint_url`` in the
profile) for an S3-compatible store.

DuckDB's httpfs extension cannot be downloaded on closed networks, so an
object is copied into a local spool file first, hashed while it is copied, and
the pipeline reads that same local file: the bytes loaded are the bytes
hashed. s3fs sends every ranged read with ``If-Match: <ETag>`` (the ETag of its
HEAD at open), so an object overwritten while it is copied fails the copy
instead of mixing two versions; it is copied again, whole. A copy whose ETag is
not the one the listing judged complete is a version that has not settled yet:
the file is left pending (`RemoteLandedFile.changed_since_hashed`).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path, PurePosixPath

SCHEME = "s3://"
_CHUNK = 8 << 20  # one ranged GET per 8 MiB read
_COPY_ATTEMPTS = 3  # an object overwritten while copied is copied again, whole, at most this often


def is_remote(landing: object) -> bool:
    """True for an object-store landing zone (``s3://bucket/prefix``)."""
    return isinstance(landing, str) and landing.startswith(SCHEME)


def landing_location(value: str | Path) -> str | Path:
    """A landing setting as the pipeline keeps it: ``s3://bucket/prefix`` (normalised, no trailing slash)
    or a local Path."""
    text = str(value)
    if text[:len(SCHEME)].lower() == SCHEME:
        rest = text[len(SCHEME):].strip("/")
        if not rest:
            raise ValueError(f"landing {text!r} names no bucket: give s3://bucket or s3://bucket/prefix")
        return SCHEME + rest
    return value if isinstance(value, Path) else Path(value)


def _refused(message: str) -> Exception:
    from ingestion.preflight import ConfigurationError  # preflight imports this module lazily too

    return ConfigurationError(message)


@dataclass(frozen=True)
class ObjectInfo:
    relative: str  # the key below the landing prefix, "/"-separated
    size: int
    etag: str
    modified: float  # LastModified, seconds since the epoch (the store's clock)


@dataclass(frozen=True)
class S3Landing:
    url: str  # s3://bucket/prefix, as landing_location returns it

    @property
    def root(self) -> str:
        return self.url[len(SCHEME):]

    @cached_property
    def fs(self):
        import s3fs

        # A new client per landing zone and no listing cache: every scan must see objects landed since.
        return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)

    def url_of(self, relative: str) -> str:
        return f"{self.url}/{relative}"

    def relative_of(self, url: str) -> str | None:
        """The key of `url` below the landing prefix, or None when it is not inside it."""
        if not url.startswith(self.url + "/"):
            return None
        relative = url[len(self.url) + 1:]
        parts = PurePosixPath(relative).parts
        return relative if parts and ".." not in parts and "." not in parts else None

    @contextlib.contextmanager
    def _access(self):
        """Turn what the store answers about the landing zone itself into one line to act on."""
        from botocore.exceptions import BotoCoreError, NoCredentialsError

        where = f"landing {self.url}"
        try:
            yield
        except PermissionError as exc:
            raise _refused(f"{where} cannot be read: access denied ({_first_line(exc)}); check the AWS "
                           "credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE) and the bucket's policy") from None
        except NoCredentialsError:
            raise _refused(f"{where} cannot be read: no AWS credentials found; set AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE") from None
        except BotoCoreError as exc:  # endpoint unreachable, bad region, ...
            raise _refused(f"{where} cannot be reached: {_first_line(exc)} (check AWS_ENDPOINT_URL_S3 / "
                           "AWS_ENDPOINT_URL and the network)") from None

    def check(self) -> None:
        """The bucket exists and the prefix can be listed (an empty or new prefix is fine: S3 has no folders)."""
        bucket = self.root.split("/", 1)[0]
        with self._access():
            try:
                self.fs.ls(self.root if "/" in self.root else bucket, detail=False)
            except FileNotFoundError:
                if not self.fs.exists(bucket):
                    raise _refused(f"landing {self.url}: bucket {bucket!r} does not exist "
                                   "(check --landing / BPO_LANDING and AWS_ENDPOINT_URL_S3)") from None

    def list(self) -> list[ObjectInfo]:
        """Every object below the prefix (s3fs pages through ListObjectsV2, 1,000 keys a page)."""
        with self._access():
            try:
                found = self.fs.find(self.root, detail=True)
            except FileNotFoundError:
                return []
        prefix = self.root + "/"
        out = []
        for name, info in found.items():
            if info.get("type") != "file" or not name.startswith(prefix):
                continue
            out.append(_object_info(name[len(prefix):], info))
        return out

    def stat(self, relative: str) -> ObjectInfo:
        """One object's listing entry; FileNotFoundError when there is none."""
        with self._access():
            info = self.fs.info(f"{self.root}/{relative}")
        if info.get("type") != "file":
            raise FileNotFoundError(f"{self.url_of(relative)} is not a file")
        return _object_info(relative, info)

    def copy(self, relative: str, target: Path) -> tuple[str, str]:
        """Copy one whole version of the object into `target`: (sha256 of exactly those bytes, its ETag).

        Raises OSError when the object keeps being overwritten, or is gone.
        """
        from s3fs.utils import FileExpired

        for _ in range(_COPY_ATTEMPTS):
            digest = hashlib.sha256()
            try:
                with self._access(), self.fs.open(f"{self.root}/{relative}", "rb", cache_type="none",
                                                  block_size=_CHUNK) as src, target.open("wb") as dst:
                    etag = src.details.get("ETag", "")
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                return digest.hexdigest(), etag
            except FileExpired:  # overwritten between two ranged reads (If-Match failed): copy it again
                continue
        raise OSError(f"{self.url_of(relative)} was overwritten every time it was read ({_COPY_ATTEMPTS} tries)")


def _object_info(relative: str, info: dict) -> ObjectInfo:
    modified = info.get("LastModified")
    stamp = modified.timestamp() if isinstance(modified, datetime) else float(modified or 0)
    return ObjectInfo(relative=relative, size=int(info.get("size") or 0), etag=str(info.get("ETag", "")),
                      modified=stamp)


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


_spool: list[Path] = []


def spool_file(owner: object, name: str) -> Path:
    """A fresh local path named `name` (readers go by the suffix), removed when `owner` is collected
    (or at exit)."""
    if not _spool:
        _spool.append(Path(tempfile.mkdtemp(prefix="bpo-landing-")))
        atexit.register(shutil.rmtree, _spool[0], True)
    folder = Path(tempfile.mkdtemp(dir=_spool[0]))
    weakref.finalize(owner, shutil.rmtree, folder, True)
    return folder / name
