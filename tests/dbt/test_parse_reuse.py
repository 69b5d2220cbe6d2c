"""A new warehouse does not make dbt parse the whole project again (transform/dbt_build.py, compat/dbt_duckdb.py).

The warehouse's path reaches dbt in the warehouse's own profile, not in the --vars; in-process dbt leaves the
path (not the catalog name) out of its partial-parse check; a target folder without a parse state starts from
the project's shared one. What dbt did is read from its own log and artifacts, never from timings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import transform.dbt_build as dbt_build
from compat.dbt_duckdb import run_dbt
from transform.dbt_build import DBT_PROJECT_DIR, dbt_build_args, dbt_target_path, project_args

FULL = "Unable to do partial parsing"


@pytest.fixture
def seeds(tmp_path, monkeypatch) -> Path:
    """This test's own shared parse states (the project's are shared by every process of the checkout)."""
    folder = tmp_path / "parse_seeds"
    monkeypatch.setattr(dbt_build, "PARSE_SEEDS", folder)
    return folder


def _parse(warehouse: Path) -> tuple[str, dict]:
    """`dbt parse` as the build of this warehouse would parse (its vars and profile): (dbt's log, manifest)."""
    target = dbt_target_path(warehouse)
    result = run_dbt(project_args(["parse", *dbt_build_args(warehouse, "USD")[1:]], target))
    assert result.success, result.exception
    return (target / "dbt.log").read_text(), json.loads((target / "manifest.json").read_text())


def _databases(manifest: dict) -> set[str]:
    return {n["database"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_a_second_warehouse_reuses_the_first_ones_parse_and_another_catalog_does_not(tmp_path, seeds):
    log, first = _parse(tmp_path / "one" / "warehouse.duckdb")
    assert FULL in log  # nothing to start from
    assert len(list(seeds.glob("*.msgpack"))) == 1

    log, second = _parse(tmp_path / "two" / "warehouse.duckdb")
    assert FULL not in log and "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed" in log
    assert second["nodes"].keys() == first["nodes"].keys() and _databases(second) == {"warehouse"}
    profile = (dbt_target_path(tmp_path / "two" / "warehouse.duckdb") / "profiles.yml").read_text()
    assert str((tmp_path / "two" / "warehouse.duckdb").resolve()) in profile

    # the catalog name (the file's stem) is written into every node: another name is parsed again
    log, other = _parse(tmp_path / "three" / "other.duckdb")
    assert re.search(f"{FULL} because profile has changed", log)
    assert _databases(other) == {"other"}


def test_a_changed_model_is_parsed_again_from_the_shared_state(tmp_path, seeds):
    """A shared state older than the project is only a starting point: dbt re-parses the file that changed.
    (The project copy keeps this test away from the checkout's own files.)"""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))

    def parse(warehouse: Path) -> tuple[str, dict]:
        target = dbt_target_path(warehouse)
        args = [*dbt_build_args(warehouse, "USD")[1:], "--project-dir", str(project), "--target-path", str(target),
                "--log-path", str(target)]
        assert run_dbt(["parse", *args]).success
        return (target / "dbt.log").read_text(), json.loads((target / "manifest.json").read_text())

    parse(tmp_path / "one" / "warehouse.duckdb")
    model = project / "models" / "staging" / "stg_fx_rates.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    log, manifest = parse(tmp_path / "two" / "warehouse.duckdb")
    assert FULL not in log and "0 files added, 1 files changed" in log
    assert manifest["nodes"]["model.bpo_warehouse.stg_fx_rates"]["raw_code"].rstrip().endswith("-- changed")


def test_the_project_never_reads_the_profiles_path_while_parsing():
    """dbt's partial-parse check no longer sees the DuckDB path (compat.dbt_duckdb.ignore_path_in_parse_check):
    a model, macro or project setting reading `target.path` would keep the path of the parse it was reused from."""
    files = [p for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in (".sql", ".yml", ".yaml") and p.is_file()
             and not {"target", "logs", "dbt_packages"} & set(p.relative_to(DBT_PROJECT_DIR).parts)]
    assert len(files) > 50
    readers = [str(p.relative_to(DBT_PROJECT_DIR)) for p in files if re.search(r"target\s*(\.\s*path|\[)",
                                                                                 p.read_text())]
    assert readers == []


def test_the_shared_states_are_kept_to_the_latest_few(tmp_path, seeds):
    """Vars that name temporary folders (the Spark build's) make one state per invocation: the oldest are removed."""
    import os

    own = tmp_path / "target" / dbt_build.PARTIAL_PARSE
    own.parent.mkdir()
    own.write_bytes(b"state")
    profiles = ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(own.parent)]
    for i in range(dbt_build.KEEP_SEEDS + 3):
        args = ["build", "--vars", json.dumps({"folder": f"/tmp/{i}"}), *profiles]
        dbt_build.share_parse(args)
        os.utime(dbt_build.parse_seed(args), (i, i))  # written in this order
    kept = sorted(seeds.glob("*.msgpack"))
    assert len(kept) == dbt_build.KEEP_SEEDS
    newest = ["build", "--vars", json.dumps({"folder": f"/tmp/{dbt_build.KEEP_SEEDS + 2}"}), *profiles]
    oldest = ["build", "--vars", json.dumps({"folder": "/tmp/0"}), *profiles]
    assert dbt_build.parse_seed(newest) in kept and dbt_build.parse_seed(oldest) not in kept
    own.unlink()
    assert not dbt_build.reuse_shared_parse(oldest) and dbt_build.reuse_shared_parse(newest)
    assert own.read_bytes() == b"state"
