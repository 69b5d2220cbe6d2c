"""Shared helpers for the mapping tests."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"


def utc(*args: int) -> datetime:
    """A UTC instant, e.g. utc(2026, 3, 8, 7, 0, 0)."""
    return datetime(*args, tzinfo=timezone.utc)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding=encoding)
    return path


def rows_by_id(frame, key: str = "interaction_id") -> dict[str, dict]:
    return {r[key]: r for r in frame.to_dicts()}
