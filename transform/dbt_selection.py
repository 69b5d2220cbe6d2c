"""Which dbt nodes a build needs: those downstream of the raw tables that changed (issue 16).

After a published build (transform/run_inputs.py `changed_raw_tables`), a model whose raw
inputs did not change holds what a full build would write again, so the next build selects

- every node downstream of a changed raw table (`source:raw.<table>+`: models, and through
  dbt's eager indirect selection every test, generic or singular, that reads one of them);
- the build-scope models (`tag:build_scope`) whenever a scoped model is selected: they decide
  what the scoped models recompute and must be of this build, not the last one (a survey file
  reaches int_sla_contact_counts but not int_build_scope);
- the models that read the clock (`now()`, `current_date`: dispute ages), which a full build
  would recompute whatever changed;
- `stg_load_manifest` (a view: nothing to compute), which every build materializes: the
  publication waits for it (orchestration/assets.py `PUBLISH_AFTER`; Dagster skips a step
  when any output it depends on is not produced, dagster-io/dagster#22242), so a build that
  only a quarantined file or a contract comment caused still publishes.

The ledger of the scoped models (macros/build_scope.sql `record_build_state`) advances per
feed: a load is recorded once every scoped model downstream of its raw table was built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RAW_SOURCE = "raw"
PUBLISH_GATE = "stg_load_manifest"
BUILD_SCOPE_TAG = "build_scope"
SCOPED_TAG = "scoped"
# a model whose result depends on when it is built, not only on its inputs
_CLOCK = re.compile(r"\bnow\s*\(\s*\)|\bcurrent_date\b|\bcurrent_timestamp\b|\bget_current_timestamp\b",
                    re.IGNORECASE)


@dataclass(frozen=True)
class DbtSelection:
    """The `--select` arguments of a build and the nodes dbt will run for them."""

    select: tuple[str, ...]
    models: frozenset[str]  # unique ids
    tests: frozenset[str]  # unique ids (eager indirect selection: a test of any selected node)


def _children(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    children: dict[str, set[str]] = {}
    for unique_id, node in manifest["nodes"].items():
        for parent in node.get("depends_on", {}).get("nodes", []):
            children.setdefault(parent, set()).add(unique_id)
    return children


def _downstream(start: Iterable[str], children: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    work = list(start)
    while work:
        for child in children.get(work.pop(), ()):
            if child not in seen:
                seen.add(child)
                work.append(child)
    return seen


def raw_source_id(manifest: Mapping[str, Any], table: str) -> str | None:
    return next((uid for uid, s in manifest["sources"].items()
                 if s["source_name"] == RAW_SOURCE and s["name"] == table), None)


def clock_models(manifest: Mapping[str, Any]) -> list[str]:
    """Names of the models whose SQL reads the clock."""
    return sorted(n["name"] for n in manifest["nodes"].values()
                  if n["resource_type"] == "model" and _CLOCK.search(n.get("raw_code") or ""))


def selection_for(manifest: Mapping[str, Any], changed_tables: Iterable[str]) -> DbtSelection:
    """The nodes a build needs when only `changed_tables` (raw table names) changed since the last
    published build (dbt's manifest.json as a dict)."""
    nodes = manifest["nodes"]
    children = _children(manifest)
    models_of = {n["name"]: uid for uid, n in nodes.items() if n["resource_type"] == "model"}
    select: list[str] = []
    chosen: set[str] = set()
    for table in sorted(set(changed_tables)):
        source = raw_source_id(manifest, table)
        if source is None:  # a raw table no model reads (the manifest's own bookkeeping aside)
            continue
        select.append(f"source:{RAW_SOURCE}.{table}+")
        chosen |= _downstream([source], children)
    if any(SCOPED_TAG in nodes[uid].get("tags", []) for uid in chosen if uid in nodes):
        select.append(f"tag:{BUILD_SCOPE_TAG}")
        chosen |= {uid for uid, n in nodes.items() if n["resource_type"] == "model" and BUILD_SCOPE_TAG in n["tags"]}
    always = [*clock_models(manifest), PUBLISH_GATE]
    select.extend(always)
    chosen |= {models_of[name] for name in always if name in models_of}
    models = frozenset(uid for uid in chosen if nodes.get(uid, {}).get("resource_type") in ("model", "seed", "snapshot"))
    sources = {raw_source_id(manifest, t) for t in changed_tables} - {None}
    tests = frozenset(uid for uid, n in nodes.items() if n["resource_type"] == "test"
                      and set(n.get("depends_on", {}).get("nodes", [])) & (models | sources))
    return DbtSelection(tuple(select), models, tests)
