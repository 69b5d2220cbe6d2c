"""`bpo mapping check`: what a vendor file would become, before it goes live.

Runs the same steps as ingestion (DuckDB staging → mapping → normalise → GX validation of
the feed) on a file anywhere on disk, writes nothing, and returns the first
canonical rows and the validation failures (with their rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ingestion.contracts import ContractError, load_contract
from ingestion.feeds import FEEDS
from ingestion.loader import StagedRows, Validate, gx_validate, stage_rows
from ingestion.mappings.engine import MAPPED, MappedFrame, connect, map_staged
from ingestion.mappings.model import MappingError, ResolvedMapping, find_mapping, load_mapping, load_preset_mapping
from ingestion.pii import pii_salt
from ingestion.readers import SOURCE, FileRejected, NormalisedFile, normalise_staged, stage_file


@dataclass
class CheckResult:
    vendor_id: str
    feed: str
    file: Path
    mapping: ResolvedMapping | None = None
    mapped: MappedFrame | None = None
    normalised: NormalisedFile | None = None  # frame: a polars DataFrame (the preview)
    report: Any | None = None  # expectations.runner.ValidationReport
    rejected: FileRejected | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected is None and self.report is not None and self.report.success

    @property
    def warnings(self) -> list[str]:
        return [*(self.mapped.warnings if self.mapped else []), *(self.normalised.warnings if self.normalised else [])]

    def preview(self, rows: int = 10) -> pl.DataFrame:
        """The first rows as the canonical feed receives them (typed, UTC, PII hashed)."""
        return self.normalised.frame.head(rows) if self.normalised is not None else pl.DataFrame()


def _guess_feed(vendor_id: str, file: Path, mappings_dir: Path | None) -> str:
    if file.parent.name in FEEDS:  # a file in a landing zone: <vendor>/<feed>/<file>
        return file.parent.name
    if mappings_dir is not None and (mappings_dir / vendor_id).is_dir():
        feeds = sorted({p.stem for p in (mappings_dir / vendor_id).glob("*.y*ml") if p.stem in FEEDS})
        if len(feeds) == 1:
            return feeds[0]
    return "interactions"


def check_file(vendor_id: str, file: Path, *, mappings_dir: Path | None, contracts_dir: Path | None,
               feed: str | None = None, preset: str | None = None, validate: Validate | None = None) -> CheckResult:
    """Map, normalise and validate `file` as vendor `vendor_id` would send it; nothing is written.

    Raises MappingError (an invalid mapping file) and ContractError (an
    invalid contract); everything that would quarantine the file is returned
    in `rejected`.
    """
    feed = feed or _guess_feed(vendor_id, file, mappings_dir)
    if feed not in FEEDS:
        raise MappingError(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}")
    result = CheckResult(vendor_id=vendor_id, feed=feed, file=file)
    timezone = None
    contract_path = contracts_dir / f"{vendor_id}.yaml" if contracts_dir is not None else None
    if contract_path is not None and contract_path.is_file():
        timezone = load_contract(contract_path).timezone
    else:
        result.notes.append(f"no contract {contract_path}: offset-less timestamps are read in UTC "
                            "unless the mapping sets `timezone:`")
    if preset is not None:
        result.mapping = load_preset_mapping(preset, feed)
    else:
        path = find_mapping(mappings_dir, vendor_id, feed)
        if path is None:
            result.notes.append(f"no mapping {mappings_dir}/{vendor_id}/{feed}.yaml: the file is read as canonical")
        else:
            result.mapping = load_mapping(path, feed, root=mappings_dir)
    try:
        feed_def = FEEDS[feed]
        con = connect()  # the same staging as ingestion (ingestion.loader.prepare_file)
        try:
            if result.mapping is not None:
                mapped = map_staged(con, result.mapping, file, timezone=timezone)
                rows = [r for (r,) in con.execute(f"SELECT __bpo_row FROM {MAPPED} ORDER BY 1").fetchall()]
                result.mapped = MappedFrame(**vars(mapped), source_rows=rows)  # rows: for the preview
                table, tz = MAPPED, mapped.timezone
            else:
                stage_file(con, file)
                table, tz = SOURCE, timezone
            normalised = normalise_staged(con, feed_def, vendor_id=vendor_id, timezone=tz, salt=pii_salt(),
                                          table=table)
            result.normalised = NormalisedFile(frame=pl.from_arrow(normalised.frame), warnings=normalised.warnings)
            stage_rows(con, normalised.frame)  # validated where ingestion validates it: the staged relation
            result.report = (validate or gx_validate)(feed, StagedRows(con),
                                                      vendor_id if feed_def.vendor_scoped else None)
        finally:
            con.close()
    except FileRejected as rejected:
        result.rejected = rejected
    return result


__all__ = ["CheckResult", "ContractError", "MappingError", "check_file"]
