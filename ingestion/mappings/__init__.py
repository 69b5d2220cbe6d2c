"""Vendor mappings: onboard an outsourcer's own export without touching Python.

    <mappings>/<vendor_id>/<feed>.yaml   (default <mappings> = <contracts folder>/../mappings)

A landed file whose vendor and feed have a mapping file is read in the
vendor's format and mapped to the canonical columns (DuckDB SQL expressions,
see `engine`); one without is read as a canonical file (the identity
mapping). Either way the staged rows then go through the same
`normalise_staged` → GX validation → load-or-quarantine path; the mapping's
version is recorded in the manifest.
See docs/onboarding.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.mappings.engine import MAPPED, MappedFrame, apply_mapping, map_staged
from ingestion.mappings.engine import connect as mapping_connection
from ingestion.mappings.model import (
    MappingError,
    ResolvedMapping,
    available_presets,
    find_mapping,
    load_mapping,
    load_preset_mapping,
)
from ingestion.feeds import FEEDS
from ingestion.readers import SOURCE, FileRejected, stage_file

__all__ = [
    "MappedFrame",
    "MappingError",
    "ResolvedMapping",
    "SourceRead",
    "apply_mapping",
    "available_presets",
    "find_mapping",
    "load_mapping",
    "load_preset_mapping",
    "mapping_connection",
    "read_landed",
]


@dataclass
class SourceRead:
    """A landed file staged for normalise_staged(): the table with the canonical columns, the timezone
    for offset-less timestamps."""

    table: str
    timezone: str | None
    mapping_version: str | None = None  # None: read as a canonical file
    warnings: list[str] = field(default_factory=list)


def read_landed(con: duckdb.DuckDBPyConnection, path: Path, feed: str, *, vendor_id: str | None,
                timezone: str | None, mappings_dir: Path | None) -> SourceRead:
    """Stage a landed file in `con` (a `mapping_connection()`): through its vendor's mapping when there is
    one, else as canonical (the identity mapping: the file's columns are the canonical ones).

    Raises FileRejected (the file is quarantined) when the file cannot be read, or the mapping is invalid
    or cannot be applied to this file; the reason names the mapping file.
    """
    mapping_path = find_mapping(mappings_dir, vendor_id, feed)
    if mapping_path is None:
        stage_file(con, path, FEEDS[feed])
        return SourceRead(table=SOURCE, timezone=timezone)
    try:
        resolved = load_mapping(mapping_path, feed, root=mappings_dir)
    except MappingError as exc:
        lines = str(exc).splitlines()
        reason = lines[-1] if len(lines) > 1 else lines[0]
        rejected = FileRejected(f"invalid mapping: {reason}",
                                [*lines, "Fix the mapping, then run `bpo replay <file>`."])
        rejected.mapping_version = f"{mapping_path} (invalid)"  # type: ignore[attr-defined]
        raise rejected from None
    try:
        mapped = map_staged(con, resolved, path, timezone=timezone)
    except FileRejected as rejected:
        rejected.mapping_version = resolved.version  # type: ignore[attr-defined]
        raise
    return SourceRead(table=MAPPED, timezone=mapped.timezone, mapping_version=mapped.version,
                      warnings=mapped.warnings)
