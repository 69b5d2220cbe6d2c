"""Vendor mapping files: YAML → validated pydantic model, with presets.

A mapping file `<mappings>/<vendor_id>/<feed>.yaml` says how to read a
vendor's own export (the source format) and how to compute every canonical
column of the feed from it (a DuckDB SQL expression per column). A mapping
may start from a preset shipped in `ingestion/mappings/presets/` and
override some of its columns. An invalid file raises MappingError naming
the file, the line, the field and the problem, like contracts do.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from ingestion.feeds import FEEDS, Feed
from ingestion.yaml_models import (StrictModel, check_timezone, field_path, key_line, line_of, validation_errors,
                                   yaml_problem)

PRESETS_DIR = Path(__file__).parent / "presets"
Scalar = str | int | float | bool | None


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. Code lists need `NO`, `Y`, `off` kept as text (the Norway problem)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Yaml12Loader.yaml_implicit_resolvers.setdefault(_first, []).append(
        ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))


class MappingError(ValueError):
    """A mapping file is invalid; the message names file, line, field and problem."""


class _Strict(StrictModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(_Strict):
    """How to read the vendor's file."""

    format: Literal["csv", "jsonl", "json", "parquet"] | None = None  # None: from the file name
    delimiter: str = Field(default=",", min_length=1, max_length=1)  # csv
    encoding: str = "utf-8"  # csv, json, jsonl (e.g. cp1252, utf-16)
    skip_rows: int = Field(default=0, ge=0)  # csv: lines before the header line (report titles)
    null_values: list[str] = Field(default_factory=lambda: [""])  # csv: cells read as null
    records: str | None = None  # json: path to the records array, e.g. "conversations" or "$.data.items"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown text encoding {v!r} (e.g. utf-8, cp1252, utf-16)") from None
        return v

    @property
    def records_path(self) -> list[str]:
        path = (self.records or "").strip()
        path = path.removeprefix("$").lstrip(".")
        return [p for p in path.split(".") if p]


class Rule(_Strict):
    """A column (or derived value) written out: an expression, a constant, and/or a code list."""

    expr: str | None = Field(default=None, min_length=1)  # DuckDB SQL over the source columns
    const: Scalar = None  # a constant value (instead of expr)
    codes: dict[str, Scalar] | None = None  # source value (as text) -> canonical value
    else_: str | None = Field(default=None, alias="else", min_length=1)  # SQL for values not in codes

    @field_validator("codes", mode="before")
    @classmethod
    def _keys_as_text(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {(str(k).lower() if isinstance(k, bool) else str(k)): val for k, val in v.items()}
        return v

    @model_validator(mode="after")
    def _one_source(self) -> Rule:
        has_const = "const" in self.model_fields_set
        if has_const == (self.expr is not None):
            raise ValueError("give exactly one of `expr` (a SQL expression) or `const` (a constant)")
        if has_const and (self.codes is not None or self.else_ is not None):
            raise ValueError("`codes` and `else` apply to an `expr`, not to a `const`")
        if self.else_ is not None and self.codes is None:
            raise ValueError("`else` needs `codes`")
        return self


ColumnSpec = Rule


def _as_rules(value: Any, *, allow_none: bool) -> Any:
    """`col: <text>` is an expression; `col: 5` / `col: true` a constant; `col: {...}` a Rule."""
    if not isinstance(value, dict):
        return value
    out = {}
    for name, spec in value.items():
        if isinstance(spec, str):
            spec = {"expr": spec}
        elif isinstance(spec, (bool, int, float)):
            spec = {"const": spec}
        elif spec is None and not allow_none:
            spec = {}
        out[name] = spec
    return out


class Mapping(_Strict):
    feed: str | None = None  # the canonical feed; must match the file name when given
    description: str | None = None
    version: str | None = None  # free text, recorded in the load manifest with the file's sha256
    preset: str | None = None
    source: Source = Field(default_factory=Source)
    timezone: str | None = None  # offset-less timestamps are read here (default: the vendor contract's)
    where: str | None = Field(default=None, min_length=1)  # SQL filter: rows that are contacts of this feed
    derived: dict[str, ColumnSpec] = Field(default_factory=dict)  # named helper values, in order
    columns: dict[str, ColumnSpec | None] = Field(default_factory=dict)  # canonical column -> rule (None: unmapped)
    ignore_columns: list[str] = Field(default_factory=list)  # source columns knowingly unused (no drift warning)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str | None) -> str | None:
        return v if v is None else check_timezone(v, "America/New_York")

    @field_validator("feed")
    @classmethod
    def _known_feed(cls, v: str | None) -> str | None:
        if v is not None and v not in FEEDS:
            raise ValueError(f"unknown feed {v!r}; expected one of {', '.join(FEEDS)}")
        return v

    @field_validator("columns", mode="before")
    @classmethod
    def _column_rules(cls, v: Any) -> Any:
        return _as_rules(v, allow_none=True)

    @field_validator("derived", mode="before")
    @classmethod
    def _derived_rules(cls, v: Any) -> Any:
        return _as_rules(v, allow_none=False)

    @field_validator("derived")
    @classmethod
    def _identifier_names(cls, v: dict[str, ColumnSpec]) -> dict[str, ColumnSpec]:
        for name in v:
            if not name.isidentifier():
                raise ValueError(f"derived name {name!r} must be a plain identifier (letters, digits, _)")
        return v


@dataclass(frozen=True)
class ResolvedMapping:
    """A mapping file merged with its preset, checked against its feed."""

    path: Path  # the vendor's mapping file (or the preset file when checked alone)
    feed: Feed
    mapping: Mapping
    version: str  # "<vendor>/<feed>.yaml sha256:...; preset <name> sha256:..."

    @property
    def columns(self) -> dict[str, ColumnSpec]:
        return {k: v for k, v in self.mapping.columns.items() if v is not None}


def available_presets() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def find_mapping(mappings_dir: Path | None, vendor_id: str | None, feed: str | None) -> Path | None:
    """`<mappings>/<vendor_id>/<feed>.yaml` (or .yml) when it exists, else None (canonical file)."""
    if mappings_dir is None or not vendor_id or not feed:
        return None
    for suffix in (".yaml", ".yml"):
        path = Path(mappings_dir) / vendor_id / f"{feed}{suffix}"
        if path.is_file():
            return path
    return None


def _read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None, bytes]:
    data_bytes = path.read_bytes()
    text = data_bytes.decode("utf-8")
    try:
        node = yaml.compose(text, Loader=_Yaml12Loader)
        data = yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise MappingError(yaml_problem(path, exc)) from None
    if not isinstance(data, dict):
        raise MappingError(f"{path}: a mapping must be a YAML mapping (source, columns, ...)")
    return data, node, data_bytes


def _validate(data: dict[str, Any], node: yaml.Node | None, path: Path, what: str) -> Mapping:
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err, loc, msg in validation_errors(exc):
            line = line_of(node, loc) if node is not None else None
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
                line = key_line(node, loc) or line
            where = f", line {line}" if line else ""
            lines.append(f"{path}{where}: {field_path(loc)}: {msg}")
        raise MappingError(f"invalid {what}\n" + "\n".join(dict.fromkeys(lines))) from None


def _merge(preset: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """The vendor's file on top of the preset: scalars replace, source keys replace, columns and
    derived values replace one by one (a column set to null is unmapped), ignore_columns add up."""
    merged = {k: v for k, v in preset.items() if k not in ("description",)}
    for key, value in own.items():
        if key in ("source", "columns", "derived") and isinstance(value, dict):
            merged[key] = {**(preset.get(key) or {}), **value}
        elif key == "ignore_columns" and isinstance(value, list):
            merged[key] = list(dict.fromkeys([*(preset.get(key) or []), *value]))
        else:
            merged[key] = value
    merged.pop("preset", None)
    return merged


def load_preset(name: str) -> tuple[dict[str, Any], Path, bytes]:
    path = PRESETS_DIR / f"{name}.yaml"
    data, node, raw = _read_yaml(path)
    _validate(data, node, path, f"preset {name}")
    return data, path, raw


def load_mapping(path: Path, feed_name: str | None = None, *, root: Path | None = None) -> ResolvedMapping:
    """Read, validate and resolve (preset + overrides) one mapping file for a feed.

    feed_name defaults to the file name (`interactions.yaml` → interactions);
    root is the mappings folder, for the version string.
    """
    path = Path(path)
    data, node, raw = _read_yaml(path)
    own = _validate(data, node, path, "mapping")
    feed_name = feed_name or own.feed or path.stem
    if feed_name not in FEEDS:
        raise MappingError(f"{path}: {feed_name!r} is not a feed; name the file after one of {', '.join(FEEDS)}")
    if own.feed is not None and own.feed != feed_name:
        raise MappingError(f"{path}, line {line_of(node, ('feed',))}: feed: {own.feed!r} does not match the "
                           f"feed this file maps ({feed_name!r})")
    try:
        shown = path.relative_to(root) if root is not None else path
    except ValueError:
        shown = path
    version = f"{shown.as_posix()} sha256:{hashlib.sha256(raw).hexdigest()}"
    if own.version:
        version = f"{own.version} ({version})"
    merged_data = data
    if own.preset is not None:
        if own.preset not in available_presets():
            raise MappingError(
                f"{path}, line {line_of(node, ('preset',))}: preset: unknown preset {own.preset!r}; "
                f"available: {', '.join(available_presets())}"
            )
        preset_data, preset_path, preset_raw = load_preset(own.preset)
        preset_feed = preset_data.get("feed")
        if preset_feed and preset_feed != feed_name:
            raise MappingError(f"{path}, line {line_of(node, ('preset',))}: preset: {own.preset!r} maps the "
                               f"{preset_feed} feed, not {feed_name}")
        merged_data = _merge(preset_data, data)
        version += f"; preset {own.preset} sha256:{hashlib.sha256(preset_raw).hexdigest()}"
    mapping = _validate(merged_data, node, path, f"mapping (with preset {own.preset})") \
        if own.preset is not None else own
    return _check_against_feed(ResolvedMapping(path=path, feed=FEEDS[feed_name], mapping=mapping,
                                               version=version), node)


def _check_against_feed(resolved: ResolvedMapping, node: yaml.Node | None) -> ResolvedMapping:
    feed, mapping, path = resolved.feed, resolved.mapping, resolved.path
    allowed = set(feed.column_names) | {"vendor_id"}
    errors = []
    for name in mapping.columns:
        if name not in allowed:
            errors.append(f"{path}, line {line_of(node, ('columns', name))}: columns.{name}: {name!r} is not a "
                          f"column of the {feed.name} feed (columns: {', '.join(feed.column_names)})")
    missing = [c for c in feed.required_columns if resolved.columns.get(c) is None]
    if missing:
        errors.append(f"{path}, line {line_of(node, ('columns',))}: columns: the {feed.name} feed needs "
                      f"{', '.join(missing)}; map them (an expression or a `const:`)")
    clash = sorted(set(mapping.derived) & allowed)
    if clash:
        errors.append(f"{path}, line {line_of(node, ('derived',))}: derived: {', '.join(clash)} "
                      "would shadow canonical column names; choose other names")
    if errors:
        raise MappingError("invalid mapping\n" + "\n".join(errors))
    return resolved


def load_preset_mapping(name: str, feed_name: str = "interactions") -> ResolvedMapping:
    """A preset used as is (for tests and `bpo mapping check --preset`)."""
    if name not in available_presets():
        raise MappingError(f"unknown preset {name!r}; available: {', '.join(available_presets())}")
    return load_mapping(PRESETS_DIR / f"{name}.yaml", feed_name, root=PRESETS_DIR.parent)
