"""The dbt project's layers run one way: source -> staging -> intermediate -> marts.

Read from the dbt manifest (every ref / source of every model; conftest.py):
only staging reads sources, and staging reads nothing else; intermediate models
read staging and intermediate models, never a mart; marts never read a source.
The checker is also run on a hand-made manifest holding each kind of breach, so
a checker that reports nothing cannot pass.
"""

from __future__ import annotations

from pathlib import Path

LAYERS = ("staging", "intermediate", "marts")


def layering_violations(manifest: dict) -> list[str]:
    """One line per model that reads across the layers the wrong way."""
    nodes = manifest["nodes"]
    problems = []

    def layer(unique_id: str) -> str:
        if unique_id.startswith("source."):
            return "source"
        return Path(nodes[unique_id]["original_file_path"]).parts[1]  # models/<layer>/...

    for uid, node in sorted(nodes.items()):
        if node["resource_type"] != "model":
            continue
        own = layer(uid)
        if own not in LAYERS:
            problems.append(f"{node['name']}: not under models/staging, models/intermediate or models/marts")
            continue
        for parent in node["depends_on"]["nodes"]:
            theirs = layer(parent)
            name = parent.split(".")[-1] if theirs != "source" else ".".join(parent.split(".")[-2:])
            if own == "staging" and theirs != "source":
                problems.append(f"{node['name']} (staging) reads {name} ({theirs}): staging reads sources only")
            if own != "staging" and theirs == "source":
                problems.append(f"{node['name']} ({own}) reads source {name}: only staging reads sources")
            if own == "intermediate" and theirs == "marts":
                problems.append(f"{node['name']} (intermediate) reads mart {name}")
    return problems


def test_every_model_reads_one_way(dbt_manifest):
    models = [n for n in dbt_manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) > 40  # the real project, not an empty parse
    assert layering_violations(dbt_manifest) == []


def _model(layer: str, name: str, *parents: str) -> tuple[str, dict]:
    return f"model.p.{name}", {"resource_type": "model", "name": name,
                               "original_file_path": f"models/{layer}/{name}.sql",
                               "depends_on": {"nodes": list(parents)}}


def test_checker_reports_each_kind_of_breach():
    nodes = dict([
        _model("staging", "stg_ok", "source.p.raw.a"),
        _model("staging", "stg_reads_stg", "source.p.raw.a", "model.p.stg_ok"),
        _model("intermediate", "int_ok", "model.p.stg_ok"),
        _model("intermediate", "int_reads_source", "source.p.raw.a"),
        _model("intermediate", "int_reads_mart", "model.p.mart_ok"),
        _model("marts", "mart_ok", "model.p.int_ok", "model.p.stg_ok"),
        _model("marts", "mart_reads_source", "source.p.raw.a"),
        _model("elsewhere", "stray"),
    ])
    problems = layering_violations({"nodes": nodes})
    assert problems == [
        "int_reads_mart (intermediate) reads mart mart_ok",
        "int_reads_source (intermediate) reads source raw.a: only staging reads sources",
        "mart_reads_source (marts) reads source raw.a: only staging reads sources",
        "stg_reads_stg (staging) reads stg_ok (staging): staging reads sources only",
        "stray: not under models/staging, models/intermediate or models/marts",
    ]
