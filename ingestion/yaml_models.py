"""What contracts and vendor mappings share: YAML files validated by pydantic models, each error
named by file, line and field.

Both read a file twice (`yaml.compose` for the node tree that gives each error its line, then
the data) and validate the data with strict models; these helpers are that common part.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class StrictModel(BaseModel):
    # Unknown keys are almost always typos (`treshold_seconds`): reject them.
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_timezone(value: str, example: str) -> str:
    """`value` when it is an IANA timezone, else ValueError naming an example."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r} (e.g. {example})") from None
    return value


def yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """One line for a file that is not valid YAML, with the line when YAML gives it."""
    mark = getattr(exc, "problem_mark", None)
    where = f", line {mark.line + 1}" if mark else ""
    return f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}"


def validation_errors(exc: ValidationError) -> Iterator[tuple[dict[str, Any], tuple[Any, ...], str]]:
    """(error, location, message) of each pydantic error: the location without pydantic's
    `function-...` steps, the message without its "Value error, " prefix."""
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        yield err, loc, err["msg"].removeprefix("Value error, ")


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Walk the YAML node tree along a pydantic error location; return a 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                key_node = next((k for k, _ in node.value if k.value == key), None)
                return key_node.start_mark.line + 1 if key_node else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def key_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line of the key itself (an unknown key), not of its value."""
    for i, key in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == key), None)
            if pair is None:
                return None
            if i == len(loc) - 1:
                return pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return None
    return None


def field_path(loc: tuple[Any, ...]) -> str:
    """A pydantic location as a reader writes it: versions[0].pricing[2].unit."""
    parts: list[str] = []
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            parts.append(("." if parts else "") + str(key))
    return "".join(parts) or "(top level)"
