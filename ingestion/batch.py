"""Ingest a batch of landed files: what the sensor's run and `bpo run` both call."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ingestion.landing import LandedFile, scan_landing
from ingestion.loader import IngestResult, Validate, already_processed, ingest_file, sync_contracts
from ingestion.settings import Settings
from ingestion.warehouse import connect


def pending_files(settings: Settings) -> list[LandedFile]:
    """Landed files whose bytes the manifest has not seen, in arrival order."""
    files = scan_landing(settings.landing)
    with connect(settings.warehouse) as con:
        return [f for f in files if already_processed(con, f.sha256) is None]


def landed_file(settings: Settings, path: str | Path) -> LandedFile:
    """A path inside the landing zone as a LandedFile (refuses paths outside it)."""
    root = settings.landing.resolve()
    resolved = Path(path).resolve()
    if root not in resolved.parents:
        raise ValueError(f"{path} is not inside the landing zone {root}")
    return LandedFile(path=resolved, landing_root=root)


def ingest(settings: Settings, validate: Validate, paths: Iterable[str | Path] | None = None,
           *, replay: bool = False) -> list[IngestResult]:
    """Sync contracts, then load or quarantine each file (all pending ones when paths is None).

    Files are processed one at a time, each in its own transaction, in
    arrival order, so a crash loses at most the file in flight, which is
    then picked up again on the next run.
    """
    files = scan_landing(settings.landing) if paths is None else [landed_file(settings, p) for p in paths]
    if paths is not None:
        files.sort(key=lambda f: (f.path.stat().st_mtime, str(f.path)))
    results: list[IngestResult] = []
    with connect(settings.warehouse) as con:
        contracts = sync_contracts(con, settings.contracts)
        for f in files:
            results.append(ingest_file(con, f, contracts, settings.quarantine_dir, validate, replay=replay))
    return results
